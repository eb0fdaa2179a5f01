import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.ts';
import { topicsFor } from '../../src/protocol/topics.ts';
import { connectRemoteLink } from '../../src/remote/remote-link.ts';
import { BROKERS, type RunningBroker } from '../helpers/brokers.ts';
import { connectTestClient } from '../helpers/mqtt-client.ts';
import { recordingHandlers, recordingLogger } from '../helpers/remote-link.ts';
import { createTestPki } from '../helpers/tls-certs.ts';

const NOW_MS = Date.UTC(2024, 4, 2, 12, 0, 0);
const clock = { now: () => NOW_MS };
const NOW_S = NOW_MS / 1000;

let serialCounter = 0;
/** A fresh serial per test, so retained status messages of one test never meet another. */
function nextSerial(): string {
  serialCounter += 1;
  return `OM1240408${process.pid % 10_000}${String(serialCounter).padStart(4, '0')}`.slice(0, 19);
}

const versionName = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5' } as const;

for (const fixture of BROKERS) {
  describe(`remote link on ${fixture.name}`, () => {
    let broker: RunningBroker;
    before(async () => {
      broker = await fixture.start();
    });
    after(async () => {
      await broker.stop();
    });

    for (const version of fixture.protocols) {
      for (const transport of ['tcp', 'ws'] as const) {
        test(`${versionName[version]} over ${transport}: receives commands and schedules, publishes feedback, retained online then offline`, async () => {
          const url = transport === 'tcp' ? broker.url : broker.wsUrl;
          const serial = nextSerial();
          const t = topicsFor(serial);
          const h = recordingHandlers();
          const link = await connectRemoteLink({ url, serial, protocolVersion: version, clock, ...h, initialWaitMs: 3000 });
          const integrator = await connectTestClient(url, { protocolVersion: version });
          try {
            assert.equal(link.isConnected(), true);
            assert.deepEqual(h.connectionChanges, [true]);

            // A late subscriber sees the retained online status.
            await integrator.client.subscribeAsync([t.status, t.feedback], { qos: 1 });
            const online = await integrator.waitFor((m) => m.topic === t.status);
            assert.deepEqual(online.json, { status: 'online', time: NOW_S });
            assert.equal(online.packet.retain, true);

            const command = JSON.stringify({ time: NOW_S, fields: {} });
            await integrator.client.publishAsync(t.command, command, { qos: 1 });
            const got = await h.nextMessage(command);
            assert.equal(got.kind, 'command');
            assert.deepEqual(got.meta, { topic: t.command, qos: 1, retain: false, receivedAtMs: NOW_MS });

            await integrator.client.publishAsync(t.schedule, 'schedule-1', { qos: 1 });
            assert.equal((await h.nextMessage('schedule-1')).kind, 'schedule');

            await link.publishFeedback({ response_code: 0, serial });
            const feedback = await integrator.waitFor((m) => m.topic === t.feedback);
            assert.deepEqual(feedback.json, { response_code: 0, serial });
            assert.equal(feedback.packet.retain, false);
            assert.equal(feedback.packet.qos, 1);

            await link.close();
            const offline = await integrator.waitFor((m) => m.topic === t.status && (m.json as { status?: string }).status === 'offline');
            assert.deepEqual(offline.json, { status: 'offline', time: NOW_S }, 'a clean close carries its time (the will does not)');
            assert.equal(link.isConnected(), false);
            assert.deepEqual(h.connectionChanges, [true, false]);
            await assert.rejects(link.publishFeedback({}), /closed/);
            await link.close(); // idempotent

            // The offline status is retained for whoever looks later.
            const late = await connectTestClient(url, { protocolVersion: version });
            await late.client.subscribeAsync(t.status, { qos: 1 });
            assert.deepEqual((await late.waitFor((m) => m.topic === t.status)).json, { status: 'offline', time: NOW_S });
            await late.end();
          } finally {
            await link.close();
            await integrator.end();
          }
        });
      }
    }

    test('two controllers on one broker each get only their own commands; custom prefixes apply', async () => {
      const prefixes = { command: 'acme/cmd', feedback: 'acme/fb', status: undefined };
      const [s1, s2] = [nextSerial(), nextSerial()];
      const h1 = recordingHandlers();
      const h2 = recordingHandlers();
      const l1 = await connectRemoteLink({ url: broker.url, serial: s1, protocolVersion: 4, prefixes, ...h1 });
      const l2 = await connectRemoteLink({ url: broker.url, serial: s2, protocolVersion: 4, prefixes, ...h2 });
      const integrator = await connectTestClient(broker.url);
      try {
        assert.equal(l1.topics.command, `acme/cmd/${s1}`);
        assert.equal(l1.topics.status, `gridpilot/status/${s1}`);
        await integrator.client.publishAsync(`acme/cmd/${s2}`, 'for 2', { qos: 1 });
        await integrator.client.publishAsync(topicsFor(s1).command, 'default prefix', { qos: 1 });
        await integrator.client.publishAsync(`acme/cmd/${s1}`, 'for 1', { qos: 1 });
        await h1.nextMessage('for 1');
        await h2.nextMessage('for 2');
        assert.deepEqual(h1.commands.map((c) => c.payload), ['for 1']);
        assert.deepEqual(h2.commands.map((c) => c.payload), ['for 2']);
      } finally {
        await Promise.all([l1.close(), l2.close(), integrator.end()]);
      }
    });

    test('a handler that throws is logged and the link keeps working', async () => {
      const serial = nextSerial();
      const log = recordingLogger();
      const h = recordingHandlers();
      const link = await connectRemoteLink({
        url: broker.url,
        serial,
        protocolVersion: 4,
        logger: log,
        onSchedule: h.onSchedule,
        onCommand(payload, meta) {
          if (payload.toString() === 'boom') throw new Error('handler bug');
          h.onCommand(payload, meta);
        },
      });
      const integrator = await connectTestClient(broker.url);
      try {
        await integrator.client.publishAsync(link.topics.command, 'boom', { qos: 1 });
        await integrator.client.publishAsync(link.topics.command, 'after', { qos: 1 });
        await h.nextMessage('after');
        assert.ok(log.entries.some((e) => e.level === 'error' && e.obj['err'] === 'handler bug'));
        assert.equal(link.isConnected(), true);
      } finally {
        await Promise.all([link.close(), integrator.end()]);
      }
    });
  });
}

describe('remote link with an account that does not own the serial', () => {
  const auth = { users: [{ username: 'ctl-other', password: 'pw', role: 'controller' as const, serials: ['OM99999999999999999'] }] };
  for (const fixture of BROKERS) {
    // 3.1 on aedes: its denied publishes are dropped and the connection kept (3.1.1 would be closed [MQTT-3.3.5-2]).
    const version = fixture.protocols.includes(5) ? 5 : 3;
    test(`${fixture.name}, ${versionName[version]}: ACL refusals are logged as errors and feedback ${fixture.deniedPublish[version] === 'puback-0x87' ? 'rejects with 0x87' : 'is dropped by the broker'}`, async () => {
      const broker = await fixture.start({ auth });
      const log = recordingLogger();
      const link = await connectRemoteLink({
        url: broker.url,
        serial: nextSerial(),
        protocolVersion: version,
        username: 'ctl-other',
        password: 'pw',
        logger: log,
        onCommand: () => undefined,
        onSchedule: () => undefined,
      });
      try {
        assert.equal(link.isConnected(), true, 'connected: the controller still runs and answers what it can');
        const refusals = log.entries.filter((e) => e.level === 'error').map((e) => e.msg);
        if (fixture.deniedSubscribe === 'suback-failure') assert.ok(refusals.some((m) => /refused the subscription/.test(m)), refusals.join());
        if (fixture.deniedPublish[version] === 'puback-0x87') {
          assert.ok(refusals.some((m) => /refused the online status/.test(m)), refusals.join());
          await assert.rejects(link.publishFeedback({}), (err: Error & { code?: unknown }) => err.code === 0x87);
        } else {
          await link.publishFeedback({});
        }
      } finally {
        await link.close();
        await broker.stop();
      }
    });
  }
});

describe('remote link over TLS', () => {
  test('connects over mqtts:// and wss:// with a CA file', async () => {
    const pki = createTestPki();
    const broker = await startEmbeddedBroker({
      port: 0,
      tls: { port: 0, keyFile: pki.serverKeyFile, certFile: pki.serverCertFile },
      wssPort: 0,
    });
    try {
      for (const url of [broker.tlsUrl ?? '', broker.wssUrl ?? '']) {
        const serial = nextSerial();
        const h = recordingHandlers();
        const link = await connectRemoteLink({ url, serial, protocolVersion: 3, caFile: pki.caFile, ...h });
        const integrator = await connectTestClient(url, { caFile: pki.caFile, protocolVersion: 3 });
        try {
          assert.equal(link.isConnected(), true, url);
          await integrator.client.publishAsync(link.topics.command, `over ${url}`, { qos: 1 });
          await h.nextMessage(`over ${url}`);
        } finally {
          await Promise.all([link.close(), integrator.end()]);
        }
      }
    } finally {
      await broker.close();
      pki.remove();
    }
  });

  test('an unreadable CA file rejects at once (bad settings are not retried)', async () => {
    await assert.rejects(
      connectRemoteLink({ url: 'mqtts://127.0.0.1:1', serial: 'X1', protocolVersion: 4, caFile: '/no/such/ca.pem', onCommand: () => undefined, onSchedule: () => undefined }),
      /\/no\/such\/ca\.pem/,
    );
  });
});
