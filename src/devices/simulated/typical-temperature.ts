import { MS_PER_H } from '../../core/units.ts';

/**
 * A typical Belgian outdoor temperature (Uccle climate normals, smoothed): the temperature part of
 * the model weather used where the data does not reach.
 */

const MS_PER_DAY = 86_400_000;

/** Annual mean, °C. */
const ANNUAL_MEAN_C = 11;
/** Half the difference between the July and January means, °C. */
const SEASONAL_AMPLITUDE_C = 7.5;
/** Coldest day of the year, 0-based day of year (≈ 20 January). */
const COLDEST_DAY_OF_YEAR = 19;
/** Warmest hour of the day, UTC (≈ 14:30 local summer time). */
const WARMEST_HOUR_UTC = 13.5;

/**
 * Outdoor air temperature at 2 m, °C, for instant `ms` (Unix ms): seasonal sine (about 3.5 °C in
 * January, 18.5 °C in July) plus a daily swing of ±2.5 °C in winter to ±5 °C in summer.
 */
export function typicalTemperatureC(ms: number): number {
  const dayOfYear = (ms - Date.UTC(new Date(ms).getUTCFullYear(), 0, 1)) / MS_PER_DAY;
  const season = -Math.cos((2 * Math.PI * (dayOfYear - COLDEST_DAY_OF_YEAR)) / 365.25); // −1 winter … +1 summer
  const dailySwingC = 3.75 + 1.25 * season;
  const hourUtc = (((ms % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY) / MS_PER_H;
  const daily = Math.cos((2 * Math.PI * (hourUtc - WARMEST_HOUR_UTC)) / 24);
  return ANNUAL_MEAN_C + SEASONAL_AMPLITUDE_C * season + dailySwingC * daily;
}
