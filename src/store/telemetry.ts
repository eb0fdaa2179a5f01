import type { Database } from 'better-sqlite3';
import type { CycleRecord } from '../control/controller.ts';
import { TELEMETRY_COLUMNS, type TelemetryColumn } from './schema.ts';

/**
 * Telemetry history: one sample per control cycle, kept in memory for the live view, averaged
 * into 1-minute rows that are persisted (batched, off the control loop); 15-minute rows are
 * rolled up from the 1-minute rows in the database. Retention: 1-minute rows 90 days,
 * 15-minute rows 2 years (see Retention).
 *
 * Signs are the wire's: grid + import, storage + charge, solar + production, loads + consumption.
 */

/** One control cycle's measurements, W unless named otherwise. */
export interface TelemetrySample {
  /** Unix ms of the cycle. */
  atMs: number;
  gridW: number;
  solarW: number;
  /** What the PV could give uncurtailed (the inverters' available power). */
  solarAvailableW: number;
  storageW: number;
  /** Capacity-weighted mean state of charge, %; null without batteries. */
  socPct: number | null;
  evW: number;
  heatPumpW: number;
  switchedLoadW: number;
  /** Uncontrolled household consumption estimated from the meter. */
  baseLoadW: number;
  exportLimitW: number;
  importLimitW: number;
}

/** An averaged bucket: `bucketMs` is its start; columns are averages except grid min/max. */
export type TelemetryRow = { bucketMs: number; samples: number } & Record<TelemetryColumn, number | null>;

export const MINUTE_MS = 60_000;
export const QUARTER_MS = 15 * MINUTE_MS;

/** The telemetry sample of a cycle record. Pure; plain loops (it runs once per cycle). */
export function sampleOf(r: CycleRecord): TelemetrySample {
  const s = r.snapshot;
  let storageW = 0;
  let capacityWh = 0;
  let socWh = 0;
  for (const b of s.storage.values()) {
    storageW += b.powerW;
    capacityWh += b.capacityWh;
    socWh += b.socPct * b.capacityWh;
  }
  let solarW = 0;
  let solarAvailableW = 0;
  for (const x of s.solar.values()) {
    solarW += x.powerW;
    solarAvailableW += x.availablePowerW;
  }
  let evW = 0;
  for (const x of s.evChargers.values()) evW += x.powerW;
  let heatPumpW = 0;
  for (const x of s.heatPumps.values()) heatPumpW += x.powerW;
  let switchedLoadW = 0;
  for (const x of s.switchedLoads.values()) switchedLoadW += x.powerW;
  return {
    atMs: r.atMs,
    gridW: s.gridPowerW,
    solarW,
    solarAvailableW,
    storageW,
    socPct: capacityWh > 0 ? socWh / capacityWh : null,
    evW,
    heatPumpW,
    switchedLoadW,
    baseLoadW: r.plan.baseLoadW,
    exportLimitW: r.plan.exportLimitW,
    importLimitW: r.plan.importLimitW,
  };
}

/** Sample field behind each averaged column. */
const AVERAGED: ReadonlyArray<[TelemetryColumn, keyof TelemetrySample]> = [
  ['grid_w', 'gridW'],
  ['solar_w', 'solarW'],
  ['solar_available_w', 'solarAvailableW'],
  ['storage_w', 'storageW'],
  ['soc_pct', 'socPct'],
  ['ev_w', 'evW'],
  ['heat_pump_w', 'heatPumpW'],
  ['switched_load_w', 'switchedLoadW'],
  ['base_load_w', 'baseLoadW'],
  ['export_limit_w', 'exportLimitW'],
  ['import_limit_w', 'importLimitW'],
];

class MinuteAccumulator {
  samples = 0;
  private readonly sums = new Map<TelemetryColumn, { total: number; n: number }>();
  private gridMin = Infinity;
  private gridMax = -Infinity;

  constructor(readonly bucketMs: number) {}

  add(s: TelemetrySample): void {
    this.samples += 1;
    for (const [col, key] of AVERAGED) {
      const v = s[key];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const acc = this.sums.get(col) ?? { total: 0, n: 0 };
      acc.total += v;
      acc.n += 1;
      this.sums.set(col, acc);
    }
    if (Number.isFinite(s.gridW)) {
      this.gridMin = Math.min(this.gridMin, s.gridW);
      this.gridMax = Math.max(this.gridMax, s.gridW);
    }
  }

  row(): TelemetryRow {
    const row = { bucketMs: this.bucketMs, samples: this.samples } as TelemetryRow;
    for (const col of TELEMETRY_COLUMNS) row[col] = null;
    for (const [col, acc] of this.sums) row[col] = acc.n > 0 ? acc.total / acc.n : null;
    row.grid_min_w = Number.isFinite(this.gridMin) ? this.gridMin : null;
    row.grid_max_w = Number.isFinite(this.gridMax) ? this.gridMax : null;
    return row;
  }
}

export interface TelemetryBufferOptions {
  /** Cycle samples kept in memory for the live view. Default 3600 (an hour at the 1 s cycle). */
  recentCapacity?: number;
  /** Called with each finished 1-minute row (and the partial one at `flushPartial`). */
  onMinute(row: TelemetryRow): void;
}

/**
 * Keeps recent cycle samples in a ring and averages them per minute. A minute is finished when a
 * sample of a later minute arrives. O(1) per cycle; never touches the disk.
 */
export class TelemetryBuffer {
  private readonly ring: TelemetrySample[] = [];
  private head = 0;
  private current: MinuteAccumulator | null = null;
  private readonly capacity: number;

  constructor(private readonly opts: TelemetryBufferOptions) {
    this.capacity = Math.max(1, opts.recentCapacity ?? 3600);
  }

  add(s: TelemetrySample): void {
    if (this.ring.length < this.capacity) this.ring.push(s);
    else {
      this.ring[this.head] = s;
      this.head = (this.head + 1) % this.capacity;
    }
    const bucket = Math.floor(s.atMs / MINUTE_MS) * MINUTE_MS;
    if (this.current && bucket !== this.current.bucketMs) {
      // A clock that goes back (never in production) would start the minute again: upserts merge it.
      this.opts.onMinute(this.current.row());
      this.current = null;
    }
    this.current ??= new MinuteAccumulator(bucket);
    this.current.add(s);
  }

  /** Emits the unfinished minute (at stop); the database merges it with the rest of that minute later. */
  flushPartial(): void {
    if (this.current && this.current.samples > 0) this.opts.onMinute(this.current.row());
    this.current = null;
  }

  /** Samples with `fromMs ≤ atMs < toMs`, oldest first. */
  recent(fromMs = -Infinity, toMs = Infinity): TelemetrySample[] {
    const ordered = this.ring.length < this.capacity ? this.ring : [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
    return ordered.filter((s) => s.atMs >= fromMs && s.atMs < toMs);
  }

  /** Oldest sample time held in memory, or null. */
  oldestMs(): number | null {
    if (this.ring.length === 0) return null;
    return (this.ring.length < this.capacity ? this.ring[0] : this.ring[this.head])?.atMs ?? null;
  }
}

// ---- SQL (runs in the store worker, or synchronously in tools and benchmarks) ----

const colList = TELEMETRY_COLUMNS.join(', ');
const weighted = (c: string): string =>
  `CASE WHEN ${c} IS NULL THEN excluded.${c} WHEN excluded.${c} IS NULL THEN ${c} ELSE (${c} * samples + excluded.${c} * excluded.samples) / (samples + excluded.samples) END`;
const UPSERT_1M = `
  INSERT INTO telemetry_1m (bucket_ms, samples, ${colList}) VALUES (?, ?, ${TELEMETRY_COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (bucket_ms) DO UPDATE SET
    ${TELEMETRY_COLUMNS.filter((c) => c !== 'grid_min_w' && c !== 'grid_max_w')
      .map((c) => `${c} = ${weighted(c)}`)
      .join(',\n    ')},
    grid_min_w = min(coalesce(grid_min_w, excluded.grid_min_w), coalesce(excluded.grid_min_w, grid_min_w)),
    grid_max_w = max(coalesce(grid_max_w, excluded.grid_max_w), coalesce(excluded.grid_max_w, grid_max_w)),
    samples = samples + excluded.samples`;

const rollupSelect = (from: string): string =>
  TELEMETRY_COLUMNS.map((c) => {
    if (c === 'grid_min_w') return `MIN(${c})`;
    if (c === 'grid_max_w') return `MAX(${c})`;
    return `SUM(${c} * samples) / SUM(CASE WHEN ${c} IS NULL THEN 0 ELSE samples END)`;
  }).join(', ') + ` FROM ${from}`;
const ROLLUP_15M = `
  INSERT OR REPLACE INTO telemetry_15m (bucket_ms, samples, ${colList})
  SELECT ?, SUM(samples), ${rollupSelect('telemetry_1m')} WHERE bucket_ms >= ? AND bucket_ms < ? HAVING SUM(samples) > 0`;

/** Upserts 1-minute rows (merging with a partial minute already stored) and refreshes their 15-minute rows. */
export function writeTelemetryRows(db: Database, rows: readonly TelemetryRow[]): void {
  const upsert = db.prepare(UPSERT_1M);
  const rollup = db.prepare(ROLLUP_15M);
  const quarters = new Set<number>();
  for (const r of rows) {
    upsert.run(r.bucketMs, r.samples, ...TELEMETRY_COLUMNS.map((c) => r[c]));
    quarters.add(Math.floor(r.bucketMs / QUARTER_MS) * QUARTER_MS);
  }
  for (const q of quarters) rollup.run(q, q, q + QUARTER_MS);
}

/** How long history is kept. */
export interface Retention {
  /** 1-minute averages, days. Default 90. */
  minuteDays: number;
  /** 15-minute averages, days. Default 730 (2 years). */
  quarterDays: number;
  /** Command log entries, days. Default 90 (as the 1-minute history; ~150 MB with a keep-alive every 20 s). */
  commandLogDays: number;
  /**
   * Command log entries kept at most, whatever their age: the oldest go first. Default 500,000
   * (measured ~1 KiB per entry: ~0.5 GB; 8 KiB at most per entry, a rejected 64 KiB command: ~4 GB).
   * Above a keep-alive every 20 s for 90 days (389,000), so only a sustained higher rate meets it
   * (docs/protocol.md § Command log).
   */
  commandLogMaxEntries: number;
}

export const DEFAULT_RETENTION: Retention = { minuteDays: 90, quarterDays: 730, commandLogDays: 90, commandLogMaxEntries: 500_000 };
const DAY_MS = 86_400_000;

/**
 * Deletes what is older than the retention, in chunks (so no single transaction holds the
 * database long). Returns the rows deleted per table.
 */
export function pruneHistory(db: Database, nowMs: number, retention: Retention, chunk = 5000): Record<string, number> {
  const plan: Array<[string, string, number]> = [
    ['telemetry_1m', 'bucket_ms', nowMs - retention.minuteDays * DAY_MS],
    ['telemetry_15m', 'bucket_ms', nowMs - retention.quarterDays * DAY_MS],
    ['command_log', 'id', nowMs - retention.commandLogDays * DAY_MS],
  ];
  const deleted: Record<string, number> = {};
  for (const [table, key, beforeMs] of plan) {
    const timeCol = table === 'command_log' ? 'received_at_ms' : 'bucket_ms';
    const stmt = db.prepare(`DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${timeCol} < ? LIMIT ?)`);
    let total = 0;
    for (;;) {
      const n = db.transaction(() => stmt.run(beforeMs, chunk).changes)();
      total += n;
      if (n < chunk) break;
    }
    deleted[table] = total;
  }
  deleted['command_log'] = (deleted['command_log'] ?? 0) + trimCommandLog(db, retention.commandLogMaxEntries, chunk);
  return deleted;
}

/**
 * Deletes the oldest command log entries beyond `maxEntries`, in chunks; returns how many. Ids only
 * grow and only the oldest are ever deleted, so the entries kept are the ids within `maxEntries`
 * of the newest: two index look-ups, no count over the table.
 */
export function trimCommandLog(db: Database, maxEntries: number, chunk = 5000): number {
  const newest = (db.prepare('SELECT MAX(id) AS id FROM command_log').get() as { id: number | null }).id;
  if (newest === null) return 0;
  const keepFrom = newest - maxEntries + 1;
  const stmt = db.prepare('DELETE FROM command_log WHERE id IN (SELECT id FROM command_log WHERE id < ? ORDER BY id LIMIT ?)');
  let total = 0;
  for (;;) {
    const n = db.transaction(() => stmt.run(keepFrom, chunk).changes)();
    total += n;
    if (n < chunk) break;
  }
  return total;
}
