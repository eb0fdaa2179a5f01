import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import DatabaseConstructor from 'better-sqlite3';
import { FakeClock } from '../../src/core/clock.ts';
import { BrokerAccountsDb, readControllerPassword } from '../../src/store/broker-accounts.ts';
import { MIGRATIONS } from '../../src/store/schema.ts';
import { Store } from '../../src/store/store.ts';
import { tempDirMaker } from '../helpers/temp-dirs.ts';

// Migration 6 (broker accounts) on a real version-5 database with a command-log row.

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const tempDir = tempDirMaker('gp-accounts-migration-');

function versionFiveDataDir(): string {
  const dir = tempDir();
  const db = new DatabaseConstructor(join(dir, 'gridpilot.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)');
  for (const m of MIGRATIONS.filter((x) => x.version <= 6)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, T0);
  }
  db.prepare(`INSERT INTO command_log (received_at_ms, answered_at_ms, kind, topic, payload, payload_bytes, response_code) VALUES (?, ?, 'command', 't', '{}', 2, 0)`).run(T0, T0);
  assert.throws(() => db.prepare('SELECT * FROM broker_accounts').all(), /no such table/);
  db.close();
  return dir;
}

const hashes = { scrypt: '$scrypt$ln=14,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', mosquitto: '$7$1000$AAAAAAAAAAAAAAAA$AAAA' };

describe('migration 6 from a version-5 database', () => {
  it('adds the empty accounts tables at revision 0 and keeps the command log', async () => {
    const dir = versionFiveDataDir();
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    await store.close();
    const db = new DatabaseConstructor(join(dir, 'gridpilot.db'), { readonly: true });
    assert.deepEqual(db.prepare('SELECT version FROM schema_migrations ORDER BY version').all().slice(-2), [{ version: 6 }, { version: 7 }]);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM command_log').get() as { n: number }).n, 1);
    assert.deepEqual(db.prepare('SELECT * FROM broker_accounts').all(), []);
    assert.deepEqual(db.prepare('SELECT revision FROM broker_accounts_revision').all(), [{ revision: 0 }]);
    db.close();
  });
});

describe('broker accounts in the store', () => {
  it('adds, grants, revokes and re-hashes, bumping the revision once per change; bad input changes nothing', () => {
    const dir = tempDir();
    const db = BrokerAccountsDb.open(dir);
    try {
      db.add({ name: 'gp-S1', role: 'controller', password: hashes, serials: ['S1'] });
      db.add({ name: 'acme', role: 'integrator', password: hashes, certCn: 'acme-cert' });
      assert.equal(db.revision(), 2);
      assert.equal(db.grant('acme', 'S1'), true);
      assert.deepEqual(db.get('acme')?.serials, ['S1']);
      const before = db.revision();
      const refusals: Array<[() => unknown, RegExp]> = [
        [() => db.add({ name: 'acme', role: 'integrator', password: hashes }), /exists already/],
        [() => db.add({ name: 'bad name', role: 'integrator', password: hashes }), /letters, digits/],
        [() => db.add({ name: 'other', role: 'integrator', password: hashes, certCn: 'acme-cert' }), /already identifies account acme/],
        [() => db.add({ name: 'nopw', role: 'integrator', password: null }), /needs a password or a certificate/],
        [() => db.grant('acme', 'S2'), /no site S2 on this broker.*add-site S2/],
        [() => db.grant('gp-S1', 'S1'), /only integrators/],
        [() => db.grant('nobody', 'S1'), /no account named nobody/],
        [() => db.grant('acme', 'S1/#'), /serial "S1\/#"/],
        [() => db.revoke('acme', 'S9'), /has no access to site S9/],
      ];
      for (const [act, message] of refusals) assert.throws(act, message);
      assert.equal(db.revision(), before, 'no refused change moved the revision');
      assert.deepEqual(db.list().map((a) => a.name), ['gp-S1', 'acme']);
      db.revoke('acme', 'S1');
      assert.deepEqual(db.get('acme')?.serials, []);
      db.setPassword('acme', { scrypt: `${hashes.scrypt}x`, mosquitto: hashes.mosquitto });
      assert.equal(db.get('acme')?.passwordScrypt, `${hashes.scrypt}x`);
      assert.equal(db.revision(), before + 2);
      assert.equal(readControllerPassword(dir, 'gp-S1'), null, 'the store itself keeps no clear password');
    } finally {
      db.close();
    }
  });
});
