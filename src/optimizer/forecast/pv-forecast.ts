import { MS_PER_H } from '../../core/units.ts';
import { clearSkyIrradianceWm2 } from '../../devices/simulated/clear-sky.ts';
import { PV_PERFORMANCE_RATIO } from '../../devices/simulated/sim-solar.ts';
import type { Weather } from '../../devices/simulated/weather.ts';
import { meanOver, slotStartMs, type ForecastRequest } from './forecast-request.ts';

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
}

/** Irradiance (GHI, W/m²) → AC power, the simulator's model: peak × G/1000 × 0.8, at most the rating. */
export function pvPowerFromIrradianceW(system: PvSystem, irradianceWm2: number): number {
  const peak = system.peakPowerW ?? system.ratedPowerW;
  return Math.min(system.ratedPowerW, Math.max(0, (peak * irradianceWm2 * PV_PERFORMANCE_RATIO) / 1000));
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
 * Clear-sky irradiance (Haurwitz, Brussels) × `clearSkyIndex`: the fallback when no weather is known.
 * Index 1 = cloudless; the Belgian yearly mean of measured/clear-sky GHI is about 0.55.
 */
export class ClearSkyPvForecast implements PvForecast {
  constructor(private readonly clearSkyIndex = 1) {}

  forecastAvailableW(system: PvSystem, request: ForecastRequest): number[] {
    return forecastFrom((ms) => clearSkyIrradianceWm2(ms) * this.clearSkyIndex, system, request);
  }
}

/** Options of {@link PersistencePvForecast}. */
export interface PersistencePvForecastOptions {
  /** Past window whose clear-sky index is persisted, ms. Default 24 h. */
  lookbackMs?: number;
  /** Climatological clear-sky index the forecast relaxes to, 0–1. Default 0.55 (Belgium). */
  climatologicalIndex?: number;
  /** e-folding lead time of the blend, ms: weight of persistence = exp(−lead / this). Default 24 h. */
  blendTimeMs?: number;
  /**
   * Intraday persistence: the clear-sky index of the last `recentMs` (when the sun was up in it) is
   * blended into the first hours with weight exp(−lead / recentBlendMs). 0 turns it off. Default 2 h.
   */
  recentMs?: number;
  /** e-folding lead time of the intraday term, ms. Default 3 h. */
  recentBlendMs?: number;
}

/**
 * An honest (no-peeking) forecast for backtests: it reads the actual weather only *before*
 * `issuedAtMs`. The clear-sky index k = Σ measured GHI / Σ clear-sky GHI over the last 24 h is
 * persisted and relaxed toward the climatological index with lead time:
 *
 *     G_forecast(t) = G_clear(t) × (w·k + (1 − w)·k_clim),  w = exp(−(t − issuedAt) / 24 h)
 *
 * So a sunny yesterday predicts a sunny today, fading to an average day further out. Errors are
 * those of real persistence forecasts (it misses every change in the weather); its skill is a floor
 * that any real forecast service should beat.
 */
export class PersistencePvForecast implements PvForecast {
  private readonly lookbackMs: number;
  private readonly climatologicalIndex: number;
  private readonly blendTimeMs: number;
  private readonly recentMs: number;
  private readonly recentBlendMs: number;

  constructor(
    private readonly actual: Weather,
    options: PersistencePvForecastOptions = {},
  ) {
    this.lookbackMs = options.lookbackMs ?? 24 * MS_PER_H;
    this.climatologicalIndex = options.climatologicalIndex ?? 0.55;
    this.blendTimeMs = options.blendTimeMs ?? 24 * MS_PER_H;
    this.recentMs = options.recentMs ?? 2 * MS_PER_H;
    this.recentBlendMs = options.recentBlendMs ?? 3 * MS_PER_H;
  }

  /** Clear-sky index persisted at `issuedAtMs`: measured / clear-sky GHI over the look-back, 0–1.2; the climatological index if the sun did not shine. */
  clearSkyIndexAt(issuedAtMs: number, lookbackMs = this.lookbackMs): number {
    return this.indexOver(issuedAtMs, lookbackMs, 1) ?? this.climatologicalIndex;
  }

  /** Measured / clear-sky GHI over the `lookbackMs` before `issuedAtMs` (≤ 1.2), or null when the clear sky gave less than `minWh` per m². */
  private indexOver(issuedAtMs: number, lookbackMs: number, minWhPerM2: number): number | null {
    let measured = 0;
    let clear = 0;
    const stepMs = 15 * 60_000;
    for (let ms = issuedAtMs - lookbackMs + stepMs / 2; ms < issuedAtMs; ms += stepMs) {
      measured += this.actual.irradianceWm2(ms);
      clear += clearSkyIrradianceWm2(ms);
    }
    return (clear * stepMs) / MS_PER_H > minWhPerM2 ? Math.min(1.2, measured / clear) : null;
  }

  forecastAvailableW(system: PvSystem, request: ForecastRequest): number[] {
    const k = this.clearSkyIndexAt(request.issuedAtMs);
    // The sun must have given at least ~50 Wh/m² of clear sky in the recent window for its index to mean anything.
    const recent = this.recentMs > 0 ? this.indexOver(request.issuedAtMs, this.recentMs, 50) : null;
    return Array.from({ length: request.slotCount }, (_, i) => {
      const from = slotStartMs(request, i);
      const lead = Math.max(0, from + request.slotMs / 2 - request.issuedAtMs);
      const w = Math.exp(-lead / this.blendTimeMs);
      let index = w * k + (1 - w) * this.climatologicalIndex;
      if (recent !== null) {
        const r = Math.exp(-lead / this.recentBlendMs);
        index = r * recent + (1 - r) * index;
      }
      return meanOver((ms) => pvPowerFromIrradianceW(system, clearSkyIrradianceWm2(ms) * index), from, request.slotMs);
    });
  }
}
