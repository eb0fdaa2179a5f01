import type { Logger } from '../../core/logger.ts';
import { localDayStartMs } from '../../core/local-time.ts';
import { clearSkyIrradianceWm2 } from '../../environment/clear-sky.ts';
import { PV_PERFORMANCE_RATIO, STC_IRRADIANCE_WM2 } from '../../environment/pv-model.ts';
import { ELIA_TIME_ZONE, EliaForecastTable } from './elia-data.ts';
import { ForecastFetcher } from './forecast-fetcher.ts';
import { meanOver, slotStartMs, type ForecastRequest } from './forecast-request.ts';
import { PriceInformedPvForecast, type PriceInformedPvForecastOptions } from './price-informed-pv-forecast.ts';
import { threeScenarios, type MeasuredIrradiance, type PvForecastScenario, type PvForecastStatus, type PvSystem } from './pv-forecast.ts';
import { SiteCalibration } from './site-calibration.ts';

const SLOT_MS = 900_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** z of the 10 % and 90 % quantiles of a normal error: (P90 − P10) / 2 / this = σ. */
const Z90 = 1.2816;

/** Options of {@link EliaPvForecast}. */
export interface EliaPvForecastOptions extends PriceInformedPvForecastOptions {
  /** The forecasts already known (an archive, for backtests); a live site starts empty and fetches. */
  table?: EliaForecastTable;
  /** Fetches the forecasts of [fromMs, toMs) (e.g. `fetchEliaForecast`); may throw. Without it, the table is all there is. */
  fetchForecast?: (fromMs: number, toMs: number, signal: AbortSignal) => Promise<EliaForecastTable>;
  /** Fetch again this long after a success, ms. Default 1 h (Elia publishes at 11:00 and 18:00). */
  refreshIntervalMs?: number;
  /** Try again this long after a failure, ms. Default 10 min. */
  retryIntervalMs?: number;
  /** Longest wait for one answer, ms. Default 20 s. */
  fetchTimeoutMs?: number;
  /** Days the site calibration looks back. Default 14. */
  calibrationDays?: number;
  /**
   * The scenarios of the forecast-robust plan: 'quantiles' (each slot's spread from Elia's own
   * P10/P90 of the 11:00 run, scaled to the site like the forecast) or 'past-errors' (the forecast's
   * daily index error against the site's measured sky over the past 60 days, as the other
   * forecasts do). Default 'past-errors' (docs/backtest.md: the one that captured more).
   */
  scenarios?: 'quantiles' | 'past-errors';
  /** The source's name in the status. Default "Elia". */
  source?: string;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/**
 * PV forecast from Elia's day-ahead forecasts for Belgium (elia-data.ts): each slot's forecast load
 * factor (as published by the issue time: the 18:00 run of the day before once it is out, else the
 * 11:00 run, else nothing) × 1000 / 0.8 is the irradiance the site's PV model would need for it, ×
 * the site calibration (SiteCalibration, as for Open-Meteo: Σ measured / Σ forecast over the last 14
 * days); ÷ the clear sky it is the prior clear-sky index of the persistence forecast, with the
 * learned intraday blend of the site's own measured sky of the last 30 min on top (what the site has
 * measured up to now) and no 24-h persistence (a weather model knows better). A slot Elia has not
 * published (a missing day, a failed fetch, beyond tomorrow) falls back to the price-informed prior
 * (PriceInformedPvForecast), and without prices to the site's measured 30-day climatology.
 */
export class EliaPvForecast extends PriceInformedPvForecast {
  private readonly table: EliaForecastTable;
  private readonly calibration: SiteCalibration;
  private readonly fetcher: ForecastFetcher<EliaForecastTable> | null;
  private readonly scenarioMode: 'quantiles' | 'past-errors';
  private readonly z: number;
  private readonly calibrationDays: number;

  constructor(
    actual: MeasuredIrradiance,
    private readonly options: EliaPvForecastOptions = {},
  ) {
    super(actual, { blendTimeMs: 1, intradayBlend: 'learned', ...options });
    this.table = options.table ?? new EliaForecastTable();
    this.calibrationDays = options.calibrationDays ?? 14;
    this.calibration = new SiteCalibration(actual, (h) => this.uncalibratedWm2Over(h, HOUR_MS, h), this.calibrationDays);
    this.scenarioMode = options.scenarios ?? 'past-errors';
    this.z = Math.max(0, options.scenarioZ ?? Math.SQRT2);
    const fetchForecast = options.fetchForecast;
    this.fetcher = fetchForecast
      ? new ForecastFetcher({
          source: options.source ?? 'Elia',
          // The first fetch also takes the past days the calibration needs (day-ahead runs are never revised: honest).
          fetch: (signal, nowMs) => {
            const today = localDayStartMs(nowMs, ELIA_TIME_ZONE);
            const back = this.fetcher?.fetchedAtMs === null ? this.calibrationDays + 1 : 1;
            return fetchForecast(today - back * DAY_MS, today + 3 * DAY_MS, signal);
          },
          onFetched: (table, nowMs) => {
            this.table.merge(table);
            this.table.prune(nowMs - (this.calibrationDays + 2) * DAY_MS);
          },
          refreshIntervalMs: options.refreshIntervalMs ?? HOUR_MS,
          ...(options.retryIntervalMs !== undefined ? { retryIntervalMs: options.retryIntervalMs } : {}),
          fetchTimeoutMs: options.fetchTimeoutMs ?? 20_000,
          logger: options.logger,
        })
      : null;
  }

  update(nowMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.fetcher ? this.fetcher.update(nowMs, signal) : Promise.resolve(false);
  }

  status(): PvForecastStatus {
    const calibration = this.calibration.latest();
    return {
      source: this.options.source ?? (this.fetcher ? 'Elia' : 'Elia archive'),
      fetchedAtMs: this.fetcher ? this.fetcher.fetchedAtMs : (this.table.span()?.firstMs ?? null),
      lastError: this.fetcher?.lastError ?? null,
      ...(calibration ? { calibration } : {}),
    };
  }

  /**
   * Mean irradiance, W/m², the site's PV model needs to produce Elia's forecast load factor over
   * [fromMs, fromMs + spanMs) (quarters), as published at `issuedAtMs`, before the calibration; null
   * when a quarter of it is not published. `pick` chooses the value (the point forecast or a quantile).
   */
  private uncalibratedWm2Over(fromMs: number, spanMs: number, issuedAtMs: number, pick: (e: { loadFactor: number; p10: number; p90: number }) => number = (e) => e.loadFactor): number | null {
    let sum = 0;
    let n = 0;
    for (let ms = Math.floor(fromMs / SLOT_MS) * SLOT_MS; ms < fromMs + spanMs; ms += SLOT_MS) {
      const e = this.table.at(ms, issuedAtMs);
      const lf = e ? pick(e) : Number.NaN;
      if (!Number.isFinite(lf)) return null;
      sum += lf;
      n++;
    }
    return n > 0 ? ((sum / n) * STC_IRRADIANCE_WM2) / PV_PERFORMANCE_RATIO : null;
  }

  /** The calibrated irradiance of the quarter containing `ms` as known at `issuedAtMs`, W/m², or null. */
  eliaIrradianceWm2(ms: number, issuedAtMs: number, pick?: (e: { loadFactor: number; p10: number; p90: number }) => number): number | null {
    const ghi = this.uncalibratedWm2Over(ms, 1, issuedAtMs, pick);
    if (ghi === null) return null;
    return ghi * (this.calibration.at(issuedAtMs)?.factor ?? 1);
  }

  /** The clear sky over the quarter containing `ms`, W/m². */
  private clearOverQuarter(ms: number): number {
    return meanOver((t) => clearSkyIrradianceWm2(t, this.location), Math.floor(ms / SLOT_MS) * SLOT_MS, SLOT_MS, 3);
  }

  protected override expectedIndexAt(ms: number, issuedAtMs: number): number | null {
    const ghi = this.eliaIrradianceWm2(ms, issuedAtMs);
    const clear = this.clearOverQuarter(ms);
    if (ghi === null || !(clear > 20)) return super.expectedIndexAt(ms, issuedAtMs);
    return Math.min(1.2, ghi / clear);
  }

  override forecastScenarios(system: PvSystem, request: ForecastRequest): PvForecastScenario[] {
    const { index, priorWeight } = this.indexPath(request);
    const power = (path: readonly number[]): number[] => this.powerFromIndex(system, request, path);
    const pastSd = this.dailyPriorErrorSd(request.issuedAtMs, (ms, knownAtMs) => this.eliaIrradianceWm2(ms, knownAtMs) ?? undefined);
    if (this.scenarioMode === 'past-errors') return threeScenarios(index, priorWeight, pastSd * this.z, power);
    const spread = index.map((_, i) => {
      const mid = slotStartMs(request, i) + request.slotMs / 2;
      const p10 = this.eliaIrradianceWm2(mid, request.issuedAtMs, (e) => e.p10);
      const p90 = this.eliaIrradianceWm2(mid, request.issuedAtMs, (e) => e.p90);
      const clear = this.clearOverQuarter(mid);
      // A slot without Elia's quantiles (a fallback slot, the night) spreads by the past errors.
      return p10 !== null && p90 !== null && clear > 20 ? (((p90 - p10) / 2 / Z90) * this.z) / clear : pastSd * this.z;
    });
    return threeScenarios(index, priorWeight, spread, power);
  }
}
