import type { MeasuredIrradiance } from './pv-forecast.ts';

const HOUR_MS = 3_600_000;
/** Hours the service forecast less than this, W/m², say nothing about the site's calibration (dawn, dusk, night). */
const CALIBRATION_MIN_WM2 = 50;
/** Forecast irradiance the calibration needs before it is used, Wh/m² (about two fair days' daylight). */
const CALIBRATION_MIN_WH = 3000;
const CALIBRATION_LIMITS: readonly [number, number] = [0.3, 1.5];

/** A calibration: the service's forecast × `factor` = the site's PV, learned over `days`. */
export interface Calibration {
  factor: number;
  days: number;
}

/**
 * How a forecast service's irradiance compares with what the site's own PV measured (shading,
 * soiling, orientation, the 0.8 performance ratio, a national forecast against one roof):
 * Σ measured / Σ forecast irradiance over the hours of the last `days` days that are over, that the
 * service forecast ≥ 50 W/m² (as it stood when the hour began) and the PV measured whole; kept within
 * 0.3–1.5; null until the forecast hours add up to 3 kWh/m². Cached per hour.
 */
export class SiteCalibration {
  private cache: { hourMs: number; value: Calibration | null } | null = null;

  /**
   * @param forecastWm2At the service's mean GHI over the hour starting at `hourMs` as it stood at the hour's start, or null when it said nothing
   */
  constructor(
    private readonly measured: MeasuredIrradiance | undefined,
    private readonly forecastWm2At: (hourMs: number) => number | null,
    private readonly days = 14,
  ) {}

  /** The calibration as last computed (for a status), or null. */
  latest(): Calibration | null {
    return this.cache?.value ?? null;
  }

  /** Whether {@link at} has been asked yet. */
  get computed(): boolean {
    return this.cache !== null;
  }

  at(nowMs: number): Calibration | null {
    const measured = this.measured;
    if (!measured) return null;
    const hourMs = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
    if (this.cache?.hourMs === hourMs) return this.cache.value;
    let forecastWh = 0;
    let measuredWh = 0;
    for (let h = hourMs - this.days * 86_400_000; h + HOUR_MS <= nowMs; h += HOUR_MS) {
      const f = this.forecastWm2At(h);
      if (f === null || !(f >= CALIBRATION_MIN_WM2)) continue;
      const quarters = [0, 1, 2, 3].map((q) => measured.irradianceWm2(h + (q + 0.5) * (HOUR_MS / 4)));
      if (!quarters.every(Number.isFinite)) continue;
      forecastWh += f;
      measuredWh += quarters.reduce((sum, x) => sum + x, 0) / 4;
    }
    const [low, high] = CALIBRATION_LIMITS;
    const value = forecastWh >= CALIBRATION_MIN_WH ? { factor: Math.min(high, Math.max(low, measuredWh / forecastWh)), days: this.days } : null;
    this.cache = { hourMs, value };
    return value;
  }
}
