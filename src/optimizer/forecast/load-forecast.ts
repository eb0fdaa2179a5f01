import type { LoadProfile } from '../../environment/load-profile.ts';
import { BucketMeans } from './bucket-means.ts';
import { meanOver, slotStartMs, type ForecastRequest } from './forecast-request.ts';

/** The site's uncontrolled consumption per slot (what no policy steers), W ≥ 0, + consumption. Replaceable. */
export interface LoadForecast {
  forecastBaseLoadW(request: ForecastRequest): number[];
}

/** Past base load, as the store (telemetry) or a backtest recorded it. */
export interface LoadHistory {
  /** Mean base load over [fromMs, toMs), W, or null when nothing was recorded there. */
  meanBaseLoadW(fromMs: number, toMs: number): number | null;
}

/** The standard household profile (Synergrid-like shape × season, no noise): the fallback. */
export class ProfileLoadForecast implements LoadForecast {
  constructor(private readonly profile: Pick<LoadProfile, 'expectedBaseLoadW'>) {}

  forecastBaseLoadW(request: ForecastRequest): number[] {
    return Array.from({ length: request.slotCount }, (_, i) =>
      meanOver((ms) => this.profile.expectedBaseLoadW(ms), slotStartMs(request, i), request.slotMs),
    );
  }
}

/** Options of {@link HistoryLoadForecast}. */
export interface HistoryLoadForecastOptions {
  /** Weeks of history averaged, ≥ 1. Default 4. */
  weeks?: number;
}

const WEEK_MS = 7 * 86_400_000;

/**
 * The site's own habits: each slot is the mean of the same weekday and time of day over the last
 * `weeks` weeks (only slots that lie before `issuedAtMs`, so no peeking). Where fewer than one week
 * has data, the fallback (the standard profile) answers. Shifting by whole weeks in UTC moves the
 * local time by an hour for the weeks across a DST change; that error is accepted.
 */
export class HistoryLoadForecast implements LoadForecast {
  private readonly weeks: number;

  constructor(
    private readonly history: LoadHistory,
    private readonly fallback: LoadForecast,
    options: HistoryLoadForecastOptions = {},
  ) {
    this.weeks = Math.max(1, Math.floor(options.weeks ?? 4));
  }

  forecastBaseLoadW(request: ForecastRequest): number[] {
    const fallback = this.fallback.forecastBaseLoadW(request);
    return fallback.map((fallbackW, i) => {
      const from = slotStartMs(request, i);
      let sum = 0;
      let n = 0;
      for (let k = 1; n < this.weeks && k <= this.weeks + 1; k++) {
        const pastFrom = from - k * WEEK_MS;
        if (pastFrom + request.slotMs > request.issuedAtMs) continue; // not yet happened when issued
        const w = this.history.meanBaseLoadW(pastFrom, pastFrom + request.slotMs);
        if (w === null) continue;
        sum += w;
        n++;
      }
      return n > 0 ? sum / n : fallbackW;
    });
  }
}

/**
 * A LoadHistory kept in memory in fixed buckets (default 15 min), fed sample by sample; used by the
 * backtest and tests, and as a model for a store-backed history. Keeps `maxAgeMs` (default 6 weeks).
 */
export class RecordedLoadHistory implements LoadHistory {
  private readonly buckets: BucketMeans;

  constructor(options: { bucketMs?: number; maxAgeMs?: number } = {}) {
    this.buckets = new BucketMeans({ maxAgeMs: options.maxAgeMs ?? 6 * WEEK_MS, ...(options.bucketMs ? { bucketMs: options.bucketMs } : {}) });
  }

  /** Records one base-load sample, W, at `ms` (or the mean of `samples` of them, e.g. a stored 15-min average). */
  record(ms: number, baseLoadW: number, samples = 1): void {
    this.buckets.record(ms, baseLoadW, samples);
  }

  meanBaseLoadW(fromMs: number, toMs: number): number | null {
    return this.buckets.meanOver(fromMs, toMs);
  }
}
