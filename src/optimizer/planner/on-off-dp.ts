import { slotRules, windowSlots, type OnOffAsset, type PlanProblem } from './plan-problem.ts';

/**
 * The cheapest on/off series for one asset, given what running costs in each slot, by dynamic
 * programming over (on?, slots in the current state, slots run in the current need window). Exact
 * for the asset alone: min on/off, max on, the state carried over from before slot 0, and each
 * window's need (a shortfall costs the penalty per kWh) and cap all hold.
 *
 * @param slotCostEur cost of running in each slot, EUR (marginal energy price × rated power × slot)
 * @returns on? per slot
 */
export function cheapestOnOffSeries(p: PlanProblem, a: OnOffAsset, slotCostEur: readonly number[]): boolean[] {
  const n = slotCostEur.length;
  const h = p.slotMs / 3_600_000;
  const slotKwh = (a.ratedPowerW / 1000) * h;
  const penalty = p.shortfallPenaltyEurPerKwh ?? 1;
  const rules = slotRules(a, p.slotMs);
  const capOn = Number.isFinite(rules.maxOn) ? rules.maxOn : rules.minOn;
  const cap = Math.max(capOn, rules.minOff);

  // Need windows in slots.
  const windowOf = new Int32Array(n).fill(-1);
  const windows = a.needs
    .map((need) => {
      const { first, last } = windowSlots(p, need.fromMs, need.untilMs);
      const maxSlots = need.maxEnergyWh === undefined ? last - first : Math.max(Math.floor(need.maxEnergyWh / (slotKwh * 1000) + 1e-9), Math.ceil(need.energyWh / (slotKwh * 1000) - 1e-9));
      return { first, last, needKwh: need.energyWh / 1000, maxSlots: Math.min(maxSlots, last - first) };
    })
    .filter((w) => w.last > w.first);
  windows.forEach((w, i) => windowOf.fill(i, w.first, w.last));
  const counts = Math.max(0, ...windows.map((w) => w.maxSlots)) + 1;

  const perState = counts;
  const perOn = (cap + 1) * perState;
  const states = 2 * perOn;
  const encode = (on: number, d: number, c: number): number => on * perOn + d * perState + c;

  let cost = new Float64Array(states).fill(Infinity);
  let next = new Float64Array(states);
  const back = new Int32Array(n * states).fill(-1);
  const inState = Math.floor(a.stateForS / (p.slotMs / 1000) + 1e-9);
  cost[encode(a.isOn ? 1 : 0, Math.min(inState, a.isOn ? capOn : rules.minOff), 0)] = 0;

  for (let t = 0; t < n; t++) {
    next.fill(Infinity);
    const w = windowOf[t] ?? -1;
    const win = w >= 0 ? windows[w] : undefined;
    const closes = win !== undefined && t === win.last - 1;
    const runCost = slotCostEur[t] ?? 0;
    for (let s = 0; s < states; s++) {
      const c0 = cost[s] ?? Infinity;
      if (c0 === Infinity) continue;
      const on = s >= perOn ? 1 : 0;
      const d = Math.floor((s - on * perOn) / perState);
      const cnt = s % perState;
      for (let act = 0; act <= 1; act++) {
        let nd: number;
        if (act === on) {
          if (on && d >= rules.maxOn) continue; // must stop
          nd = Math.min(d + 1, on ? capOn : rules.minOff);
        } else {
          if (on ? d < rules.minOn : d < rules.minOff) continue;
          nd = 1;
        }
        let ncnt = cnt;
        if (win && act) {
          ncnt = cnt + 1;
          if (ncnt > win.maxSlots) continue;
        }
        let c = c0 + (act ? runCost : 0);
        if (closes && win) {
          c += Math.max(0, win.needKwh - ncnt * slotKwh) * penalty;
          ncnt = 0;
        }
        const ns = encode(act, nd, ncnt);
        if (c < (next[ns] ?? Infinity)) {
          next[ns] = c;
          back[t * states + ns] = s;
        }
      }
    }
    [cost, next] = [next, cost];
  }

  let best = -1;
  let bestCost = Infinity;
  cost.forEach((c, s) => {
    if (c < bestCost) {
      bestCost = c;
      best = s;
    }
  });
  const series = new Array<boolean>(n).fill(false);
  for (let t = n - 1, s = best; t >= 0 && s >= 0; t--) {
    series[t] = s >= perOn;
    s = back[t * states + s] ?? -1;
  }
  return series;
}
