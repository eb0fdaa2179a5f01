import { GridpilotError } from '../../core/errors.ts';

/** Milliseconds in a 15-minute market slot. */
export const QUARTER_HOUR_MS = 900_000;
/** Milliseconds in an hourly market slot. */
export const HOUR_MS = 3_600_000;

/**
 * Spot (day-ahead) prices on a regular grid of slots: hourly markets (60 min) and 15-minute markets
 * alike. Prices are per MWh, as markets quote them; they can be negative.
 */
export interface PriceSeries {
  /** Start of the first slot, Unix ms (UTC), a whole multiple of `slotMs`. */
  startMs: number;
  /** Length of every slot, ms, > 0: 900 000 (15 min) or 3 600 000 (1 h) on the markets we know. */
  slotMs: number;
  /** Price of each slot, EUR/MWh (finite, may be negative). Slot i covers [startMs + i·slotMs, startMs + (i+1)·slotMs). */
  pricesEurPerMwh: readonly number[];
}

/** First instant after the last slot, Unix ms. */
export function priceSeriesEndMs(series: PriceSeries): number {
  return series.startMs + series.pricesEurPerMwh.length * series.slotMs;
}

/** Throws a GridpilotError (naming `where`) unless the series is well formed. Returns it for chaining. */
export function assertPriceSeries(series: PriceSeries, where = 'prices'): PriceSeries {
  if (!Number.isInteger(series.slotMs) || series.slotMs <= 0) throw new GridpilotError(`slotMs must be a positive integer, got ${series.slotMs}`, where);
  if (!Number.isFinite(series.startMs) || series.startMs % series.slotMs !== 0) {
    throw new GridpilotError(`startMs ${series.startMs} is not on a slot boundary of ${series.slotMs} ms`, where);
  }
  series.pricesEurPerMwh.forEach((p, i) => {
    if (!Number.isFinite(p)) throw new GridpilotError(`price of slot ${i} is not a finite number: ${p}`, where);
  });
  return series;
}

/** Spot price at instant `ms`, EUR/MWh, or undefined outside the series. */
export function priceAtEurPerMwh(series: PriceSeries, ms: number): number | undefined {
  const i = Math.floor((ms - series.startMs) / series.slotMs);
  return i >= 0 ? series.pricesEurPerMwh[i] : undefined;
}

/**
 * The part of the series overlapping [fromMs, toMs), whole slots only (a slot partly inside is kept).
 * May be empty (then `startMs` is the aligned `fromMs`).
 */
export function slicePriceSeries(series: PriceSeries, fromMs: number, toMs: number): PriceSeries {
  const n = series.pricesEurPerMwh.length;
  const first = Math.max(0, Math.floor((fromMs - series.startMs) / series.slotMs));
  const last = Math.min(n, Math.ceil((toMs - series.startMs) / series.slotMs));
  if (last <= first) return { startMs: Math.floor(fromMs / series.slotMs) * series.slotMs, slotMs: series.slotMs, pricesEurPerMwh: [] };
  return { startMs: series.startMs + first * series.slotMs, slotMs: series.slotMs, pricesEurPerMwh: series.pricesEurPerMwh.slice(first, last) };
}

/**
 * The series on slots of `slotMs`: a finer grid repeats each price (an hourly price holds for its
 * four quarters); a coarser grid takes the time-weighted mean. One length must divide the other.
 */
export function resamplePriceSeries(series: PriceSeries, slotMs: number): PriceSeries {
  if (slotMs === series.slotMs) return series;
  const prices = series.pricesEurPerMwh;
  if (series.slotMs % slotMs === 0) {
    const k = series.slotMs / slotMs;
    return { startMs: series.startMs, slotMs, pricesEurPerMwh: prices.flatMap((p) => Array<number>(k).fill(p)) };
  }
  if (slotMs % series.slotMs === 0) {
    // Only coarse slots the series covers whole.
    const k = slotMs / series.slotMs;
    const firstMs = Math.ceil(series.startMs / slotMs) * slotMs;
    const skip = (firstMs - series.startMs) / series.slotMs;
    const out: number[] = [];
    for (let i = skip; i + k <= prices.length; i += k) out.push(prices.slice(i, i + k).reduce((s, p) => s + p, 0) / k);
    return { startMs: firstMs, slotMs, pricesEurPerMwh: out };
  }
  throw new GridpilotError(`cannot resample ${series.slotMs} ms slots to ${slotMs} ms (neither divides the other)`, 'prices');
}

/**
 * Joins series into one on the finest slot length: where they overlap, a later series in the list
 * wins (pass older first, fresher last). Gaps between series are not allowed: the result stops at the
 * first gap after the earliest start.
 */
export function mergePriceSeries(list: readonly PriceSeries[]): PriceSeries | null {
  const nonEmpty = list.filter((s) => s.pricesEurPerMwh.length > 0);
  if (nonEmpty.length === 0) return null;
  const slotMs = Math.min(...nonEmpty.map((s) => s.slotMs));
  const fine = nonEmpty.map((s) => resamplePriceSeries(s, slotMs));
  const startMs = Math.min(...fine.map((s) => s.startMs));
  const endMs = Math.max(...fine.map(priceSeriesEndMs));
  const prices = new Array<number | undefined>((endMs - startMs) / slotMs).fill(undefined);
  for (const s of fine) {
    s.pricesEurPerMwh.forEach((p, i) => {
      prices[(s.startMs - startMs) / slotMs + i] = p;
    });
  }
  const gap = prices.indexOf(undefined);
  const kept = (gap < 0 ? prices : prices.slice(0, gap)) as number[];
  return { startMs, slotMs, pricesEurPerMwh: kept };
}
