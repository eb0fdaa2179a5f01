import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import DatabaseConstructor from 'better-sqlite3';
import { FakeClock } from '../../src/core/clock.ts';
import { insertCommand, type CommandLogEntry } from '../../src/store/command-log.ts';
import { HistoryReader } from '../../src/store/queries.ts';
import { MIGRATIONS } from '../../src/store/schema.ts';
import { StoreError } from '../../src/store/store-error.ts';
import { Store } from '../../src/store/store.ts';
import { tempDirMaker } from '../helpers/temp-dirs.ts';

// Migration 2 (command log kind 'prices', the pushed_prices table) on a real version-1 database,
// and savePushedPrices / loadPushedPrices on real SQLite.

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const tempDir = tempDirMaker('gp-prices-store-');

function entry(i: number, over: Partial<CommandLogEntry> = {}): CommandLogEntry {
  return {
    receivedAtMs: T0 + i * 1000,
    answeredAtMs: T0 + i * 1000 + 5,
    kind: i % 2 === 0 ? 'command' : 'schedule',
    topic: `standard1/topic/${i}`,
    isRetained: i === 3,
    requestTime: i === 4 ? '2026-01-15T12:00:04Z' : T0 / 1000 + i,
    payload: `{"i":${i}}`,
    payloadBytes: 8 + i,
    payloadSha256: null,
    responseCode: i === 2 ? 13 : 0,
    errors: i === 2 ? [{ field: 'fields.storage_policy', message: 'unknown' }] : [],
    executed: i === 2 ? null : { components: { storage: { policy: 'setpoint', executedW: 100 * i, activeSignal: 'remote' } }, exportLimitW: 10_000 },
    ...over,
  };
}

/** A command-log row as gridpilot with schema version 1 wrote it (its columns; no payload_sha256). */
function insertVersionOneCommand(db: DatabaseConstructor.Database, e: ReturnType<typeof entry>): void {
  db.prepare(
    `INSERT INTO command_log (received_at_ms, answered_at_ms, kind, topic, is_retained, request_time, payload, payload_bytes, response_code, errors_json, executed_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(e.receivedAtMs, e.answeredAtMs, e.kind, e.topic, e.isRetained ? 1 : 0, e.requestTime === null ? null : JSON.stringify(e.requestTime), e.payload, e.payloadBytes, e.responseCode, e.errors.length ? JSON.stringify(e.errors) : null, e.executed ? JSON.stringify(e.executed) : null);
}

/** A data directory holding a database exactly as gridpilot with schema version 1 left it, with `n` log entries. */
function versionOneDataDir(n: number): { dir: string; file: string } {
  const dir = tempDir();
  const file = join(dir, 'gridpilot.db');
  const db = new DatabaseConstructor(file);
  db.pragma('journal_mode = WAL');
  const v1 = MIGRATIONS.find((m) => m.version === 1);
  assert.ok(v1);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)');
  db.exec(v1.sql);
  db.prepare('INSERT INTO schema_migrations VALUES (1, ?, ?)').run(v1.name, T0);
  for (let i = 0; i < n; i++) insertVersionOneCommand(db, entry(i));
  // Version 1 refuses the new kind: the point of the migration.
  assert.throws(() => insertVersionOneCommand(db, entry(99, { kind: 'prices' })), /CHECK constraint/);
  db.close();
  return { dir, file };
}

describe('migration 2 from a version-1 database', () => {
  it('keeps every command-log row (ids, columns, order) and the index, and accepts kind "prices"', async () => {
    const { dir, file } = versionOneDataDir(6);
    const before = new DatabaseConstructor(file, { readonly: true });
    const rowsBefore = before.prepare('SELECT * FROM command_log ORDER BY id').all();
    before.close();
    assert.equal(rowsBefore.length, 6);

    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0 + 60_000) });
    await store.logCommand(entry(10, { kind: 'prices', payload: '{"time":1,"prices":[]}', responseCode: 11 }));
    const prices = await store.queryCommands({ kind: 'prices' });
    assert.equal(prices.length, 1);
    assert.equal(prices[0]?.responseCode, 11);
    assert.equal((await store.queryCommands({ limit: 100 })).length, 7);
    await store.close();

    const db = new DatabaseConstructor(file, { readonly: true });
    assert.deepEqual(db.prepare('SELECT version FROM schema_migrations ORDER BY version').all(), [{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }, { version: 6 }]);
    // Every version-1 row, unchanged (migrations 4 and 5 add command_id and payload_sha256, NULL for rows stored before).
    assert.deepEqual(
      db.prepare('SELECT * FROM command_log WHERE id <= 6 ORDER BY id').all(),
      rowsBefore.map((r) => ({ ...(r as object), command_id: null, payload_sha256: null })),
      'every version-1 row, unchanged',
    );
    const index = db.prepare(`SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' AND name = 'command_log_received'`).get() as { tbl_name: string; sql: string } | undefined;
    assert.equal(index?.tbl_name, 'command_log');
    assert.match(index?.sql ?? '', /received_at_ms/);
    assert.deepEqual(db.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'command_log%' ORDER BY name`).all(), [{ name: 'command_log' }, { name: 'command_log_command_id' }, { name: 'command_log_received' }]);
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT * FROM command_log WHERE received_at_ms >= 0 ORDER BY received_at_ms DESC').all() as Array<{ detail: string }>;
    assert.ok(plan.some((p) => /command_log_received/.test(p.detail)), `range queries use the index: ${JSON.stringify(plan)}`);
    db.close();

    // The rows read back as the entries that were written (through the read API too).
    const reader = new HistoryReader(dir);
    const all = reader.commands({ limit: 100 });
    reader.close();
    assert.deepEqual(
      all.filter((r) => r.kind !== 'prices').map(({ id: _id, commandId, ...rest }) => {
        assert.equal(commandId, null);
        return rest;
      }),
      [5, 4, 3, 2, 1, 0].map((i) => entry(i)),
    );
  });

  it('still refuses an unknown kind after the rebuild', async () => {
    const { dir, file } = versionOneDataDir(1);
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    await store.close();
    const db = new DatabaseConstructor(file);
    assert.throws(() => insertCommand(db, entry(5, { kind: 'telemetry' as never })), /CHECK constraint/);
    db.close();
  });
});

describe('pushed prices in the store', () => {
  const series = { startMs: T0, slotMs: 900_000, pricesEurPerMwh: [100, -3.5, 84.1, 0] };

  it('saves durably, replaces the whole series, and loads it back after a reopen', async () => {
    const dir = tempDir();
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    assert.equal(await store.loadPushedPrices(), null, 'nothing saved yet');
    await store.savePushedPrices(series);
    const longer = { startMs: T0 - 3_600_000, slotMs: 3_600_000, pricesEurPerMwh: [1, 2, 3] };
    await store.savePushedPrices(longer);
    assert.deepEqual(await store.loadPushedPrices(), longer);
    await store.close();

    const again = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    assert.deepEqual(await again.loadPushedPrices(), longer);
    await again.close();
    const reader = new HistoryReader(dir);
    assert.deepEqual(reader.pushedPrices(), { series: longer, savedAtMs: T0 });
    reader.close();
    const db = new DatabaseConstructor(join(dir, 'gridpilot.db'), { readonly: true });
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM pushed_prices').get() as { n: number }).n, 1, 'one row');
    db.close();
  });

  it('refuses to save a malformed or empty series (nothing written)', async () => {
    const dir = tempDir();
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    await store.savePushedPrices(series);
    await assert.rejects(store.savePushedPrices({ ...series, pricesEurPerMwh: [] }), StoreError);
    await assert.rejects(store.savePushedPrices({ ...series, startMs: T0 + 1 }), /slot boundary/);
    await assert.rejects(store.savePushedPrices({ ...series, pricesEurPerMwh: [1, Number.NaN] }), /finite/);
    assert.deepEqual(await store.loadPushedPrices(), series, 'the earlier series stays');
    await store.close();
  });

  for (const [what, sql] of [
    ['not JSON', `UPDATE pushed_prices SET prices_json = '[1, 2'`],
    ['not an array of numbers', `UPDATE pushed_prices SET prices_json = '[1, "two"]'`],
    ['an empty array', `UPDATE pushed_prices SET prices_json = '[]'`],
    ['a start off the slot grid', `UPDATE pushed_prices SET start_ms = start_ms + 1`],
    ['a text start', `UPDATE pushed_prices SET start_ms = 'soon'`],
  ] as const) {
    it(`a corrupted row (${what}) is a clear StoreError, never a series`, async () => {
      const dir = tempDir();
      const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
      await store.savePushedPrices(series);
      await store.close();
      const db = new DatabaseConstructor(join(dir, 'gridpilot.db'));
      db.exec(sql);
      db.close();
      const again = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
      await assert.rejects(again.loadPushedPrices(), (err: unknown) => {
        assert.ok(err instanceof StoreError);
        assert.equal(err.kind, 'corrupt');
        assert.match(err.message, /gridpilot\.db: the stored pushed prices are unreadable .*Push the prices again/);
        return true;
      });
      // The next save replaces the bad row.
      await again.savePushedPrices(series);
      assert.deepEqual(await again.loadPushedPrices(), series);
      await again.close();
    });
  }
});
