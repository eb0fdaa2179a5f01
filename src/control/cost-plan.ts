/**
 * What the `cost` policy follows: the current slot of the day-ahead plan, as plain data. The
 * optimiser (src/optimizer, `CostService`) produces it; the control cycle only reads it, so the
 * cycle stays pure (plan data in, setpoints out) and never waits for planning.
 *
 * The types are a structural subset of the optimiser's `PlanSlot`, so a `PlanSlot` can be passed
 * as is. Signs are the wire's: grid + import, storage + charge, solar + production, loads + consumption.
 */
export interface CostPlanSlot {
  /** Slot start, Unix ms. */
  startMs: number;
  /** What the site pays per imported kWh in this slot (after the tariff), EUR/kWh; may be negative. */
  importPriceEurPerKwh: number;
  /** What the site earns per exported kWh in this slot (after the tariff), EUR/kWh; negative = exporting costs. */
  exportPriceEurPerKwh: number;
  /** Forecast uncontrolled load, W. */
  baseLoadW: number;
  /** Planned grid power with the forecast load and PV, W, + import. */
  gridW: number;
  storage: ReadonlyArray<{ nodeId: string; /** W, + charge */ powerW: number; /** at the slot's end, % */ socPct: number; reason: string }>;
  solar: ReadonlyArray<{ nodeId: string; /** forecast, W */ availableW: number; /** planned, W */ powerW: number; /** planned cap, W; null = none */ limitW: number | null; reason: string }>;
  onOff: ReadonlyArray<{ nodeId: string; isOn: boolean; powerW: number; reason: string }>;
  evs: ReadonlyArray<{ nodeId: string; /** W, + consumption */ powerW: number; reason: string }>;
  /** Expected saving of the slot over the local default regime, EUR (optional). */
  savingEur?: number;
}

/**
 * How the plan in force was made: `optimal` / `time_limit` = solved (see docs/optimizer.md);
 * `fallback` = the rule-based plan (the solver failed or timed out); `none` = no plan covers now
 * (none yet, no prices known, or no optimiser configured).
 */
export type CostPlanStatus = 'optimal' | 'time_limit' | 'fallback' | 'none';

/** The plan as one cycle sees it. */
export interface CostPlanView {
  status: CostPlanStatus;
  /** The slot containing now; null when status is `none`. */
  slot: CostPlanSlot | null;
  /** Slots after the current one (a few; for feedback), in order. */
  upcoming: readonly CostPlanSlot[];
  /** When the plan was made, Unix ms; null without a plan. */
  plannedAtMs: number | null;
  /** Why the plan is not a solved one (status `fallback` / `none`), in words. */
  message?: string;
  /** Expected saving over the local default regime for the current local (Brussels) day, EUR; null without a plan. */
  expectedSavingTodayEur: number | null;
}

/**
 * Where the controller gets the plan for `cost` (injected like the ScheduleSource). Read every
 * cycle: it must be synchronous and cheap, and must never wait for planning.
 */
export interface CostPlanSource {
  planAt(nowMs: number): CostPlanView;
}

/** The view when no source is configured or nothing is planned yet. */
export function noPlan(message: string): CostPlanView {
  return { status: 'none', slot: null, upcoming: [], plannedAtMs: null, message, expectedSavingTodayEur: null };
}

/** Does the view carry a slot the executor can follow (a solved or a rule-based plan)? */
export const hasPlanSlot = (view: CostPlanView): view is CostPlanView & { slot: CostPlanSlot } => view.slot !== null && view.status !== 'none';
