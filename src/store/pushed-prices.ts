import type { Database } from 'better-sqlite3';
import { errorMessage } from '../core/errors.ts';
import { assertPriceSeries, type PriceSeries } from '../optimizer/prices/price-series.ts';
import { StoreError } from './store-error.ts';

/**
 * The prices the integrator pushed over MQTT (`gridpilot/prices/<serial>`): the one contiguous
 * series the PushedPriceProvider holds, stored whole in a single row (migration 2 says why), so a
 * restarted controller plans with them without a new message.
 */

export interface StoredPushedPrices {
  series: PriceSeries;
  /** When it was saved, Unix ms (controller clock). */
  savedAtMs: number;
}

/** Replaces the stored series (the caller's transaction); throws on a malformed series (nothing written). */
export function replacePushedPrices(db: Database, series: PriceSeries, savedAtMs: number): void {
  if (series.pricesEurPerMwh.length === 0) throw new Error('pushed prices: an empty series is not stored');
  assertPriceSeries(series, 'pushed prices');
  db.prepare(
    `INSERT INTO pushed_prices (id, start_ms, slot_ms, prices_json, saved_at_ms) VALUES (1, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET start_ms = excluded.start_ms, slot_ms = excluded.slot_ms, prices_json = excluded.prices_json, saved_at_ms = excluded.saved_at_ms`,
  ).run(series.startMs, series.slotMs, JSON.stringify(series.pricesEurPerMwh), savedAtMs);
}

/**
 * The stored series, or null when none was saved. A row that is not a well-formed series (not
 * JSON, not an array of finite numbers, empty, start off the slot grid) throws a StoreError
 * (`corrupt`) naming the file and what to do: it is never handed to the planner.
 */
export function readPushedPrices(db: Database, file: string): StoredPushedPrices | null {
  const row = db.prepare('SELECT start_ms, slot_ms, prices_json, saved_at_ms FROM pushed_prices WHERE id = 1').get() as
    | { start_ms: unknown; slot_ms: unknown; prices_json: unknown; saved_at_ms: unknown }
    | undefined;
  if (!row) return null;
  const bad = (why: string): StoreError =>
    new StoreError(`${file}: the stored pushed prices are unreadable (${why}); they are ignored. Push the prices again (the next accepted message replaces them).`, 'corrupt');
  let prices: unknown;
  try {
    prices = JSON.parse(String(row.prices_json));
  } catch (err) {
    throw bad(`prices_json is not JSON: ${errorMessage(err)}`);
  }
  if (!Array.isArray(prices) || prices.length === 0) throw bad('prices_json is not a non-empty array');
  if (!prices.every((p): p is number => typeof p === 'number')) throw bad('prices_json holds a value that is not a number');
  if (typeof row.start_ms !== 'number' || typeof row.slot_ms !== 'number' || typeof row.saved_at_ms !== 'number') throw bad('start_ms, slot_ms or saved_at_ms is not a number');
  const series: PriceSeries = { startMs: row.start_ms, slotMs: row.slot_ms, pricesEurPerMwh: prices };
  try {
    assertPriceSeries(series, 'stored pushed prices');
  } catch (err) {
    throw bad(errorMessage(err));
  }
  return { series, savedAtMs: row.saved_at_ms };
}
