import { GridpilotError } from '../../core/errors.ts';

/**
 * Everything the planner needs, for one site over the horizon of known prices: plain data
 * (structured-cloneable, so it crosses to the worker thread as is). Slot i covers
 * [startMs + i·slotMs, startMs + (i+1)·slotMs); every per-slot array has `slotCount` entries.
 * Signs are the wire's: grid + import, storage + charge, solar + production, loads + consumption.
 */
export interface PlanProblem {
  /** Start of the first slot, Unix ms. */
  startMs: number;
  /** Slot length, ms, > 0. Default use: 900 000 (15 min). */
  slotMs: number;
  /** Offtake price per slot, EUR/kWh (after the tariff). */
  importPriceEurPerKwh: number[];
  /** Injection price per slot, EUR/kWh (after the tariff; negative = exporting costs money). */
  exportPriceEurPerKwh: number[];
  /** Forecast uncontrolled consumption per slot, W ≥ 0. */
  baseLoadW: number[];
  /** Largest import, W > 0 (hard, already net of safety margins). */
  importLimitW: number;
  /** Largest export, W ≥ 0. */
  exportLimitW: number;
  storage: StorageAsset[];
  solar: SolarAsset[];
  /** Heat pumps and relay loads. */
  onOff: OnOffAsset[];
  evs: EvAsset[];
  /** Value of energy left in the batteries at the end, EUR/kWh stored. Default: median import price × efficiency (it will replace a typical purchase). */
  terminalValueEurPerKwh?: number;
  /** Prices from here on are a forecast, not published day-ahead prices, Unix ms; absent = all known. */
  knownPricesUntilMs?: number;
  /** Fixed fees, EUR/day (tariff), added to every cost reported; no effect on decisions. Default 0. */
  fixedFeesEurPerDay?: number;
  /** IANA time zone the plan's reasons tell times in (the site's). Default Europe/Brussels. */
  timeZone?: string;
  /** Penalty for each kWh of unmet need (heat pump, relay, EV), EUR/kWh. Default 1.0 (far above any price, below a limit breach). */
  shortfallPenaltyEurPerKwh?: number;
  /** Penalty for each kWh over the import or export limit (only when nothing else can avoid it), EUR/kWh. Default 10. */
  limitPenaltyEurPerKwh?: number;
  /**
   * Optional PV scenarios for a forecast-robust plan (two-stage stochastic MPC): each gives every
   * solar array's available power per slot (same shape as `solar[i].availableW`) and a weight (> 0).
   * When there are ≥ 2 and the site has no on/off assets and no EVs (a pure LP), the planner solves
   * one copy of the site per scenario with the battery decisions of slot 0 and of every slot before
   * the scenarios' PV first differs shared (at night: the whole night), minimising the weighted cost; the plan reported is the one of the scenario that follows `solar` (the point forecast).
   * Ignored otherwise.
   */
  pvScenarios?: PvScenario[];
}

/** One PV scenario of {@link PlanProblem.pvScenarios}. */
export interface PvScenario {
  weight: number;
  /** Per solar array (same order as `solar`), W per slot. */
  solarAvailableW: number[][];
}

/** A battery (one storage device). */
export interface StorageAsset {
  nodeId: string;
  /** Usable capacity, Wh > 0. */
  capacityWh: number;
  /** State of charge at `startMs`, %. */
  socPct: number;
  /** Bounds the plan keeps the SoC in, % (the reserve for backup goes in minSocPct). */
  minSocPct: number;
  maxSocPct: number;
  /** Largest charge / discharge power, W > 0. */
  maxChargeW: number;
  maxDischargeW: number;
  /** One-way efficiency, 0–1: charging P stores P·eff; discharging P drains P/eff. */
  efficiency: number;
  /** Wear cost per kWh in or out (counted on both charge and discharge), EUR/kWh ≥ 0. Default 0. */
  cycleCostEurPerKwh?: number;
  /**
   * Value of the energy left above minSocPct at the end of the horizon, in tiers of decreasing value
   * (concave): the first `energyWh` are worth `eurPerKwh`, the next tier less, …; the last tier should
   * have energyWh Infinity. Default: one tier at the problem's terminal value.
   */
  terminalTiers?: TerminalTier[];
}

/** A tier of the terminal value of stored energy. */
export interface TerminalTier {
  /** Stored energy in this tier, Wh ≥ 0 (Infinity = the rest). */
  energyWh: number;
  /** Value per kWh stored, EUR/kWh. */
  eurPerKwh: number;
}

/** The terminal value tiers of a battery (see StorageAsset.terminalTiers). */
export function terminalTiersOf(p: PlanProblem, b: StorageAsset): TerminalTier[] {
  return b.terminalTiers ?? [{ energyWh: Infinity, eurPerKwh: terminalValueEurPerKwh(p, b.efficiency) }];
}

/** Value of `storedWh` above the minimum at the end, EUR, through the tiers. */
export function terminalValueOfEur(p: PlanProblem, b: StorageAsset, storedWh: number): number {
  let left = Math.max(0, storedWh);
  let eur = 0;
  for (const tier of terminalTiersOf(p, b)) {
    const take = Math.min(left, tier.energyWh);
    eur += (take / 1000) * tier.eurPerKwh;
    left -= take;
    if (left <= 0) break;
  }
  return eur;
}

/** A PV inverter. */
export interface SolarAsset {
  nodeId: string;
  /** Forecast uncurtailed production per slot, W ≥ 0. */
  availableW: number[];
  /** Can its production be capped? Default true. */
  canCurtail?: boolean;
}

/** A load that is on at its rated power or off: a heat pump or a relay load. */
export interface OnOffAsset {
  nodeId: string;
  kind: 'heat_pump' | 'switched_load';
  /** Power when on, W > 0. */
  ratedPowerW: number;
  /** Minimum time on once started / off once stopped, s ≥ 0 (rounded up to whole slots). */
  minOnS: number;
  minOffS: number;
  /** Maximum continuous run, s; 0 = no limit (rounded down to whole slots, at least one). */
  maxOnS: number;
  /** Starts in any 60 min, 0 = no limit. Planned as a minimum on+off cycle of 60 min / this. */
  maxStartsPerHour: number;
  /** On at `startMs`? */
  isOn: boolean;
  /** How long it has been in that state at `startMs`, s ≥ 0 (large = free to switch). */
  stateForS: number;
  /** Energy it must get within each window (non-overlapping, e.g. one per local day). */
  needs: EnergyNeed[];
}

/** Energy an asset must get between two instants. */
export interface EnergyNeed {
  /** Window start and end, Unix ms (clipped to the horizon). */
  fromMs: number;
  untilMs: number;
  /** Energy still needed in the window, Wh ≥ 0. */
  energyWh: number;
  /** Most energy it may take in the window, Wh; default: no limit. */
  maxEnergyWh?: number;
}

/** An EV charger with the sessions known or expected over the horizon. */
export interface EvAsset {
  nodeId: string;
  /** Power at the minimum current, W > 0 (phases × V × minCurrentA). */
  minPowerW: number;
  /** Power at the maximum current, W ≥ minPowerW. */
  maxPowerW: number;
  /** May the charger pause at 0 A mid-session? If not, it holds at least minPowerW until the car is full. */
  canPause: boolean;
  sessions: EvSession[];
}

/** One stay of a car at the charger. */
export interface EvSession {
  /** Arrival, Unix ms (≤ startMs if the car is plugged in now). Charging starts at the first whole slot after it. */
  fromMs: number;
  /** Departure, Unix ms. Charging ends at the last whole slot before it. */
  untilMs: number;
  /** Energy the car should get by departure, Wh ≥ 0 (also the most it can take). */
  energyWh: number;
}

/** Number of slots of a problem. */
export function slotCountOf(problem: PlanProblem): number {
  return problem.importPriceEurPerKwh.length;
}

/** Throws a GridpilotError naming the first malformed field. */
export function assertPlanProblem(p: PlanProblem): void {
  const n = slotCountOf(p);
  const fail = (where: string, what: string): never => {
    throw new GridpilotError(what, `plan problem ${where}`);
  };
  if (!(p.slotMs > 0)) fail('slotMs', `must be > 0, got ${p.slotMs}`);
  if (n === 0) fail('importPriceEurPerKwh', 'no slots');
  const perSlot = (name: string, a: readonly number[]): void => {
    if (a.length !== n) fail(name, `has ${a.length} slots, prices have ${n}`);
    a.forEach((v, i) => Number.isFinite(v) || fail(`${name}[${i}]`, `not a finite number: ${v}`));
  };
  perSlot('importPriceEurPerKwh', p.importPriceEurPerKwh);
  perSlot('exportPriceEurPerKwh', p.exportPriceEurPerKwh);
  perSlot('baseLoadW', p.baseLoadW);
  if (!(p.importLimitW > 0)) fail('importLimitW', `must be > 0, got ${p.importLimitW}`);
  if (!(p.exportLimitW >= 0)) fail('exportLimitW', `must be ≥ 0, got ${p.exportLimitW}`);
  const ids = new Set<string>();
  const id = (nodeId: string, where: string): void => {
    if (ids.has(nodeId)) fail(where, `nodeId ${nodeId} appears twice`);
    ids.add(nodeId);
  };
  p.storage.forEach((b, i) => {
    id(b.nodeId, `storage[${i}]`);
    if (!(b.capacityWh > 0 && b.maxChargeW >= 0 && b.maxDischargeW >= 0)) fail(`storage[${i}]`, 'capacity must be > 0 and powers ≥ 0');
    if (!(b.efficiency > 0 && b.efficiency <= 1)) fail(`storage[${i}].efficiency`, `must be in (0, 1], got ${b.efficiency}`);
    if (!(b.minSocPct <= b.maxSocPct)) fail(`storage[${i}]`, 'minSocPct must not exceed maxSocPct');
    if (!Number.isFinite(b.socPct)) fail(`storage[${i}].socPct`, 'not a number');
  });
  p.solar.forEach((s, i) => {
    id(s.nodeId, `solar[${i}]`);
    perSlot(`solar[${i}].availableW`, s.availableW);
  });
  (p.pvScenarios ?? []).forEach((sc, k) => {
    if (!(sc.weight > 0 && Number.isFinite(sc.weight))) fail(`pvScenarios[${k}].weight`, `must be > 0, got ${sc.weight}`);
    if (sc.solarAvailableW.length !== p.solar.length) fail(`pvScenarios[${k}].solarAvailableW`, `has ${sc.solarAvailableW.length} arrays, solar has ${p.solar.length}`);
    sc.solarAvailableW.forEach((a, i) => perSlot(`pvScenarios[${k}].solarAvailableW[${i}]`, a));
  });
  p.onOff.forEach((a, i) => {
    id(a.nodeId, `onOff[${i}]`);
    if (!(a.ratedPowerW > 0)) fail(`onOff[${i}].ratedPowerW`, 'must be > 0');
    const sorted = [...a.needs].sort((x, y) => x.fromMs - y.fromMs);
    sorted.forEach((w, j) => {
      if (!(w.untilMs > w.fromMs) || !(w.energyWh >= 0)) fail(`onOff[${i}].needs[${j}]`, 'window must end after it starts and need ≥ 0 Wh');
      const prev = sorted[j - 1];
      if (prev && w.fromMs < prev.untilMs) fail(`onOff[${i}].needs`, 'windows overlap');
    });
  });
  p.evs.forEach((e, i) => {
    id(e.nodeId, `evs[${i}]`);
    if (!(e.minPowerW > 0 && e.maxPowerW >= e.minPowerW)) fail(`evs[${i}]`, 'need 0 < minPowerW ≤ maxPowerW');
    const sorted = [...e.sessions].sort((x, y) => x.fromMs - y.fromMs);
    sorted.forEach((s, j) => {
      if (!(s.untilMs > s.fromMs) || !(s.energyWh >= 0)) fail(`evs[${i}].sessions[${j}]`, 'session must end after it starts and need ≥ 0 Wh');
      const prev = sorted[j - 1];
      if (prev && s.fromMs < prev.untilMs) fail(`evs[${i}].sessions`, 'sessions overlap');
    });
  });
}

/** Run-time rules of an on/off asset in whole slots. */
export interface SlotRules {
  minOn: number;
  minOff: number;
  /** Longest run in slots; Infinity = none. */
  maxOn: number;
  /** Slots it must still stay in its current state at slot 0 (min on/off carried over). */
  lockedSlots: number;
  /** Slots it has already run at slot 0 (for maxOn), 0 if off. */
  onSoFar: number;
}

/**
 * Run-time rules in slots. maxStartsPerHour k is planned as a minimum cycle: minOn + minOff ≥ 60 min / k,
 * (which keeps starts in any 60-minute window ≤ k) by lengthening minOff.
 */
export function slotRules(a: OnOffAsset, slotMs: number): SlotRules {
  const slotS = slotMs / 1000;
  const minOn = Math.max(1, Math.ceil(a.minOnS / slotS - 1e-9));
  let minOff = Math.max(1, Math.ceil(a.minOffS / slotS - 1e-9));
  if (a.maxStartsPerHour > 0) minOff = Math.max(minOff, Math.ceil(3600 / a.maxStartsPerHour / slotS - 1e-9) - minOn);
  const maxOn = a.maxOnS > 0 ? Math.max(minOn, Math.floor(a.maxOnS / slotS + 1e-9)) : Infinity;
  const inState = Math.floor(a.stateForS / slotS + 1e-9);
  const lockedSlots = Math.max(0, (a.isOn ? minOn : minOff) - inState);
  return { minOn, minOff, maxOn, lockedSlots, onSoFar: a.isOn ? inState : 0 };
}

/** Slot range [first, last) of a window, clipped to the horizon: whole slots inside [fromMs, untilMs). */
export function windowSlots(p: PlanProblem, fromMs: number, untilMs: number): { first: number; last: number } {
  const n = slotCountOf(p);
  const first = Math.max(0, Math.ceil((fromMs - p.startMs) / p.slotMs - 1e-9));
  const last = Math.min(n, Math.floor((untilMs - p.startMs) / p.slotMs + 1e-9));
  return { first, last: Math.max(first, last) };
}

/** Median of a list (0 when empty). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Value of stored energy at the end of the horizon, EUR/kWh (see PlanProblem.terminalValueEurPerKwh). */
export function terminalValueEurPerKwh(p: PlanProblem, efficiency: number): number {
  return p.terminalValueEurPerKwh ?? median(p.importPriceEurPerKwh) * efficiency;
}
