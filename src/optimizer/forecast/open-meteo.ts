import { z } from 'zod';
import { GridpilotError } from '../../core/errors.ts';
import { fetchJson, type JsonFetch } from './fetch-json.ts';

/**
 * Open-Meteo weather forecast API (https://open-meteo.com/en/docs): global horizontal irradiance
 * (`shortwave_radiation`, W/m²) of the best numerical weather models for a place, free, no key; or,
 * given the panels' tilt and azimuth, the irradiance on their plane (`global_tilted_irradiance`).
 *
 *     GET {baseUrl}?latitude=50.85&longitude=4.35&hourly=shortwave_radiation
 *         &minutely_15=shortwave_radiation&past_days=1&forecast_days=3&timeformat=unixtime&timezone=GMT
 *     → { "hourly": { "time": [1732579200, …], "shortwave_radiation": [0, …] },
 *         "minutely_15": { "time": […], "shortwave_radiation": […] }, … }
 *     → HTTP 400 { "error": true, "reason": "…" } on a bad request
 *
 * Each value is the mean over the step that *ends* at its time ("preceding hour mean" for hourly,
 * the preceding 15 min for minutely_15). Missing values are null. The 15-minute series is used where
 * it has values (native in central Europe, interpolated elsewhere), the hourly one elsewhere.
 */

export const OPEN_METEO_FORECAST_URL = 'https://api.open-meteo.com/v1/forecast';

/** Irradiance on equal steps: value i is the mean GHI over [startMs + i·stepMs, startMs + (i+1)·stepMs), W/m²; NaN = unknown. */
export interface IrradianceSeries {
  startMs: number;
  stepMs: number;
  valuesWm2: number[];
}

/** A parsed forecast: the finer series first (15 min), then the hourly one; either may be absent. */
export interface IrradianceForecast {
  series: IrradianceSeries[];
}

/** The irradiance variable asked for: GHI, or the irradiance on the panels' plane (with `tilt` and `azimuth`). */
export type OpenMeteoIrradianceVariable = 'shortwave_radiation' | 'global_tilted_irradiance';

const Values = z.array(z.number().finite().nullable());
const Block = z.object({
  time: z.array(z.number().int().positive()).min(1, 'has no times'),
  shortwave_radiation: Values.optional(),
  global_tilted_irradiance: Values.optional(),
});

const Body = z.object({
  hourly: Block.optional(),
  minutely_15: Block.optional(),
  hourly_units: z.object({ time: z.string().optional() }).optional(),
  minutely_15_units: z.object({ time: z.string().optional() }).optional(),
});

function seriesFrom(block: z.infer<typeof Block>, variable: OpenMeteoIrradianceVariable, stepMs: number, where: string): IrradianceSeries {
  const { time } = block;
  const values = block[variable];
  if (!values) throw new GridpilotError(`${variable} is missing`, where);
  if (values.length !== time.length) throw new GridpilotError(`${variable} has ${values.length} values for ${time.length} times`, where);
  time.forEach((t, i) => {
    if (i > 0 && t * 1000 - (time[i - 1] ?? 0) * 1000 !== stepMs) throw new GridpilotError(`time[${i}] is not ${stepMs / 60_000} min after time[${i - 1}] (expected unixtime seconds on equal steps)`, where);
  });
  values.forEach((v, i) => {
    if (v !== null && (v < 0 || v > 1500)) throw new GridpilotError(`${variable}[${i}] = ${v} W/m² is outside 0…1500`, where);
  });
  return { startMs: (time[0] ?? 0) * 1000 - stepMs, stepMs, valuesWm2: values.map((v) => (v === null ? Number.NaN : v)) };
}

/** Checks and reads an Open-Meteo forecast answer (the parsed JSON) of `variable`; `source` names it in errors. */
export function parseOpenMeteoForecast(body: unknown, source = 'Open-Meteo', variable: OpenMeteoIrradianceVariable = 'shortwave_radiation'): IrradianceForecast {
  if (typeof body === 'object' && body !== null && (body as { error?: unknown }).error === true) {
    throw new GridpilotError(`Open-Meteo refused the request: ${String((body as { reason?: unknown }).reason ?? 'no reason given')}`, source);
  }
  const parsed = Body.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GridpilotError(issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'not an Open-Meteo forecast', source);
  }
  const b = parsed.data;
  for (const key of ['hourly_units', 'minutely_15_units'] as const) {
    const unit = b[key]?.time;
    if (unit !== undefined && unit !== 'unixtime') throw new GridpilotError(`${key}.time is "${unit}"; ask with timeformat=unixtime`, source);
  }
  const series: IrradianceSeries[] = [];
  if (b.minutely_15) series.push(seriesFrom(b.minutely_15, variable, 900_000, `${source}: minutely_15`));
  if (b.hourly) series.push(seriesFrom(b.hourly, variable, 3_600_000, `${source}: hourly`));
  if (series.length === 0) throw new GridpilotError(`the answer holds neither hourly nor minutely_15 ${variable}`, source);
  return { series };
}

/** Mean forecast GHI over [fromMs, toMs), W/m², from the finest series that covers all of it; undefined when none does. */
export function forecastIrradianceOver(forecast: IrradianceForecast, fromMs: number, toMs: number): number | undefined {
  for (const s of forecast.series) {
    const first = Math.floor((fromMs - s.startMs) / s.stepMs);
    const last = Math.ceil((toMs - s.startMs) / s.stepMs) - 1;
    if (first < 0 || last >= s.valuesWm2.length) continue;
    let sum = 0;
    let covered = 0;
    for (let i = first; i <= last; i++) {
      const v = s.valuesWm2[i] ?? Number.NaN;
      if (Number.isNaN(v)) break;
      const a = Math.max(fromMs, s.startMs + i * s.stepMs);
      const b = Math.min(toMs, s.startMs + (i + 1) * s.stepMs);
      sum += v * (b - a);
      covered += b - a;
    }
    if (covered >= toMs - fromMs) return sum / covered;
  }
  return undefined;
}

/** What {@link fetchOpenMeteoForecast} needs. */
export interface OpenMeteoFetchOptions {
  fetch: JsonFetch;
  latitudeDeg: number;
  longitudeDeg: number;
  /** Default {@link OPEN_METEO_FORECAST_URL}. */
  baseUrl?: string;
  /** The panels' plane: with it the forecast is the irradiance on the panels (`global_tilted_irradiance`), without it GHI. */
  panels?: PanelPlane;
  signal?: AbortSignal;
}

/** Orientation of the panels. */
export interface PanelPlane {
  /** Tilt from horizontal, degrees, 0–90. */
  tiltDeg: number;
  /** Azimuth, degrees: 0 south, −90 east, 90 west, ±180 north (Open-Meteo's convention). */
  azimuthDeg: number;
}

const irradianceVariable = (panels: PanelPlane | undefined): OpenMeteoIrradianceVariable => (panels ? 'global_tilted_irradiance' : 'shortwave_radiation');

/** The request URL: GHI (or the irradiance on the panels) hourly and per 15 min, yesterday to the day after tomorrow, Unix seconds. */
export function openMeteoForecastUrl(o: Pick<OpenMeteoFetchOptions, 'latitudeDeg' | 'longitudeDeg' | 'baseUrl' | 'panels'>): string {
  const url = new URL(o.baseUrl ?? OPEN_METEO_FORECAST_URL);
  const variable = irradianceVariable(o.panels);
  url.searchParams.set('latitude', String(o.latitudeDeg));
  url.searchParams.set('longitude', String(o.longitudeDeg));
  url.searchParams.set('hourly', variable);
  url.searchParams.set('minutely_15', variable);
  if (o.panels) {
    url.searchParams.set('tilt', String(o.panels.tiltDeg));
    url.searchParams.set('azimuth', String(o.panels.azimuthDeg));
  }
  url.searchParams.set('past_days', '1');
  url.searchParams.set('forecast_days', '3');
  url.searchParams.set('timeformat', 'unixtime');
  url.searchParams.set('timezone', 'GMT');
  return url.toString();
}

/** Fetches and checks one forecast; errors say what went wrong (HTTP status, the API's reason, the bad field). */
export async function fetchOpenMeteoForecast(o: OpenMeteoFetchOptions): Promise<IrradianceForecast> {
  const url = openMeteoForecastUrl(o);
  const source = `Open-Meteo ${new URL(url).host}`;
  const body = await fetchJson(o.fetch, url, source, 'reason', o.signal);
  return parseOpenMeteoForecast(body, source, irradianceVariable(o.panels));
}
