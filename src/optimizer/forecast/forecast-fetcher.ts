import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';

/** Options of {@link ForecastFetcher}. */
export interface ForecastFetcherOptions<T> {
  /** The service's name in the log, e.g. "Open-Meteo". */
  source: string;
  /** Fetches a fresh forecast; may throw. `nowMs` is the clock's (the span to ask for). */
  fetch: (signal: AbortSignal, nowMs: number) => Promise<T>;
  /** Takes a fetched forecast. */
  onFetched: (forecast: T, nowMs: number) => void;
  /** Fetch again this long after a success, ms. Default 1 h. */
  refreshIntervalMs?: number;
  /** Try again this long after a failure, ms. Default 10 min. */
  retryIntervalMs?: number;
  /** Longest wait for one answer, ms. Default 10 s. */
  fetchTimeoutMs?: number;
  logger?: Pick<Logger, 'info' | 'warn'> | undefined;
}

/**
 * When a forecast service is asked, and what came of it: at most every `refreshIntervalMs` (every
 * `retryIntervalMs` after a failure), one request at a time, each bounded by `fetchTimeoutMs`; a
 * failure is logged and kept as `lastError` (the last good forecast stays with its owner), never thrown.
 */
export class ForecastFetcher<T> {
  fetchedAtMs: number | null = null;
  lastError: string | null = null;
  private lastAttemptMs = -Infinity;
  private inFlight: Promise<boolean> | null = null;

  constructor(private readonly options: ForecastFetcherOptions<T>) {}

  /** Fetches when due; true when a new forecast was taken. Never throws. */
  update(nowMs: number, signal?: AbortSignal): Promise<boolean> {
    const o = this.options;
    const due = this.lastError === null ? (o.refreshIntervalMs ?? 3_600_000) : (o.retryIntervalMs ?? 600_000);
    if (this.inFlight) return this.inFlight;
    if (nowMs - this.lastAttemptMs < due) return Promise.resolve(false);
    this.lastAttemptMs = nowMs;
    const timeout = AbortSignal.timeout(o.fetchTimeoutMs ?? 10_000);
    this.inFlight = o
      .fetch(signal ? AbortSignal.any([signal, timeout]) : timeout, nowMs)
      .then(
        (forecast) => {
          const recovered = this.lastError !== null;
          o.onFetched(forecast, nowMs);
          this.fetchedAtMs = nowMs;
          this.lastError = null;
          if (recovered) o.logger?.info({ source: o.source }, `pv forecast: ${o.source} answers again`);
          return true;
        },
        (err: unknown) => {
          this.lastError = errorMessage(err);
          o.logger?.warn({ source: o.source, err: this.lastError, usingSinceMs: this.fetchedAtMs }, `pv forecast: ${o.source} failed; keeping the last forecast (or the fallback)`);
          return false;
        },
      )
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }
}
