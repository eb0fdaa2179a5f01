import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { PriceSeries } from '../prices/price-series.ts';
import type { ForecastRequest } from './forecast-request.ts';
import { slotStartMs } from './forecast-request.ts';
import { forecastIrradianceOver, type IrradianceForecast } from './open-meteo.ts';
import { pvPowerFromIrradianceW, type PvForecast, type PvForecastStatus, type PvSystem } from './pv-forecast.ts';

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

  constructor(private readonly options: WeatherServicePvForecastOptions) {}

  status(): PvForecastStatus {
    return { source: this.options.source ?? 'weather service', fetchedAtMs: this.fetchedAtMs, lastError: this.lastError };
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
    return fallback.map((w, i) => {
      const from = slotStartMs(request, i);
      const ghi = forecastIrradianceOver(forecast, from, from + request.slotMs);
      return ghi === undefined ? w : pvPowerFromIrradianceW(system, ghi);
    });
  }

  observePrices(spot: PriceSeries): void {
    this.options.fallback.observePrices?.(spot);
  }
}
