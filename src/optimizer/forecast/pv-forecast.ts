import { MS_PER_H } from '../../core/units.ts';
import { BELGIUM_LOCATION, clearSkyIrradianceWm2, type GeoLocation } from '../../environment/clear-sky.ts';
import { PV_PERFORMANCE_RATIO, STC_IRRADIANCE_WM2 } from '../../environment/pv-model.ts';
import type { Weather } from '../../environment/weather.ts';
import type { PriceSeries } from '../prices/price-series.ts';
import { localDayIndexOf, wallTimeToUtcMs } from '../../core/local-time.ts';
import { meanOver, slotStartMs, type ForecastRequest } from './forecast-request.ts';
import { BLEND_LEADS_H, blendAt, fitIntradayBlend, sampleIntradayBlend, type BlendFit } from './intraday-blend.ts';

const DAY_MS = 86_400_000;
/** The sun must have given at least this much clear sky, Wh/m², in the recent window for its index to mean anything. */
const RECENT_MIN_WH = 50;
/** The learned blend's last lead hour ends here (after the issue time). */
const LEARNED_UNTIL_MS = ((BLEND_LEADS_H[BLEND_LEADS_H.length - 1] ?? 0) + 1) * MS_PER_H;

/** A PV system as the forecast sees it. */
export interface PvSystem {
  /** Inverter AC rating, W > 0 (the forecast never exceeds it). */
  ratedPowerW: number;
  /** DC peak power of the panels, W > 0; default = ratedPowerW. */
  peakPowerW?: number;
}

/**
 * Available PV power per slot (what the panels could give uncurtailed), W ≥ 0, + production.
 * Replaceable: a weather service, a vendor forecast, or the models below.
 */
export interface PvForecast {
  forecastAvailableW(system: PvSystem, request: ForecastRequest): number[];
  /**
   * Optional: the spot prices the planner has just read (only what is published by now). A forecast
   * may learn from them (see PriceInformedPvForecast); the CostService calls this before each plan.
   */
  observePrices?(spot: PriceSeries): void;
  /**
   * Optional: a few weighted PV scenarios (weights summing to 1, one of them the point forecast
   * `forecastAvailableW` gives), estimated from past data only, for a forecast-robust plan.
   */
  forecastScenarios?(system: PvSystem, request: ForecastRequest): PvForecastScenario[];
  /**
   * Optional: fetch what is due (a weather service's new forecast); true when the forecast changed.
   * The CostService awaits it before each plan. Must not throw: a failure keeps the last forecast.
   */
  update?(nowMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Optional: how a forecast fed by a service is doing (shown with the plan, GET /api/plan). */
  status?(): PvForecastStatus;
}

/** {@link PvForecast.status}: the service, when its forecast in use was fetched, and its last failure. */
export interface PvForecastStatus {
  source: string;
  /** Unix ms; null before the first success (the fallback answers). */
  fetchedAtMs: number | null;
  /** The last failure's message, cleared by a success. */
  lastError: string | null;
  /**
   * The service's forecast × this = the site's PV (shading, soiling, orientation, the 0.8 performance
   * ratio), learned from the site's own readings; absent while there are too few.
   */
  calibration?: { factor: number; days: number };
}

/** One scenario of {@link PvForecast.forecastScenarios}. */
export interface PvForecastScenario {
  weight: number;
  availableW: number[];
}

/**
 * Three weighted scenarios around a clear-sky index path: the path shifted by ∓ `spread` (one for
 * all slots, or one per slot) × each slot's `priorWeight` (the share of the index the day-ahead prior
 * holds; the near term that the nowcast knows stays put), weights 1/4, 1/2, 1/4 (with spread = √2 σ
 * they have the mean and variance of an error of standard deviation σ). Only the point forecast when
 * every spread is ~0.
 */
export function threeScenarios(index: readonly number[], priorWeight: readonly number[], spread: number | readonly number[], power: (index: readonly number[]) => number[]): PvForecastScenario[] {
  const mid = power(index);
  const spreadAt = (i: number): number => (typeof spread === 'number' ? spread : (spread[i] ?? 0));
  if (!index.some((_, i) => spreadAt(i) > 1e-3)) return [{ weight: 1, availableW: mid }];
  const shifted = (sign: number): number[] => power(index.map((x, i) => x + sign * spreadAt(i) * (priorWeight[i] ?? 0)));
  return [
    { weight: 0.25, availableW: shifted(-1) },
    { weight: 0.5, availableW: mid },
    { weight: 0.25, availableW: shifted(1) },
  ];
}

/** Irradiance (GHI, W/m²) → AC power, the PV model (src/environment/pv-model.ts) the simulator also produces by: peak × G/1000 × 0.8, at most the rating. */
export function pvPowerFromIrradianceW(system: PvSystem, irradianceWm2: number): number {
  const peak = system.peakPowerW ?? system.ratedPowerW;
  return Math.min(system.ratedPowerW, Math.max(0, (peak * irradianceWm2 * PV_PERFORMANCE_RATIO) / STC_IRRADIANCE_WM2));
}

/** The same model backwards, below the rating: AC power of panels with DC peak `peakW` → the GHI it takes, W/m² ≥ 0. */
export function irradianceFromPvPowerWm2(peakW: number, powerW: number): number {
  return (Math.max(0, powerW) * STC_IRRADIANCE_WM2) / (peakW * PV_PERFORMANCE_RATIO);
}

function forecastFrom(irradianceWm2: (ms: number) => number, system: PvSystem, request: ForecastRequest): number[] {
  return Array.from({ length: request.slotCount }, (_, i) =>
    meanOver((ms) => pvPowerFromIrradianceW(system, irradianceWm2(ms)), slotStartMs(request, i), request.slotMs),
  );
}

/**
 * The weather's own irradiance, taken as the forecast. With the bundled (actual) weather this is a
 * perfect forecast: fine for live demos and as a backtest's upper bound, never for an honest backtest.
 */
export class WeatherPvForecast implements PvForecast {
  constructor(private readonly weather: Weather) {}

  forecastAvailableW(system: PvSystem, request: ForecastRequest): number[] {
    return forecastFrom((ms) => this.weather.irradianceWm2(ms), system, request);
  }
}

/**
 * Clear-sky irradiance (Haurwitz; Brussels unless told the place) × `clearSkyIndex`: the fallback
 * when no weather is known. Index 1 = cloudless; the Belgian yearly mean of measured/clear-sky GHI is about 0.55.
 */
export class ClearSkyPvForecast implements PvForecast {
  constructor(
    private readonly clearSkyIndex = 1,
    private readonly location: GeoLocation = BELGIUM_LOCATION,
  ) {}

  forecastAvailableW(system: PvSystem, request: ForecastRequest): number[] {
    return forecastFrom((ms) => clearSkyIrradianceWm2(ms, this.location) * this.clearSkyIndex, system, request);
  }
}

/** Options of {@link PersistencePvForecast}. */
export interface PersistencePvForecastOptions {
  /** Past window whose clear-sky index is persisted, ms. Default 24 h. */
  lookbackMs?: number;
  /** Climatological clear-sky index the forecast relaxes to, 0–1. Default 0.55 (Belgium). */
  climatologicalIndex?: number;
  /** e-folding lead time of the blend, ms: weight of persistence = exp(−lead / this). Default 12 h. */
  blendTimeMs?: number;
  /**
   * Intraday persistence: the clear-sky index of the last `recentMs` (when the sun was up in it) is
   * blended into the first hours with weight exp(−lead / recentBlendMs). 0 turns it off. Default 30 min.
   */
  recentMs?: number;
  /** e-folding lead time of the intraday term, ms. Default 6 h. */
  recentBlendMs?: number;
  /**
   * Days of past weather whose clear-sky index replaces the fixed `climatologicalIndex` (a seasonal,
   * local climatology: Σ measured / Σ clear-sky GHI over the last `climatologyDays` whole UTC days
   * before the forecast is issued; the fixed index until a third of them lie in the weather's past).
   * 0 = the fixed index. Default 30.
   */
  climatologyDays?: number;
  /**
   * How the nowcast meets the prior in the first 9 h: 'fixed' (the exponential blends above) or
   * 'learned' (index = c + p × prior + r × nowcast with (c, p, r) per lead fitted on the last
   * `learnedBlendDays` days of the forecast's own past: intraday-blend.ts; the fixed blend until
   * there are enough cases). Default 'fixed'.
   */
  intradayBlend?: 'fixed' | 'learned';
  /** Days the learned blend is fitted on. Default 60. */
  learnedBlendDays?: number;
  /** Where the site is: the clear sky the index is measured against and forecast from. Default Brussels. */
  location?: GeoLocation;
  /** IANA time zone the forecast's days are counted in (the learned blend is refitted once a local day). Default Europe/Brussels. */
  timeZone?: string;
}

/**
 * The measured sky a persistence forecast reads: the weather (a station, the simulator's) or the
 * site's own PV readings (MeasuredSky). NaN = not measured at that instant (skipped). `firstMs`: the
 * first instant it knows; nothing before it is read.
 */
export interface MeasuredIrradiance {
  irradianceWm2(ms: number): number;
  readonly firstMs?: number | undefined;
}

/**
 * An honest (no-peeking) forecast for backtests: it reads the actual weather only *before*
 * `issuedAtMs`. The clear-sky index k = Σ measured GHI / Σ clear-sky GHI over the last 24 h is
 * persisted and relaxed toward a climatological index k_clim (measured over the last 30 days; the
 * fixed 0.55 before that) with lead time; the index of the last 30 min (a nowcast) is blended into
 * the first hours:
 *
 *     index = w·k + (1 − w)·k_clim,  w = exp(−lead / 12 h);  index ← r·k_30min + (1 − r)·index,  r = exp(−lead / 6 h)
 *
 * So a sunny yesterday predicts a sunny today, fading to a seasonal average day further out. Errors
 * are those of real persistence forecasts (it misses every change in the weather); its skill is a
 * floor that any real forecast service should beat.
 */
export class PersistencePvForecast implements PvForecast {
  private readonly lookbackMs: number;
  private readonly climatologicalIndex: number;
  private readonly blendTimeMs: number;
  private readonly recentMs: number;
  private readonly recentBlendMs: number;
  private readonly climatologyDays: number;
  private readonly climatologyCache = new Map<number, number>();
  private readonly intradayBlend: 'fixed' | 'learned';
  private readonly learnedBlendDays: number;
  private blendFit: { day: number; fit: BlendFit | null } | null = null;
  private spread: { day: number; sd: number } | null = null;
  /** Where the site is (the clear sky). */
  protected readonly location: GeoLocation;
  protected readonly timeZone: string;

  constructor(
    protected readonly actual: MeasuredIrradiance,
    options: PersistencePvForecastOptions = {},
  ) {
    this.lookbackMs = options.lookbackMs ?? 24 * MS_PER_H;
    this.climatologicalIndex = options.climatologicalIndex ?? 0.55;
    this.blendTimeMs = options.blendTimeMs ?? 12 * MS_PER_H;
    this.recentMs = options.recentMs ?? 30 * 60_000;
    this.recentBlendMs = options.recentBlendMs ?? 6 * MS_PER_H;
    this.climatologyDays = Math.max(0, Math.floor(options.climatologyDays ?? 30));
    this.intradayBlend = options.intradayBlend ?? 'fixed';
    this.learnedBlendDays = Math.max(7, Math.floor(options.learnedBlendDays ?? 60));
    this.location = options.location ?? BELGIUM_LOCATION;
    this.timeZone = options.timeZone ?? 'Europe/Brussels';
  }

  /**
   * The index the forecast relaxes to at `issuedAtMs`: the fixed climatological index, or (with
   * `climatologyDays`) the measured index of the whole UTC days before the issue day, once at least
   * a third of them lie in the weather's past; cached per day.
   */
  climatologicalIndexAt(issuedAtMs: number): number {
    if (this.climatologyDays === 0) return this.climatologicalIndex;
    const day = Math.floor(issuedAtMs / DAY_MS);
    const cached = this.climatologyCache.get(day);
    if (cached !== undefined) return cached;
    const untilMs = day * DAY_MS;
    const fromMs = Math.max(untilMs - this.climatologyDays * DAY_MS, this.actual.firstMs ?? -Infinity);
    const measured = untilMs - fromMs >= (this.climatologyDays * DAY_MS) / 3 ? this.measuredIndexOver(fromMs, untilMs) : null;
    const index = measured === null ? this.climatologicalIndex : Math.min(1, measured);
    if (this.climatologyCache.size > 64) this.climatologyCache.clear();
    this.climatologyCache.set(day, index);
    return index;
  }

  /** Clear-sky index persisted at `issuedAtMs`: measured / clear-sky GHI over the look-back, 0–1.2; the climatological index if the sun did not shine. */
  clearSkyIndexAt(issuedAtMs: number, lookbackMs = this.lookbackMs): number {
    return this.indexOver(issuedAtMs, lookbackMs, 1) ?? this.climatologicalIndexAt(issuedAtMs);
  }

  /** Measured / clear-sky GHI over the `lookbackMs` before `issuedAtMs` (≤ 1.2), or null when the clear sky gave less than `minWh` per m². */
  private indexOver(issuedAtMs: number, lookbackMs: number, minWhPerM2: number): number | null {
    const sky = this.skyOver(issuedAtMs - lookbackMs, issuedAtMs);
    return sky.clearWh > minWhPerM2 ? sky.index : null;
  }

  /** Measured / clear-sky GHI (≤ 1.2) and the clear-sky energy, Wh/m², over [fromMs, toMs) in 15-min steps; only the weather's past is read. */
  private skyOver(fromMs: number, toMs: number): { index: number; clearWh: number } {
    const stepMs = 15 * 60_000;
    const { measured, clear } = this.irradianceSums(fromMs, toMs, stepMs);
    return { index: clear > 0 ? Math.min(1.2, measured / clear) : 0, clearWh: (clear * stepMs) / MS_PER_H };
  }

  /** Σ measured and Σ clear-sky GHI, W/m², sampled at the middle of each `stepMs` of [fromMs, toMs); instants before the weather's first, or not measured, are skipped. */
  private irradianceSums(fromMs: number, toMs: number, stepMs: number): { measured: number; clear: number } {
    let measured = 0;
    let clear = 0;
    // Only the weather's past: before its first instant a replayed weather would answer from a later year.
    const firstMs = this.actual.firstMs ?? -Infinity;
    for (let ms = fromMs + stepMs / 2; ms < toMs; ms += stepMs) {
      if (ms < firstMs) continue;
      const g = this.actual.irradianceWm2(ms);
      if (!Number.isFinite(g)) continue;
      measured += g;
      clear += clearSkyIrradianceWm2(ms, this.location);
    }
    return { measured, clear };
  }

  /** The learned intraday blend for the local day of `issuedAtMs` (fitted once a day on the days before it), or null. */
  private learnedBlendAt(issuedAtMs: number): BlendFit | null {
    const day = localDayIndexOf(issuedAtMs, this.timeZone);
    if (this.blendFit?.day === day) return this.blendFit.fit;
    const observations = sampleIntradayBlend(
      {
        recentAt: (t) => this.indexOver(t, this.recentMs, RECENT_MIN_WH),
        priorAt: (ms, t) => this.expectedIndexAt(ms, t) ?? this.climatologicalIndexAt(t),
        skyOver: (from, to) => (from < (this.actual.firstMs ?? -Infinity) ? null : this.skyOver(from, to)),
      },
      day,
      this.learnedBlendDays,
      this.timeZone,
    );
    const fit = fitIntradayBlend(observations);
    this.blendFit = { day, fit };
    return fit;
  }

  /**
   * A better prior than the climatology for the slot around `ms`, as known at `issuedAtMs`, 0–1.2, or
   * null for none (subclasses; see PriceInformedPvForecast). Persistence is blended onto it.
   */
  protected expectedIndexAt(ms: number, issuedAtMs: number): number | null {
    void ms;
    void issuedAtMs;
    return null;
  }

  /** Measured / clear-sky GHI over [fromMs, toMs) (hourly), or null when the weather does not cover it or the sun gave nothing. */
  protected measuredIndexOver(fromMs: number, toMs: number): number | null {
    if (fromMs < (this.actual.firstMs ?? -Infinity)) return null;
    const { measured, clear } = this.irradianceSums(fromMs, toMs, MS_PER_H);
    return clear > 0 ? measured / clear : null;
  }

  /**
   * Standard deviation of (measured − prior) daily clear-sky index over the 60 local days before the
   * issue day, the prior of each day as it stood when the day was over (`priorWm2At(ms, dayEndMs)`,
   * W/m², undefined = not known: the day is skipped); 0 with fewer than 7 days. Cached per day.
   */
  protected dailyPriorErrorSd(issuedAtMs: number, priorWm2At: (ms: number, knownAtMs: number) => number | undefined): number {
    const today = localDayIndexOf(issuedAtMs, this.timeZone);
    if (this.spread?.day === today) return this.spread.sd;
    const errors: number[] = [];
    for (let day = today - 60; day < today; day++) {
      const from = wallTimeToUtcMs(day, 0, this.timeZone);
      const to = wallTimeToUtcMs(day + 1, 0, this.timeZone);
      const measured = this.measuredIndexOver(from, to);
      let prior = 0;
      let clear = 0;
      let complete = true;
      for (let ms = from + MS_PER_H / 2; ms < to && complete; ms += MS_PER_H) {
        const clearWm2 = clearSkyIrradianceWm2(ms, this.location);
        if (clearWm2 <= 0) continue;
        const ghi = priorWm2At(ms, to);
        if (ghi === undefined) complete = false;
        prior += ghi ?? 0;
        clear += clearWm2;
      }
      if (measured !== null && complete && clear > 0) errors.push(measured - prior / clear);
    }
    const sd = errors.length >= 7 ? Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length) : 0;
    this.spread = { day: today, sd };
    return sd;
  }

  forecastAvailableW(system: PvSystem, request: ForecastRequest): number[] {
    return this.powerFromIndex(system, request, this.indexPath(request).index);
  }

  /**
   * The forecast's clear-sky index per slot of the request (0–1.2) and the share of it the prior
   * holds (1 − the persistence and nowcast weights): what the forecast and its scenarios are built from.
   */
  protected indexPath(request: ForecastRequest): { index: number[]; priorWeight: number[] } {
    const k = this.clearSkyIndexAt(request.issuedAtMs);
    const climatology = this.climatologicalIndexAt(request.issuedAtMs);
    const recent = this.recentMs > 0 ? this.indexOver(request.issuedAtMs, this.recentMs, RECENT_MIN_WH) : null;
    const learned = recent !== null && this.intradayBlend === 'learned' ? this.learnedBlendAt(request.issuedAtMs) : null;
    const index: number[] = [];
    const priorWeight: number[] = [];
    for (let i = 0; i < request.slotCount; i++) {
      const from = slotStartMs(request, i);
      const lead = Math.max(0, from + request.slotMs / 2 - request.issuedAtMs);
      const w = Math.exp(-lead / this.blendTimeMs);
      const prior = this.expectedIndexAt(from + request.slotMs / 2, request.issuedAtMs) ?? climatology;
      let x = w * k + (1 - w) * prior;
      let share = 1 - w;
      if (recent !== null) {
        const r = Math.exp(-lead / this.recentBlendMs);
        x = r * recent + (1 - r) * x;
        share *= 1 - r;
      }
      const coefficients = learned ? blendAt(learned, lead) : null;
      if (recent !== null && coefficients) {
        // Faded into the path above over the last hour of the learned leads.
        const [c, p, r] = coefficients;
        const fade = Math.min(1, Math.max(0, (LEARNED_UNTIL_MS - lead) / MS_PER_H));
        x = fade * Math.min(1.2, Math.max(0, c + p * prior + r * recent)) + (1 - fade) * x;
        share = fade * Math.min(1, Math.max(0, p)) + (1 - fade) * share;
      }
      index.push(x);
      priorWeight.push(share);
    }
    return { index, priorWeight };
  }

  /** Available power per slot for a clear-sky index per slot (kept in [0, 1.2]). */
  protected powerFromIndex(system: PvSystem, request: ForecastRequest, index: readonly number[]): number[] {
    return index.map((x, i) => {
      const k = Math.min(1.2, Math.max(0, x));
      return meanOver((ms) => pvPowerFromIrradianceW(system, clearSkyIrradianceWm2(ms, this.location) * k), slotStartMs(request, i), request.slotMs);
    });
  }
}
