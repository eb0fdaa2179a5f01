import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BrokerAuth } from '../../src/broker/auth.ts';
import type { BrokerLimits, ConnectionGuard } from '../../src/broker/connection-guard.ts';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.ts';
import { startMosquittoBroker } from '../../src/broker/mosquitto-broker.ts';
import { findMosquitto } from '../../src/broker/mosquitto-config.ts';
import { startLocalBroker } from '../../src/broker/start-local-broker.ts';
import { runAddIntegrator, runAddSite, runGrant } from '../../src/cli/commands/broker.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { topicsFor } from '../../src/protocol/topics.ts';
import { connectTestClient, type TestClient } from '../helpers/mqtt-client.ts';
import { connectPacket, publishHeader, rawConnection } from '../helpers/raw-mqtt.ts';
import { tempDirMaker } from '../helpers/temp-dirs.ts';
import { until } from '../helpers/until.ts';

// The abuse limits [issue 13] on both engines, with real sockets: gridpilot's guard in front of
// aedes (in-process) and of the supervised mosquitto alike (connection-guard.ts). Nothing here
// measures time: every limit is set so that it is either clearly hit or clearly not.

const S = 'OMABUSE0000000001';
const t = topicsFor(S);
const auth: BrokerAuth = {
  users: [
    { username: 'ctl', password: 'ctl-password', role: 'controller', serials: [S] },
    { username: 'int', password: 'int-password', role: 'integrator', serials: [S] },
    { username: 'int2', password: 'int2-password', role: 'integrator', serials: [S] },
  ],
};
const ctl = { username: 'ctl', password: 'ctl-password' };
const int = { username: 'int', password: 'int-password' };
/** Large enough never to be hit by accident. */
const ROOMY: Partial<BrokerLimits> = { maxConnections: 100, connectTimeoutMs: 60_000, maxMessagesPerS: 1000, messageBurst: 1000, failedConnectsBeforeBackoff: 1000 };

interface Engine {
  url: string;
  port: number;
  controllerUrl: string;
  guard: ConnectionGuard;
  close(): Promise<void>;
}

const MOSQUITTO = findMosquitto();
const engines = {
  async aedes(limits: Partial<BrokerLimits>, maxPacketBytes = 1 << 20): Promise<Engine> {
    const b = await startEmbeddedBroker({ port: 0, auth, limits, maxPacketBytes });
    assert.ok(b.guard);
    return { url: b.url, port: b.port, controllerUrl: b.controllerUrl, guard: b.guard, close: () => b.close() };
  },
  async mosquitto(limits: Partial<BrokerLimits>, maxPacketBytes = 1 << 20): Promise<Engine> {
    assert.ok(MOSQUITTO, 'mosquitto is installed (scripts/install-system-deps.sh)');
    const b = await startMosquittoBroker({ mosquittoPath: MOSQUITTO, port: 0, wsPort: null, auth, limits, maxPacketBytes });
    return { url: b.url, port: b.port, controllerUrl: b.controllerUrl, guard: b.guard, close: () => b.close() };
  },
};

/** Rejects like a refused connect: a CONNACK refusal (err.code) or a close before any CONNACK. */
const isClosedBeforeConnack = (err: Error): boolean => /closed before CONNACK|ECONNRESET|EPIPE/.test(err.message);

for (const engine of ['aedes', 'mosquitto'] as const) {
  const version = engine === 'mosquitto' ? 5 : 4;
  describe(`abuse limits (${engine})`, () => {
    it('a connection that sends no CONNECT within connectTimeoutMs is closed, and counts as a failure', async () => {
      const b = await engines[engine]({ ...ROOMY, connectTimeoutMs: 200 });
      try {
        const raw = await rawConnection(b.port);
        await raw.closed;
        assert.equal(raw.received().length, 0, 'nothing was sent back');
        assert.equal(b.guard.stats().failures, 1);
      } finally {
        await b.close();
      }
    });

    it('over maxConnections a socket is closed at once; a closed one frees its place; the controller listener is not counted', async () => {
      const b = await engines[engine]({ ...ROOMY, maxConnections: 2 });
      try {
        const idle = [await rawConnection(b.port), await rawConnection(b.port)];
        await until(() => b.guard.stats().open === 2, 'two sockets admitted');
        await assert.rejects(connectTestClient(b.url, { protocolVersion: version, ...int }), isClosedBeforeConnack);
        assert.equal(b.guard.stats().refusedFull, 1);
        const controller = await connectTestClient(b.controllerUrl, { protocolVersion: version, ...ctl });
        await controller.end();
        idle[0]?.socket.destroy();
        await until(() => b.guard.stats().open === 1, 'one place free again');
        const integrator = await connectTestClient(b.url, { protocolVersion: version, ...int });
        await integrator.end();
        idle[1]?.socket.destroy();
      } finally {
        await b.close();
      }
    });

    it('a packet over maxPacketBytes closes the connection as soon as its header announces it; one under it is delivered', async () => {
      const b = await engines[engine](ROOMY, 4096);
      const clients: TestClient[] = [];
      try {
        const controller = await connectTestClient(b.controllerUrl, { protocolVersion: version, ...ctl });
        clients.push(controller);
        await controller.client.subscribeAsync(t.command, { qos: 1 });
        const integrator = await connectTestClient(b.url, { protocolVersion: version, ...int });
        clients.push(integrator);
        await integrator.client.publishAsync(t.command, 'x'.repeat(3000), { qos: 1 });
        await controller.waitFor((m) => m.payload.length === 3000);
        // A header announcing 100 MB, and nothing after it: closed without waiting for the body.
        const raw = await rawConnection(b.port);
        raw.socket.write(connectPacket('raw-big', 'int2', 'int2-password'));
        assert.deepEqual([...(await raw.firstBytes(2))], [0x20, 0x02], 'CONNACK');
        raw.socket.write(publishHeader(100 * 1024 * 1024));
        await raw.closed;
        assert.equal(b.guard.stats().oversized, 1);
        assert.equal(integrator.client.connected, true, 'others are not affected');
      } finally {
        for (const c of clients) await c.end();
        await b.close();
      }
    });

    it('over the message rate a connection is throttled (the default): everything is delivered, in order, and it stays connected', async () => {
      const b = await engines[engine]({ ...ROOMY, maxMessagesPerS: 100, messageBurst: 5 });
      const clients: TestClient[] = [];
      try {
        const controller = await connectTestClient(b.controllerUrl, { protocolVersion: version, ...ctl });
        clients.push(controller);
        await controller.client.subscribeAsync(t.command, { qos: 1 });
        const fast = await connectTestClient(b.url, { protocolVersion: version, ...int });
        clients.push(fast);
        const sent = Array.from({ length: 30 }, (_, i) => `fast ${i + 1}`);
        await Promise.all(sent.map((m) => fast.client.publishAsync(t.command, m, { qos: 1 })));
        await controller.waitFor((m) => m.payload.toString() === 'fast 30', 8000, 'the last one');
        assert.deepEqual(controller.received.map((m) => m.payload.toString()), sent);
        assert.equal(fast.client.connected, true);
        assert.ok(b.guard.stats().throttled >= 1, JSON.stringify(b.guard.stats()));
        assert.equal(b.guard.stats().overRate, 0);
      } finally {
        for (const c of clients) await c.end();
        await b.close();
      }
    });

    it(`with overRate 'disconnect' the connection is closed${engine === 'mosquitto' ? ' (MQTT 5: DISCONNECT 0x96 first)' : ''}; what came before is delivered, other clients are not affected`, async () => {
      const b = await engines[engine]({ ...ROOMY, maxMessagesPerS: 0.001, messageBurst: 5, overRate: 'disconnect' });
      const clients: TestClient[] = [];
      try {
        const controller = await connectTestClient(b.controllerUrl, { protocolVersion: version, ...ctl });
        clients.push(controller);
        await controller.client.subscribeAsync(t.command, { qos: 1 });
        const flooder = await connectTestClient(b.url, { protocolVersion: version, ...int });
        clients.push(flooder);
        const reasons: number[] = [];
        flooder.client.on('disconnect', (packet) => reasons.push(packet.reasonCode ?? -1));
        for (let i = 1; i <= 8; i++) flooder.client.publish(t.command, `flood ${i}`, { qos: 0 });
        await flooder.waitForClose();
        if (version === 5) assert.deepEqual(reasons, [0x96], 'DISCONNECT "message rate too high"');
        // A new session of the same account has a bucket of its own.
        const integrator = await connectTestClient(b.url, { protocolVersion: version, ...int });
        clients.push(integrator);
        await integrator.client.publishAsync(t.command, 'after', { qos: 1 });
        await controller.waitFor((m) => m.payload.toString() === 'after');
        assert.deepEqual(
          controller.received.map((m) => m.payload.toString()),
          ['flood 1', 'flood 2', 'flood 3', 'flood 4', 'flood 5', 'after'],
        );
        assert.equal(b.guard.stats().overRate, 1);
      } finally {
        for (const c of clients) await c.end();
        await b.close();
      }
    });

    it('after failedConnectsBeforeBackoff bad logins an address is refused, even with the right password; other addresses are not', async () => {
      const b = await engines[engine]({ ...ROOMY, failedConnectsBeforeBackoff: 3, backoffMs: 600_000, backoffMaxMs: 600_000 });
      try {
        for (let i = 0; i < 3; i++) {
          await assert.rejects(
            connectTestClient(b.url, { protocolVersion: version, username: 'int', password: 'wrong', localAddress: '127.0.0.2' }),
            (err: Error & { code?: unknown }) => typeof err.code === 'number',
            `bad login ${i + 1}: a CONNACK refusal`,
          );
        }
        await assert.rejects(connectTestClient(b.url, { protocolVersion: version, ...int, localAddress: '127.0.0.2' }), isClosedBeforeConnack);
        assert.equal(b.guard.stats().refusedBackingOff, 1);
        const fromElsewhere = await connectTestClient(b.url, { protocolVersion: version, ...int, localAddress: '127.0.0.3' });
        await fromElsewhere.end();
      } finally {
        await b.close();
      }
    });
  });
}

describe('the controller is never locked out by others (gridpilot start\'s broker)', () => {
  const tempDir = tempDirMaker('gp-abuse-');
  for (const engine of ['aedes', 'mosquitto'] as const) {
    it(`${engine}: failed logins with its own name from its own address block that address, not the controller's listener`, async () => {
      const dataDir = tempDir();
      const io = memoryIo();
      const never = (): Promise<string> => Promise.reject(new Error('no prompt'));
      // The site's controller account exists (its password is regenerated at start); acme closes anonymous access.
      await runAddSite(S, { dataDir, password: 'any-ctl-password' }, io, never);
      await runAddIntegrator('acme', { dataDir, password: 'acme-password' }, io, never);
      await runGrant('acme', S, { dataDir }, io);
      const limits: Partial<BrokerLimits> = { failedConnectsBeforeBackoff: 2, backoffMs: 600_000, backoffMaxMs: 600_000 };
      const b = await startLocalBroker({ host: '127.0.0.1', port: 0, wsPort: null, engine, maxPacketBytes: 1 << 20, limits }, {}, silentLogger, { serial: S, dataDir });
      const login = b.controllerLogin;
      const version = engine === 'mosquitto' ? 5 : 4;
      try {
        for (let i = 0; i < 2; i++) await assert.rejects(connectTestClient(b.url, { protocolVersion: version, username: login.username, password: 'guessed-wrong', clientId: login.username }));
        await assert.rejects(connectTestClient(b.url, { protocolVersion: version, ...login, clientId: login.username }), isClosedBeforeConnack, '127.0.0.1 backs off on the public listener');
        const controller = await connectTestClient(b.controllerUrl, { protocolVersion: version, ...login, clientId: login.username });
        await controller.client.subscribeAsync(t.command, { qos: 1 });
        const integrator = await connectTestClient(b.url, { protocolVersion: version, username: 'acme', password: 'acme-password', localAddress: '127.0.0.2' });
        await integrator.client.publishAsync(t.command, 'still controlled', { qos: 1 });
        await controller.waitFor((m) => m.payload.toString() === 'still controlled');
        await integrator.end();
        await controller.end();
      } finally {
        await b.close();
      }
    });
  }
});
