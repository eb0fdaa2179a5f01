/**
 * Splits `totalW` over items in proportion to `weight` (e.g. each battery's available power),
 * capping each at `cap` and handing what a capped item cannot take to the others (water-filling).
 * Returns one share per item, Σ shares = min(totalW, Σ caps). totalW ≥ 0.
 */
export function splitProportional(totalW: number, items: ReadonlyArray<{ weight: number; cap: number }>): number[] {
  const shares = items.map(() => 0);
  let remaining = Math.max(0, totalW);
  let open = items.map((_, i) => i).filter((i) => (items[i]?.cap ?? 0) > 0);
  while (remaining > 1e-9 && open.length > 0) {
    const weightSum = open.reduce((s, i) => s + Math.max(items[i]?.weight ?? 0, 1e-9), 0);
    let given = 0;
    const stillOpen: number[] = [];
    for (const i of open) {
      const item = items[i];
      if (!item) continue;
      const want = (remaining * Math.max(item.weight, 1e-9)) / weightSum;
      const room = item.cap - (shares[i] ?? 0);
      const take = Math.min(want, room);
      shares[i] = (shares[i] ?? 0) + take;
      given += take;
      if (room - take > 1e-9) stillOpen.push(i);
    }
    remaining -= given;
    if (given <= 1e-9) break;
    open = stillOpen;
  }
  return shares;
}
