import { toLocalTime } from '../../core/local-time.ts';
import { slotCountOf, slotRules, terminalValueEurPerKwh, windowSlots, type PlanProblem } from './plan-problem.ts';
import type { Schedule, ScheduleOutcome } from './schedule.ts';
import type { PlanSlot } from './site-plan.ts';

/** Power below which an asset counts as idle in words, W. */
const IDLE_W = 50;

/** Turns a schedule into plan slots with one reason in words per asset and slot. */
export function explainPlan(p: PlanProblem, s: Schedule, o: ScheduleOutcome): Array<Omit<PlanSlot, 'savingEur'>> {
  const n = slotCountOf(p);
  const pi = p.importPriceEurPerKwh;
  const pe = p.exportPriceEurPerKwh;
  const eur = (v: number): string => `${v.toFixed(2)} €/kWh`;
  const timeZone = p.timeZone ?? 'Europe/Brussels';
  const clock = (t: number): string => {
    const hour = toLocalTime(p.startMs + t * p.slotMs, timeZone).hourOfDay;
    return `${String(Math.floor(hour)).padStart(2, '0')}:${String(Math.round((hour % 1) * 60) % 60).padStart(2, '0')}`;
  };
  /** Price the site pays (or earns) at the margin in slot t: export if it exports, else import. */
  const marginal = (t: number): number => ((o.gridW[t] ?? 0) < -IDLE_W ? (pe[t] ?? 0) : (pi[t] ?? 0));

  /** What the energy battery i gives in slot t cost: the cheapest earlier charge (price, slot), else the terminal value (slot null). */
  const storedAt = (i: number, t: number): { price: number; t: number | null } => {
    const source = cheapestEarlier(s.storageW[i] ?? [], t, (x) => x > IDLE_W, (u) => ((o.gridW[u] ?? 0) > IDLE_W ? (pi[u] ?? 0) : (pe[u] ?? 0)));
    return source ?? { price: terminalValueEurPerKwh(p, p.storage[i]?.efficiency ?? 1), t: null };
  };

  const storageReason = (i: number, t: number): string => {
    const b = p.storage[i];
    const w = s.storageW[i]?.[t] ?? 0;
    if (!b) return '';
    const series = s.storageW[i] ?? [];
    const socPct = ((o.storageEnergyWh[i]?.[t] ?? 0) / b.capacityWh) * 100;
    if (w > IDLE_W) {
      const use = bestLater(series, t, (x) => x < -IDLE_W, marginal);
      const later = use ? `${eur(use.price)} at ${clock(use.t)} when it discharges` : `the ${eur(terminalValueEurPerKwh(p, b.efficiency))} stored energy is worth after the horizon`;
      if ((o.gridW[t] ?? 0) > IDLE_W) {
        if ((pi[t] ?? 0) < 0) return `charge: the import price is negative (${eur(pi[t] ?? 0)}), the site is paid to take energy`;
        return `charge from the grid: ${eur(pi[t] ?? 0)} now${rankText(pi, t, p)} vs ${later}`;
      }
      return `charge from solar surplus: exporting would earn ${eur(pe[t] ?? 0)}, vs ${later}`;
    }
    if (w < -IDLE_W) {
      const source = storedAt(i, t);
      const stored = source.t !== null ? `stored at ${eur(source.price)} (${clock(source.t)})` : `already in the battery (valued ${eur(source.price)})`;
      if ((o.gridW[t] ?? 0) < -IDLE_W) return `discharge to the grid: export pays ${eur(pe[t] ?? 0)} now, energy ${stored}`;
      return `discharge: covers the load instead of importing at ${eur(pi[t] ?? 0)}${rankText(pi, t, p, true)}, energy ${stored}`;
    }
    if (socPct >= b.maxSocPct - 0.5) {
      const use = bestLater(series, t, (x) => x < -IDLE_W, marginal);
      return use ? `idle: full, keeps its energy for ${clock(use.t)} (${eur(use.price)})` : 'idle: full';
    }
    if (socPct <= b.minSocPct + 0.5) return `idle: at its minimum SoC (${b.minSocPct} %)`;
    return `idle: the price spread ahead does not pay for the losses (${Math.round((1 - b.efficiency * b.efficiency) * 100)} % round trip) and wear`;
  };

  const solarReason = (j: number, t: number, availableW: number, powerW: number): string => {
    if (powerW >= availableW - 10) return 'produce: uncapped';
    if ((pi[t] ?? 0) < 0 && (pe[t] ?? 0) < 0) return `off: both prices are negative (import ${eur(pi[t] ?? 0)}, export ${eur(pe[t] ?? 0)}): the site is paid to take from the grid`;
    if ((pe[t] ?? 0) < 0) return `curtail to ${Math.round(powerW)} W: the export price is negative (${eur(pe[t] ?? 0)}), so only what the site uses is produced`;
    if (-(o.gridW[t] ?? 0) >= p.exportLimitW - 10) return `curtail to ${Math.round(powerW)} W: export limit ${p.exportLimitW} W`;
    return `curtail to ${Math.round(powerW)} W`;
  };

  /** Σ over a slot range of a price, and its mean (0 when empty). */
  const meanOf = (xs: readonly number[]): number => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length);
  /** Prices the way they are printed: a comparison in words must hold for the numbers shown. */
  const cents = (v: number): number => Math.round(v * 100);

  /**
   * Where a load of `powerW` in slot t gets its energy when the site imports less than half of it:
   * the solar surplus, the batteries (with what their energy cost), or both; null when it is mostly imported.
   */
  const onSiteSupply = (t: number, powerW: number): string | null => {
    if ((o.gridW[t] ?? 0) >= powerW / 2) return null;
    const solarW = s.solarW.reduce((x, a) => x + (a[t] ?? 0), 0);
    const discharging = p.storage.map((_, i) => i).filter((i) => (s.storageW[i]?.[t] ?? 0) < -IDLE_W);
    if (discharging.length === 0 || solarW >= (p.baseLoadW[t] ?? 0) + powerW) return 'runs on solar surplus';
    const stored = discharging.map((i) => storedAt(i, t));
    const cheapest = stored.reduce((a, b) => (b.price < a.price ? b : a));
    const from = cheapest.t === null ? `already in the battery, valued ${eur(cheapest.price)}` : `stored at ${eur(cheapest.price)} at ${clock(cheapest.t)}`;
    const instead = cents(cheapest.price) < cents(pi[t] ?? 0) ? ` instead of importing at ${eur(pi[t] ?? 0)}` : '';
    return `runs on ${solarW > IDLE_W ? 'solar and ' : ''}the battery's energy (${from})${instead}`;
  };

  /** Mean price where a series of slots is used (marginal: export when exporting, else import), or null if never. */
  const meanWhere = (first: number, last: number, isUsed: (u: number) => boolean): number | null => {
    const used: number[] = [];
    for (let u = first; u < last; u++) if (isUsed(u)) used.push(marginal(u));
    return used.length ? meanOf(used) : null;
  };

  /**
   * Why a load imports in slot t for an energy need over window slots [first, last) that takes
   * `slotsNeeded` slots: the slot's import price against the window's average, in words that hold for
   * the printed numbers. `what` names the need ("its 8.0 kWh need by 22:00").
   */
  const importReason = (t: number, first: number, last: number, slotsNeeded: number, what: string, cheaperWords: string, limits: string): string => {
    const window = pi.slice(first, last);
    const x = pi[t] ?? 0;
    const mean = meanOf(window);
    const left = window.length;
    if (slotsNeeded >= left) return `${what} takes every slot left (${left} × ${p.slotMs / 60_000} min; ${eur(x)} here)`;
    if (cents(x) < cents(mean)) return `${cheaperWords} ${what} (${eur(x)} vs ${eur(mean)} average)`;
    const rank = window.filter((v) => v < x).length + 1;
    if (rank <= slotsNeeded) return `${what} takes ${slotsNeeded} of the ${left} slots left, and at ${eur(x)} this one is ${rank === 1 ? 'the lowest-priced' : `the ${ordinal(rank)} lowest-priced`} (${eur(mean)} average)`;
    const against = cents(x) > cents(mean) ? `above the ${eur(mean)} average` : 'about the average';
    return `${what} takes ${slotsNeeded} of the ${left} slots left; with ${limits} this one is among them (${eur(x)}, ${against})`;
  };

  const onOffReason = (k: number, t: number): string => {
    const a = p.onOff[k];
    const series = s.onOff[k] ?? [];
    if (!a) return '';
    const isOn = series[t] ?? false;
    const need = a.needs.map((w) => ({ w, ...windowSlots(p, w.fromMs, w.untilMs) })).find((x) => t >= x.first && t < x.last);
    const rules = slotRules(a, p.slotMs);
    const runStart = lastSwitch(series, t, a.isOn);
    if (isOn) {
      if ((pi[t] ?? 0) < 0) return `on: the import price is negative (${eur(pi[t] ?? 0)})`;
      const supply = onSiteSupply(t, a.ratedPowerW);
      if (supply) return `on: ${supply}`;
      if (runStart !== null && t - runStart < rules.minOn && t > runStart) return `on: minimum run time (${(rules.minOn * p.slotMs) / 60_000} min) since ${clock(runStart)}`;
      if (t < rules.lockedSlots) return 'on: minimum run time since it started';
      if (need) {
        const slotsNeeded = Math.ceil(need.w.energyWh / ((a.ratedPowerW * p.slotMs) / 3_600_000) - 1e-9);
        return `on: ${importReason(t, need.first, need.last, slotsNeeded, `its ${(need.w.energyWh / 1000).toFixed(1)} kWh need by ${clock(need.last)}`, 'among the cheaper slots for', 'its run-time rules')}`;
      }
      return `on: ${eur(marginal(t))}`;
    }
    if (t < rules.lockedSlots || (runStart !== null && t - runStart < rules.minOff && t > runStart)) return `off: minimum off time (${(rules.minOff * p.slotMs) / 60_000} min)`;
    if (!need) return 'off: no need in this slot';
    let gotWh = 0;
    for (let u = need.first; u < need.last; u++) if (series[u]) gotWh += (a.ratedPowerW * p.slotMs) / 3_600_000;
    if (gotWh < need.w.energyWh - 1) return `off: cannot run more (run-time rules or the import limit); ${((need.w.energyWh - gotWh) / 1000).toFixed(1)} kWh of the need stays unmet`;
    const where = meanWhere(need.first, need.last, (u) => series[u] ?? false);
    if (where === null) return 'off: no energy needed in this window';
    const here = marginal(t);
    if (cents(where) < cents(here)) return `off: its need is met in cheaper slots (${eur(here)} here, ${eur(where)} on average where it runs)`;
    return `off: its need is met in other slots (${eur(here)} here, ${eur(where)} on average where it runs)`;
  };

  const evReason = (k: number, t: number): string => {
    const e = p.evs[k];
    const w = s.evW[k]?.[t] ?? 0;
    if (!e) return '';
    const series = s.evW[k] ?? [];
    const session = e.sessions.map((x) => ({ x, ...windowSlots(p, x.fromMs, x.untilMs) })).find((x) => t >= x.first && t < x.last);
    if (!session) return 'no car expected';
    const departure = clock(session.last);
    if (w > IDLE_W) {
      const kw = `charge ${(w / 1000).toFixed(1)} kW`;
      if ((pi[t] ?? 0) < 0) return `${kw}: the import price is negative`;
      const supply = onSiteSupply(t, w);
      if (supply === 'runs on solar surplus') return `${kw} from solar surplus`;
      if (supply) return `${kw}: ${supply}`;
      const slotsNeeded = Math.ceil(session.x.energyWh / ((e.maxPowerW * p.slotMs) / 3_600_000) - 1e-9);
      const why = importReason(t, session.first, session.last, slotsNeeded, `its ${(session.x.energyWh / 1000).toFixed(1)} kWh by departure at ${departure}`, 'among the cheaper slots for', e.canPause ? 'its power limits and the grid limit' : 'a charger that cannot pause');
      return `${kw}: ${why}`;
    }
    const where = meanWhere(session.first, session.last, (u) => (series[u] ?? 0) > IDLE_W);
    const here = marginal(t);
    if (where === null) return session.x.energyWh > 0 ? `paused: no charging planned before departure at ${departure}` : `paused: nothing to charge before departure at ${departure}`;
    if (cents(where) < cents(here)) return `paused: charges in cheaper slots before departure at ${departure} (${eur(here)} here, ${eur(where)} on average where it charges)`;
    return `paused: charges in other slots before departure at ${departure} (${eur(here)} here, ${eur(where)} on average where it charges)`;
  };

  return Array.from({ length: n }, (_, t) => ({
    startMs: p.startMs + t * p.slotMs,
    importPriceEurPerKwh: pi[t] ?? 0,
    exportPriceEurPerKwh: pe[t] ?? 0,
    baseLoadW: p.baseLoadW[t] ?? 0,
    gridW: Math.round(o.gridW[t] ?? 0),
    storage: p.storage.map((b, i) => ({
      nodeId: b.nodeId,
      powerW: s.storageW[i]?.[t] ?? 0,
      socPct: Math.round(((o.storageEnergyWh[i]?.[t] ?? 0) / b.capacityWh) * 1000) / 10,
      reason: storageReason(i, t),
    })),
    solar: p.solar.map((x, j) => {
      const availableW = x.availableW[t] ?? 0;
      const powerW = s.solarW[j]?.[t] ?? 0;
      return { nodeId: x.nodeId, availableW, powerW, limitW: powerW < availableW - 10 ? Math.max(0, Math.round(powerW)) : null, reason: solarReason(j, t, availableW, powerW) };
    }),
    onOff: p.onOff.map((a, k) => {
      const isOn = s.onOff[k]?.[t] ?? false;
      return { nodeId: a.nodeId, kind: a.kind, isOn, powerW: isOn ? a.ratedPowerW : 0, reason: onOffReason(k, t) };
    }),
    evs: p.evs.map((e, k) => ({ nodeId: e.nodeId, powerW: s.evW[k]?.[t] ?? 0, reason: evReason(k, t) })),
  }));
}

/** The later slot matching `is` with the highest price, or null. */
function bestLater(series: readonly number[], t: number, is: (w: number) => boolean, price: (t: number) => number): { t: number; price: number } | null {
  let best: { t: number; price: number } | null = null;
  for (let u = t + 1; u < series.length; u++) if (is(series[u] ?? 0) && (!best || price(u) > best.price)) best = { t: u, price: price(u) };
  return best;
}

/** The earlier slot matching `is` with the lowest price, or null. */
function cheapestEarlier(series: readonly number[], t: number, is: (w: number) => boolean, price: (t: number) => number): { t: number; price: number } | null {
  let best: { t: number; price: number } | null = null;
  for (let u = 0; u < t; u++) if (is(series[u] ?? 0) && (!best || price(u) < best.price)) best = { t: u, price: price(u) };
  return best;
}

/** ", the cheapest 4 h of the next 24 h" style rank of a price among the surrounding day, or ''. */
function rankText(prices: readonly number[], t: number, p: PlanProblem, dearest = false): string {
  const perDay = Math.round(86_400_000 / p.slotMs);
  const from = Math.max(0, t - perDay / 2);
  const day = prices.slice(from, Math.min(prices.length, from + perDay));
  const x = prices[t] ?? 0;
  const rank = day.filter((v) => (dearest ? v >= x : v <= x)).length;
  const hours = (rank * p.slotMs) / 3_600_000;
  if (hours > 6) return '';
  return `, among the ${dearest ? 'dearest' : 'cheapest'} ${hours <= 1 ? `${Math.round(hours * 60)} min` : `${Math.ceil(hours)} h`} of the day`;
}

/** 2 → "2nd", 11 → "11th", 23 → "23rd". */
function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** Slot at which the current on/off state of slot t began (null if it began before slot 0). */
function lastSwitch(series: readonly boolean[], t: number, initial: boolean): number | null {
  const state = series[t] ?? false;
  for (let u = t - 1; u >= 0; u--) if ((series[u] ?? false) !== state) return u + 1;
  return state === initial ? null : 0;
}
