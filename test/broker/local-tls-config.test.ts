import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp } from '../../src/app.ts';
import { loadBrokerTlsFiles } from '../../src/broker/tls-files.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { resolveSiteConfig } from '../../src/site/site-config.ts';
import { BrokerAccountsDb } from '../../src/store/broker-accounts.ts';
import { Store } from '../../src/store/store.ts';
import { systemClock } from '../../src/core/clock.ts';
import { startAppUnderTest } from '../helpers/app-harness.ts';
import { tempDirMaker } from '../helpers/temp-dirs.ts';
import { createTestPki, type TestPki } from '../helpers/tls-certs.ts';
import { adminCookie, apiCaller } from '../helpers/web-login.ts';

// `mqtt.embedded.tls` of the site config: bad input is refused with the key and the file, and changes nothing.

const tempDir = tempDirMaker('gp-tls-config-');
let pki: TestPki;
let otherPki: TestPki;
let notPem: string;
before(() => {
  pki = createTestPki();
  otherPki = createTestPki();
  notPem = join(pki.dir, 'not-pem.txt');
  writeFileSync(notPem, 'hello\n');
});
after(() => {
  pki.remove();
  otherPki.remove();
});

const siteWith = (embedded: Record<string, unknown>): Record<string, unknown> => ({ ...demoSiteConfig(), mqtt: { embedded } });
const tlsOf = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, ...over });

void describe('mqtt.embedded.tls in the site config', () => {
  void it('has the documented defaults: port 8883, wss off, no client CA', () => {
    const site = resolveSiteConfig(siteWith({ tls: tlsOf() }));
    assert.deepEqual(site.mqtt.embedded.tls, { port: 8883, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, wssPort: null });
    assert.equal(resolveSiteConfig(siteWith({})).mqtt.embedded.tls, undefined, 'off unless configured');
  });

  void it('refuses unknown keys, a missing file key and two listeners on one port, naming the path', () => {
    const problems = (embedded: Record<string, unknown>): string => {
      try {
        resolveSiteConfig(siteWith(embedded));
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    assert.match(problems({ tls: tlsOf({ passphrase: 'x' }) }), /mqtt\.embedded\.tls: Unrecognized key: "passphrase"/);
    assert.match(problems({ tls: { certFile: pki.serverCertFile } }), /mqtt\.embedded\.tls\.keyFile:/);
    assert.match(problems({ port: 8883, tls: tlsOf() }), /mqtt\.embedded\.tls\.port: port 8883 is already port's/);
    assert.match(problems({ wsPort: 9001, tls: tlsOf({ wssPort: 9001 }) }), /mqtt\.embedded\.tls\.wssPort: port 9001 is already wsPort's/);
    assert.equal(problems({ port: 0, wsPort: 0, tls: tlsOf({ port: 0, wssPort: 0 }) }), 'accepted', '0 = a free port each');
  });

  void it('checks the files at start: present, PEM, the key of the certificate', () => {
    const load = (over: Record<string, string>): void => {
      loadBrokerTlsFiles({ port: 0, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, ...over });
    };
    assert.doesNotThrow(() => load({ caFile: pki.caFile }));
    assert.throws(() => load({ certFile: '/nonexistent/server.crt' }), /^GridpilotError: mqtt\.embedded\.tls\.certFile: cannot read the certificate file \/nonexistent\/server\.crt: no such file$/);
    assert.throws(() => load({ keyFile: '/nonexistent/server.key' }), /mqtt\.embedded\.tls\.keyFile: cannot read the key file \/nonexistent\/server\.key: no such file/);
    assert.throws(() => load({ certFile: notPem }), /mqtt\.embedded\.tls\.certFile: .*not-pem\.txt is not a PEM certificate/);
    assert.throws(() => load({ keyFile: notPem }), /mqtt\.embedded\.tls\.keyFile: .*not-pem\.txt is not a PEM private key/);
    assert.throws(() => load({ keyFile: otherPki.serverKeyFile }), /mqtt\.embedded\.tls\.keyFile: .*server\.key is not the private key of the certificate .*server\.crt/);
    assert.throws(() => load({ caFile: notPem }), /mqtt\.embedded\.tls\.caFile: .*not-pem\.txt is not a PEM CA certificate/);
    assert.throws(() => load({ caFile: pki.serverKeyFile }), /mqtt\.embedded\.tls\.caFile: /, 'a key is no CA');
  });

  void it('gridpilot start with a missing certificate fails before anything is recorded or bound', async () => {
    const dataDir = tempDir();
    const configPath = join(dataDir, 'site.json');
    writeFileSync(configPath, JSON.stringify(siteWith({ port: 0, wsPort: null, tls: tlsOf({ port: 0, certFile: join(dataDir, 'missing.crt') }) })));
    await assert.rejects(startApp({ configPath, dataDir, httpPort: null, logLevel: 'silent' }), /mqtt\.embedded\.tls\.certFile: cannot read the certificate file .*missing\.crt: no such file/);
    const store = await Store.open({ dataDir, clock: systemClock, logger: silentLogger });
    try {
      assert.equal(await store.latestConfig(), null, 'no config revision recorded');
    } finally {
      await store.close();
    }
    const accounts = BrokerAccountsDb.open(dataDir);
    try {
      assert.deepEqual(accounts.list(), [], 'no controller account created');
    } finally {
      accounts.close();
    }
  });

  void it('POST /api/config with an unreadable key file is refused (422) and nothing is saved', async () => {
    const dataDir = tempDir();
    const t = await startAppUnderTest({ dataDir, httpPort: 0 });
    try {
      const url = t.app.info.httpUrl ?? '';
      const cookie = await adminCookie(url);
      const call = apiCaller(url, () => cookie);
      const config = (await call('GET', '/api/site')).json.config as Record<string, unknown>;
      const revisions = async (): Promise<unknown> => (await call('GET', '/api/config/revisions')).json.revisions;
      const before = await revisions();
      const a = await call('POST', '/api/config', { ...config, mqtt: { embedded: { tls: tlsOf({ keyFile: join(dataDir, 'missing.key') }) } } });
      assert.equal(a.status, 422, JSON.stringify(a.json));
      assert.match(JSON.stringify(a.json), /mqtt\.embedded\.tls\.keyFile.*cannot read the key file .*missing\.key: no such file/);
      assert.deepEqual(await revisions(), before);
    } finally {
      await t.stop();
    }
  });
});
