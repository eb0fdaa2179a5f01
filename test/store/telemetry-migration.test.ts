import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import DatabaseConstructor from 'better-sqlite3';
import { FakeClock } from '../../src/core/clock.ts';
import { MIGRATIONS } from '../../src/store/schema.ts';
import { Store } from '../../src/store/store.ts';
import { tempDirMaker } from '../helpers/temp-dirs.ts';

// Migration 3 (telemetry column solar_available_w) on a real version-2 database with telemetry rows.

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const tempDir = tempDirMaker('gp-telemetry-migration-');

/** A data directory holding a database as gridpilot with schema version 2 left it, with one stored minute and its quarter. */
function versionTwoDataDir(): { dir: string; file: string } {
  const dir = tempDir();
  const file = join(dir, 'gridpilot.db');
  const db = new DatabaseConstructor(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)');
  for (const m of MIGRATIONS.filter((x) => x.version <= 2)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, T0);
  }
  for (const table of ['telemetry_1m', 'telemetry_15m']) {
    db.prepare(`INSERT INTO ${table} (bucket_ms, samples, grid_w, solar_w, base_load_w) VALUES (?, 60, 250, 3000, 700)`).run(T0 - 3_600_000);
  }
  assert.throws(() => db.prepare('SELECT solar_available_w FROM telemetry_1m').all(), /no such column/);
  db.close();
  return { dir, file };
}

describe('migration 3 from a version-2 database', () => {
  it('adds solar_available_w: stored rows keep their values and read it as null, new rows store it', async () => {
    const { dir, file } = versionTwoDataDir();
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    for (let i = 0; i < 3; i++) {
      store.recordSample({ atMs: T0 + i * 20_000, gridW: 0, solarW: 2000, solarAvailableW: 2600, storageW: 0, socPct: 50, evW: 0, heatPumpW: 0, switchedLoadW: 0, baseLoadW: 600, exportLimitW: 10_000, importLimitW: 17_000 });
    }
    store.recordSample({ atMs: T0 + 60_000, gridW: 0, solarW: 0, solarAvailableW: 0, storageW: 0, socPct: 50, evW: 0, heatPumpW: 0, switchedLoadW: 0, baseLoadW: 600, exportLimitW: 10_000, importLimitW: 17_000 });
    await store.flush();
    for (const resolution of ['1m', '15m'] as const) {
      const s = await store.queryTelemetry({ fromMs: T0 - 86_400_000, toMs: T0 + 3_600_000, resolution });
      assert.deepEqual(s.atMs.slice(0, 2), [T0 - 3_600_000, T0], resolution);
      assert.deepEqual(s.values.solar_w.slice(0, 2), [3000, 2000], `${resolution}: the stored row's values are kept`);
      assert.deepEqual(s.values.solar_available_w.slice(0, 2), [null, 2600], `${resolution}: not measured before the migration`);
    }
    await store.close();
    const db = new DatabaseConstructor(file, { readonly: true });
    assert.deepEqual(db.prepare('SELECT version FROM schema_migrations ORDER BY version').all(), [{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }, { version: 6 }]);
    db.close();
  });
});
