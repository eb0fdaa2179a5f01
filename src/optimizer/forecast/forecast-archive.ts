import { readFileSync } from 'node:fs';
import { MS_PER_H } from '../../core/units.ts';
import { GridpilotError } from '../../core/errors.ts';
import { clearSkyIrradianceWm2 } from '../../environment/clear-sky.ts';
import { meanOver, type ForecastRequest } from './forecast-request.ts';
import { PersistencePvForecast, threeScenarios, type MeasuredIrradiance, type PersistencePvForecastOptions, type PvForecastScenario, type PvSystem } from './pv-forecast.ts';

const DAY_MS = 86_400_000;

/**
 * Archived weather forecasts of irradiance, as issued, for an honest backtest with a real
 * numerical-weather-prediction forecast: the CSV of Open-Meteo's Previous Runs API
 * (https://open-meteo.com/en/docs/previous-runs-api), e.g.
 *
 *     latitude,longitude,elevation,utc_offset_seconds,timezone,timezone_abbreviation
 *     50.84,4.36,58.0,0,GMT,GMT
 *
 *     time,shortwave_radiation_previous_day1 (W/m²),shortwave_radiation_previous_day2 (W/m²)
 *     2024-01-01T00:00,0,0
 *
 * `shortwave_radiation_previous_dayN` at time T is the forecast the model made N days before T of
 * the mean GHI over the hour ending at T. Times are GMT (`timezone=GMT`), ISO or Unix seconds, on
 * whole hours; empty cells are missing values. Other columns are ignored.
 */
export interface ForecastArchive {
  /** Start of the first hour, Unix ms (its value is stamped one hour later). */
  startMs: number;
  /** GHI per lead day N ≥ 1, in ascending N: value i = mean over [startMs + i h, startMs + (i+1) h), W/m²; NaN = missing. */
  byLeadDay: Map<number, Float64Array>;
}

/**
 * A lead-day-N value for the hour ending at T counts as published at T − N days + this delay: the
 * model run N days before T plus the hours a run takes to compute and publish. Conservative on purpose.
 */
export const ARCHIVE_PUBLICATION_DELAY_MS = 6 * MS_PER_H;

const RADIATION_COLUMN = /^shortwave_radiation(?:_previous_day(\d+))?(?:\s*\(.*\))?$/;

/** Parses the Previous Runs CSV; errors name `source` and the line. */
export function parseForecastArchiveCsv(text: string, source: string): ForecastArchive {
  const lines = text.split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim().startsWith('time,'));
  if (headerIndex < 0) throw new GridpilotError('no header line starting with "time," (the CSV of the Open-Meteo Previous Runs API)', source);
  // The metadata block above the header: its utc_offset_seconds must be 0 (times in GMT).
  const metaKeys = (lines[0] ?? '').split(',').map((s) => s.trim());
  const offsetCol = metaKeys.indexOf('utc_offset_seconds');
  if (headerIndex > 0 && offsetCol >= 0) {
    const offset = Number((lines[1] ?? '').split(',')[offsetCol]);
    if (offset !== 0) throw new GridpilotError(`utc_offset_seconds is ${offset}; ask with timezone=GMT`, `${source}:2`);
  }
  const header = (lines[headerIndex] ?? '').split(',').map((s) => s.trim());
  const columns: Array<{ col: number; leadDay: number }> = [];
  header.forEach((name, col) => {
    const m = RADIATION_COLUMN.exec(name);
    if (m && m[1] !== undefined && Number(m[1]) >= 1) columns.push({ col, leadDay: Number(m[1]) });
  });
  if (columns.length === 0) {
    throw new GridpilotError('needs shortwave_radiation_previous_day1 (or day2, …) columns: a forecast of the same day is known only after the fact', `${source}:${headerIndex + 1}`);
  }
  const stamps: number[] = [];
  const rows: number[][] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    const where = `${source}:${i + 1}`;
    const cells = line.split(',');
    const t = (cells[0] ?? '').trim();
    const ms = /^\d+$/.test(t) ? Number(t) * 1000 : Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(t) ? t : `${t}Z`);
    if (!Number.isFinite(ms)) throw new GridpilotError(`time "${t}" is neither ISO (GMT) nor Unix seconds`, where);
    const previous = stamps[stamps.length - 1];
    if (ms % MS_PER_H !== 0) throw new GridpilotError(`time "${t}" is not on a whole hour`, where);
    if (previous !== undefined && ms !== previous + MS_PER_H) throw new GridpilotError(`time "${t}" does not follow the previous row by one hour`, where);
    stamps.push(ms);
    rows.push(
      columns.map(({ col }) => {
        const cell = (cells[col] ?? '').trim();
        if (cell === '') return Number.NaN;
        const v = Number(cell);
        if (!Number.isFinite(v) || v < 0 || v > 1500) throw new GridpilotError(`${header[col]} "${cell}" is not a GHI in 0…1500 W/m²`, where);
        return v;
      }),
    );
  }
  if (stamps.length === 0) throw new GridpilotError('no data rows', source);
  const byLeadDay = new Map<number, Float64Array>();
  columns
    .map(({ leadDay }, k) => ({ leadDay, k }))
    .sort((a, b) => a.leadDay - b.leadDay)
    .forEach(({ leadDay, k }) => byLeadDay.set(leadDay, Float64Array.from(rows, (r) => r[k] ?? Number.NaN)));
  return { startMs: (stamps[0] ?? 0) - MS_PER_H, byLeadDay };
}

/** Reads an archive file. */
export function loadForecastArchive(path: string): ForecastArchive {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GridpilotError(`cannot read the forecast archive: ${(err as Error).message}`, path);
  }
  return parseForecastArchiveCsv(text, path);
}

/**
 * The archived GHI for the hour containing `ms` as it was known at `issuedAtMs`: the value of the
 * smallest lead day whose publication (see {@link ARCHIVE_PUBLICATION_DELAY_MS}) is not after it; undefined when none is.
 */
export function archivedIrradianceAt(archive: ForecastArchive, ms: number, issuedAtMs: number, delayMs = ARCHIVE_PUBLICATION_DELAY_MS): number | undefined {
  const hour = Math.floor((ms - archive.startMs) / MS_PER_H);
  const endMs = archive.startMs + (hour + 1) * MS_PER_H;
  for (const [leadDay, values] of archive.byLeadDay) {
    if (endMs - leadDay * DAY_MS + delayMs > issuedAtMs) continue;
    const v = values[hour];
    if (v !== undefined && !Number.isNaN(v)) return v;
  }
  return undefined;
}

/** Options of {@link ArchivedNwpPvForecast}. */
export interface ArchivedNwpPvForecastOptions extends PersistencePvForecastOptions {
  /** See {@link ARCHIVE_PUBLICATION_DELAY_MS}. */
  publicationDelayMs?: number;
  /** Scenarios: ± this × the standard deviation of the archive's daily index error over the past 60 days. Default √2 (0 = point forecast only). */
  scenarioZ?: number;
}

/**
 * An honest PV forecast from archived weather forecasts (backtests): each hour's clear-sky index is
 * the archived GHI as published by the issue time ÷ the clear sky, used as the prior of the
 * persistence forecast; only the 30-min nowcast is blended on top, by the learned intraday blend
 * (how far to trust the weather model against the sky of the last 30 min, per lead, from its own
 * past 60 days), and the 24-h persistence is off: a weather model knows better. Hours the archive
 * does not cover fall back to the climatology. Its
 * scenarios spread by the archive's own past errors (measured vs day-1 daily index, last 60 days).
 */
export class ArchivedNwpPvForecast extends PersistencePvForecast {
  private readonly delayMs: number;
  private readonly scenarioZ: number;

  constructor(
    actual: MeasuredIrradiance,
    private readonly archive: ForecastArchive,
    options: ArchivedNwpPvForecastOptions = {},
  ) {
    super(actual, { blendTimeMs: 1, intradayBlend: 'learned', ...options });
    this.delayMs = options.publicationDelayMs ?? ARCHIVE_PUBLICATION_DELAY_MS;
    this.scenarioZ = Math.max(0, options.scenarioZ ?? Math.SQRT2);
  }

  protected override expectedIndexAt(ms: number, issuedAtMs: number): number | null {
    const ghi = archivedIrradianceAt(this.archive, ms, issuedAtMs, this.delayMs);
    if (ghi === undefined) return null;
    const hourStart = Math.floor(ms / MS_PER_H) * MS_PER_H;
    const clear = meanOver((t) => clearSkyIrradianceWm2(t, this.location), hourStart, MS_PER_H, 6);
    return clear > 20 ? Math.min(1.2, ghi / clear) : null;
  }

  forecastScenarios(system: PvSystem, request: ForecastRequest): PvForecastScenario[] {
    const { index, priorWeight } = this.indexPath(request);
    return threeScenarios(index, priorWeight, this.errorSd(request.issuedAtMs) * this.scenarioZ, (path) => this.powerFromIndex(system, request, path));
  }

  /** Standard deviation of (measured − archived) daily index over the 60 local days before the issue day (the nearest lead published when the day was over). */
  private errorSd(issuedAtMs: number): number {
    return this.dailyPriorErrorSd(issuedAtMs, (ms, knownAtMs) => archivedIrradianceAt(this.archive, ms, knownAtMs, this.delayMs));
  }
}
