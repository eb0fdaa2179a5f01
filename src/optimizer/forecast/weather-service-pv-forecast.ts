import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { PriceSeries } from '../prices/price-series.ts';
import type { ForecastRequest } from './forecast-request.ts';
import { slotStartMs } from './forecast-request.ts';
import { forecastIrradianceOver, type IrradianceForecast } from './open-meteo.ts';
import { BucketMeans } from './bucket-means.ts';
import { pvPowerFromIrradianceW, type MeasuredIrradiance, type PvForecast, type PvForecastStatus, type PvSystem } from './pv-forecast.ts';

const HOUR_MS = 3_600_000;
/** Hours the service forecast less than this, W/m², say nothing about the site's calibration (dawn, dusk, night). */
const CALIBRATION_MIN_WM2 = 50;
/** Forecast irradiance the calibration needs before it is used, Wh/m² (about two fair days' daylight). */
const CALIBRATION_MIN_WH = 3000;
const CALIBRATION_LIMITS: readonly [number, number] = [0.3, 1.5];

/** Options of {@link WeatherServicePvForecast}. */
export interface WeatherServicePvForecastOptions {
  /** The service's name in the status, e.g. "Open-Meteo". */
  source?: string;
  /** Fetches a fresh irradiance forecast (e.g. `fetchOpenMeteoForecast`); may throw. */
  fetchForecast: (signal: AbortSignal) => Promise<IrradianceForecast>;
  /** Answers for the slots the service's forecast does not cover, and for all of them until it has one. */
  fallback: PvForecast;
  /** Fetch again this long after a success, ms. Default 1 h (the models are re-run every 1–6 h). */
  refreshIntervalMs?: number;
  /** Try again this long after a failure, ms. Default 10 min. */
  retryIntervalMs?: number;
  /** A forecast fetched longer ago than this is no longer used, ms. Default 24 h. */
  maxAgeMs?: number;
  /** Longest wait for one answer, ms. Default 10 s. */
  fetchTimeoutMs?: number;
  /**
   * The sky the site's own PV measured (MeasuredSky): with it the forecast is calibrated to the site,
   * × Σ measured / Σ forecast irradiance over the daylight hours of the last `calibrationDays` days
   * (each hour as the last forecast fetched before it began forecast it), kept within 0.3–1.5.
   */
  measured?: MeasuredIrradiance;
  /** Days the calibration looks back. Default 14. */
  calibrationDays?: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/**
 * PV forecast from a weather service's irradiance forecast (numerical weather prediction): each slot
 * the service covers gets peak × GHI/1000 × 0.8 (at most the inverter rating, the simulator's model),
 * the rest come from the fallback forecast. The CostService calls {@link update} before each plan; it
 * fetches at most every `refreshIntervalMs` (every `retryIntervalMs` after a failure) and never
 * throws: a failed fetch is logged and the last good forecast stays in use until it is `maxAgeMs` old.
 */
export class WeatherServicePvForecast implements PvForecast {
  private forecast: IrradianceForecast | null = null;
  private fetchedAtMs: number | null = null;
  private lastAttemptMs = -Infinity;
  private lastError: string | null = null;
  private inFlight: Promise<boolean> | null = null;
  /** Each coming hour's irradiance as the latest forecast fetched before it began said, W/m². */
  private readonly issued: BucketMeans;
  private calibrationCache: { hourMs: number; value: { factor: number; days: number } | null } | null = null;

  constructor(private readonly options: WeatherServicePvForecastOptions) {
    this.issued = new BucketMeans({ bucketMs: HOUR_MS, maxAgeMs: ((options.calibrationDays ?? 14) + 4) * 86_400_000 });
  }

  status(): PvForecastStatus {
    // The calibration of the latest forecast given (the plans'), else as of the latest fetch.
    const calibration = this.calibrationCache ? this.calibrationCache.value : this.fetchedAtMs === null ? null : this.calibrationAt(this.fetchedAtMs);
    return { source: this.options.source ?? 'weather service', fetchedAtMs: this.fetchedAtMs, lastError: this.lastError, ...(calibration ? { calibration } : {}) };
  }

  /** Remembers what a new forecast says of the hours that have not begun (later fetches overwrite earlier ones). */
  private rememberIssued(forecast: IrradianceForecast, nowMs: number): void {
    const first = Math.ceil(nowMs / HOUR_MS) * HOUR_MS;
    for (let h = first; ; h += HOUR_MS) {
      const ghi = forecastIrradianceOver(forecast, h, h + HOUR_MS);
      if (ghi === undefined) break;
      this.issued.replace(h, ghi);
    }
  }

  /**
   * The site's calibration at `nowMs`: Σ measured / Σ forecast irradiance over the hours of the last
   * `calibrationDays` days that are over, that the service forecast ≥ 50 W/m² and the PV measured
   * whole; null until the forecast hours add up to 3 kWh/m². Cached per hour.
   */
  private calibrationAt(nowMs: number): { factor: number; days: number } | null {
    const measured = this.options.measured;
    if (!measured) return null;
    const hourMs = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
    if (this.calibrationCache?.hourMs === hourMs) return this.calibrationCache.value;
    const days = this.options.calibrationDays ?? 14;
    let forecastWh = 0;
    let measuredWh = 0;
    for (let h = hourMs - days * 86_400_000; h + HOUR_MS <= nowMs; h += HOUR_MS) {
      const f = this.issued.at(h);
      if (f === null || f < CALIBRATION_MIN_WM2) continue;
      const quarters = [0, 1, 2, 3].map((q) => measured.irradianceWm2(h + (q + 0.5) * (HOUR_MS / 4)));
      if (!quarters.every(Number.isFinite)) continue;
      forecastWh += f;
      measuredWh += quarters.reduce((sum, x) => sum + x, 0) / 4;
    }
    const [low, high] = CALIBRATION_LIMITS;
    const value = forecastWh >= CALIBRATION_MIN_WH ? { factor: Math.min(high, Math.max(low, measuredWh / forecastWh)), days } : null;
    this.calibrationCache = { hourMs, value };
    return value;
  }

  /** Fetches a new forecast when one is due; true when a new forecast was taken. Never throws. */
  update(nowMs: number, signal?: AbortSignal): Promise<boolean> {
    const due = this.lastError === null ? (this.options.refreshIntervalMs ?? 3_600_000) : (this.options.retryIntervalMs ?? 600_000);
    if (this.inFlight) return this.inFlight;
    if (nowMs - this.lastAttemptMs < due) return Promise.resolve(false);
    this.lastAttemptMs = nowMs;
    const timeout = AbortSignal.timeout(this.options.fetchTimeoutMs ?? 10_000);
    this.inFlight = this.options
      .fetchForecast(signal ? AbortSignal.any([signal, timeout]) : timeout)
      .then(
        (forecast) => {
          const recovered = this.lastError !== null;
          this.forecast = forecast;
          this.fetchedAtMs = nowMs;
          this.rememberIssued(forecast, nowMs);
          this.lastError = null;
          if (recovered) this.options.logger?.info({}, 'pv forecast: the weather service answers again');
          return true;
        },
        (err: unknown) => {
          this.lastError = errorMessage(err);
          this.options.logger?.warn({ err: this.lastError, usingSinceMs: this.fetchedAtMs }, 'pv forecast: the weather service failed; keeping the last forecast (or the fallback)');
          return false;
        },
      )
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  forecastAvailableW(system: PvSystem, request: ForecastRequest): number[] {
    const fallback = this.options.fallback.forecastAvailableW(system, request);
    const forecast = this.forecast;
    const fresh = forecast && this.fetchedAtMs !== null && request.issuedAtMs - this.fetchedAtMs <= (this.options.maxAgeMs ?? 86_400_000);
    if (!fresh) return fallback;
    const factor = this.calibrationAt(request.issuedAtMs)?.factor ?? 1;
    return fallback.map((w, i) => {
      const from = slotStartMs(request, i);
      const ghi = forecastIrradianceOver(forecast, from, from + request.slotMs);
      return ghi === undefined ? w : pvPowerFromIrradianceW(system, ghi * factor);
    });
  }

  observePrices(spot: PriceSeries): void {
    this.options.fallback.observePrices?.(spot);
  }
}
