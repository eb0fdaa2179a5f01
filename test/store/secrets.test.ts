import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import DatabaseConstructor from 'better-sqlite3';
import { startApp } from '../../src/app.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { HistoryReader } from '../../src/store/queries.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/schedule-peer.ts';

const T0 = Date.UTC(2025, 5, 2, 11, 0, 0);
const MQTT_PASSWORD = 'correct-horse-battery-staple-7f3a';
const ENTSOE_TOKEN = 'e0b1c2d3-aaaa-bbbb-cccc-0123456789ab';
const OCPP_PASSWORD = 'charger-basic-auth-55aa';

const modeOf = (file: string): number => statSync(file).mode & 0o777;

/** Which files of the directory hold `needle` in their bytes. */
function filesHolding(dir: string, needle: string): string[] {
  return readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile() && readFileSync(join(dir, f)).includes(Buffer.from(needle)));
}

function configWithSecrets(): Record<string, unknown> {
  return {
    serial: 'GP0000000000000007',
    mqtt: { brokerUrl: 'mqtts://broker.example:8883', username: 'site7', password: MQTT_PASSWORD },
    optimizer: { prices: 'entsoe', entsoe: { securityToken: ENTSOE_TOKEN } },
    devices: [{ nodeId: 'GP0000000000000007_variable_power_load_0', group: 'variable_power_load', driver: { type: 'ocpp', chargePointId: 'CP7', password: OCPP_PASSWORD } }],
  };
}

describe('secrets on disk', () => {
  const dirs: Array<{ remove(): void }> = [];
  const fresh = (prefix: string): string => {
    const d = tempDir(prefix);
    dirs.push(d);
    return d.path;
  };
  after(() => {
    for (const d of dirs) d.remove();
  });

  it('creates the data directory 0700 and the database, its WAL and SHM, the lock and secrets.json 0600', async () => {
    const dir = join(fresh('gp-modes-'), 'deeper', 'data');
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(T0) });
    await store.saveConfig({ source: 'file', sourceDetail: '/etc/gridpilot/site.yaml', config: configWithSecrets() });
    assert.equal(modeOf(dir), 0o700);
    assert.equal(modeOf(join(dir, '..')), 0o700, 'missing parents are created private too');
    for (const f of ['gridpilot.db', 'gridpilot.db-wal', 'gridpilot.db-shm', 'gridpilot.lock', 'secrets.json']) {
      assert.ok(existsSync(join(dir, f)), `${f} exists while the store is open`);
      assert.equal(modeOf(join(dir, f)), 0o600, `${f} is 0600`);
    }
    await store.close();
  });

  it('keeps passwords and tokens out of the database bytes, in secrets.json only, and reads the config back whole', async () => {
    const dir = fresh('gp-secrets-');
    const clock = new FakeClock(T0);
    const store = await Store.open({ dataDir: dir, clock });
    await store.saveConfig({ source: 'api', sourceDetail: 'web UI', config: configWithSecrets() });
    await store.saveConfig({ source: 'api', sourceDetail: 'web UI', config: configWithSecrets() });
    for (const secret of [MQTT_PASSWORD, ENTSOE_TOKEN, OCPP_PASSWORD]) assert.deepEqual(filesHolding(dir, secret), ['secrets.json'], `${secret.slice(0, 8)}… while open (WAL included)`);
    const back = await store.latestConfig();
    assert.deepEqual(back?.config, configWithSecrets());
    assert.equal(back?.revision, 1, 'an unchanged config stays one revision: same secret, same reference');
    await store.close();
    for (const secret of [MQTT_PASSWORD, ENTSOE_TOKEN, OCPP_PASSWORD]) assert.deepEqual(filesHolding(dir, secret), ['secrets.json'], 'after close');
    // The row holds references, the file the values.
    const db = new DatabaseConstructor(join(dir, 'gridpilot.db'), { readonly: true });
    const row = db.prepare('SELECT config_json FROM site_config').get() as { config_json: string };
    db.close();
    const stored = JSON.parse(row.config_json) as { mqtt: { password: unknown; username: unknown } };
    assert.equal(stored.mqtt.username, 'site7', 'only secrets are moved');
    assert.deepEqual(Object.keys(stored.mqtt.password as object), ['$secret']);
    // A changed password is a new revision; the old one still reads back with its own.
    const again = await Store.open({ dataDir: dir, clock });
    const changed = configWithSecrets();
    (changed.mqtt as Record<string, unknown>).password = 'a-new-password-0042';
    await again.saveConfig({ source: 'api', sourceDetail: 'web UI', config: changed });
    assert.equal((await again.latestConfig())?.revision, 2);
    await again.close();
    assert.deepEqual(filesHolding(dir, 'a-new-password-0042'), ['secrets.json']);
    // Read-only readers (the CLI) get it back too.
    const reader = new HistoryReader(dir);
    assert.deepEqual(reader.config()?.config, changed);
    reader.close();
    // Without secrets.json the references stay, and which ones is said.
    rmSync(join(dir, 'secrets.json'));
    const lost = new HistoryReader(dir);
    assert.deepEqual(lost.config()?.missingSecrets, ['mqtt.password', 'optimizer.entsoe.securityToken', 'devices[0].driver.password']);
    lost.close();
  });

  it('moves a password an older gridpilot stored in clear out of the database at open, and tightens its 0644 file', async () => {
    const dir = fresh('gp-legacy-');
    const clock = new FakeClock(T0);
    const store = await Store.open({ dataDir: dir, clock });
    await store.close();
    // As the earlier version left it: the config row in clear, the file 0644.
    const file = join(dir, 'gridpilot.db');
    const db = new DatabaseConstructor(file);
    db.prepare('INSERT INTO site_config (saved_at_ms, source, source_detail, config_json) VALUES (?, ?, ?, ?)').run(T0, 'file', null, JSON.stringify(configWithSecrets()));
    db.close();
    chmodSync(file, 0o644);
    assert.deepEqual(filesHolding(dir, MQTT_PASSWORD), ['gridpilot.db'], 'the legacy database holds it');

    const reopened = await Store.open({ dataDir: dir, clock });
    assert.equal(modeOf(file), 0o600);
    assert.deepEqual(filesHolding(dir, MQTT_PASSWORD), ['secrets.json'], 'gone from the database file and the WAL');
    assert.deepEqual((await reopened.latestConfig())?.config, configWithSecrets());
    await reopened.close();
    assert.deepEqual(filesHolding(dir, MQTT_PASSWORD), ['secrets.json']);
  });

  it('the app started from a config file with an ENTSO-E token stores it in secrets.json only', async () => {
    const dir = fresh('gp-app-secrets-');
    const configFile = join(fresh('gp-app-config-'), 'site.json');
    // prices stay bundled, so the token is never used (no network); it is still a secret to keep.
    const config = { ...demoSiteConfig(), optimizer: { entsoe: { securityToken: ENTSOE_TOKEN } } };
    writeFileSync(configFile, JSON.stringify(config));
    const app = await startApp({ brokerPort: 0, wsPort: null, httpPort: null, logLevel: 'silent', clock: new FakeClock(T0), dataDir: dir, configPath: configFile });
    try {
      assert.deepEqual(filesHolding(dir, ENTSOE_TOKEN), ['secrets.json']);
      assert.equal(modeOf(dir), 0o700);
      assert.equal(modeOf(join(dir, 'secrets.json')), 0o600);
      assert.deepEqual((await app.store?.latestConfig())?.config, config);
    } finally {
      await app.stop();
    }
    assert.deepEqual(filesHolding(dir, ENTSOE_TOKEN), ['secrets.json']);
  });
});
