import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { GridpilotError } from '../../core/errors.ts';
import { localDayIndexOf, wallTimeToUtcMs } from '../../core/local-time.ts';
import { fetchJson, type JsonFetch } from './fetch-json.ts';

/**
 * Elia's PV forecasts for Belgium (open data set ods032, historical; ods087, near real time): per
 * 15-min slot the forecast published at 11:00 Brussels time on the day before (`dayahead11h`, with
 * its 10 % and 90 % quantiles) and the one published at 18:00 (`dayahead18h`), as load factors
 * (MW ÷ the PV capacity Elia monitors). Only these are kept: `mostrecent` and `weekahead` are
 * revised up to real time and an archive holds only their last revision, and `measured` is the
 * future in a backtest, so neither is ever read (https://opendata.elia.be, "Source: Elia, dataset ods032").
 */

/** One slot's day-ahead forecasts, load factors 0…1.2 (NaN = not published). */
export interface EliaSlot {
  da11: number;
  da11p10: number;
  da11p90: number;
  da18: number;
}

/** Elia publishes in Brussels time, whatever the site's time zone. */
export const ELIA_TIME_ZONE = 'Europe/Brussels';
const SLOT_MS = 900_000;
/** Minutes after local midnight of D−1 at which each day-ahead run of day D is published. */
const PUBLISHED_AT_MIN = { da11: 11 * 60, da18: 18 * 60 } as const;

/** When the `kind` forecast of the slot starting at `slotMs` is published: 11:00 or 18:00 Brussels time on the day before the slot's (Brussels) day. */
export function eliaPublishedAtMs(slotMs: number, kind: keyof typeof PUBLISHED_AT_MIN): number {
  return wallTimeToUtcMs(localDayIndexOf(slotMs, ELIA_TIME_ZONE) - 1, PUBLISHED_AT_MIN[kind], ELIA_TIME_ZONE);
}

/** The forecasts of many slots, keyed by slot start (Unix ms, on the quarter hour). */
export class EliaForecastTable {
  private readonly slots = new Map<number, EliaSlot>();

  get size(): number {
    return this.slots.size;
  }

  set(slotMs: number, slot: EliaSlot): void {
    this.slots.set(slotMs, slot);
  }

  /** Takes every slot of `other` (a later fetch replaces what an earlier one said). */
  merge(other: EliaForecastTable): void {
    for (const [ms, slot] of other.slots) this.slots.set(ms, slot);
  }

  /** Forgets the slots before `ms` (bounded memory on a live site). */
  prune(beforeMs: number): void {
    for (const ms of this.slots.keys()) if (ms < beforeMs) this.slots.delete(ms);
  }

  /** The first and last slot held, or null when empty. */
  span(): { firstMs: number; lastMs: number } | null {
    if (this.slots.size === 0) return null;
    let firstMs = Infinity;
    let lastMs = -Infinity;
    for (const ms of this.slots.keys()) {
      firstMs = Math.min(firstMs, ms);
      lastMs = Math.max(lastMs, ms);
    }
    return { firstMs, lastMs };
  }

  /**
   * The forecast of the slot containing `ms` as it stood at `issuedAtMs`: the 18:00 run once it is
   * published, else the 11:00 run once it is, else undefined (nothing published yet, or the slot is
   * missing). The quantiles are the 11:00 run's (the 18:00 run has none); NaN before it is published.
   */
  at(ms: number, issuedAtMs: number): { loadFactor: number; p10: number; p90: number; run: '11h' | '18h' } | undefined {
    const slotMs = Math.floor(ms / SLOT_MS) * SLOT_MS;
    const s = this.slots.get(slotMs);
    if (!s) return undefined;
    const has11 = issuedAtMs >= eliaPublishedAtMs(slotMs, 'da11');
    const p10 = has11 ? s.da11p10 : Number.NaN;
    const p90 = has11 ? s.da11p90 : Number.NaN;
    if (Number.isFinite(s.da18) && issuedAtMs >= eliaPublishedAtMs(slotMs, 'da18')) return { loadFactor: s.da18, p10, p90, run: '18h' };
    if (Number.isFinite(s.da11) && has11) return { loadFactor: s.da11, p10, p90, run: '11h' };
    return undefined;
  }
}

/** The header of the bundled archive (data/be-pv-forecast-elia-2024-2025.csv); its first columns must be these, in this order. */
export const ELIA_CSV_HEADER = ['datetime_utc', 'measured_mw', 'dayahead11h_mw', 'dayahead11h_p10_mw', 'dayahead11h_p90_mw', 'dayahead18h_mw', 'weekahead_mw', 'mostrecent_mw', 'monitored_capacity_mw'] as const;

/** True when `text` starts with the Elia archive's header (how `backtest --pv-forecast` tells it from an Open-Meteo archive). */
export function isEliaCsv(text: string): boolean {
  const first = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  return first.split(',').map((s) => s.trim()).slice(0, ELIA_CSV_HEADER.length).join(',') === ELIA_CSV_HEADER.join(',');
}

const COLUMN = { da11: 2, da11p10: 3, da11p90: 4, da18: 5, capacity: 8 } as const;
const MAX_LOAD_FACTOR = 1.2;

/** A forecast MW ÷ the capacity, checked; NaN for an empty cell. */
function loadFactorOf(cell: string, capacityMw: number, name: string, where: string): number {
  if (cell === '') return Number.NaN;
  const mw = Number(cell);
  if (!Number.isFinite(mw) || mw < 0) throw new GridpilotError(`${name} "${cell}" is not a power ≥ 0 in MW`, where);
  const lf = mw / capacityMw;
  if (lf > MAX_LOAD_FACTOR) throw new GridpilotError(`${name} ${cell} MW is ${(lf * 100).toFixed(0)} % of the monitored capacity (${capacityMw} MW)`, where);
  return lf;
}

/** Parses the archive CSV (header {@link ELIA_CSV_HEADER}, 15-min rows in UTC); errors name `source` and the line. */
export function parseEliaCsv(text: string, source: string): EliaForecastTable {
  if (!isEliaCsv(text)) throw new GridpilotError(`not an Elia PV forecast file: the header must start with ${ELIA_CSV_HEADER.join(',')}`, `${source}:1`);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const table = new EliaForecastTable();
  let previous: number | null = null;
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    const where = `${source}:${i + 1}`;
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < ELIA_CSV_HEADER.length) throw new GridpilotError(`has ${cells.length} columns, expected ${ELIA_CSV_HEADER.length}`, where);
    const t = cells[0] ?? '';
    const ms = Date.parse(t);
    if (!/(Z|[+-]\d\d:?\d\d)$/.test(t) || !Number.isFinite(ms)) throw new GridpilotError(`datetime_utc "${t}" is not an ISO time with its offset (e.g. 2024-01-01T00:00:00Z)`, where);
    if (ms % SLOT_MS !== 0) throw new GridpilotError(`datetime_utc "${t}" is not on a quarter hour`, where);
    if (previous !== null && ms <= previous) throw new GridpilotError(`datetime_utc "${t}" is not after the previous row`, where);
    previous = ms;
    const capacity = Number(cells[COLUMN.capacity]);
    if (!(capacity > 0) || !Number.isFinite(capacity)) throw new GridpilotError(`monitored_capacity_mw "${cells[COLUMN.capacity]}" is not a capacity > 0 in MW`, where);
    const lf = (k: Exclude<keyof typeof COLUMN, 'capacity'>): number => loadFactorOf(cells[COLUMN[k]] ?? '', capacity, ELIA_CSV_HEADER[COLUMN[k]], where);
    table.set(ms, { da11: lf('da11'), da11p10: lf('da11p10'), da11p90: lf('da11p90'), da18: lf('da18') });
  }
  if (table.size === 0) throw new GridpilotError('no data rows', source);
  return table;
}

/** The archive shipped in data/ (Elia Open Data Licence: "Source: Elia (opendata.elia.be), dataset ods032"). */
export const BUNDLED_ELIA_CSV_URL = new URL('../../../data/be-pv-forecast-elia-2024-2025.csv', import.meta.url);

/** Reads an Elia archive file ('bundled' = the one in data/). */
export function loadEliaCsv(path: string | 'bundled'): EliaForecastTable {
  const file = path === 'bundled' ? BUNDLED_ELIA_CSV_URL.pathname : path;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new GridpilotError(`cannot read the Elia PV forecast file: ${(err as Error).message}`, file);
  }
  return parseEliaCsv(text, file);
}

/** Elia's open data portal (Opendatasoft Explore API v2.1). */
export const ELIA_OPEN_DATA_URL = 'https://opendata.elia.be/api/explore/v2.1';
/** The near-real-time PV data set (today and the coming days); ods032 holds the history. */
export const ELIA_LIVE_DATASET = 'ods087';

const Mw = z.number().finite().min(0).nullable().optional();
const Record = z.object({
  datetime: z.string(),
  dayahead11hforecast: Mw,
  dayahead11hconfidence10: Mw,
  dayahead11hconfidence90: Mw,
  dayaheadforecast: Mw,
  monitoredcapacity: z.number().finite().positive(),
});

/**
 * Reads an export of the data set (JSON array of records, as `exports/json` answers). Records off
 * the quarter hour or without a capacity are refused with their index.
 */
export function parseEliaRecords(body: unknown, source: string): EliaForecastTable {
  if (!Array.isArray(body)) throw new GridpilotError('the answer is not a JSON array of records', source);
  const table = new EliaForecastTable();
  body.forEach((raw, i) => {
    const where = `${source}: record ${i}`;
    const parsed = Record.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GridpilotError(issue ? `${issue.path.join('.') || 'record'}: ${issue.message}` : 'not a record', where);
    }
    const r = parsed.data;
    const ms = Date.parse(r.datetime);
    if (!Number.isFinite(ms) || ms % SLOT_MS !== 0) throw new GridpilotError(`datetime "${r.datetime}" is not a time on a quarter hour`, where);
    const cap = r.monitoredcapacity;
    const lf = (mw: number | null | undefined, name: string): number => loadFactorOf(mw === null || mw === undefined ? '' : String(mw), cap, name, where);
    table.set(ms, {
      da11: lf(r.dayahead11hforecast, 'dayahead11hforecast'),
      da11p10: lf(r.dayahead11hconfidence10, 'dayahead11hconfidence10'),
      da11p90: lf(r.dayahead11hconfidence90, 'dayahead11hconfidence90'),
      da18: lf(r.dayaheadforecast, 'dayaheadforecast'),
    });
  });
  return table;
}

/** What {@link fetchEliaForecast} needs. */
export interface EliaFetchOptions {
  fetch: JsonFetch;
  /** Default {@link ELIA_OPEN_DATA_URL}. */
  baseUrl?: string;
  /** Default {@link ELIA_LIVE_DATASET}. */
  dataset?: string;
  /** Elia's region, e.g. "Belgium" (default), "Flanders", "Wallonia", a province. */
  region?: string;
  /** The slots wanted: [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  signal?: AbortSignal;
}

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The export URL of the day-ahead columns for a region and a span of UTC days. */
export function eliaForecastUrl(o: Pick<EliaFetchOptions, 'baseUrl' | 'dataset' | 'region' | 'fromMs' | 'toMs'>): string {
  const url = new URL(`${(o.baseUrl ?? ELIA_OPEN_DATA_URL).replace(/\/$/, '')}/catalog/datasets/${o.dataset ?? ELIA_LIVE_DATASET}/exports/json`);
  url.searchParams.set('select', 'datetime,dayahead11hforecast,dayahead11hconfidence10,dayahead11hconfidence90,dayaheadforecast,monitoredcapacity');
  url.searchParams.set('where', `datetime >= date'${isoDay(o.fromMs)}' and datetime < date'${isoDay(o.toMs + 86_399_999)}'`);
  url.searchParams.set('refine', `region:"${o.region ?? 'Belgium'}"`);
  url.searchParams.set('order_by', 'datetime');
  url.searchParams.set('timezone', 'UTC');
  return url.toString();
}

/** Fetches and checks the day-ahead forecasts of a span; errors say what went wrong (HTTP status, the portal's message, the bad record). */
export async function fetchEliaForecast(o: EliaFetchOptions): Promise<EliaForecastTable> {
  const url = eliaForecastUrl(o);
  const source = `Elia ${new URL(url).host}`;
  const body = await fetchJson(o.fetch, url, source, 'message', o.signal);
  const table = parseEliaRecords(body, source);
  if (table.size === 0) throw new GridpilotError(`no records for ${isoDay(o.fromMs)} … ${isoDay(o.toMs)}`, source);
  return table;
}
