// Crafted planning problems for the planner tests: prices and loads per slot, assets with defaults.
import { loadSolver, type Highs } from '../../src/optimizer/planner/highs-runner.ts';
import type { EvAsset, OnOffAsset, PlanProblem, StorageAsset } from '../../src/optimizer/planner/plan-problem.ts';
import type { SitePlan } from '../../src/optimizer/planner/site-plan.ts';
import { solvePlan, type SolveOptions } from '../../src/optimizer/planner/solve-plan.ts';

export const SLOT_MS = 900_000;
export const HOUR_SLOTS = 4;
/** 2024-06-03 00:00 UTC (a Monday). */
export const T0 = Date.UTC(2024, 5, 3);

/** One value per slot: `hours` hourly values repeated ×4. */
export function hourly(values: readonly number[]): number[] {
  return values.flatMap((v) => [v, v, v, v]);
}

export function problem(overrides: Partial<PlanProblem> & { importPriceEurPerKwh: number[] }): PlanProblem {
  const n = overrides.importPriceEurPerKwh.length;
  return {
    startMs: T0,
    slotMs: SLOT_MS,
    exportPriceEurPerKwh: overrides.importPriceEurPerKwh.map((p) => p - 0.13),
    baseLoadW: new Array<number>(n).fill(500),
    importLimitW: 20_000,
    exportLimitW: 20_000,
    storage: [],
    solar: [],
    onOff: [],
    evs: [],
    ...overrides,
  };
}

export function battery(overrides: Partial<StorageAsset> = {}): StorageAsset {
  return { nodeId: 'bat', capacityWh: 10_000, socPct: 20, minSocPct: 10, maxSocPct: 100, maxChargeW: 5000, maxDischargeW: 5000, efficiency: 0.95, ...overrides };
}

export function onOff(overrides: Partial<OnOffAsset> = {}): OnOffAsset {
  return { nodeId: 'hp', kind: 'heat_pump', ratedPowerW: 2000, minOnS: 3600, minOffS: 3600, maxOnS: 0, maxStartsPerHour: 0, isOn: false, stateForS: 86_400, needs: [], ...overrides };
}

export function ev(overrides: Partial<EvAsset> = {}): EvAsset {
  return { nodeId: 'ev', minPowerW: 4140, maxPowerW: 11_040, canPause: true, sessions: [], ...overrides };
}

let highs: Promise<Highs> | null = null;

export async function plan(p: PlanProblem, options: SolveOptions = {}): Promise<SitePlan> {
  highs ??= loadSolver();
  return solvePlan(await highs, p, options);
}

/** Slots (indexes) where `pick` holds. */
export function slotsWhere(plan: SitePlan, pick: (slot: SitePlan['slots'][number]) => boolean): number[] {
  return plan.slots.flatMap((s, i) => (pick(s) ? [i] : []));
}

/** Energy through a battery, Wh in + out. */
export function throughputWh(plan: SitePlan, i = 0): number {
  return plan.slots.reduce((sum, s) => sum + (Math.abs(s.storage[i]?.powerW ?? 0) * plan.slotMs) / 3_600_000, 0);
}

/** Lengths of the on-runs and off-runs of an on/off asset (inner runs only: the first and last may be cut by the horizon). */
export function runLengths(plan: SitePlan, k = 0): { on: number[]; off: number[] } {
  const series = plan.slots.map((s) => s.onOff[k]?.isOn ?? false);
  const on: number[] = [];
  const off: number[] = [];
  let start = 0;
  for (let t = 1; t <= series.length; t++) {
    if (t === series.length || series[t] !== series[start]) {
      if (start > 0 && t < series.length) (series[start] ? on : off).push(t - start);
      start = t;
    }
  }
  return { on, off };
}
