import { MS_PER_H } from '../../core/units.ts';

/**
 * The simulated battery's power limits near full and empty, and their exact time integration.
 * Power available toward a SoC limit is nominal while the headroom (distance to the limit) is at
 * least {@link TAPER_BAND_PCT}, then falls linearly to {@link TAPER_FLOOR} × nominal just before the
 * limit, and is 0 at the limit. Because power is linear in SoC in the taper band, the SoC follows an
 * exponential there, so any interval integrates in O(1) without time steps.
 */

/** Width of the taper band next to each SoC limit, SoC percentage points. */
export const TAPER_BAND_PCT = 10;
/** Fraction of nominal power still available just before a limit, 0–1. */
export const TAPER_FLOOR = 0.1;

/** Fraction 0–1 of nominal power available at `headroomPct` SoC points from the limit (0 at or past it). */
export function taperFactor(headroomPct: number): number {
  if (headroomPct <= 0) return 0;
  if (headroomPct >= TAPER_BAND_PCT) return 1;
  return TAPER_FLOOR + ((1 - TAPER_FLOOR) * headroomPct) / TAPER_BAND_PCT;
}

export interface LimitApproach {
  /** Headroom left at the end, SoC points (0 = the limit was reached). */
  headroomPct: number;
  /** AC energy moved during the interval, Wh ≥ 0. */
  energyWh: number;
}

/**
 * Moves a battery toward one SoC limit for `durationMs` at the requested AC power `requestedW` (≥ 0),
 * limited by `nominalW` × {@link taperFactor}: constant power until the taper binds, then the
 * exponential approach, then a stop at the limit.
 * @param headroomPct SoC points to the limit (charge: max − soc; discharge: soc − min)
 * @param pctPerWh SoC points moved per Wh of AC energy (charge: eff·100/capacity; discharge: 100/(eff·capacity))
 */
export function approachLimit(headroomPct: number, requestedW: number, nominalW: number, pctPerWh: number, durationMs: number): LimitApproach {
  const startPct = headroomPct;
  const powerW = Math.min(requestedW, nominalW);
  if (!(startPct > 0 && powerW > 0 && durationMs > 0 && nominalW > 0)) return { headroomPct: startPct, energyWh: 0 };
  const pctPerWMs = pctPerWh / MS_PER_H;
  let x = startPct;
  let remainingMs = durationMs;

  // Constant power while the request is below what the taper allows.
  const floorW = nominalW * TAPER_FLOOR;
  const bindPct = powerW <= floorW ? 0 : (TAPER_BAND_PCT * (powerW / nominalW - TAPER_FLOOR)) / (1 - TAPER_FLOOR);
  if (x > bindPct) {
    const toBindMs = (x - bindPct) / (pctPerWMs * powerW);
    if (remainingMs <= toBindMs) {
      x -= pctPerWMs * powerW * remainingMs;
      return { headroomPct: x, energyWh: (startPct - x) / pctPerWh };
    }
    remainingMs -= toBindMs;
    x = bindPct;
  }

  // In the taper: P = a + b·x, dx/dt = −k·P, so x + a/b decays exponentially; it reaches x = 0 in finite time.
  if (x > 0) {
    const a = floorW;
    const b = (nominalW * (1 - TAPER_FLOOR)) / TAPER_BAND_PCT;
    const rate = pctPerWMs * b; // 1/ms
    const y0 = x + a / b;
    const toLimitMs = Math.log(y0 / (a / b)) / rate;
    x = remainingMs >= toLimitMs ? 0 : Math.max(0, y0 * Math.exp(-rate * remainingMs) - a / b);
  }
  return { headroomPct: x, energyWh: (startPct - x) / pctPerWh };
}
