/**
 * Reading OCPP sampled values (MeterValues, TransactionEvent.meterValue) into W, A and Wh, the same for
 * 1.6 (value a decimal string, `unit`) and 2.0.1 (value a number, `unitOfMeasure { unit, multiplier }`).
 */

/** One sampled value, version-neutral. */
export interface SampledValueIn {
  /** The value as sent, in `unit` × 10^multiplier. */
  value: number;
  /** Default Energy.Active.Import.Register [OCPP 1.6 §7.45, OCPP 2.0.1 SampledValueType]. */
  measurand?: string | undefined;
  phase?: string | undefined;
  /** Default: Wh for energy, W for power, A for current. */
  unit?: string | undefined;
  /** 2.0.1: power of ten. Default 0. */
  multiplier?: number | undefined;
}

/** What one meter value said; null = not in it. */
export interface MeterSample {
  /** W drawn, ≥ 0 (sum over phases when only per-phase power is sent). */
  powerW: number | null;
  /** A per phase L1, L2, L3. */
  currentsA: [number | null, number | null, number | null];
  /** Energy.Active.Import.Register, Wh. */
  energyWh: number | null;
}

const PHASE_INDEX: Record<string, 0 | 1 | 2> = { L1: 0, L2: 1, L3: 2, 'L1-N': 0, 'L2-N': 1, 'L3-N': 2 };

/** Factor to the base unit (W, Wh, A); null for a unit we do not read. */
function scale(unit: string, base: 'W' | 'Wh' | 'A'): number | null {
  if (unit === base) return 1;
  if (base === 'W' && unit === 'kW') return 1000;
  if (base === 'Wh' && unit === 'kWh') return 1000;
  return null;
}

/** Parses a 1.6 decimal string; null if it is not a finite number. */
export function parseDecimal(text: string): number | null {
  if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** Reads the power, currents and energy register out of one meter value's sampled values. */
export function readSampledValues(values: readonly SampledValueIn[]): MeterSample {
  let totalW: number | null = null;
  const phaseW: [number | null, number | null, number | null] = [null, null, null];
  const currentsA: [number | null, number | null, number | null] = [null, null, null];
  let energyWh: number | null = null;
  for (const v of values) {
    const measurand = v.measurand ?? 'Energy.Active.Import.Register';
    const pow10 = 10 ** (v.multiplier ?? 0);
    const phase = v.phase === undefined ? undefined : PHASE_INDEX[v.phase];
    if (measurand === 'Power.Active.Import') {
      const f = scale(v.unit ?? 'W', 'W');
      if (f === null) continue;
      const w = v.value * f * pow10;
      // A value that overflows (1e308 kW, a multiplier of 400) or is 0 × ∞ says nothing: skipped as
      // an unread unit is (found by test/fuzz/device-replies.test.ts).
      if (!Number.isFinite(w)) continue;
      if (v.phase === undefined) totalW = w;
      else if (phase !== undefined) phaseW[phase] = w;
    } else if (measurand === 'Current.Import') {
      const f = scale(v.unit ?? 'A', 'A');
      if (f === null) continue;
      // A current without a phase is taken as L1 (a 1-phase charger's usual report).
      const a = v.value * f * pow10;
      if (!Number.isFinite(a)) continue;
      currentsA[phase ?? 0] = a;
    } else if (measurand === 'Energy.Active.Import.Register') {
      const f = scale(v.unit ?? 'Wh', 'Wh');
      if (f === null || v.phase !== undefined) continue;
      const wh = v.value * f * pow10;
      if (Number.isFinite(wh)) energyWh = wh;
    }
  }
  if (totalW === null && phaseW.some((w) => w !== null)) {
    const sum = phaseW.reduce<number>((s, w) => s + (w ?? 0), 0);
    totalW = Number.isFinite(sum) ? sum : null;
  }
  return { powerW: totalW === null ? null : Math.max(0, totalW), currentsA, energyWh };
}
