import type { CostPlanSlot } from '../cost-plan.ts';
import type { StorageOutput } from '../plan.ts';
import { splitStoragePowerW, type BatteryInput } from './storage.ts';

/**
 * The `cost` executor for batteries: follow the plan's power, corrected in real time for forecast
 * errors by where the plan put the grid (docs/control.md "The cost policy").
 *
 * The plan's grid power in a slot says what energy is worth at the margin there:
 * - importing (battery idle or charging): energy in the battery is worth at least the import price
 *   (it is kept for later, or bought now), so extra load is imported; only a would-be export (PV above
 *   forecast) is stored instead;
 * - at zero (the import/export kink, e.g. charging from PV surplus or discharging to cover the load):
 *   any error goes to the battery: grid held at 0, self-consumption around the plan;
 * - discharging while importing: extra load is covered by the battery up to the planned import;
 * - exporting: extra PV is exported as planned; a would-be import is covered by the battery
 *   (discharging while exporting: less PV means more discharge to keep the planned export, more PV
 *   means less discharge, never charging).
 */
export interface GridBand {
  /** Lowest grid power the battery lets through, W (+ import); −Infinity = no floor. */
  loW: number;
  /** Highest, W; Infinity = no ceiling. */
  hiW: number;
  /** Most the battery may move above its planned power (towards charge), W ≥ 0. */
  maxRaiseW: number;
}

/** Below this a planned power or grid counts as zero, W. */
export const PLAN_TOLERANCE_W = 50;

/**
 * The grid band for a slot from its planned battery power and grid (see above).
 * @param plannedW planned power of the batteries that follow the plan, W, + charge
 * @param plannedGridW planned grid power, W, + import
 * @param isPlannedCurtailment the plan curtails solar in this slot (negative export price): surplus above it is curtailed, not stored
 */
export function gridBand(plannedW: number, plannedGridW: number, isPlannedCurtailment = false, tolW = PLAN_TOLERANCE_W): GridBand {
  const g = plannedGridW;
  let band: GridBand;
  if (plannedW < -tolW) {
    // Discharge: hold the grid between 0 and the planned exchange.
    band = { loW: Math.min(g, 0), hiW: Math.max(g, 0), maxRaiseW: g < -tolW ? -plannedW : Infinity };
    if (Math.abs(g) <= tolW) band = { loW: 0, hiW: 0, maxRaiseW: Infinity };
  } else if (g > tolW) {
    band = { loW: 0, hiW: Infinity, maxRaiseW: Infinity };
  } else if (g < -tolW) {
    band = { loW: -Infinity, hiW: 0, maxRaiseW: Infinity };
  } else {
    band = { loW: 0, hiW: 0, maxRaiseW: Infinity };
  }
  if (isPlannedCurtailment) band.loW = -Infinity;
  return band;
}

/** The battery total that brings `gridAtPlanW` (the grid with the batteries at plan) into the band, W (+ charge). */
export function bandTargetW(plannedW: number, gridAtPlanW: number, band: GridBand): number {
  let deltaW = 0;
  if (gridAtPlanW < band.loW) deltaW = Math.min(band.loW - gridAtPlanW, band.maxRaiseW);
  else if (gridAtPlanW > band.hiW) deltaW = band.hiW - gridAtPlanW;
  return plannedW + deltaW;
}

export interface CostStorageResult {
  outputs: StorageOutput[];
  /** Real-time deviation from the plan in words (empty when it follows the plan), for feedback. */
  note: string | null;
}

/**
 * Batteries under `cost` with a plan slot.
 * @param otherW grid power of everything but these batteries, W (+ import), with the other assets as decided this cycle
 */
export function planCostStorage(batteries: readonly BatteryInput[], slot: CostPlanSlot, otherW: number, isPlannedCurtailment: boolean): CostStorageResult {
  if (batteries.length === 0) return { outputs: [], note: null };
  const plannedW = batteries.reduce((s, b) => s + (slot.storage.find((x) => x.nodeId === b.cfg.nodeId)?.powerW ?? 0), 0);
  const band = gridBand(plannedW, slot.gridW, isPlannedCurtailment);
  const gridAtPlanW = otherW + plannedW;
  const targetW = bandTargetW(plannedW, gridAtPlanW, band);
  const shares = splitStoragePowerW(targetW, batteries, (b) => b.cfg.reserveSocPct);
  const outputs = batteries.map((b, i) => {
    const w = Math.round(shares[i] ?? 0);
    return { nodeId: b.cfg.nodeId, signal: b.signal, powerW: w, predictedW: w };
  });
  const deltaW = targetW - plannedW;
  let note: string | null = null;
  if (Math.abs(deltaW) > 100) {
    const kw = (w: number): string => `${(Math.abs(w) / 1000).toFixed(1)} kW`;
    note =
      deltaW > 0
        ? gridAtPlanW < 0
          ? `storage ${kw(deltaW)} more towards charge than planned: surplus above the forecast is stored, not exported`
          : `storage ${kw(deltaW)} more towards charge than planned: less load than forecast`
        : `storage ${kw(deltaW)} more towards discharge than planned: load above the forecast (or less PV) is covered from the battery`;
  }
  return { outputs, note };
}

/** Both prices negative in this slot: the site is paid to take from the grid, all solar off [live §3.1 solar cost]. */
export const isBothPricesNegative = (slot: CostPlanSlot): boolean => slot.importPriceEurPerKwh < 0 && slot.exportPriceEurPerKwh < 0;

/** The export price is negative: production is reduced to what the site uses [live §3.1 solar cost]. */
export const isExportPriceNegative = (slot: CostPlanSlot): boolean => slot.exportPriceEurPerKwh < 0;
