import type { Database } from 'better-sqlite3';
import { commandRowOf, type CommandLogRow, type LoggedMessageKind, type MessageSource, type RawCommandRow } from './command-log.ts';
import { latestConfigRevision, type ConfigRevision } from './config-revisions.ts';
import { dbFileOf, openDatabase } from './open-database.ts';
import { readPushedPrices, type StoredPushedPrices } from './pushed-prices.ts';
import { readScheduleRows, type ScheduleRow } from './schedule-rows.ts';
import { TELEMETRY_COLUMNS, type TelemetryColumn } from './schema.ts';
import type { TelemetrySample } from './telemetry.ts';

/*
 * The read side of the store, for the web UI, the CLI and tools: the command log and the
 * telemetry history by time range, with a choice of resolution. These functions are synchronous
 * over a better-sqlite3 connection; inside the controller process they run in the store's reader
 * worker (Store.queryCommands / Store.queryTelemetry), never on the control loop.
 */

export interface CommandQuery {
  /** Unix ms, inclusive. Default: no lower bound. */
  fromMs?: number;
  /** Unix ms, exclusive. Default: no upper bound. */
  toMs?: number;
  /** Only this kind of message. */
  kind?: LoggedMessageKind;
  /** Only entries with response_code ≥ 10 (rejected as a whole). */
  isRejectedOnly?: boolean;
  /** Only the entry with this command id (the `commandId` of its log lines). */
  commandId?: string;
  /** Only entries that came in this way (MQTT or the web API). */
  source?: MessageSource;
  /**
   * Only entries older than this one (a page cursor: the last row of the previous page). Rows are
   * ordered by (receivedAtMs, id) descending, so entries of the same millisecond are neither skipped nor repeated.
   */
  olderThan?: { receivedAtMs: number; id: number };
  /** Most entries returned, newest first. Default 100, at most 10,000. */
  limit?: number;
}

/** Newest first. */
export function queryCommands(db: Database, q: CommandQuery = {}): CommandLogRow[] {
  const where: string[] = [];
  const args: Array<number | string> = [];
  if (q.fromMs !== undefined) {
    where.push('received_at_ms >= ?');
    args.push(q.fromMs);
  }
  if (q.toMs !== undefined) {
    where.push('received_at_ms < ?');
    args.push(q.toMs);
  }
  if (q.kind !== undefined) {
    where.push('kind = ?');
    args.push(q.kind);
  }
  if (q.isRejectedOnly) where.push('response_code >= 10');
  if (q.commandId !== undefined) {
    where.push('command_id = ?');
    args.push(q.commandId);
  }
  if (q.source === 'web') where.push("source = 'web'");
  // Rows stored before schema 6 have no source: they came over MQTT (commandRowOf reads them so).
  else if (q.source === 'mqtt') where.push("(source IS NULL OR source <> 'web')");
  if (q.olderThan !== undefined) {
    where.push('(received_at_ms < ? OR (received_at_ms = ? AND id < ?))');
    args.push(q.olderThan.receivedAtMs, q.olderThan.receivedAtMs, q.olderThan.id);
  }
  const limit = Math.max(1, Math.min(10_000, Math.floor(q.limit ?? 100)));
  const sql = `SELECT * FROM command_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY received_at_ms DESC, id DESC LIMIT ${limit}`;
  return (db.prepare(sql).all(...args) as RawCommandRow[]).map(commandRowOf);
}

/**
 * The `time` (Unix ms) of the newest live command ever applied, or null: the ordering rule's "last
 * applied" [docs/protocol.md § Rules], restored at start so that a delayed or replayed command
 * cannot override a newer one across a restart either.
 */
export function lastAppliedCommandTimeMs(db: Database): number | null {
  const row = db.prepare('SELECT MAX(applied_time_ms) AS t FROM command_log').get() as { t: number | null };
  return row.t ?? null;
}

/** `cycle`: every control cycle (in memory, recent only) · `1m` / `15m`: stored averages. */
export type TelemetryResolution = 'cycle' | '1m' | '15m';

export interface TelemetryQuery {
  /** Unix ms, inclusive. */
  fromMs: number;
  /** Unix ms, exclusive. */
  toMs: number;
  /** Default `auto`: see chooseResolution. */
  resolution?: TelemetryResolution | 'auto';
}

/**
 * Columnar series (one array per metric, same length as `atMs`), the shape chart libraries take
 * and cheap to send as JSON. Values are W (wire signs) except `soc_pct` (%); averages over each
 * bucket except `grid_min_w` / `grid_max_w`. For `cycle`, `samples` is all ones and min = max.
 */
export interface TelemetrySeries {
  resolution: TelemetryResolution;
  /** Bucket starts (or cycle times), Unix ms, ascending. */
  atMs: number[];
  /** Control cycles averaged into each point. */
  samples: number[];
  values: Record<TelemetryColumn, Array<number | null>>;
}

/** Finest stored resolution that keeps a range under ~3,000 points: ≤ 2 days → 1m, else 15m. */
export function chooseResolution(spanMs: number): '1m' | '15m' {
  return spanMs <= 2 * 86_400_000 ? '1m' : '15m';
}

function emptySeries(resolution: TelemetryResolution): TelemetrySeries {
  const values = {} as Record<TelemetryColumn, Array<number | null>>;
  for (const c of TELEMETRY_COLUMNS) values[c] = [];
  return { resolution, atMs: [], samples: [], values };
}

/** Stored history (`1m` or `15m`) for a range. */
export function queryTelemetry(db: Database, q: { fromMs: number; toMs: number; resolution: '1m' | '15m' }): TelemetrySeries {
  const table = q.resolution === '1m' ? 'telemetry_1m' : 'telemetry_15m';
  const rows = db
    .prepare(`SELECT bucket_ms, samples, ${TELEMETRY_COLUMNS.join(', ')} FROM ${table} WHERE bucket_ms >= ? AND bucket_ms < ? ORDER BY bucket_ms`)
    .raw(true)
    .all(q.fromMs, q.toMs) as Array<Array<number | null>>;
  const out = emptySeries(q.resolution);
  const cols = TELEMETRY_COLUMNS.map((c) => out.values[c]);
  for (const r of rows) {
    out.atMs.push(r[0] as number);
    out.samples.push(r[1] as number);
    for (let i = 0; i < cols.length; i++) cols[i]?.push(r[i + 2] ?? null);
  }
  return out;
}

/** Cycle samples as a series (the in-memory live view). */
export function seriesOfSamples(samples: readonly TelemetrySample[]): TelemetrySeries {
  const out = emptySeries('cycle');
  for (const s of samples) {
    out.atMs.push(s.atMs);
    out.samples.push(1);
    const v = out.values;
    v.grid_w.push(s.gridW);
    v.grid_min_w.push(s.gridW);
    v.grid_max_w.push(s.gridW);
    v.solar_w.push(s.solarW);
    v.solar_available_w.push(s.solarAvailableW);
    v.storage_w.push(s.storageW);
    v.soc_pct.push(s.socPct);
    v.ev_w.push(s.evW);
    v.heat_pump_w.push(s.heatPumpW);
    v.switched_load_w.push(s.switchedLoadW);
    v.base_load_w.push(s.baseLoadW);
    v.export_limit_w.push(s.exportLimitW);
    v.import_limit_w.push(s.importLimitW);
  }
  return out;
}

/**
 * Read-only access to a data directory's store from another process (the CLI, scripts): safe
 * while the controller runs (WAL). Throws a StoreError that says what to do when there is no
 * store or it cannot be read.
 */
export class HistoryReader {
  readonly file: string;
  private readonly db: Database;

  constructor(dataDir: string) {
    this.file = dbFileOf(dataDir);
    this.db = openDatabase(this.file, { readonly: true });
  }

  commands(q: CommandQuery = {}): CommandLogRow[] {
    return queryCommands(this.db, q);
  }

  /** Stored history; `auto` picks 1m or 15m by span (`cycle` is only in the running controller). */
  telemetry(q: TelemetryQuery): TelemetrySeries {
    const resolution = q.resolution === undefined || q.resolution === 'auto' || q.resolution === 'cycle' ? chooseResolution(q.toMs - q.fromMs) : q.resolution;
    return queryTelemetry(this.db, { fromMs: q.fromMs, toMs: q.toMs, resolution });
  }

  schedule(): ScheduleRow[] {
    return readScheduleRows(this.db);
  }

  config(): ConfigRevision | null {
    return latestConfigRevision(this.db);
  }

  /** The stored pushed prices and when they were saved; null when none; a StoreError when unreadable. */
  pushedPrices(): StoredPushedPrices | null {
    return readPushedPrices(this.db, this.file);
  }

  close(): void {
    this.db.close();
  }
}
