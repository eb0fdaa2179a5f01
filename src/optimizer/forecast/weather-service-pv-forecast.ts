import type { Logger } from '../../core/logger.ts';
import type { PriceSeries } from '../prices/price-series.ts';
import type { ForecastRequest } from './forecast-request.ts';
import { slotStartMs } from './forecast-request.ts';
import { forecastIrradianceOver, type IrradianceForecast } from './open-meteo.ts';
import { BucketMeans } from './bucket-means.ts';
import { ForecastFetcher } from './forecast-fetcher.ts';
import { SiteCalibration } from './site-calibration.ts';
import { pvPowerFromIrradianceW, type MeasuredIrradiance, type PvForecast, type PvForecastStatus, type PvSystem } from './pv-forecast.ts';

const HOUR_MS = 3_600_000;

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
  private readonly fetcher: ForecastFetcher<IrradianceForecast>;
  /** Each coming hour's irradiance as the latest forecast fetched before it began said, W/m². */
  private readonly issued: BucketMeans;
  private readonly calibration: SiteCalibration;

  constructor(private readonly options: WeatherServicePvForecastOptions) {
    this.issued = new BucketMeans({ bucketMs: HOUR_MS, maxAgeMs: ((options.calibrationDays ?? 14) + 4) * 86_400_000 });
    this.calibration = new SiteCalibration(options.measured, (h) => this.issued.at(h), options.calibrationDays ?? 14);
    this.fetcher = new ForecastFetcher({
      source: options.source ?? 'the weather service',
      fetch: (signal) => options.fetchForecast(signal),
      onFetched: (forecast, nowMs) => {
        this.forecast = forecast;
        this.rememberIssued(forecast, nowMs);
      },
      ...(options.refreshIntervalMs !== undefined ? { refreshIntervalMs: options.refreshIntervalMs } : {}),
      ...(options.retryIntervalMs !== undefined ? { retryIntervalMs: options.retryIntervalMs } : {}),
      ...(options.fetchTimeoutMs !== undefined ? { fetchTimeoutMs: options.fetchTimeoutMs } : {}),
      logger: options.logger,
    });
  }

  status(): PvForecastStatus {
    const { fetchedAtMs, lastError } = this.fetcher;
    // The calibration of the latest forecast given (the plans'), else as of the latest fetch.
    const calibration = this.calibration.computed ? this.calibration.latest() : fetchedAtMs === null ? null : this.calibration.at(fetchedAtMs);
    return { source: this.options.source ?? 'weather service', fetchedAtMs, lastError, ...(calibration ? { calibration } : {}) };
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

  /** Fetches a new forecast when one is due; true when a new forecast was taken. Never throws. */
  update(nowMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.fetcher.update(nowMs, signal);
  }

  forecastAvailableW(system: PvSystem, request: ForecastRequest): number[] {
    const fallback = this.options.fallback.forecastAvailableW(system, request);
    const forecast = this.forecast;
    const fetchedAtMs = this.fetcher.fetchedAtMs;
    const fresh = forecast && fetchedAtMs !== null && request.issuedAtMs - fetchedAtMs <= (this.options.maxAgeMs ?? 86_400_000);
    if (!fresh) return fallback;
    const factor = this.calibration.at(request.issuedAtMs)?.factor ?? 1;
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
