/**
 * The planner's answer: what each asset should do in each slot, why, and what it is expected to
 * cost compared with the local default regime (self-consumption). Plain data (crosses threads).
 * Signs are the wire's: grid + import, storage + charge, solar + production, loads + consumption.
 */
export interface SitePlan {
  /** How the plan was made: solved to the gap target, stopped at the time limit with the best plan found, or the rule-based fallback. */
  status: 'optimal' | 'time_limit' | 'fallback';
  /** Why the fallback was used (solver error, timeout …); absent otherwise. */
  fallbackReason?: string;
  /** Method used: see docs/optimizer.md ('decomposed', 'milp-tight', 'milp-naive', 'rule-based'). */
  strategy: PlanStrategy;
  /** Relative gap between the plan's objective and the best lower bound, ≥ 0 (0.01 = within 1 %); null when there is no bound (fallback). */
  mipGap: number | null;
  /** The same gap in EUR over the horizon; null when there is no bound. */
  mipGapEur: number | null;
  /** Wall time spent solving, ms (for logs; never used in decisions). */
  solveMs: number;
  startMs: number;
  slotMs: number;
  slots: PlanSlot[];
  /** Energy cost of the plan over the horizon, EUR (imports − exports; fixed fees included). */
  expectedCostEur: number;
  /** Energy cost of the local default regime (self-consumption) over the same horizon, EUR. */
  baselineCostEur: number;
  /**
   * baseline − plan, EUR, with the energy left in the batteries at the end valued at the terminal
   * value on both sides (a plan that ends fuller is not penalised for having bought that energy).
   */
  expectedSavingEur: number;
  /** Value given to stored energy at the end, EUR/kWh. */
  terminalValueEurPerKwh: number;
  /** Needs or limits the plan cannot meet (soft constraints), named. Empty when all is met. */
  violations: PlanViolation[];
}

export type PlanStrategy = 'decomposed' | 'milp-tight' | 'milp-naive' | 'rule-based';

export interface PlanViolation {
  name: 'ev_energy_shortfall' | 'heat_pump_energy_shortfall' | 'relay_energy_shortfall' | 'import_limit_exceeded' | 'export_limit_exceeded';
  /** The asset, or the site node for grid limits. */
  nodeId: string;
  /** Energy short of the need, or over the limit, over the horizon, Wh > 0. */
  amountWh: number;
  /** First slot concerned, Unix ms (window start, or first slot over the limit). */
  fromMs: number;
  /** End of the window or last slot concerned, Unix ms. */
  untilMs: number;
  /** In words. */
  message: string;
}

export interface PlanSlot {
  startMs: number;
  importPriceEurPerKwh: number;
  exportPriceEurPerKwh: number;
  /** Forecast uncontrolled load, W. */
  baseLoadW: number;
  /** Planned grid power, W, + import. */
  gridW: number;
  /**
   * Expected saving of this slot over the local default regime, EUR: the baseline's cost − the plan's,
   * with the change in stored energy valued at the terminal value (Σ over the slots = expectedSavingEur).
   */
  savingEur: number;
  /** True when the slot's prices are a forecast (beyond the published day-ahead prices); absent otherwise. */
  priceIsForecast?: true;
  storage: Array<{ nodeId: string; /** W, + charge */ powerW: number; /** SoC at the end of the slot, % */ socPct: number; reason: string }>;
  solar: Array<{
    nodeId: string;
    /** Forecast uncurtailed production, W. */
    availableW: number;
    /** Planned production, W. */
    powerW: number;
    /** Cap to send to the inverter, W; null = no cap. */
    limitW: number | null;
    reason: string;
  }>;
  onOff: Array<{ nodeId: string; kind: 'heat_pump' | 'switched_load'; isOn: boolean; powerW: number; reason: string }>;
  evs: Array<{ nodeId: string; /** W, + consumption (0 = paused or no car) */ powerW: number; reason: string }>;
}

/** Expected saving of the slots of `plan` in [fromMs, toMs), EUR (see PlanSlot.savingEur). */
export function planSavingEur(plan: SitePlan, fromMs: number, toMs: number): number {
  return plan.slots.reduce((sum, s) => (s.startMs >= fromMs && s.startMs < toMs ? sum + s.savingEur : sum), 0);
}

/** The slot of `plan` containing instant `ms`, or undefined outside the horizon. */
export function planSlotAt(plan: SitePlan, ms: number): PlanSlot | undefined {
  const i = Math.floor((ms - plan.startMs) / plan.slotMs);
  return i >= 0 ? plan.slots[i] : undefined;
}
