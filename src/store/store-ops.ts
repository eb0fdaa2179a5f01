import type { Database } from 'better-sqlite3';
import type { PriceSeries } from '../optimizer/prices/price-series.ts';
import { insertCommand, type CommandLogEntry, type CommandLogRow } from './command-log.ts';
import { latestConfigRevision, listConfigRevisions, saveConfigRevision, type ConfigRevision, type ConfigRevisionInfo, type ConfigSource } from './config-revisions.ts';
import { readPushedPrices, replacePushedPrices, type StoredPushedPrices } from './pushed-prices.ts';
import { lastAppliedCommandTimeMs, queryCommands, queryTelemetry, type CommandQuery, type TelemetrySeries } from './queries.ts';
import { readScheduleRows, replaceScheduleRows, type ScheduleRow } from './schedule-rows.ts';
import { pruneHistory, trimCommandLog, writeTelemetryRows, type Retention, type TelemetryRow } from './telemetry.ts';

/*
 * What the store worker does, as plain data (it crosses the worker boundary by structured clone)
 * and the functions that carry it out on a connection. Tools and benchmarks call these directly.
 */

export type WriteOp =
  | { op: 'command'; entry: CommandLogEntry }
  | { op: 'schedule'; rows: ScheduleRow[] }
  | { op: 'prices'; series: PriceSeries; savedAtMs: number }
  | { op: 'telemetry'; rows: TelemetryRow[] }
  /** Deletes the oldest command log entries beyond `maxEntries` (the log's size bound). */
  | { op: 'trim-commands'; maxEntries: number }
  | { op: 'config'; savedAtMs: number; source: ConfigSource; sourceDetail: string | null; configJson: string };

export type ReadOp =
  | { op: 'commands'; query: CommandQuery }
  | { op: 'telemetry'; query: { fromMs: number; toMs: number; resolution: '1m' | '15m' } }
  | { op: 'schedule' }
  | { op: 'prices' }
  | { op: 'config'; revision?: number }
  | { op: 'config-revisions'; limit: number }
  | { op: 'last-applied' };

export interface ReadResult {
  commands: CommandLogRow[];
  telemetry: TelemetrySeries;
  schedule: ScheduleRow[];
  prices: StoredPushedPrices | null;
  config: ConfigRevision | null;
  'last-applied': number | null;
  'config-revisions': ConfigRevisionInfo[];
}

function runWrite(db: Database, op: WriteOp): void {
  switch (op.op) {
    case 'command':
      insertCommand(db, op.entry);
      return;
    case 'schedule':
      replaceScheduleRows(db, op.rows);
      return;
    case 'prices':
      replacePushedPrices(db, op.series, op.savedAtMs);
      return;
    case 'telemetry':
      writeTelemetryRows(db, op.rows);
      return;
    case 'config':
      saveConfigRevision(db, op);
      return;
    case 'trim-commands':
      trimCommandLog(db, op.maxEntries);
      return;
  }
}

/**
 * Runs a batch of writes as one transaction (one fsync: group commit). Each write runs in its
 * own savepoint, so one failing write fails alone. Returns one error message (or null) per write.
 */
export function runWriteBatch(db: Database, ops: readonly WriteOp[]): Array<string | null> {
  return db.transaction(() =>
    ops.map((op) => {
      try {
        db.transaction(() => runWrite(db, op))();
        return null;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    }),
  )();
}

export function runRead<K extends ReadOp['op']>(db: Database, op: Extract<ReadOp, { op: K }>): ReadResult[K];
export function runRead(db: Database, op: ReadOp): ReadResult[keyof ReadResult] {
  switch (op.op) {
    case 'commands':
      return queryCommands(db, op.query);
    case 'telemetry':
      return queryTelemetry(db, op.query);
    case 'schedule':
      return readScheduleRows(db);
    case 'prices':
      return readPushedPrices(db, db.name);
    case 'config':
      return latestConfigRevision(db, op.revision);
    case 'config-revisions':
      return listConfigRevisions(db, op.limit);
    case 'last-applied':
      return lastAppliedCommandTimeMs(db);
  }
}

export { pruneHistory, type Retention };
