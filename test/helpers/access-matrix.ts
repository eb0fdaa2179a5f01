import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { hashPasswordMosquitto, hashPasswordScrypt } from '../../src/broker/password-hash.ts';
import { runAddIntegrator, runAddSite, runGrant } from '../../src/cli/commands/broker.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { topicsFor } from '../../src/protocol/topics.ts';
import { BrokerAccountsDb } from '../../src/store/broker-accounts.ts';
import type { ProtocolVersion } from './brokers.ts';
import { connectTestClient, type TestClient } from './mqtt-client.ts';
import { tempDirMaker } from './temp-dirs.ts';

/**
 * The access acceptance matrix of issue 13, run against one broker per test file: for each MQTT
 * version the broker speaks, with MQTT.js, Debian's mosquitto_pub/mosquitto_sub and paho-mqtt
 * 1.6.1 (/usr/bin/python3): right credentials work and wrong ones are refused; site A's
 * integrator cannot command, schedule or read site B (each denied publish with its version's
 * behaviour); a controller cannot publish another controller's feedback. Non-delivery is proven
 * by order, never by waiting: a denied message is published before an allowed marker on the same
 * connection (or before the PUBACK that ends the publishing process), and the observer must see
 * the marker and nothing before it.
 */

const run = promisify(execFile);
export const A = 'MXSITEA0000000001';
export const B = 'MXSITEB0000000002';
export const tA = topicsFor(A);
export const tB = topicsFor(B);
export const PW = { ctlA: 'ctl-a-password', intA: 'int-a-password', watcher: 'watcher-password', observer: 'observer-password' } as const;
const PAHO_PEER = fileURLToPath(new URL('./paho-peer.py', import.meta.url));

/** A data directory with sites A and B, integrator int-a (site A), watcher (A and B) and observer (a controller account of A and B, test-only). */
export async function accountsDataDir(prefix: string): Promise<string> {
  const dir = tempDirMaker(prefix)();
  const io = memoryIo();
  const never = (): Promise<string> => Promise.reject(new Error('no prompt'));
  await runAddSite(A, { dataDir: dir, password: PW.ctlA }, io, never);
  await runAddSite(B, { dataDir: dir, password: 'ctl-b-password' }, io, never);
  await runAddIntegrator('int-a', { dataDir: dir, password: PW.intA }, io, never);
  await runGrant('int-a', A, { dataDir: dir }, io);
  await runAddIntegrator('watcher', { dataDir: dir, password: PW.watcher }, io, never);
  await runGrant('watcher', A, { dataDir: dir }, io);
  await runGrant('watcher', B, { dataDir: dir }, io);
  // The CLI gives a controller one site; the store allows more — an observer of both command topics.
  const db = BrokerAccountsDb.open(dir);
  db.add({ name: 'observer', role: 'controller', password: { scrypt: hashPasswordScrypt(PW.observer), mosquitto: hashPasswordMosquitto(PW.observer) }, serials: [A, B] });
  db.close();
  return dir;
}

export type DeniedPublish = 'dropped' | 'disconnect' | 'puback-0x87';

export interface MatrixBroker {
  host: string;
  port: number;
  url: string;
  stop(): Promise<void>;
}

export interface MatrixOptions {
  name: string;
  versions: readonly ProtocolVersion[];
  deniedPublish: Readonly<Record<number, DeniedPublish>>;
  /** aedes: SUBACK failure; mosquitto 2.0.11 (acl_file): granted, then nothing delivered. */
  deniedSubscribe: 'suback-failure' | 'granted-but-filtered';
  start(): Promise<MatrixBroker>;
}

const mosquittoVersion = { 3: 'mqttv31', 4: 'mqttv311', 5: 'mqttv5' } as const;
const versionName = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5' } as const;

type PahoEvent = { connack?: number; suback?: number[]; message?: string; puback?: string; closed?: number; error?: string };

async function paho(args: Record<string, unknown>): Promise<PahoEvent[]> {
  const { stdout } = await run('/usr/bin/python3', [PAHO_PEER, JSON.stringify(args)], { timeout: 20_000 });
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as PahoEvent);
}

async function mosquittoClient(tool: 'mosquitto_pub' | 'mosquitto_sub', args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(tool, args, { timeout: 20_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export function defineAccessMatrix(o: MatrixOptions): void {
  describe(`access matrix on ${o.name}`, () => {
    let broker: MatrixBroker;
    before(async () => {
      broker = await o.start();
    });
    after(async () => {
      await broker.stop();
    });
    const connect = (version: ProtocolVersion, username: string, password: string): Promise<TestClient> => connectTestClient(broker.url, { protocolVersion: version, username, password });
    const cliArgs = (version: ProtocolVersion, username: string, password: string): string[] => ['-h', broker.host, '-p', String(broker.port), '-V', mosquittoVersion[version], '-u', username, '-P', password];

    /** Publishes `topic` from `who` as denied, with the version's behaviour; returns a client still usable for the marker. */
    const publishDenied = async (version: ProtocolVersion, who: { username: string; password: string }, client: TestClient, topic: string): Promise<TestClient> => {
      const behaviour = o.deniedPublish[version];
      if (behaviour === 'disconnect') {
        client.client.publish(topic, 'denied', { qos: 1 });
        await client.waitForClose(); // [MQTT-3.3.5-2]
        await client.end();
        return connect(version, who.username, who.password);
      }
      const p = client.client.publishAsync(topic, 'denied', { qos: 1 });
      if (behaviour === 'puback-0x87') await assert.rejects(p, (err: Error & { code?: unknown }) => err.code === 0x87, 'PUBACK 0x87');
      else await p; // acknowledged, then dropped
      assert.equal(client.client.connected, true, 'the connection is kept');
      return client;
    };

    for (const version of o.versions) {
      const v = versionName[version];
      test(`${v}: right credentials work and wrong ones are refused (MQTT.js, mosquitto_pub, paho)`, async () => {
        const observer = await connect(version, 'observer', PW.observer);
        try {
          await observer.client.subscribeAsync(tA.command, { qos: 1 });
          await assert.rejects(connect(version, 'int-a', 'wrong-password'), 'MQTT.js: wrong password refused');
          await assert.rejects(connectTestClient(broker.url, { protocolVersion: version }), 'MQTT.js: anonymous refused');
          const intA = await connect(version, 'int-a', PW.intA);
          await intA.client.publishAsync(tA.command, 'mqttjs', { qos: 1 });
          await intA.end();
          // One connection per account at a time: mosquitto binds the client id to the username.
          const [badPub, badPy] = await Promise.all([
            mosquittoClient('mosquitto_pub', [...cliArgs(version, 'int-a', 'wrong-password'), '-q', '1', '-t', tA.command, '-m', 'refused']),
            paho({ host: broker.host, port: broker.port, version, username: 'int-a', password: 'wrong-password' }),
          ]);
          const pub = await mosquittoClient('mosquitto_pub', [...cliArgs(version, 'int-a', PW.intA), '-q', '1', '-t', tA.command, '-m', 'mosquitto_pub']);
          const py = await paho({ host: broker.host, port: broker.port, version, username: 'int-a', password: PW.intA, publish: [[tA.command, 'paho']] });
          assert.equal(pub.code, 0, pub.stderr);
          assert.notEqual(badPub.code, 0, 'mosquitto_pub: wrong password refused');
          assert.deepEqual(py[0], { connack: 0 });
          assert.ok((badPy[0]?.connack ?? 0) !== 0, `paho: wrong password refused (${JSON.stringify(badPy)})`);
          for (const payload of ['mqttjs', 'mosquitto_pub', 'paho']) await observer.waitFor((m) => m.payload.toString() === payload, 8000, payload);
          assert.ok(!observer.received.some((m) => m.payload.toString() === 'refused'));
        } finally {
          await observer.end();
        }
      });

      test(`${v}: site A's integrator cannot command or schedule site B (${o.deniedPublish[version]}), with every client`, async () => {
        const observer = await connect(version, 'observer', PW.observer);
        try {
          await observer.client.subscribeAsync([tA.command, tB.command, tA.schedule, tB.schedule], { qos: 1 });
          let intA = await connect(version, 'int-a', PW.intA);
          intA = await publishDenied(version, { username: 'int-a', password: PW.intA }, intA, tB.command);
          intA = await publishDenied(version, { username: 'int-a', password: PW.intA }, intA, tB.schedule);
          await intA.client.publishAsync(tA.command, 'marker-mqttjs', { qos: 1 });
          await intA.end();
          // mosquitto_pub: its PUBACK comes after the broker routed (or dropped) the message.
          const pub = await mosquittoClient('mosquitto_pub', [...cliArgs(version, 'int-a', PW.intA), '-q', '1', '-t', tB.command, '-m', 'denied']);
          if (o.deniedPublish[version] === 'puback-0x87') assert.match(pub.stderr, /Not authorized/);
          const marker = await connect(version, 'int-a', PW.intA);
          await marker.client.publishAsync(tA.command, 'marker-mosquitto_pub', { qos: 1 });
          await marker.end();
          const py = await paho({ host: broker.host, port: broker.port, version, username: 'int-a', password: PW.intA, publish: [[tB.schedule, 'denied'], [tA.command, 'marker-paho']] });
          assert.deepEqual(py[0], { connack: 0 });
          if (o.deniedPublish[version] === 'disconnect') assert.ok(py.some((e) => e.closed !== undefined && e.closed !== 0), `paho: closed (${JSON.stringify(py)})`);
          else assert.ok(py.some((e) => e.puback === tA.command), `paho: kept the connection (${JSON.stringify(py)})`);
          await observer.waitFor((m) => m.payload.toString() === 'marker-mosquitto_pub', 8000, 'marker');
          if (o.deniedPublish[version] !== 'disconnect') await observer.waitFor((m) => m.payload.toString() === 'marker-paho', 8000, 'paho marker');
          assert.deepEqual(observer.received.filter((m) => m.payload.toString() === 'denied').map((m) => m.topic), [], 'nothing for site B arrived');
          assert.ok(observer.received.every((m) => m.topic === tA.command));
        } finally {
          await observer.end();
        }
      });

      test(`${v}: site A's integrator cannot read site B (${o.deniedSubscribe}), with every client`, async () => {
        const observer = await connect(version, 'observer', PW.observer);
        const intA = await connect(version, 'int-a', PW.intA);
        try {
          await observer.client.publishAsync(tB.status, `B status ${version}`, { qos: 1, retain: true });
          await observer.client.publishAsync(tA.status, `A status ${version}`, { qos: 1, retain: true });
          const foreign = intA.client.subscribeAsync(tB.status, { qos: 1 });
          if (o.deniedSubscribe === 'suback-failure') await assert.rejects(foreign, /Subscribe error/);
          else await foreign;
          await intA.client.subscribeAsync(tA.status, { qos: 1 });
          await intA.waitFor((m) => m.topic === tA.status);
          await observer.client.publishAsync(tB.status, 'B live', { qos: 1 });
          await observer.client.publishAsync(tA.status, 'A live', { qos: 1 });
          await intA.waitFor((m) => m.payload.toString() === 'A live');
          assert.deepEqual(intA.received.map((m) => m.topic), [tA.status, tA.status], 'MQTT.js: only site A');
          await intA.end();
          // B's filter first: a leak would deliver B's retained status before A's.
          const sub = await mosquittoClient('mosquitto_sub', [...cliArgs(version, 'int-a', PW.intA), '-t', tB.status, '-t', tA.status, '-C', '1', '-v', '-W', '15']);
          const py = await paho({ host: broker.host, port: broker.port, version, username: 'int-a', password: PW.intA, subscribe: [tB.status, tA.status] });
          assert.equal(sub.stdout.split(' ')[0], tA.status, `mosquitto_sub: ${sub.stdout}${sub.stderr}`);
          assert.ok(py.some((e) => e.message === tA.status) && !py.some((e) => e.message === tB.status), JSON.stringify(py));
          const suback = py.find((e) => e.suback)?.suback ?? [];
          if (o.deniedSubscribe === 'suback-failure') assert.ok((suback[0] ?? 0) >= 0x80 && (suback[1] ?? 0x80) < 0x80, `paho SUBACK ${JSON.stringify(suback)}`);
        } finally {
          await Promise.all([observer.end(), intA.end()]);
        }
      });

      test(`${v}: a controller cannot publish another controller's feedback`, async () => {
        const watcher = await connect(version, 'watcher', PW.watcher);
        let ctlA = await connect(version, `gp-${A}`, PW.ctlA);
        try {
          await watcher.client.subscribeAsync([tA.feedback, tB.feedback], { qos: 1 });
          ctlA = await publishDenied(version, { username: `gp-${A}`, password: PW.ctlA }, ctlA, tB.feedback);
          await ctlA.client.publishAsync(tA.feedback, 'own feedback', { qos: 1 });
          await watcher.waitFor((m) => m.payload.toString() === 'own feedback');
          assert.deepEqual(watcher.received.map((m) => m.topic), [tA.feedback]);
        } finally {
          await Promise.all([watcher.end(), ctlA.end()]);
        }
      });
    }
  });
}
