import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GridpilotError } from '../../core/errors.ts';
import { validatePriceMessage } from './price-message.ts';
import type { PriceSeries } from './price-series.ts';

/**
 * Day-ahead prices from a file in the bundled format (data/be-day-ahead-prices-2024-2025.csv):
 *
 *     datetime_utc,date,hour,minute,price_eur_mwh
 *     2024-01-01 00:00:00,2024-01-01,0,0,65.12
 *
 * `datetime_utc` (UTC, `YYYY-MM-DD HH:MM[:SS]`, optional `T`/`Z`) and `price_eur_mwh` (EUR/MWh) are
 * required; `date`, `hour`, `minute`, when present, must agree with `datetime_utc`. Rows ascend on a
 * constant step (the first two rows set it: 15 or 60 min, any divisor of a day works) without
 * repeats. A gap of up to `maxGapMs` (default 3 h: the bundled file misses two hours on three DST
 * days) is filled by holding the last price before it, as ENTSO-E's A03 curves do, and listed in
 * `filledGaps`; a longer gap is an error. Parsing is all or nothing: the first bad row throws a
 * GridpilotError naming `file:line` and what is wrong, and nothing is returned.
 *
 * JSON files hold either an array of the same rows as objects
 * (`[{ "datetime_utc": "2024-01-01 00:00:00", "price_eur_mwh": 65.12 }, …]`, errors name
 * `file:[index]`) or one price message as pushed over MQTT (see price-message.ts).
 */

/** The bundled Belgian day-ahead prices, 2024-01-01 … 2025-10-21 (UTC), EUR/MWh. */
export const BUNDLED_PRICES_CSV_URL = new URL('../../../data/be-day-ahead-prices-2024-2025.csv', import.meta.url);

/** A parsed price file: the series plus the gaps that were filled. */
export type PriceFileSeries = PriceSeries & { filledGaps: Array<{ fromMs: number; untilMs: number; where: string }> };

/** Parsing options. */
export interface PriceFileOptions {
  /** Longest gap filled by holding the previous price, ms ≥ 0. Default 3 h. */
  maxGapMs?: number;
}

/** Parsed rows, column-wise (a two-year 15-minute file has 63,000 rows: no object per row). */
interface Rows {
  ms: Float64Array;
  price: Float64Array;
  count: number;
  /** Where row i is, for errors (built only when one is thrown). */
  where(i: number): string;
}

function makeRows(capacity: number, where: (i: number) => string): Rows & { push(ms: number, price: number): void } {
  const rows = { ms: new Float64Array(capacity), price: new Float64Array(capacity), count: 0, where };
  return Object.assign(rows, {
    push(ms: number, price: number): void {
      rows.ms[rows.count] = ms;
      rows.price[rows.count] = price;
      rows.count += 1;
    },
  });
}

/** Parses price CSV text in the bundled format; `source` names the file in errors. */
export function parsePriceCsv(text: string, source: string, options: PriceFileOptions = {}): PriceFileSeries {
  // One pass over the text without splitting it (a two-year 15-minute file has 63,000 lines): the
  // controller's heap stays small. Cells are read in place; strings are made only for errors.
  const headerEnd = lineEnd(text, 0);
  const headerLine = text.slice(0, headerEnd).replace(/\r$/, '');
  const header = headerLine.replace(/^\uFEFF/, '').trim().split(',').map((h) => h.trim());
  const col = (name: string): number => header.indexOf(name);
  const timeCol = col('datetime_utc');
  const priceCol = col('price_eur_mwh');
  if (timeCol < 0 || priceCol < 0) {
    throw new GridpilotError(`header must name the columns datetime_utc and price_eur_mwh, got "${headerLine}"`, `${source}:1`);
  }
  const [dateCol, hourCol, minuteCol] = [col('date'), col('hour'), col('minute')];
  const lineOf: number[] = [];
  const rows = makeRows(Math.ceil(text.length / 16), (k) => `${source}:${lineOf[k] ?? 0}`);
  const cells: string[] = new Array<string>(header.length);
  let line = 1;
  for (let start = headerEnd + 1; start < text.length; start = lineEnd(text, start) + 1) {
    line += 1;
    const end = lineEnd(text, start);
    const raw = text.slice(start, end).trim();
    if (raw === '') continue;
    const where = (): string => `${source}:${line}`;
    let n = 0;
    for (let c = 0; n < header.length && c <= raw.length; n++) {
      const comma = raw.indexOf(',', c);
      const stop = comma < 0 ? raw.length : comma;
      cells[n] = raw.slice(c, stop).trim();
      c = stop + 1;
      if (comma < 0) {
        n++;
        break;
      }
    }
    if (n !== header.length || countCommas(raw) !== header.length - 1) throw new GridpilotError(`expected ${header.length} cells, got ${countCommas(raw) + 1}`, where());
    const stamp = cells[timeCol] ?? '';
    const ms = parseUtcMs(stamp);
    if (Number.isNaN(ms)) throw new GridpilotError(`datetime_utc is not a UTC date-time: "${stamp}"`, where());
    if (dateCol >= 0 && cells[dateCol] !== stamp.slice(0, 10)) throw new GridpilotError(`date "${cells[dateCol] ?? ''}" does not match datetime_utc "${stamp}"`, where());
    if (hourCol >= 0 && Number(cells[hourCol]) !== Math.floor((ms % 86_400_000) / 3_600_000)) {
      throw new GridpilotError(`hour "${cells[hourCol] ?? ''}" does not match datetime_utc "${stamp}"`, where());
    }
    if (minuteCol >= 0 && Number(cells[minuteCol]) !== Math.floor((ms % 3_600_000) / 60_000)) {
      throw new GridpilotError(`minute "${cells[minuteCol] ?? ''}" does not match datetime_utc "${stamp}"`, where());
    }
    lineOf[rows.count] = line;
    rows.push(ms, parsePrice(cells[priceCol], where));
  }
  return rowsToSeries(rows, source, options);
}

/** Index of the end of the line starting at `start` (its \n, or the text's end). */
function lineEnd(text: string, start: number): number {
  const i = text.indexOf('\n', start);
  return i < 0 ? text.length : i;
}

function countCommas(s: string): number {
  let n = 0;
  for (let i = s.indexOf(','); i >= 0; i = s.indexOf(',', i + 1)) n++;
  return n;
}

/** Parses a JSON price file (array of rows, or one MQTT price message); `source` names the file in errors. */
export function parsePriceJson(text: string, source: string, options: PriceFileOptions = {}): PriceFileSeries {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new GridpilotError(`not valid JSON: ${(err as Error).message}`, source);
  }
  if (!Array.isArray(raw)) {
    const checked = validatePriceMessage(raw);
    if (!checked.ok) throw new GridpilotError(`not a price message:\n  ${checked.errors.join('\n  ')}`, source);
    return { ...checked.series, filledGaps: [] };
  }
  const rows = makeRows(raw.length, (i) => `${source}:[${i}]`);
  raw.forEach((item: unknown, i) => {
    const where = rows.where(i);
    if (typeof item !== 'object' || item === null) throw new GridpilotError('expected an object { datetime_utc, price_eur_mwh }', where);
    const { datetime_utc: stamp, price_eur_mwh: price } = item as Record<string, unknown>;
    const ms = typeof stamp === 'string' ? parseUtcMs(stamp) : NaN;
    if (Number.isNaN(ms)) throw new GridpilotError(`datetime_utc is not a UTC date-time string: ${JSON.stringify(stamp)}`, where);
    if (typeof price !== 'number' || !Number.isFinite(price)) throw new GridpilotError(`price_eur_mwh is not a finite number: ${JSON.stringify(price)}`, where);
    rows.push(ms, price);
  });
  return rowsToSeries(rows, source, options);
}

/** Reads a price file (CSV, or JSON when the name ends in .json). Throws a GridpilotError on any problem. */
export function loadPriceFile(path: string | URL, options: PriceFileOptions = {}): PriceFileSeries {
  const name = typeof path === 'string' ? path : fileURLToPath(path);
  let text: string;
  try {
    text = readFileSync(name, 'utf8');
  } catch (err) {
    throw new GridpilotError(`cannot read price file: ${(err as Error).message}`, name);
  }
  return name.toLowerCase().endsWith('.json') ? parsePriceJson(text, name, options) : parsePriceCsv(text, name, options);
}

let bundled: PriceFileSeries | null = null;

/** The bundled Belgian prices (read once, then cached). */
export function loadBundledPrices(): PriceFileSeries {
  bundled ??= loadPriceFile(BUNDLED_PRICES_CSV_URL);
  return bundled;
}

function rowsToSeries(rows: Rows, source: string, options: PriceFileOptions): PriceFileSeries {
  if (rows.count === 0) throw new GridpilotError('no price rows', source);
  const firstMs = rows.ms[0] ?? 0;
  const slotMs = rows.count > 1 ? (rows.ms[1] ?? 0) - firstMs : 3_600_000;
  if (!(slotMs > 0)) throw new GridpilotError('rows must ascend in time', rows.where(1));
  if (86_400_000 % slotMs !== 0) throw new GridpilotError(`step of ${slotMs / 60_000} min does not divide a day`, rows.where(1));
  if (firstMs % slotMs !== 0) throw new GridpilotError(`first slot does not start on a ${slotMs / 60_000}-minute boundary`, rows.where(0));
  const maxGapMs = options.maxGapMs ?? 3 * 3_600_000;
  const prices: number[] = [];
  const filledGaps: PriceFileSeries['filledGaps'] = [];
  let expected = firstMs;
  for (let i = 0; i < rows.count; i++) {
    const ms = rows.ms[i] ?? 0;
    const price = rows.price[i] ?? 0;
    if (ms < expected) throw new GridpilotError(`row repeats or goes back in time (expected ${new Date(expected).toISOString()} or later)`, rows.where(i));
    if ((ms - firstMs) % slotMs !== 0) throw new GridpilotError(`row is off the ${slotMs / 60_000}-minute grid`, rows.where(i));
    if (ms > expected) {
      if (ms - expected > maxGapMs) {
        throw new GridpilotError(`row leaves a gap of ${(ms - expected) / 60_000} min after ${new Date(expected - slotMs).toISOString()} (at most ${maxGapMs / 60_000} min is filled)`, rows.where(i));
      }
      const held = prices[prices.length - 1] ?? price;
      filledGaps.push({ fromMs: expected, untilMs: ms, where: rows.where(i) });
      for (; expected < ms; expected += slotMs) prices.push(held);
    }
    prices.push(price);
    expected += slotMs;
  }
  return { startMs: firstMs, slotMs, pricesEurPerMwh: prices, filledGaps };
}

function parsePrice(cell: string | undefined, where: () => string): number {
  const text = cell ?? '';
  const value = text === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new GridpilotError(`price_eur_mwh is not a number: "${text}"`, where());
  return value;
}

/** `YYYY-MM-DD HH:MM[:SS]` with optional `T` and `Z`/`+00:00`; anything else (or another offset) is NaN. */
function parseUtcMs(text: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)(?::(\d\d))?(?:Z|\+00:?00)?$/.exec(text.trim());
  if (!m) return NaN;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // Reject 2024-02-30 and 25:00 rather than rolling them over.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h || back.getUTCMinutes() !== mi) return NaN;
  return ms;
}
