import { slotCountOf, terminalValueOfEur, windowSlots, type PlanProblem } from './plan-problem.ts';
import type { PlanViolation } from './site-plan.ts';

/**
 * A decision for every asset and slot (what the solver or the rules chose), before explanation.
 * Indexes follow the problem's asset arrays. Signs: storage + charge, solar + production, loads + consumption.
 */
export interface Schedule {
  /** [battery][slot] power, W, + charge. */
  storageW: number[][];
  /** [inverter][slot] production, W. */
  solarW: number[][];
  /** [asset][slot] on? */
  onOff: boolean[][];
  /** [charger][slot] power, W. */
  evW: number[][];
}

/** What a schedule does and costs. */
export interface ScheduleOutcome {
  /** Grid power per slot, W, + import. */
  gridW: number[];
  /** [battery][slot] energy stored at the end of the slot, Wh. */
  storageEnergyWh: number[][];
  /** Imports − exports over the horizon, EUR, plus fixed fees and battery wear. */
  costEur: number;
  /** The same per slot (grid energy, the slot's share of the fixed fees, battery wear), EUR; Σ = costEur. */
  slotCostEur: number[];
  /** Value of the energy stored at the end, EUR (terminal value × Wh). */
  terminalValueEur: number;
  violations: PlanViolation[];
}

const WH_PER_W_SLOT = (slotMs: number): number => slotMs / 3_600_000;

/** Grid, SoC, cost and unmet needs of a schedule. */
export function evaluateSchedule(p: PlanProblem, s: Schedule): ScheduleOutcome {
  const n = slotCountOf(p);
  const h = WH_PER_W_SLOT(p.slotMs);
  const gridW = p.baseLoadW.slice();
  const add = (series: readonly number[], sign: number): void => {
    for (let t = 0; t < n; t++) gridW[t] = (gridW[t] ?? 0) + sign * (series[t] ?? 0);
  };
  s.storageW.forEach((w) => add(w, 1));
  s.solarW.forEach((w) => add(w, -1));
  s.onOff.forEach((on, k) => add(on.map((x) => (x ? (p.onOff[k]?.ratedPowerW ?? 0) : 0)), 1));
  s.evW.forEach((w) => add(w, 1));

  const feePerSlotEur = ((p.fixedFeesEurPerDay ?? 0) * p.slotMs) / 86_400_000;
  const slotCostEur = gridW.map((g, t) => {
    const price = g >= 0 ? (p.importPriceEurPerKwh[t] ?? 0) : (p.exportPriceEurPerKwh[t] ?? 0);
    return feePerSlotEur + (price * g * h) / 1000;
  });
  let terminalValueEur = 0;
  const storageEnergyWh = p.storage.map((b, i) => {
    let e = (b.socPct / 100) * b.capacityWh;
    const cycle = b.cycleCostEurPerKwh ?? 0;
    const out = (s.storageW[i] ?? []).map((w, t) => {
      e += w >= 0 ? w * h * b.efficiency : (w * h) / b.efficiency;
      if (t < n) slotCostEur[t] = (slotCostEur[t] ?? 0) + (cycle * Math.abs(w) * h) / 1000;
      return e;
    });
    terminalValueEur += terminalValueOfEur(p, b, (out[n - 1] ?? e) - (b.minSocPct / 100) * b.capacityWh);
    return out;
  });
  const costEur = slotCostEur.reduce((sum, c) => sum + c, 0);
  return { gridW, storageEnergyWh, costEur, slotCostEur, terminalValueEur, violations: findViolations(p, s, gridW) };
}

function findViolations(p: PlanProblem, s: Schedule, gridW: readonly number[]): PlanViolation[] {
  const h = WH_PER_W_SLOT(p.slotMs);
  const out: PlanViolation[] = [];
  const at = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + 'Z';
  p.onOff.forEach((a, k) => {
    for (const need of a.needs) {
      const { first, last } = windowSlots(p, need.fromMs, need.untilMs);
      let gotWh = 0;
      for (let t = first; t < last; t++) if (s.onOff[k]?.[t]) gotWh += a.ratedPowerW * h;
      const shortWh = need.energyWh - gotWh;
      if (shortWh > 1) {
        const name = a.kind === 'heat_pump' ? 'heat_pump_energy_shortfall' : 'relay_energy_shortfall';
        out.push({ name, nodeId: a.nodeId, amountWh: shortWh, fromMs: need.fromMs, untilMs: need.untilMs, message: `${a.nodeId} gets ${Math.round(gotWh)} of the ${Math.round(need.energyWh)} Wh it needs by ${at(need.untilMs)}` });
      }
    }
  });
  p.evs.forEach((e, k) => {
    for (const session of e.sessions) {
      const { first, last } = windowSlots(p, session.fromMs, session.untilMs);
      if (last <= first && session.untilMs <= p.startMs) continue;
      let gotWh = 0;
      for (let t = first; t < last; t++) gotWh += (s.evW[k]?.[t] ?? 0) * h;
      const shortWh = session.energyWh - gotWh;
      if (shortWh > 1) {
        out.push({ name: 'ev_energy_shortfall', nodeId: e.nodeId, amountWh: shortWh, fromMs: session.fromMs, untilMs: session.untilMs, message: `${e.nodeId} gets ${Math.round(gotWh)} of the ${Math.round(session.energyWh)} Wh the car needs by departure at ${at(session.untilMs)}` });
      }
    }
  });
  const limit = (name: 'import_limit_exceeded' | 'export_limit_exceeded', over: (g: number) => number, limitW: number): void => {
    let wh = 0;
    let first = -1;
    let last = -1;
    gridW.forEach((g, t) => {
      const x = over(g);
      if (x > 1) {
        wh += x * h;
        if (first < 0) first = t;
        last = t;
      }
    });
    if (first >= 0) {
      const fromMs = p.startMs + first * p.slotMs;
      out.push({ name, nodeId: 'site', amountWh: wh, fromMs, untilMs: p.startMs + (last + 1) * p.slotMs, message: `the grid goes ${Math.round(wh)} Wh over the ${name === 'import_limit_exceeded' ? 'import' : 'export'} limit of ${limitW} W (from ${at(fromMs)}): the forecast load cannot be covered otherwise` });
    }
  };
  limit('import_limit_exceeded', (g) => g - p.importLimitW, p.importLimitW);
  limit('export_limit_exceeded', (g) => -g - p.exportLimitW, p.exportLimitW);
  return out;
}
