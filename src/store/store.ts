import { hostname } from 'node:os';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { CycleRecord } from '../control/controller.ts';
import type { CommandLogEntry, CommandLogRow } from './command-log.ts';
import type { ConfigRevision, ConfigRevisionInfo, ConfigSource } from './config-revisions.ts';
import type { PriceSeries } from '../optimizer/prices/price-series.ts';
import { DB_FILE_NAME, prepareDataDir } from './open-database.ts';
import type { StoredPushedPrices } from './pushed-prices.ts';
import { chooseResolution, seriesOfSamples, type CommandQuery, type TelemetryQuery, type TelemetrySeries } from './queries.ts';
import type { ScheduleRow } from './schedule-rows.ts';
import type { WriteOp } from './store-ops.ts';
import { GridpilotError } from '../core/errors.ts';
import { StoreError } from './store-error.ts';
import { DEFAULT_RETENTION, sampleOf, TelemetryBuffer, type Retention, type TelemetryRow, type TelemetrySample } from './telemetry.ts';
import { WorkerClient } from './worker-client.ts';
import type { Logger } from '../core/logger.ts';

export type StoreLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface StoreOptions {
  /** The data directory; created if missing. The database is `<dataDir>/gridpilot.db`. */
  dataDir: string;
  /** Clock of the controlled world: retention and pruning use its time. */
  clock: Clock;
  logger?: StoreLogger;
  /** History retention; default 1-minute rows 90 days, 15-minute rows 2 years, command log 90 days and at most 500,000 entries. */
  retention?: Partial<Retention>;
  /** Cycle samples kept in memory (the `cycle` resolution). Default 3600. */
  recentCapacity?: number;
  /** How often old history is pruned, ms of clock time. Default 6 h (and once at open). */
  pruneEveryMs?: number;
  /** Wait before restarting a dead database worker, ms (doubling up to 60 s while it fails). Default 1000. */
  restartDelayMs?: number;
  /**
   * Do not prune until {@link Store.setRetention} is called: for a caller that learns the retention
   * after opening (the site config may be stored in this database), so nothing is pruned by the
   * default first. Default false.
   */
  deferPruning?: boolean;
}

/** One committed (or failed) batch of writes, for metrics and health. */
export interface StoreWriteReport {
  /** Wall time from handing the batch to the database worker to its answer (the transaction and its fsync), ms. */
  durationMs: number;
  /** Writes in the batch (group commit: writes queued together share one transaction). */
  writes: number;
  /** Writes of the batch that failed (all of them when the worker is down). */
  failed: number;
  /** The first failure's message; null when every write was committed. */
  error: string | null;
}

/** Whether the store is writing, for `/healthz`. */
export interface StoreHealth {
  /** The database worker is running (false while it is restarted after a crash). */
  isWorkerAlive: boolean;
  /** The last batch of writes: when it ended (wall time, Unix ms) and its first error (null = committed); null before the first write. */
  lastWrite: { atMs: number; error: string | null } | null;
}

/** Writes per transaction at most (a burst larger than this takes several). */
const MAX_BATCH = 500;
/** The command log is trimmed to its entry bound after this many entries (and at every prune). */
export const COMMAND_TRIM_EVERY = 1000;

interface QueuedWrite {
  op: WriteOp;
  resolve?: () => void;
  reject?: (err: Error) => void;
}

const openDirs = new Set<string>();

/** A lock file so two controllers never share a data directory; a stale one (dead pid) is taken over. */
function acquireLock(dir: string): () => void {
  const lock = join(dir, 'gridpilot.lock');
  if (openDirs.has(dir)) throw new StoreError(`the data directory ${dir} is already in use by this process. Stop the other app first, or use another --data-dir.`, 'in-use');
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), startedAtMs: Date.now() });
  try {
    writeFileSync(lock, mine, { flag: 'wx', mode: 0o600 });
  } catch {
    let holder: { pid?: unknown; host?: unknown } = {};
    try {
      holder = JSON.parse(readFileSync(lock, 'utf8')) as typeof holder;
    } catch {
      // unreadable lock: treat as stale
    }
    if (typeof holder.pid === 'number' && holder.pid !== process.pid && holder.host === hostname() && isAlive(holder.pid)) {
      throw new StoreError(
        `the data directory ${dir} is in use by another gridpilot (pid ${holder.pid}). Stop it first, or start this one with another --data-dir.`,
        'in-use',
      );
    }
    writeFileSync(lock, mine, { mode: 0o600 });
  }
  openDirs.add(dir);
  return () => {
    openDirs.delete(dir);
    try {
      unlinkSync(lock);
    } catch {
      // already gone
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: unknown }).code === 'EPERM';
  }
}

/**
 * The controller's durable store (SQLite, in a worker thread) [design §Layout store/]:
 * the site configuration, the schedule, the command log and the telemetry history.
 *
 * - Nothing here blocks the control loop: SQLite runs in a worker; the cycle only appends a
 *   sample to memory (`recordCycle`, O(1)); minute averages are written when a minute ends.
 * - Durable writes (`logCommand`, `saveSchedule`, `savePushedPrices`, `saveConfig`) resolve once committed with
 *   `synchronous=FULL` (fsynced): the caller publishes its answer only then. Writes that arrive
 *   together share one transaction (group commit).
 * - A failing write rejects alone; a dead worker makes every later write reject at once (the
 *   controller keeps controlling and answering).
 */
export class Store {
  readonly dataDir: string;
  readonly file: string;
  private writer: WorkerClient;
  private restartTimer: NodeJS.Timeout | null = null;
  /** Last restart of the writer (wall time) and the delay before it: a worker that dies soon after a restart waits longer. */
  private lastRestart: { atMs: number; delayMs: number } | null = null;
  private reader: WorkerClient | null = null;
  private readonly telemetry: TelemetryBuffer;
  private retention: Retention;
  private isPruning = false;
  private commandsSinceTrim = 0;
  private queue: QueuedWrite[] = [];
  private isFlushScheduled = false;
  private flushing: Promise<void> | null = null;
  private cancelPrune: (() => void) | null = null;
  private isClosed = false;
  private lastTelemetryError: string | null = null;
  private pendingRecords: CycleRecord[] = [];
  private writeListeners: Array<(w: StoreWriteReport) => void> = [];
  private lastWrite: StoreHealth['lastWrite'] = null;

  private constructor(
    private readonly opts: StoreOptions,
    dir: string,
    writer: WorkerClient,
    private readonly releaseLock: () => void,
  ) {
    this.dataDir = dir;
    this.file = join(dir, DB_FILE_NAME);
    this.writer = writer;
    this.watchWriter(writer);
    this.retention = { ...DEFAULT_RETENTION, ...opts.retention };
    this.telemetry = new TelemetryBuffer({ ...(opts.recentCapacity !== undefined ? { recentCapacity: opts.recentCapacity } : {}), onMinute: (row) => this.enqueueTelemetry(row) });
  }

  /**
   * Opens (creating if needed) the store of a data directory: checks the directory is writable,
   * takes its lock, opens the database in a worker (integrity check, migrations). Rejects with a
   * StoreError naming the file and what to do (corrupt, read-only, in use, newer schema …).
   */
  static async open(opts: StoreOptions): Promise<Store> {
    const dir = prepareDataDir(opts.dataDir);
    const release = acquireLock(dir);
    const writer = new WorkerClient('store worker');
    try {
      await writer.request({ kind: 'open', file: join(dir, DB_FILE_NAME), role: 'writer' });
    } catch (err) {
      await writer.close();
      release();
      throw err;
    }
    const store = new Store(opts, dir, writer, release);
    if (!opts.deferPruning) store.startPruning();
    return store;
  }

  // ---- observing the writes ----

  /** Called after every batch of writes (committed or failed); must be cheap and not throw. Returns the function that stops it. */
  onWrite(listener: (w: StoreWriteReport) => void): () => void {
    this.writeListeners.push(listener);
    return () => {
      this.writeListeners = this.writeListeners.filter((l) => l !== listener);
    };
  }

  /** Is the store writing? The worker's state and the outcome of the last batch of writes. */
  health(): StoreHealth {
    return { isWorkerAlive: this.writer.isAlive, lastWrite: this.lastWrite ? { ...this.lastWrite } : null };
  }

  // ---- durable writes ----

  /**
   * Appends a command log entry; resolves once it is committed to disk. Every
   * {@link COMMAND_TRIM_EVERY} entries the log is also trimmed to `commandLogMaxEntries` (in the same
   * commit), so the size bound holds between the 6-hourly prunes even under a flood of commands.
   */
  logCommand(entry: CommandLogEntry): Promise<void> {
    const logged = this.enqueueDurable({ op: 'command', entry });
    this.commandsSinceTrim += 1;
    if (this.commandsSinceTrim >= COMMAND_TRIM_EVERY) {
      this.commandsSinceTrim = 0;
      this.enqueueDurable({ op: 'trim-commands', maxEntries: this.retention.commandLogMaxEntries }).catch((err: unknown) =>
        this.opts.logger?.warn({ err: errorMessage(err) }, 'store: command log not trimmed to its size bound (retried after the next entries)'),
      );
    }
    return logged;
  }

  /** Replaces the stored schedule; resolves once it is committed to disk. */
  saveSchedule(rows: ScheduleRow[]): Promise<void> {
    return this.enqueueDurable({ op: 'schedule', rows });
  }

  /**
   * Replaces the stored pushed prices (the PushedPriceProvider's whole series); resolves once it
   * is committed to disk. Rejects on a malformed or empty series (nothing is written).
   */
  savePushedPrices(series: PriceSeries): Promise<void> {
    return this.enqueueDurable({ op: 'prices', series: { startMs: series.startMs, slotMs: series.slotMs, pricesEurPerMwh: [...series.pricesEurPerMwh] }, savedAtMs: this.opts.clock.now() });
  }

  /** Records the site configuration in force as a new revision (unless unchanged). */
  saveConfig(args: { source: ConfigSource; sourceDetail: string | null; config: unknown }): Promise<void> {
    return this.enqueueDurable({ op: 'config', savedAtMs: this.opts.clock.now(), source: args.source, sourceDetail: args.sourceDetail, configJson: JSON.stringify(args.config) });
  }

  // ---- telemetry (never awaited by the control loop) ----

  /**
   * Takes a cycle's record for the history. O(1) on the cycle's path: the sample is extracted
   * right after the cycle (setImmediate), and a finished minute is queued for the database.
   */
  recordCycle(record: CycleRecord): void {
    this.pendingRecords.push(record);
    if (this.pendingRecords.length === 1) setImmediate(() => this.drainRecords());
  }

  private drainRecords(): void {
    const records = this.pendingRecords;
    this.pendingRecords = [];
    for (const r of records) this.telemetry.add(sampleOf(r));
  }

  /** Adds a sample directly (tools, tests). */
  recordSample(sample: TelemetrySample): void {
    this.telemetry.add(sample);
  }

  // ---- reads (in a separate reader worker: a long history query never delays a durable write) ----

  loadSchedule(): Promise<ScheduleRow[]> {
    return this.writer.request({ kind: 'read', read: { op: 'schedule' } }) as Promise<ScheduleRow[]>;
  }

  /**
   * The stored pushed prices, or null when none were saved. Rejects with a StoreError (`corrupt`)
   * when the stored row is not a well-formed series (the app logs it and starts without them).
   */
  async loadPushedPrices(): Promise<PriceSeries | null> {
    const stored = (await this.writer.request({ kind: 'read', read: { op: 'prices' } })) as StoredPushedPrices | null;
    return stored?.series ?? null;
  }

  latestConfig(): Promise<ConfigRevision | null> {
    return this.writer.request({ kind: 'read', read: { op: 'config' } }) as Promise<ConfigRevision | null>;
  }

  /** One stored revision (its secrets put back), or null when there is no such revision. */
  configRevision(revision: number): Promise<ConfigRevision | null> {
    return this.writer.request({ kind: 'read', read: { op: 'config', revision } }) as Promise<ConfigRevision | null>;
  }

  /** The stored revisions, newest first, without their bodies. */
  listConfigRevisions(limit = 50): Promise<ConfigRevisionInfo[]> {
    return this.writer.request({ kind: 'read', read: { op: 'config-revisions', limit } }) as Promise<ConfigRevisionInfo[]>;
  }

  /** The `time` (Unix ms) of the newest live command ever applied, from the command log; null when none. */
  async lastAppliedCommandTimeMs(): Promise<number | null> {
    return (await this.writer.request({ kind: 'read', read: { op: 'last-applied' } })) as number | null;
  }

  /** The command log, newest first. */
  async queryCommands(q: CommandQuery = {}): Promise<CommandLogRow[]> {
    return (await this.readerWorker().request({ kind: 'read', read: { op: 'commands', query: q } })) as CommandLogRow[];
  }

  /**
   * Telemetry for a range. `cycle` comes from memory (recent cycles only); `1m`/`15m` from the
   * database; `auto` (default) uses `cycle` when memory covers the range and it spans ≤ 15 min,
   * else 1m up to 2 days, else 15m.
   */
  async queryTelemetry(q: TelemetryQuery): Promise<TelemetrySeries> {
    this.drainRecords();
    let resolution = q.resolution ?? 'auto';
    if (resolution === 'auto') {
      const oldest = this.telemetry.oldestMs();
      resolution = q.toMs - q.fromMs <= 15 * 60_000 && oldest !== null && oldest <= q.fromMs ? 'cycle' : chooseResolution(q.toMs - q.fromMs);
    }
    if (resolution === 'cycle') return seriesOfSamples(this.telemetry.recent(q.fromMs, q.toMs));
    return (await this.readerWorker().request({ kind: 'read', read: { op: 'telemetry', query: { fromMs: q.fromMs, toMs: q.toMs, resolution } } })) as TelemetrySeries;
  }

  /**
   * Sets the history retention (over the defaults) and starts pruning if it waited for it
   * (`deferPruning`). Throws a GridpilotError (nothing changed) for a period that is not a whole number of days ≥ 1.
   */
  setRetention(retention: Partial<Retention>): void {
    for (const [key, value] of Object.entries(retention)) {
      if (value === undefined) continue;
      if (key === 'commandLogMaxEntries') {
        if (!(Number.isInteger(value) && value >= 1)) throw new GridpilotError(`${key} must be a whole number of entries ≥ 1, got ${String(value)}`, 'store retention');
      } else if (!(Number.isInteger(value) && value >= 1)) throw new GridpilotError(`${key} must be a whole number of days ≥ 1, got ${String(value)}`, 'store retention');
    }
    this.retention = { ...DEFAULT_RETENTION, ...retention };
    this.startPruning();
  }

  /** The retention in force. */
  currentRetention(): Retention {
    return { ...this.retention };
  }

  private startPruning(): void {
    if (this.isPruning) return;
    this.isPruning = true;
    this.schedulePrune(0);
  }

  /** Deletes history older than the retention now. */
  async prune(): Promise<Record<string, number>> {
    return (await this.writer.request({ kind: 'prune', nowMs: this.opts.clock.now(), retention: this.retention })) as Record<string, number>;
  }

  /** Resolves when every write queued so far is committed (or failed). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) {
      if (this.flushing) await this.flushing;
      else await this.flushQueue();
    }
  }

  /** Persists the unfinished minute, commits every queued write, closes the workers, releases the lock. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.drainRecords();
    this.telemetry.flushPartial();
    await this.flush();
    this.isClosed = true;
    this.cancelPrune?.();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    await this.reader?.close();
    await this.writer.close();
    this.releaseLock();
  }

  /**
   * A dead database worker (a crash in SQLite, an out-of-memory kill of the thread) is restarted:
   * after `restartDelayMs`, doubling up to a minute while it keeps failing to open or dies again
   * within a minute of its restart. Writes while it is down
   * are refused (their callers log it); nothing already committed is lost.
   */
  private watchWriter(writer: WorkerClient): void {
    writer.onDeath((err) => {
      if (this.isClosed) return;
      const base = this.opts.restartDelayMs ?? 1000;
      // Died within a minute of its restart: a crash loop, back off instead of restarting every second.
      const delayMs = this.lastRestart && Date.now() - this.lastRestart.atMs < 60_000 ? Math.min(60_000, this.lastRestart.delayMs * 2) : base;
      this.opts.logger?.error({ err: err.message, file: this.file, restartInMs: delayMs }, 'store: the database worker stopped; restarting it');
      this.scheduleRestart(delayMs);
    });
  }

  private scheduleRestart(delayMs: number): void {
    if (this.isClosed || this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      void this.restartWriter(delayMs);
    }, delayMs);
    this.restartTimer.unref();
  }

  private async restartWriter(lastDelayMs: number): Promise<void> {
    if (this.isClosed) return;
    const writer = new WorkerClient('store worker');
    try {
      await writer.request({ kind: 'open', file: this.file, role: 'writer' });
    } catch (err) {
      await writer.close();
      const next = Math.min(60_000, lastDelayMs * 2);
      this.opts.logger?.error({ err: errorMessage(err), file: this.file, retryInMs: next }, 'store: the database worker could not restart');
      this.scheduleRestart(next);
      return;
    }
    if (this.isClosed) {
      await writer.close();
      return;
    }
    this.writer = writer;
    this.lastRestart = { atMs: Date.now(), delayMs: lastDelayMs };
    this.watchWriter(writer);
    this.opts.logger?.info({ file: this.file }, 'store: the database worker restarted; writes are persisted again');
    this.scheduleFlush();
  }

  private readerWorker(): WorkerClient {
    if (this.isClosed) throw new StoreError('the store is closed', 'unavailable');
    if (!this.reader || !this.reader.isAlive) {
      const reader = new WorkerClient('store reader');
      // Requests queue behind 'open' in the worker, so no need to wait here.
      reader.request({ kind: 'open', file: this.file, role: 'reader' }).catch((err: unknown) => {
        this.opts.logger?.warn({ err: errorMessage(err) }, 'store: reader could not open the database');
      });
      this.reader = reader;
    }
    return this.reader;
  }

  private enqueueDurable(op: WriteOp): Promise<void> {
    if (this.isClosed) return Promise.reject(new StoreError('the store is closed', 'unavailable'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      this.scheduleFlush();
    });
  }

  private enqueueTelemetry(row: TelemetryRow): void {
    if (this.isClosed) return;
    this.queue.push({
      op: { op: 'telemetry', rows: [row] },
      resolve: () => {
        this.lastTelemetryError = null;
      },
      reject: (err) => {
        if (err.message !== this.lastTelemetryError) this.opts.logger?.warn({ err: err.message }, 'store: telemetry not persisted');
        this.lastTelemetryError = err.message;
      },
    });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.isFlushScheduled || this.flushing) return;
    this.isFlushScheduled = true;
    // setImmediate: writes queued in the same turn (e.g. several answers) share one commit.
    setImmediate(() => {
      this.isFlushScheduled = false;
      void this.flushQueue();
    });
  }

  private flushQueue(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.queue.length === 0) return Promise.resolve();
    const batch = this.queue.splice(0, MAX_BATCH);
    this.flushing = (async () => {
      const startedAt = performance.now();
      let failed = 0;
      let firstError: string | null = null;
      try {
        const results = (await this.writer.request({ kind: 'write', ops: batch.map((w) => w.op) })) as Array<string | null>;
        batch.forEach((w, i) => {
          const failure = results[i];
          if (failure === null || failure === undefined) w.resolve?.();
          else {
            failed++;
            firstError ??= failure;
            w.reject?.(new StoreError(`${this.file}: ${failure}`, 'io'));
          }
        });
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        failed = batch.length;
        firstError = e.message;
        for (const w of batch) w.reject?.(e);
      } finally {
        this.reportWrite({ durationMs: performance.now() - startedAt, writes: batch.length, failed, error: firstError });
        this.flushing = null;
        if (this.queue.length > 0) this.scheduleFlush();
      }
    })();
    return this.flushing;
  }

  private reportWrite(report: StoreWriteReport): void {
    this.lastWrite = { atMs: Date.now(), error: report.error };
    for (const l of this.writeListeners) {
      try {
        l(report);
      } catch {
        // an observer must not break the write path
      }
    }
  }

  private schedulePrune(delayMs: number): void {
    if (this.isClosed) return;
    this.cancelPrune = this.opts.clock.setTimer(delayMs, () => {
      this.prune()
        .then((deleted) => {
          const total = Object.values(deleted).reduce((s, n) => s + n, 0);
          if (total > 0) this.opts.logger?.info({ deleted }, 'store: pruned history past its retention');
        })
        .catch((err: unknown) => this.opts.logger?.warn({ err: errorMessage(err) }, 'store: pruning failed'))
        .finally(() => this.schedulePrune(this.opts.pruneEveryMs ?? 6 * 3_600_000));
    });
  }
}
