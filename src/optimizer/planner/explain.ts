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
      const source = cheapestEarlier(series, t, (x) => x > IDLE_W, (u) => ((o.gridW[u] ?? 0) > IDLE_W ? (pi[u] ?? 0) : (pe[u] ?? 0)));
      const stored = source ? `stored at ${eur(source.price)} (${clock(source.t)})` : `already in the battery (valued ${eur(terminalValueEurPerKwh(p, b.efficiency))})`;
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
      if ((o.gridW[t] ?? 0) <= 0) return 'on: runs on solar surplus';
      if (runStart !== null && t - runStart < rules.minOn && t > runStart) return `on: minimum run time (${(rules.minOn * p.slotMs) / 60_000} min) since ${clock(runStart)}`;
      if (t < rules.lockedSlots) return 'on: minimum run time since it started';
      if (need) {
        const prices = pi.slice(need.first, need.last);
        const mean = prices.reduce((x, y) => x + y, 0) / Math.max(1, prices.length);
        return `on: among the cheaper slots for its ${(need.w.energyWh / 1000).toFixed(1)} kWh need by ${clock(need.last)} (${eur(pi[t] ?? 0)} vs ${eur(mean)} average)`;
      }
      return `on: ${eur(marginal(t))}`;
    }
    if (t < rules.lockedSlots || (runStart !== null && t - runStart < rules.minOff && t > runStart)) return `off: minimum off time (${(rules.minOff * p.slotMs) / 60_000} min)`;
    if (!need) return 'off: no need in this slot';
    let gotWh = 0;
    for (let u = need.first; u < need.last; u++) if (series[u]) gotWh += (a.ratedPowerW * p.slotMs) / 3_600_000;
    if (gotWh < need.w.energyWh - 1) return `off: cannot run more (run-time rules or the import limit); ${((need.w.energyWh - gotWh) / 1000).toFixed(1)} kWh of the need stays unmet`;
    return `off: its need is met in cheaper slots (${eur(pi[t] ?? 0)} here)`;
  };

  const evReason = (k: number, t: number): string => {
    const e = p.evs[k];
    const w = s.evW[k]?.[t] ?? 0;
    if (!e) return '';
    const session = e.sessions.map((x) => ({ x, ...windowSlots(p, x.fromMs, x.untilMs) })).find((x) => t >= x.first && t < x.last);
    if (!session) return 'no car expected';
    const departure = clock(session.last);
    if (w > IDLE_W) {
      if ((pi[t] ?? 0) < 0) return `charge ${(w / 1000).toFixed(1)} kW: the import price is negative`;
      if ((o.gridW[t] ?? 0) <= 0) return `charge ${(w / 1000).toFixed(1)} kW from solar surplus`;
      const prices = pi.slice(session.first, session.last);
      const mean = prices.reduce((x, y) => x + y, 0) / Math.max(1, prices.length);
      return `charge ${(w / 1000).toFixed(1)} kW: among the cheapest slots before departure at ${departure} (${eur(pi[t] ?? 0)} vs ${eur(mean)} average) for ${(session.x.energyWh / 1000).toFixed(1)} kWh`;
    }
    return `paused: charges in cheaper slots before departure at ${departure} (${eur(pi[t] ?? 0)} here)`;
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

/** Slot at which the current on/off state of slot t began (null if it began before slot 0). */
function lastSwitch(series: readonly boolean[], t: number, initial: boolean): number | null {
  const state = series[t] ?? false;
  for (let u = t - 1; u >= 0; u--) if ((series[u] ?? false) !== state) return u + 1;
  return state === initial ? null : 0;
}
