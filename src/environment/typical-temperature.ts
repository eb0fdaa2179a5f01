import { MS_PER_H } from '../core/units.ts';
import { BELGIUM_LOCATION, type GeoLocation } from './clear-sky.ts';

/**
 * A typical outdoor temperature (Uccle climate normals, smoothed): the temperature part of the model
 * weather where data does not reach, and the optimiser's outdoor-temperature forecast when nothing
 * better is known (heat-pump needs). It is a Belgian climatology: elsewhere only its timing moves
 * with the place (the warmest hour follows the sun, i.e. the longitude; south of the equator the
 * seasons swap); its levels stay Belgian.
 */

const MS_PER_DAY = 86_400_000;

/** Annual mean, °C. */
const ANNUAL_MEAN_C = 11;
/** Half the difference between the July and January means, °C. */
const SEASONAL_AMPLITUDE_C = 7.5;
/** Coldest day of the year, 0-based day of year (≈ 20 January). */
const COLDEST_DAY_OF_YEAR = 19;
/** Warmest hour of the day at Brussels, UTC (≈ 14:30 local summer time). */
const WARMEST_HOUR_UTC_AT_BRUSSELS = 13.5;

/**
 * Outdoor air temperature at 2 m, °C, for instant `ms` (Unix ms) at `location` (default Brussels):
 * seasonal sine (about 3.5 °C in January, 18.5 °C in July in the north) plus a daily swing of ±2.5 °C
 * in winter to ±5 °C in summer, warmest ≈ 1.8 h after solar noon.
 */
export function typicalTemperatureC(ms: number, location: GeoLocation = BELGIUM_LOCATION): number {
  const dayOfYear = (ms - Date.UTC(new Date(ms).getUTCFullYear(), 0, 1)) / MS_PER_DAY;
  const hemisphere = location.latDeg < 0 ? -1 : 1;
  const season = -hemisphere * Math.cos((2 * Math.PI * (dayOfYear - COLDEST_DAY_OF_YEAR)) / 365.25); // −1 winter … +1 summer
  const dailySwingC = 3.75 + 1.25 * season;
  const hourUtc = (((ms % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY) / MS_PER_H;
  const warmestHourUtc = WARMEST_HOUR_UTC_AT_BRUSSELS - (location.lonDeg - BELGIUM_LOCATION.lonDeg) / 15;
  const daily = Math.cos((2 * Math.PI * (hourUtc - warmestHourUtc)) / 24);
  return ANNUAL_MEAN_C + SEASONAL_AMPLITUDE_C * season + dailySwingC * daily;
}
