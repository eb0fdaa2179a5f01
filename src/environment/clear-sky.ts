import { MS_PER_H } from '../core/units.ts';

/**
 * Clear-sky global horizontal irradiance from the sun's position: what the panels would see on a
 * cloudless day. Used where the weather data does not reach, and as the whole weather under
 * `weatherCsv: clear-sky`.
 */

const DEG = Math.PI / 180;
const MS_PER_DAY = 86_400_000;

/** A place on Earth. */
export interface GeoLocation {
  /** Latitude, degrees, + north, −90…90. */
  latDeg: number;
  /** Longitude, degrees, + east, −180…180. */
  lonDeg: number;
}

/** Brussels: the location of the bundled Belgian weather data (and the default `site.location`). */
export const BELGIUM_LOCATION: GeoLocation = { latDeg: 50.85, lonDeg: 4.35 };

/** The place of a site config's `location` ({ latitude, longitude } in degrees) as a GeoLocation. */
export function geoLocationOf(location: { latitude: number; longitude: number }): GeoLocation {
  return { latDeg: location.latitude, lonDeg: location.longitude };
}

/**
 * Solar elevation above the horizon at instant `ms` (Unix ms), degrees, −90…90 (negative = night).
 * NOAA's fractional-year approximation (good to a fraction of a degree) [NOAA General Solar Position Calculations].
 */
export function solarElevationDeg(ms: number, location: GeoLocation = BELGIUM_LOCATION): number {
  const date = new Date(ms);
  const yearStartMs = Date.UTC(date.getUTCFullYear(), 0, 1);
  const dayOfYear0 = Math.floor((ms - yearStartMs) / MS_PER_DAY); // 0-based
  const hourUtc = (ms - yearStartMs - dayOfYear0 * MS_PER_DAY) / MS_PER_H;
  const gamma = ((2 * Math.PI) / 365) * (dayOfYear0 + (hourUtc - 12) / 24);
  const eqTimeMin =
    229.18 *
    (0.000075 + 0.001868 * Math.cos(gamma) - 0.032077 * Math.sin(gamma) - 0.014615 * Math.cos(2 * gamma) - 0.040849 * Math.sin(2 * gamma));
  const declRad =
    0.006918 -
    0.399912 * Math.cos(gamma) +
    0.070257 * Math.sin(gamma) -
    0.006758 * Math.cos(2 * gamma) +
    0.000907 * Math.sin(2 * gamma) -
    0.002697 * Math.cos(3 * gamma) +
    0.00148 * Math.sin(3 * gamma);
  const trueSolarTimeMin = hourUtc * 60 + eqTimeMin + 4 * location.lonDeg;
  const hourAngleRad = (trueSolarTimeMin / 4 - 180) * DEG;
  const latRad = location.latDeg * DEG;
  const cosZenith = Math.sin(latRad) * Math.sin(declRad) + Math.cos(latRad) * Math.cos(declRad) * Math.cos(hourAngleRad);
  return Math.asin(Math.max(-1, Math.min(1, cosZenith))) / DEG;
}

/**
 * Clear-sky global horizontal irradiance, W/m², ≥ 0 (0 at night; about 900 at a Belgian June noon,
 * 280 at a December noon). Haurwitz's model: GHI = 1098 · cos z · e^(−0.057 / cos z) [Haurwitz 1945].
 */
export function clearSkyIrradianceWm2(ms: number, location: GeoLocation = BELGIUM_LOCATION): number {
  const cosZenith = Math.sin(solarElevationDeg(ms, location) * DEG);
  if (cosZenith <= 0) return 0;
  return 1098 * cosZenith * Math.exp(-0.057 / cosZenith);
}
