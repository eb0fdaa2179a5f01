import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import DatabaseConstructor from 'better-sqlite3';
import { FakeClock } from '../../src/core/clock.ts';
import { HistoryReader } from '../../src/store/queries.ts';
import { StoreError } from '../../src/store/store-error.ts';
import { Store } from '../../src/store/store.ts';
import { commandLogEntries } from '../helpers/command-log-entry.ts';
import { tempDirMaker } from '../helpers/temp-dirs.ts';
import { until } from '../helpers/schedule-peer.ts';
import type { Worker } from 'node:worker_threads';
import type { TelemetrySample } from '../../src/store/telemetry.ts';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const tempDir = tempDirMaker('gp-store-');

const entry = commandLogEntries(T0);

function sample(atMs: number, gridW: number, socPct: number | null = 50): TelemetrySample {
  return { atMs, gridW, solarW: 1000, solarAvailableW: 1200, storageW: -500, socPct, evW: 0, heatPumpW: 0, switchedLoadW: 0, baseLoadW: 400, exportLimitW: 10_000, importLimitW: 17_000 };
}

describe('the store', () => {
  it('creates the data directory and the schema, recording the migration', async () => {
    const dir = join(tempDir(), 'nested', 'data');
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    await store.close();
    const db = new DatabaseConstructor(join(dir, 'gridpilot.db'), { readonly: true });
    assert.deepEqual(db.prepare('SELECT version FROM schema_migrations ORDER BY version').all(), [{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }, { version: 6 }]);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
    // Opening again applies nothing new.
    const again = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    await again.close();
  });

  it('logs commands durably and answers range queries newest first, also to another reader while open', async () => {
    const dir = tempDir();
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    await Promise.all([0, 1, 2, 3, 4].map((i) => store.logCommand(entry(i, i === 3 ? { kind: 'schedule', responseCode: 13, errors: [{ field: 'x', message: 'bad' }] } : {}))));
    const all = await store.queryCommands();
    assert.deepEqual(
      all.map((r) => r.requestTime),
      [4, 3, 2, 1, 0].map((i) => T0 / 1000 + i),
    );
    assert.deepEqual(all[1]?.errors, [{ field: 'x', message: 'bad' }]);
    assert.equal(all[0]?.executed?.components.storage?.executedW, 4000);
    assert.equal((await store.queryCommands({ fromMs: T0 + 1000, toMs: T0 + 3000 })).length, 2);
    assert.equal((await store.queryCommands({ kind: 'schedule' })).length, 1);
    assert.equal((await store.queryCommands({ isRejectedOnly: true }))[0]?.responseCode, 13);
    assert.equal((await store.queryCommands({ limit: 2 })).length, 2);
    const reader = new HistoryReader(dir);
    assert.equal(reader.commands().length, 5);
    reader.close();
    await store.close();
  });

  it('stores the schedule whole and reads it back', async () => {
    const dir = tempDir();
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    await store.saveSchedule([{ startMs: T0, endMs: T0 + 900_000, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: 3000 } }]);
    await store.saveSchedule([{ startMs: T0 + 900_000, endMs: T0 + 1_800_000, fields: { solar_policy: 'off' } }]);
    assert.deepEqual(await store.loadSchedule(), [{ startMs: T0 + 900_000, endMs: T0 + 1_800_000, fields: { solar_policy: 'off' } }]);
    await store.close();
    const reader = new HistoryReader(dir);
    assert.equal(reader.schedule().length, 1);
    reader.close();
  });

  it('averages cycles into 1-minute rows, rolls them up into 15-minute rows, and merges a minute split by a restart', async () => {
    const dir = tempDir();
    const clock = new FakeClock(T0);
    let store = await Store.open({ dataDir: dir, clock });
    // 20 minutes at one sample per 10 s; grid alternates 0 / 1000 W → mean 500, min 0, max 1000.
    for (let t = 0; t < 20 * 60_000; t += 10_000) store.recordSample(sample(T0 + t, (t / 10_000) % 2 === 0 ? 0 : 1000));
    await store.close(); // flushes the unfinished 20th minute
    store = await Store.open({ dataDir: dir, clock });
    // The same (last) minute continues after the restart: 3 more samples at 2000 W.
    for (const t of [19 * 60_000 + 1000, 19 * 60_000 + 2000, 19 * 60_000 + 3000]) store.recordSample(sample(T0 + t, 2000));
    store.recordSample(sample(T0 + 20 * 60_000, 0)); // finishes minute 19
    await store.flush();
    const m = await store.queryTelemetry({ fromMs: T0, toMs: T0 + 20 * 60_000, resolution: '1m' });
    assert.equal(m.atMs.length, 20);
    assert.equal(m.values.grid_w[0], 500);
    assert.equal(m.values.grid_min_w[0], 0);
    assert.equal(m.values.grid_max_w[0], 1000);
    assert.equal(m.samples[19], 9);
    assert.equal(m.values.grid_w[19], (3 * 0 + 3 * 1000 + 3 * 2000) / 9);
    assert.equal(m.values.grid_max_w[19], 2000);
    const q = await store.queryTelemetry({ fromMs: T0, toMs: T0 + 30 * 60_000, resolution: '15m' });
    assert.deepEqual(q.atMs, [T0, T0 + 15 * 60_000]);
    assert.deepEqual(q.samples, [90, 5 * 6 + 3]);
    assert.equal(q.values.grid_w[0], 500);
    assert.equal(q.values.soc_pct[0], 50);
    // Recent cycles come from memory at full resolution.
    const recent = await store.queryTelemetry({ fromMs: T0 + 19 * 60_000 + 1000, toMs: T0 + 21 * 60_000 });
    assert.equal(recent.resolution, 'cycle');
    assert.equal(recent.atMs.length, 4);
    await store.close();
  });

  it('prunes history past its retention', async () => {
    const dir = tempDir();
    const clock = new FakeClock(T0);
    const store = await Store.open({ dataDir: dir, clock, retention: { minuteDays: 1, quarterDays: 2, commandLogDays: 1 } });
    const day = 86_400_000;
    for (const back of [3 * day, 1.5 * day, 0.5 * day]) {
      store.recordSample(sample(T0 - back, 100));
      store.recordSample(sample(T0 - back + 60_000, 100));
      await store.logCommand(entry(0, { receivedAtMs: T0 - back }));
    }
    await store.flush();
    // Minute rows: -3 d, -3 d+1 min, -1.5 d, -1.5 d+1 min, -0.5 d (the last minute is still open).
    assert.deepEqual(await store.prune(), { telemetry_1m: 4, telemetry_15m: 1, command_log: 2 });
    assert.equal((await store.queryCommands()).length, 1);
    assert.equal((await store.queryTelemetry({ fromMs: 0, toMs: T0, resolution: '1m' })).atMs.length, 1);
    assert.equal((await store.queryTelemetry({ fromMs: 0, toMs: T0, resolution: '15m' })).atMs.length, 2);
    await store.close();
  });

  it('bounds the command log by entries too: the oldest go first, at a prune and every 1,000 entries logged', async () => {
    const dir = tempDir();
    const clock = new FakeClock(T0);
    const store = await Store.open({ dataDir: dir, clock, retention: { commandLogMaxEntries: 1500 } });
    // 2,600 fresh entries (well within 90 days): without a size bound all would stay.
    for (let i = 0; i < 2600; i++) void store.logCommand(entry(i));
    await store.flush();
    // Trimmed after the 1,000th and the 2,000th: at most 1,500 + 600 remain until the next prune.
    const afterWrites = await store.queryCommands({ limit: 10_000 });
    assert.equal(afterWrites.length, 2100);
    assert.equal(afterWrites.at(-1)?.requestTime, T0 / 1000 + 500, 'the oldest went first');
    assert.deepEqual(await store.prune(), { telemetry_1m: 0, telemetry_15m: 0, command_log: 600 });
    const kept = await store.queryCommands({ limit: 10_000 });
    assert.equal(kept.length, 1500);
    assert.equal(kept[0]?.requestTime, T0 / 1000 + 2599, 'the newest stays');
    assert.equal(kept.at(-1)?.requestTime, T0 / 1000 + 1100);
    assert.throws(() => store.setRetention({ commandLogMaxEntries: 0.5 }), /commandLogMaxEntries must be a whole number of entries ≥ 1, got 0.5/);
    await store.close();
  });

  it('with deferPruning waits for the site\'s retention before pruning anything, and refuses a bad one', async () => {
    const dir = tempDir();
    const clock = new FakeClock(T0);
    const day = 86_400_000;
    const store = await Store.open({ dataDir: dir, clock, deferPruning: true });
    // 100 days old: past the default 90 days, within the site's 365.
    await store.logCommand(entry(0, { receivedAtMs: T0 - 100 * day }));
    await store.flush();
    clock.advance(7 * 3_600_000); // past the 6 h pruning period: nothing runs yet
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await store.queryCommands()).length, 1);
    assert.throws(() => store.setRetention({ commandLogDays: 0 }), /commandLogDays must be a whole number of days ≥ 1, got 0/);
    assert.equal(store.currentRetention().commandLogDays, 90, 'a refused retention changes nothing');
    store.setRetention({ commandLogDays: 365 });
    assert.deepEqual(store.currentRetention(), { minuteDays: 90, quarterDays: 730, commandLogDays: 365, commandLogMaxEntries: 500_000 });
    assert.deepEqual(await store.prune(), { telemetry_1m: 0, telemetry_15m: 0, command_log: 0 });
    // A shorter one: what it no longer keeps goes.
    store.setRetention({ commandLogDays: 30 });
    assert.deepEqual(await store.prune(), { telemetry_1m: 0, telemetry_15m: 0, command_log: 1 });
    assert.equal((await store.queryCommands()).length, 0);
    await store.close();
  });

  it('restarts a dead database worker: what was committed stays, writes are persisted again', async () => {
    const dir = tempDir();
    const logs: string[] = [];
    const delays: number[] = [];
    const logger = {
      info: (_: object, msg?: string) => logs.push(msg ?? ''),
      warn: () => undefined,
      error: (obj: { restartInMs?: number }, msg?: string) => {
        logs.push(msg ?? '');
        if (obj.restartInMs !== undefined) delays.push(obj.restartInMs);
      },
    };
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0), logger, restartDelayMs: 20 });
    await store.logCommand(entry(1));
    // Fault injection: the worker thread dies under the store (as a crash in SQLite would end it).
    await (store as unknown as { writer: { worker: Worker } }).writer.worker.terminate();
    await until(() => logs.some((m) => m.includes('restarted')), 'the worker restart');
    assert.ok(logs.some((m) => m.includes('stopped; restarting')), logs.join(' | '));
    await store.logCommand(entry(2));
    assert.deepEqual((await store.queryCommands()).map((r) => r.payload), ['{"i":2}', '{"i":1}']);
    // Dying again within a minute of the restart is a crash loop: the next restart waits twice as long.
    await (store as unknown as { writer: { worker: Worker } }).writer.worker.terminate();
    await until(() => logs.filter((m) => m.includes('restarted')).length === 2, 'the second restart');
    assert.deepEqual(delays, [20, 40]);
    await store.logCommand(entry(3));
    assert.equal((await store.queryCommands()).length, 3);
    await store.close();
  });

  it('keeps config revisions, adding one only when the config changes', async () => {
    const dir = tempDir();
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    await store.saveConfig({ source: 'demo', sourceDetail: null, config: { serial: 'A' } });
    await store.saveConfig({ source: 'demo', sourceDetail: null, config: { serial: 'A' } });
    await store.saveConfig({ source: 'file', sourceDetail: 'site.yaml', config: { serial: 'B' } });
    const latest = await store.latestConfig();
    assert.equal(latest?.revision, 2);
    assert.deepEqual(latest?.config, { serial: 'B' });
    await store.close();
  });

  it('refuses a data directory another controller uses, and takes over a stale lock', async () => {
    const dir = tempDir();
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    await assert.rejects(Store.open({ dataDir: dir, clock: new FakeClock(T0) }), (err: unknown) => err instanceof StoreError && err.kind === 'in-use');
    await store.close();
    const lock = join(dir, 'gridpilot.lock');
    const { hostname } = await import('node:os');
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: hostname(), startedAtMs: 0 }));
    await assert.rejects(Store.open({ dataDir: dir, clock: new FakeClock(T0) }), (err: unknown) => err instanceof StoreError && err.kind === 'in-use' && err.message.includes(`pid ${process.ppid}`));
    writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), startedAtMs: 0 })); // no such process
    const taken = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, process.pid);
    await taken.close();
  });

  it('says which file is not a database and what to do, for garbage bytes', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'gridpilot.db'), Buffer.from('this is not sqlite at all, just some garbage bytes'.repeat(100)));
    await assert.rejects(Store.open({ dataDir: dir, clock: new FakeClock(T0) }), (err: unknown) => {
      assert.ok(err instanceof StoreError);
      assert.equal(err.kind, 'not-a-database');
      assert.match(err.message, new RegExp(`${join(dir, 'gridpilot.db')} is not a gridpilot store`));
      assert.match(err.message, /mv .*gridpilot\.db .*\.corrupt/);
      return true;
    });
    // The failed open released its lock: after moving the file away, it starts.
    rmSync(join(dir, 'gridpilot.db'));
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    await store.close();
  });

  it('detects a corrupted page behind a valid header', async () => {
    const dir = tempDir();
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    for (let i = 0; i < 300; i++) await store.logCommand(entry(i, { payload: 'x'.repeat(2000) }));
    await store.close();
    const file = join(dir, 'gridpilot.db');
    const size = statSync(file).size;
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096 * 3, 0xa5), 0, 4096 * 3, Math.floor(size / 2 / 4096) * 4096);
    closeSync(fd);
    await assert.rejects(Store.open({ dataDir: dir, clock: new FakeClock(T0) }), (err: unknown) => err instanceof StoreError && (err.kind === 'corrupt' || err.kind === 'not-a-database') && err.message.includes(file));
  });

  it('the reader says there is no store yet, naming the file', () => {
    const dir = tempDir();
    assert.throws(() => new HistoryReader(dir), (err: unknown) => err instanceof StoreError && err.kind === 'missing' && err.message.includes(join(dir, 'gridpilot.db')));
  });
});
