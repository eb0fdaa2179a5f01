import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from '../../src/app.ts';
import { hashPasswordMosquitto, hashPasswordScrypt } from '../../src/broker/password-hash.ts';
import { formatStartBanner } from '../../src/cli/start-banner.ts';
import { protocolView } from '../../src/web/protocol-view.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { BrokerAccountsDb, controllerAccountName } from '../../src/store/broker-accounts.ts';
import { connectTestClient, type TestClient, type TestClientOptions } from '../helpers/mqtt-client.ts';
import { tempDirMaker } from '../helpers/temp-dirs.ts';
import { createTestPki, type TestPki } from '../helpers/tls-certs.ts';

// `gridpilot start` with `mqtt.embedded.tls`: mqtts:// and wss:// on both engines, with the store's
// accounts (an integrator with a password and a client-certificate CN), over real sockets.

const tempDir = tempDirMaker('gp-local-tls-');
const PASSWORD = 'acme-password-1';

let pki: TestPki;
let otherPki: TestPki;
before(() => {
  pki = createTestPki(['acme-cert']);
  otherPki = createTestPki();
});
after(() => {
  pki.remove();
  otherPki.remove();
});

/** A data directory whose integrators `acme` (password, certificate CN acme-cert) and `watcher` (password) own the demo site. */
function dataDirWithIntegrator(serial: string): string {
  const dataDir = tempDir();
  const db = BrokerAccountsDb.open(dataDir);
  try {
    const hashes = (pw: string): { scrypt: string; mosquitto: string } => ({ scrypt: hashPasswordScrypt(pw), mosquitto: hashPasswordMosquitto(pw) });
    db.add({ name: controllerAccountName(serial), role: 'controller', password: hashes('a-controller-password'), serials: [serial] });
    db.add({ name: 'acme', role: 'integrator', password: hashes(PASSWORD), certCn: 'acme-cert' });
    db.grant('acme', serial);
    // mosquitto binds client ids to usernames (one session per account): a second integrator watches.
    db.add({ name: 'watcher', role: 'integrator', password: hashes(PASSWORD) });
    db.grant('watcher', serial);
  } finally {
    db.close();
  }
  return dataDir;
}

async function startWithTls(engine: 'mosquitto' | 'aedes'): Promise<RunningApp> {
  const cfg = demoSiteConfig() as Record<string, unknown>;
  const serial = String(cfg.serial);
  const dataDir = dataDirWithIntegrator(serial);
  cfg.mqtt = { embedded: { engine, port: 0, wsPort: null, tls: { port: 0, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, caFile: pki.caFile, wssPort: 0 } } };
  const configPath = join(dataDir, 'site.json');
  writeFileSync(configPath, JSON.stringify(cfg));
  return startApp({ configPath, dataDir, httpPort: null, logLevel: 'silent', brokerPort: 0, wsPort: null });
}

/** Subscribes to the feedback, sends the contract's empty command and waits for its answer. */
async function commandAnswered(app: RunningApp, client: TestClient, time: number): Promise<void> {
  await client.client.subscribeAsync(app.info.topics.feedback, { qos: 1 });
  await client.client.publishAsync(app.info.topics.command, JSON.stringify({ extraTags: { nodeId: app.info.siteNodeId }, time, fields: {} }), { qos: 1 });
  await client.waitFor((m) => m.topic === app.info.topics.feedback && (m.json as { requestTime?: unknown }).requestTime === time, 8000, `feedback of ${time}`);
}

for (const engine of ['mosquitto', 'aedes'] as const) {
  const protocolVersion = engine === 'mosquitto' ? 5 : 4;
  void describe(`TLS on the broker of gridpilot start (${engine})`, () => {
    let app: RunningApp;
    let time = 0;
    const nextTime = (): number => (time = Math.max(time + 1, Math.floor(app.clock.now() / 1000)));
    const login = { username: 'acme', password: PASSWORD };
    const session = async (url: string, opts: TestClientOptions, run: (c: TestClient) => Promise<void>): Promise<void> => {
      const c = await connectTestClient(url, { protocolVersion, ...opts });
      try {
        await run(c);
      } finally {
        await c.end();
      }
    };
    before(async () => {
      app = await startWithTls(engine);
    });
    after(async () => app.stop());

    void it('lists mqtts:// and wss:// in the start banner and the web UI', () => {
      const b = app.info.localBroker;
      assert.equal(b?.engine, engine);
      assert.match(b?.tlsUrl ?? '', /^mqtts:\/\/127\.0\.0\.1:\d+$/);
      assert.match(b?.wssUrl ?? '', /^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/);
      const banner = formatStartBanner(app.info);
      assert.ok(banner.includes(`  TLS            ${b?.tlsUrl ?? ''}`), banner);
      assert.ok(banner.includes(`  secure WS      ${b?.wssUrl ?? ''}`), banner);
      assert.equal(b?.isCertLoginOn, engine === 'aedes');
      assert.deepEqual([protocolView(app.info).tlsUrl, protocolView(app.info).wssUrl], [b?.tlsUrl, b?.wssUrl], 'the web UI shows them too');
    });

    void it('an MQTT.js integrator over mqtts:// with the CA and its password commands the site', async () => {
      await session(app.info.localBroker?.tlsUrl ?? '', { caFile: pki.caFile, ...login }, (c) => commandAnswered(app, c, nextTime()));
    });

    void it('the same over secure WebSocket at /mqtt', async () => {
      await session(app.info.localBroker?.wssUrl ?? '', { caFile: pki.caFile, ...login }, (c) => commandAnswered(app, c, nextTime()));
    });

    void it('a server certificate from another CA is refused by the client (not trusted)', async () => {
      await assert.rejects(connectTestClient(app.info.localBroker?.tlsUrl ?? '', { protocolVersion, caFile: otherPki.caFile, ...login }), (err: Error & { code?: unknown }) => {
        assert.match(String(err.code ?? err.message), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify|self.signed/i);
        return true;
      });
    });

    void it('Debian mosquitto_pub --cafile with the password reaches the site', async () => {
      await session(app.info.localBroker?.tlsUrl ?? '', { caFile: pki.caFile, username: 'watcher', password: PASSWORD }, async (c) => {
        await c.client.subscribeAsync(app.info.topics.feedback, { qos: 1 });
        const t = nextTime();
        const port = new URL(app.info.localBroker?.tlsUrl ?? '').port;
        const payload = JSON.stringify({ extraTags: { nodeId: app.info.siteNodeId }, time: t, fields: {} });
        // Asynchronously: the aedes broker runs in this process.
        await promisify(execFile)('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '--cafile', pki.caFile, '-u', 'acme', '-P', PASSWORD, '-V', 'mqttv311', '-q', '1', '-t', app.info.topics.command, '-m', payload], { timeout: 10_000 });
        await c.waitFor((m) => m.topic === app.info.topics.feedback && (m.json as { requestTime?: unknown }).requestTime === t, 8000, 'feedback of mosquitto_pub');
      });
    });

    if (engine === 'aedes') {
      void it('a client certificate whose CN is the account\'s certCn logs in without a password', async () => {
        await session(app.info.localBroker?.tlsUrl ?? '', { caFile: pki.caFile, ...pki.clients['acme-cert'] }, (c) => commandAnswered(app, c, nextTime()));
        await session(app.info.localBroker?.wssUrl ?? '', { caFile: pki.caFile, ...pki.clients['acme-cert'] }, (c) => commandAnswered(app, c, nextTime()));
      });
    } else {
      void it('mosquitto takes no certificate login: the same certificate without a password is refused (CONNACK not authorised)', async () => {
        await assert.rejects(connectTestClient(app.info.localBroker?.tlsUrl ?? '', { protocolVersion, caFile: pki.caFile, ...pki.clients['acme-cert'] }), (err: Error & { code?: unknown }) => {
          assert.equal(err.code, 135, err.message); // MQTT 5 reason code 0x87 Not authorized
          return true;
        });
      });
    }
  });
}
