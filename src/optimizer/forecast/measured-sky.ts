import { BucketMeans } from './bucket-means.ts';
import { irradianceFromPvPowerWm2 } from './pv-forecast.ts';

/**
 * The sky as the site's own PV sees it: what the inverters could give (their available, uncurtailed
 * power), turned back into the horizontal irradiance the forecasts' PV model would need for it
 * (`irradianceFromPvPowerWm2`: G = P × 1000 / (peak × 0.8)), averaged per 15 min. It is the
 * "measured weather" of the honest persistence forecasts (PersistencePvForecast, PriceInformedPvForecast) on a site that has no
 * weather station: shading, soiling and the panels' orientation are in it, as they will be in the
 * PV it forecasts. Where nothing was recorded it answers NaN (not measured), which the forecasts skip.
 *
 * Inverter clipping makes a reading at the inverter's rating a lower bound of the sky; on sites whose
 * inverter is not smaller than the panels' usable peak (the usual case) it never clips.
 */
export class MeasuredSky {
  private readonly buckets: BucketMeans;

  constructor(options: { maxAgeMs: number; bucketMs?: number }) {
    this.buckets = new BucketMeans(options);
  }

  /**
   * Records what the panels could give at `ms`: available AC power, W ≥ 0, of arrays with `peakW`
   * (DC peak, W > 0) in all (or the mean of `samples` control cycles, e.g. a stored 15-min average).
   * Ignored unless both are finite and peakW > 0.
   */
  record(ms: number, availableW: number, peakW: number, samples = 1): void {
    if (!(peakW > 0) || !Number.isFinite(availableW)) return;
    this.buckets.record(ms, irradianceFromPvPowerWm2(peakW, availableW), samples);
  }

  /** Irradiance, W/m², of the 15 min around `ms` as the panels measured it; NaN when not measured. */
  irradianceWm2(ms: number): number {
    return this.buckets.at(ms) ?? Number.NaN;
  }

  /** The oldest instant measured, Unix ms; the forecasts read nothing before it. Undefined before the first reading. */
  get firstMs(): number | undefined {
    return this.buckets.firstMs() ?? undefined;
  }
}
