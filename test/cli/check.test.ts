import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.ts';
import { startMosquittoBroker } from '../../src/broker/mosquitto-broker.ts';
import { findMosquitto } from '../../src/broker/mosquitto-config.ts';
import { runCheck, type CheckFlags } from '../../src/cli/commands/check.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { checkPathsFor, probeTcp } from '../../src/cli/network-check.ts';
import { closedPort } from '../client/support/test-broker.ts';
import { createTestPki, type TestPki } from '../helpers/tls-certs.ts';

// `gridpilot check` [live §5 step 1, issue 13]: TCP 1883, then WebSocket /mqtt on 80, then TLS 8883,
// against real brokers with TLS on and with paths missing; high ports stand for the usual ones.

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: new URL('../../', import.meta.url) }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

const USER = { username: 'acme', password: 'acme-password-1' };

void describe('gridpilot check: 1883, then 80 (WebSocket), then 8883 (TLS)', () => {
  let pki: TestPki;
  let otherPki: TestPki;
  let namedPki: TestPki;
  let broker: EmbeddedBroker;
  let closed: number;
  let silent: net.Server;
  let silentPort: number;
  let web: http.Server;
  let webPort: number;

  before(async () => {
    pki = createTestPki();
    otherPki = createTestPki();
    namedPki = createTestPki([], { serverAltNames: ['DNS:broker.example'] });
    broker = await startEmbeddedBroker({
      port: 0,
      wsPort: 0,
      tls: { port: 0, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile },
      wssPort: 0,
      auth: { users: [{ ...USER, role: 'integrator', serials: ['OM1'] }] },
    });
    closed = await closedPort();
    // Accepts TCP and never says a word: no broker.
    silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as net.AddressInfo).port;
    // A plain web server: 404 on /mqtt.
    web = http.createServer((_req, res) => res.writeHead(404).end('not here'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    webPort = (web.address() as net.AddressInfo).port;
  });
  after(async () => {
    await broker.close();
    silent.close();
    web.closeAllConnections();
    web.close();
    for (const p of [pki, otherPki, namedPki]) p.remove();
  });

  const flags = (over: Partial<CheckFlags>): CheckFlags => ({
    broker: 'mqtt://127.0.0.1:1883',
    port: broker.port,
    backupPort: broker.wsPort ?? 0,
    tlsPort: broker.tlsPort ?? 0,
    timeout: 2,
    mqttVersion: 4,
    mqtt: true,
    ...USER,
    ca: pki.caFile,
    ...over,
  });
  const check = async (over: Partial<CheckFlags>): Promise<{ code: number; text: string; last: string }> => {
    const io = memoryIo();
    const code = await runCheck(flags(over), io);
    return { code, text: io.stdout.join('\n'), last: io.stdout.find((l) => l.startsWith('verdict:')) ?? '' };
  };

  void it('tries the three paths in order; each works on a broker with all of them', async () => {
    const r = await check({});
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, new RegExp(`^Checking the MQTT broker at 127\\.0\\.0\\.1: ${broker.port} \\(MQTT over TCP\\), then ${broker.wsPort} \\(MQTT over WebSocket\\), then ${broker.tlsPort} \\(MQTT over TLS\\)`));
    assert.match(r.text, /1\. MQTT over TCP +mqtt:\/\/127\.0\.0\.1:\d+\n +tcp +open\n +mqtt +CONNECT accepted \(MQTT 3\.1\.1\)/);
    assert.match(r.text, /2\. MQTT over WebSocket +ws:\/\/127\.0\.0\.1:\d+\/mqtt\n +tcp +open\n +ws +upgrade accepted \(subprotocol mqtt\)\n +mqtt +CONNECT accepted/);
    assert.match(r.text, /3\. MQTT over TLS +mqtts:\/\/127\.0\.0\.1:\d+\n +tcp +open\n +tls +handshake done \(certificate CN=localhost issued by CN=gridpilot test CA, trusted\)\n +mqtt +CONNECT accepted/);
    assert.equal(r.last, `verdict: OK, mqtt://127.0.0.1:${broker.port} (MQTT over TCP) and ws://127.0.0.1:${broker.wsPort}/mqtt (MQTT over WebSocket) and mqtts://127.0.0.1:${broker.tlsPort} (MQTT over TLS) work. Use --broker mqtt://127.0.0.1:${broker.port}`);
  });

  void it('with 1883 and 80 closed, TLS is the path that works, and the others say why they failed', async () => {
    const r = await check({ port: closed, backupPort: silentPort });
    assert.equal(r.code, 0, r.text);
    assert.equal(r.last, `verdict: OK, mqtts://127.0.0.1:${broker.tlsPort} (MQTT over TLS) works. Use --broker mqtts://127.0.0.1:${broker.tlsPort}`);
    assert.match(r.text, new RegExp(`the other paths failed:\\n  - mqtt://127\\.0\\.0\\.1:${closed}: connection refused \\(nothing listens there\\)\\n  - ws://127\\.0\\.0\\.1:${silentPort}/mqtt: not an MQTT broker: `));
  });

  void it('names TLS failures: certificate not trusted (no --ca, another CA), hostname mismatch, no TLS on the port', async () => {
    const { ca: _ca, ...withoutCa } = flags({ port: closed, backupPort: closed });
    const noCaIo = memoryIo();
    const noCa = { code: await runCheck(withoutCa, noCaIo), text: noCaIo.stdout.join('\n') };
    assert.equal(noCa.code, 1);
    assert.match(noCa.text, /tls +FAILED, TLS: certificate not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): give the broker's CA with --ca FILE/);
    assert.match(noCa.text, /verdict: FAILED, no MQTT broker could be reached at 127\.0\.0\.1:\n {2}- mqtt:.*connection refused.*\n {2}- ws:.*connection refused.*\n {2}- mqtts:.*TLS: certificate not trusted/);
    const wrongCa = await check({ ca: otherPki.caFile });
    assert.match(wrongCa.text, /mqtts:.*: TLS: certificate not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): it is not signed by the --ca given/);
    const named = await startEmbeddedBroker({ port: 0, tls: { port: 0, certFile: namedPki.serverCertFile, keyFile: namedPki.serverKeyFile } });
    try {
      const mismatch = await check({ ca: namedPki.caFile, tlsPort: named.tlsPort ?? 0 });
      assert.match(mismatch.text, /tls +FAILED, TLS: hostname mismatch \(IP: 127\.0\.0\.1 is not in the cert's list: \)/);
    } finally {
      await named.close();
    }
    const plain = await check({ tlsPort: broker.port });
    assert.match(plain.text, /mqtts:.*: TLS: the server closed the connection during the handshake \(no TLS on this port\? a plain MQTT broker does this\)/);
    const website = await check({ tlsPort: webPort });
    assert.match(website.text, /mqtts:.*: TLS: the port does not speak TLS \(plain MQTT or HTTP there\?\)/);
  });

  void it('names MQTT refusals: CONNACK 4 bad credentials, CONNACK 5 not authorised; an HTTP 404 is not an MQTT broker', async () => {
    const bad = await check({ password: 'wrong-password', backupPort: webPort });
    assert.equal(bad.code, 1);
    assert.match(bad.text, /mqtt:.*: CONNACK 4: bad username or password/);
    assert.match(bad.text, new RegExp(`ws://127\\.0\\.0\\.1:${webPort}/mqtt: not an MQTT broker: HTTP 404 Not Found where MQTT over WebSocket was asked for`));
    const { username: _u, password: _p, ...anonymousFlags } = flags({});
    const anonymousIo = memoryIo();
    assert.equal(await runCheck(anonymousFlags, anonymousIo), 1);
    assert.match(anonymousIo.stdout.join('\n'), /mqtts:.*: CONNACK 5: not authorised \(credentials missing or refused/);
  });

  void it('an open port that never answers is no MQTT broker; --no-mqtt tests TCP (and TLS) only', async () => {
    const r = await check({ port: silentPort, backupPort: closed, tlsPort: closed, timeout: 1 });
    assert.equal(r.code, 1);
    assert.match(r.text, new RegExp(`mqtt://127\\.0\\.0\\.1:${silentPort}: not an MQTT broker: no CONNACK in time`));
    const tcpOnly = await check({ port: silentPort, mqtt: false });
    assert.equal(tcpOnly.code, 0);
    assert.match(tcpOnly.last, /\(up to the MQTT CONNECT, not tested\)\. Use --broker mqtt:\/\//);
    assert.deepEqual(await probeTcp('127.0.0.1', closed, 1000), { ok: false, reason: 'connection refused (nothing listens there)' });
  });

  void it('takes --broker like the other commands: host and the port of its scheme; explicit ports win', () => {
    const ports = (url: string, over: Parameters<typeof checkPathsFor>[1] = {}, host?: string): string[] => checkPathsFor(url, over, host).paths.map((p) => p.url);
    assert.deepEqual(ports('mqtt://broker.example:1883'), ['mqtt://broker.example:1883', 'ws://broker.example:80/mqtt', 'mqtts://broker.example:8883']);
    assert.deepEqual(ports('mqtts://b:9883'), ['mqtt://b:1883', 'ws://b:80/mqtt', 'mqtts://b:9883']);
    assert.deepEqual(ports('ws://b:8083/mqtt', { tcp: 1999 }), ['mqtt://b:1999', 'ws://b:8083/mqtt', 'mqtts://b:8883']);
    assert.deepEqual(ports('wss://b/mqtt'), ['mqtt://b:1883', 'ws://b:80/mqtt', 'mqtts://b:8883', 'wss://b:443/mqtt']);
    assert.deepEqual(ports('mqtt://[::1]:1883', {}, undefined), ['mqtt://[::1]:1883', 'ws://[::1]:80/mqtt', 'mqtts://[::1]:8883']);
    assert.deepEqual(ports('mqtt://127.0.0.1:1883', {}, 'other.example'), ['mqtt://other.example:1883', 'ws://other.example:80/mqtt', 'mqtts://other.example:8883']);
  });

  void it('exits 0 / 1 / 2 as a command', async () => {
    const ok = await runCli(['check', '--broker', `mqtts://127.0.0.1:${broker.tlsPort}`, '--ca', pki.caFile, '-u', USER.username, '-P', USER.password, '--port', String(closed), '--backup-port', String(closed)]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`verdict: OK, mqtts://127\\.0\\.0\\.1:${broker.tlsPort} \\(MQTT over TLS\\) works`));
    const failed = await runCli(['check', '--port', String(closed), '--backup-port', String(closed), '--tls-port', String(closed), '--timeout', '1']);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /verdict: FAILED/);
    const usage = await runCli(['check', '--ca', '/nonexistent/ca.pem']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /error: --ca \/nonexistent\/ca\.pem: ENOENT/);
  });
});

void describe('gridpilot check against Debian mosquitto with TLS', () => {
  const mosquitto = findMosquitto();
  void it('reaches every path of the supervised mosquitto (TLS its own listener) with a password; a wrong one is not authorised (what mosquitto answers)', { skip: mosquitto === null ? 'mosquitto not installed' : false }, async () => {
    const pki = createTestPki();
    const broker = await startMosquittoBroker({
      mosquittoPath: mosquitto ?? '',
      port: 0,
      wsPort: 0,
      tls: { port: 0, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile },
      auth: { users: [{ ...USER, role: 'integrator', serials: ['OM1'] }] },
    });
    try {
      const io = memoryIo();
      const base = { broker: broker.url, backupPort: broker.wsPort ?? 0, tlsPort: broker.tlsPort ?? 0, timeout: 3, mqtt: true, ca: pki.caFile } as const;
      assert.equal(await runCheck({ ...base, mqttVersion: 5, ...USER }, io), 0, io.stdout.join('\n'));
      assert.match(io.stdout.join('\n'), /verdict: OK, mqtt:.* and ws:.* and mqtts:.* work/);
      const refused = memoryIo();
      assert.equal(await runCheck({ ...base, mqttVersion: 5, username: 'acme', password: 'wrong-password' }, refused), 1);
      assert.match(refused.stdout.join('\n'), /mqtts:.*: CONNACK 135 \(0x87\): not authorised/);
    } finally {
      await broker.close();
      pki.remove();
    }
  });
});
