import { localDayIndexOf, wallTimeToUtcMs } from '../../core/local-time.ts';
import { priceAtEurPerMwh, type PriceSeries } from '../prices/price-series.ts';
import type { ForecastRequest } from './forecast-request.ts';
import { PersistencePvForecast, threeScenarios, type MeasuredIrradiance, type PersistencePvForecastOptions, type PvForecastScenario, type PvSystem } from './pv-forecast.ts';

/** Options of {@link PriceInformedPvForecast}: those of the persistence forecast (but blendTimeMs defaults to 6 h: the price prior is the better one), plus the fit. */
export interface PriceInformedPvForecastOptions extends PersistencePvForecastOptions {
  /** Past days the regression is fitted on, ≥ 7. Default 60. */
  fitDays?: number;
  /** Fewest past days with both a price dip and a measured index before the fit is used, ≥ 3. Default 14. */
  minFitDays?: number;
  /**
   * Scenarios of {@link PriceInformedPvForecast.forecastScenarios}: the prior's index shifted by
   * ± `scenarioZ` × the standard deviation of the fit's residuals over the past days (weights
   * 1/4, 1/2, 1/4: with z = √2 the three points have the residuals' mean and variance). Default √2.
   */
  scenarioZ?: number;
}

/** Hours (local, [from, to)) of the midday window and the two shoulders of the price dip. */
const MIDDAY: readonly [number, number] = [11, 16];
const SHOULDERS: ReadonlyArray<readonly [number, number]> = [
  [6, 9],
  [18, 21],
];

/**
 * The day-ahead price's midday dip of a local day, EUR/MWh: mean spot price 11:00–16:00 minus the mean
 * of 06:00–09:00 and 18:00–21:00 (local time in `timeZone`, default Europe/Brussels); null unless every hour of those windows is priced.
 * The market clears on the solar production everyone forecasts, so a deep dip means a sunny day.
 */
export function middayPriceDipEurPerMwh(spot: PriceSeries, localDayIndex: number, timeZone = 'Europe/Brussels'): number | null {
  const meanOf = ([fromH, toH]: readonly [number, number]): number | null => {
    let sum = 0;
    let n = 0;
    for (let h = fromH; h < toH; h++) {
      for (const minute of [0, 30]) {
        const p = priceAtEurPerMwh(spot, wallTimeToUtcMs(localDayIndex, h * 60 + minute, timeZone) + 1);
        if (p === undefined) return null;
        sum += p;
        n++;
      }
    }
    return sum / n;
  };
  const mid = meanOf(MIDDAY);
  const shoulders = SHOULDERS.map(meanOf);
  if (mid === null || shoulders.some((x) => x === null)) return null;
  return mid - (shoulders as number[]).reduce((s, x) => s + x, 0) / shoulders.length;
}

/**
 * An honest PV forecast that reads the day-ahead prices as a weather forecast: the midday price dip
 * (see {@link middayPriceDipEurPerMwh}) of a day whose prices are published predicts its clear-sky
 * index far better than yesterday's sky does (on the bundled Belgian 2024 data the correlation of the
 * daily index with the dip is −0.42, with yesterday's index +0.19). The index is fitted by least
 * squares, index = a + b × dip, on the past `fitDays` days (measured index of days that are over, the
 * dips the forecast was shown), and used as the prior of the persistence forecast for the days whose
 * prices are known; persistence (last 24 h, and the intraday nowcast) is blended on top as in
 * PersistencePvForecast. Days without published prices, or too little history, fall back to it.
 *
 * No peeking: it only knows the prices passed to {@link observePrices} (the CostService passes what
 * its price provider has published by now) and the weather before the issue time.
 */
export class PriceInformedPvForecast extends PersistencePvForecast {
  private readonly dips = new Map<number, number>();
  private readonly measured = new Map<number, number | null>();
  private fit: { day: number; line: { a: number; b: number } | null; residualSd: number } | null = null;
  private readonly scenarioZ: number;
  private readonly fitDays: number;
  private readonly minFitDays: number;

  constructor(actual: MeasuredIrradiance, options: PriceInformedPvForecastOptions = {}) {
    super(actual, { blendTimeMs: 6 * 3_600_000, ...options });
    this.fitDays = Math.max(7, Math.floor(options.fitDays ?? 60));
    this.minFitDays = Math.max(3, Math.floor(options.minFitDays ?? 14));
    this.scenarioZ = Math.max(0, options.scenarioZ ?? Math.SQRT2);
  }

  /**
   * Three weighted scenarios (low, the point forecast, high): the prior's daily clear-sky index
   * shifted by ∓ scenarioZ × the standard deviation of the fit's residuals on past days (or of the
   * measured index when there is no fit yet), times the prior's share of each slot's blend (the near
   * term that persistence and the nowcast know stays put); weights 1/4, 1/2, 1/4. Only the point
   * forecast when there is no history to measure a spread on.
   */
  forecastScenarios(system: PvSystem, request: ForecastRequest): PvForecastScenario[] {
    const { index, priorWeight } = this.indexPath(request);
    this.lineAt(request.issuedAtMs);
    return threeScenarios(index, priorWeight, (this.fit?.residualSd ?? 0) * this.scenarioZ, (path) => this.powerFromIndex(system, request, path));
  }

  /** Remembers the midday dip of every local day the prices cover whole. */
  observePrices(spot: PriceSeries): void {
    const first = localDayIndexOf(spot.startMs, this.timeZone);
    const last = localDayIndexOf(spot.startMs + spot.pricesEurPerMwh.length * spot.slotMs - 1, this.timeZone);
    for (let day = first; day <= last; day++) {
      if (this.dips.has(day)) continue;
      const dip = middayPriceDipEurPerMwh(spot, day, this.timeZone);
      if (dip !== null) this.dips.set(day, dip);
    }
    // Bounded memory: a year of days.
    if (this.dips.size > 400) for (const day of [...this.dips.keys()].sort((a, b) => a - b).slice(0, this.dips.size - 400)) this.dips.delete(day);
  }

  /** The fitted line as known on the local day of `issuedAtMs` (days before it only), or null. */
  lineAt(issuedAtMs: number): { a: number; b: number } | null {
    const today = localDayIndexOf(issuedAtMs, this.timeZone);
    if (this.fit?.day === today) return this.fit.line;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let day = today - this.fitDays; day < today; day++) {
      const dip = this.dips.get(day);
      if (dip === undefined) continue;
      let k = this.measured.get(day);
      if (k === undefined) {
        k = this.measuredIndexOver(wallTimeToUtcMs(day, 0, this.timeZone), wallTimeToUtcMs(day + 1, 0, this.timeZone));
        this.measured.set(day, k);
      }
      if (k === null) continue;
      xs.push(dip);
      ys.push(k);
    }
    let line: { a: number; b: number } | null = null;
    if (xs.length >= this.minFitDays) {
      const n = xs.length;
      const mx = xs.reduce((s, x) => s + x, 0) / n;
      const my = ys.reduce((s, y) => s + y, 0) / n;
      let sxy = 0;
      let sxx = 0;
      for (let i = 0; i < n; i++) {
        sxy += ((xs[i] ?? 0) - mx) * ((ys[i] ?? 0) - my);
        sxx += ((xs[i] ?? 0) - mx) ** 2;
      }
      // A dip that does not mean sun (b ≥ 0, e.g. a windy stretch) teaches nothing: keep the mean.
      const b = sxx > 0 ? Math.min(0, sxy / sxx) : 0;
      line = { a: my - b * mx, b };
    }
    let residualSd = 0;
    if (ys.length >= 3) {
      const fitted = (i: number): number => (line ? line.a + line.b * (xs[i] ?? 0) : ys.reduce((s, y) => s + y, 0) / ys.length);
      residualSd = Math.sqrt(ys.reduce((s, y, i) => s + (y - fitted(i)) ** 2, 0) / (ys.length - (line ? 2 : 1)));
    }
    this.fit = { day: today, line, residualSd };
    if (this.measured.size > 2 * this.fitDays) for (const day of this.measured.keys()) if (day < today - this.fitDays) this.measured.delete(day);
    return line;
  }

  protected override expectedIndexAt(ms: number, issuedAtMs: number): number | null {
    const dip = this.dips.get(localDayIndexOf(ms, this.timeZone));
    if (dip === undefined) return null;
    const line = this.lineAt(issuedAtMs);
    return line ? Math.min(1.1, Math.max(0.05, line.a + line.b * dip)) : null;
  }
}
