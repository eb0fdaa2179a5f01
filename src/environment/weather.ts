import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GridpilotError } from '../core/errors.ts';
import { MS_PER_H } from '../core/units.ts';
import { clearSkyIrradianceWm2 } from './clear-sky.ts';
import { typicalTemperatureC } from './typical-temperature.ts';

/**
 * A weather: what the simulated site lives in, or what a demo takes as a perfect forecast (the
 * 'weather' PV forecast). Pure functions of time: same instant, same answer.
 */
export interface Weather {
  /** Global horizontal irradiance at instant `ms` (Unix ms), W/m², ≥ 0. */
  irradianceWm2(ms: number): number;
  /** Outdoor air temperature at 2 m at instant `ms` (Unix ms), °C. */
  temperatureC(ms: number): number;
}

/** The Belgian hourly weather shipped in data/ (2023-12-31 … 2025-10-28, UTC). */
export const BUNDLED_WEATHER_CSV_URL = new URL('../../data/be-weather-hourly-2024-2025.csv', import.meta.url);

/** Model weather: clear sky over Brussels and a typical Belgian temperature. */
export const clearSkyWeather: Weather = {
  irradianceWm2: (ms) => clearSkyIrradianceWm2(ms),
  temperatureC: (ms) => typicalTemperatureC(ms),
};

/**
 * Hourly radiation is the mean of the hour *before* its timestamp (Open-Meteo's convention, which the
 * bundled file follows: its clear days peak symmetrically about 12:20 UTC, i.e. solar noon + 30 min).
 * So each value is placed at the middle of its hour, timestamp − 30 min.
 */
const RADIATION_SHIFT_MS = -MS_PER_H / 2;

/** Hourly weather, one slot per hour from `firstHourMs`, gaps already filled. */
export interface HourlyWeatherSeries {
  /** Timestamp of the first row, Unix ms, on a whole UTC hour. */
  firstHourMs: number;
  /** Shortwave (global horizontal) radiation, W/m², mean of the hour ending at the slot's timestamp. */
  radiationWm2: Float64Array;
  /** Air temperature at 2 m at the slot's timestamp, °C; null when the file has no temperature_2m. */
  temperatureC: Float64Array | null;
}

/**
 * Parses an hourly weather CSV with a header naming at least `date` (ISO, e.g. `2023-12-31 00:00:00+00:00`;
 * no offset = UTC) and `shortwave_radiation` (W/m²); `temperature_2m` (°C) is optional. Rows must
 * ascend on whole hours; missing hours and empty cells are filled by linear interpolation.
 * Throws a GridpilotError naming `source` and the line on bad input.
 */
export function parseHourlyWeatherCsv(text: string, source: string): HourlyWeatherSeries {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').trim().split(',');
  const dateCol = header.indexOf('date');
  const radiationCol = header.indexOf('shortwave_radiation');
  const temperatureCol = header.indexOf('temperature_2m');
  if (dateCol < 0 || radiationCol < 0) throw new GridpilotError('weather CSV needs the columns date and shortwave_radiation', source);

  const stamps: number[] = [];
  const radiation: number[] = [];
  const temperature: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    const cells = line.split(',');
    const stamp = parseUtcMs(cells[dateCol] ?? '');
    const where = `${source}:${i + 1}`;
    if (Number.isNaN(stamp)) throw new GridpilotError(`not a date: "${cells[dateCol] ?? ''}"`, where);
    if (stamp % MS_PER_H !== 0) throw new GridpilotError('timestamp is not on a whole hour', where);
    const previous = stamps[stamps.length - 1];
    if (previous !== undefined && stamp <= previous) throw new GridpilotError('rows must be in ascending time order without repeats', where);
    stamps.push(stamp);
    radiation.push(parseCell(cells[radiationCol]));
    temperature.push(temperatureCol < 0 ? NaN : parseCell(cells[temperatureCol]));
  }
  const firstHourMs = stamps[0];
  const lastHourMs = stamps[stamps.length - 1];
  if (firstHourMs === undefined || lastHourMs === undefined) throw new GridpilotError('weather CSV has no data rows', source);

  const slots = (lastHourMs - firstHourMs) / MS_PER_H + 1;
  const radiationWm2 = new Float64Array(slots).fill(NaN);
  const temperatureC = new Float64Array(slots).fill(NaN);
  stamps.forEach((stamp, row) => {
    const slot = (stamp - firstHourMs) / MS_PER_H;
    radiationWm2[slot] = radiation[row] ?? NaN;
    temperatureC[slot] = temperature[row] ?? NaN;
  });
  if (!fillGaps(radiationWm2)) throw new GridpilotError('weather CSV has no shortwave_radiation values', source);
  for (let i = 0; i < slots; i++) radiationWm2[i] = Math.max(0, radiationWm2[i] ?? 0);
  return { firstHourMs, radiationWm2, temperatureC: fillGaps(temperatureC) ? temperatureC : null };
}

/**
 * Weather read from an hourly series, linearly interpolated between hours; O(1) per lookup (index
 * by hour). Outside the series it replays the same calendar date and time of a year the series
 * covers (so a demo in 2026 sees the real weather of that date in 2025 or 2024), and only where no
 * year covers it answers from `fallback` (default: the clear-sky model).
 */
export class HourlyWeather implements Weather {
  /** First instant answered from the data, Unix ms (the middle of the first radiation hour). */
  readonly firstMs: number;
  /** Last instant answered from the data, Unix ms. */
  readonly lastMs: number;

  constructor(
    private readonly series: HourlyWeatherSeries,
    private readonly fallback: Weather = clearSkyWeather,
  ) {
    this.firstMs = series.firstHourMs + RADIATION_SHIFT_MS;
    this.lastMs = series.firstHourMs + (series.radiationWm2.length - 1) * MS_PER_H;
  }

  irradianceWm2(ms: number): number {
    const at = this.replayMs(ms);
    const value = at === null ? undefined : interpolate(this.series.radiationWm2, (at - this.series.firstHourMs - RADIATION_SHIFT_MS) / MS_PER_H);
    return value ?? this.fallback.irradianceWm2(ms);
  }

  temperatureC(ms: number): number {
    const values = this.series.temperatureC;
    const at = this.replayMs(ms);
    const value = values && at !== null ? interpolate(values, (at - this.series.firstHourMs) / MS_PER_H) : undefined;
    return value ?? this.fallback.temperatureC(ms);
  }

  /** `ms` itself inside the series; else the same UTC date and time in the latest year the series covers; null if none. */
  private replayMs(ms: number): number | null {
    if (ms >= this.firstMs && ms <= this.lastMs) return ms;
    const d = new Date(ms);
    const firstYear = new Date(this.firstMs).getUTCFullYear();
    for (let year = new Date(this.lastMs).getUTCFullYear(); year >= firstYear; year -= 1) {
      const lastDay = new Date(Date.UTC(year, d.getUTCMonth() + 1, 0)).getUTCDate();
      const t = Date.UTC(year, d.getUTCMonth(), Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
      if (t >= this.firstMs && t <= this.lastMs) return t;
    }
    return null;
  }
}

const cache = new Map<string, HourlyWeather>();

/**
 * The weather named by `simulation.weatherCsv`: `'bundled'` (default) = the Belgian data in data/,
 * `'clear-sky'` = the model only, anything else = a CSV path (relative to the working directory).
 * Files are read synchronously once and cached per absolute path.
 */
export function loadWeather(source = 'bundled'): Weather {
  if (source === 'clear-sky') return clearSkyWeather;
  const path = source === 'bundled' ? fileURLToPath(BUNDLED_WEATHER_CSV_URL) : resolve(source);
  const cached = cache.get(path);
  if (cached) return cached;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GridpilotError(`cannot read weather CSV: ${(err as Error).message}`, path);
  }
  const weather = new HourlyWeather(parseHourlyWeatherCsv(text, path));
  cache.set(path, weather);
  return weather;
}

/** Value at fractional slot `u`, or undefined outside the series. */
function interpolate(values: Float64Array, u: number): number | undefined {
  if (!(u >= 0) || u > values.length - 1) return undefined;
  const i = Math.floor(u);
  const a = values[i] ?? 0;
  const b = values[i + 1] ?? a;
  return a + (u - i) * (b - a);
}

function parseUtcMs(text: string): number {
  const iso = text.trim().replace(' ', 'T');
  // An ISO date-time without an offset would parse as local time; the data is UTC.
  return Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
}

function parseCell(cell: string | undefined): number {
  const text = cell?.trim() ?? '';
  const value = text === '' ? NaN : Number(text);
  return Number.isFinite(value) ? value : NaN;
}

/** Fills NaN runs in place: linear between neighbours, nearest value at the ends. False if all NaN. */
function fillGaps(values: Float64Array): boolean {
  let lastValid = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? NaN;
    if (Number.isNaN(v)) continue;
    const from = lastValid < 0 ? v : (values[lastValid] ?? v);
    for (let j = lastValid + 1; j < i; j++) {
      values[j] = lastValid < 0 ? v : from + ((v - from) * (j - lastValid)) / (i - lastValid);
    }
    lastValid = i;
  }
  if (lastValid < 0) return false;
  const tail = values[lastValid] ?? 0;
  for (let j = lastValid + 1; j < values.length; j++) values[j] = tail;
  return true;
}
