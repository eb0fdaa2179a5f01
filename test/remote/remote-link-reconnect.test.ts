import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.ts';
import { connectRemoteLink } from '../../src/remote/remote-link.ts';
import { BROKERS } from '../helpers/brokers.ts';
import { connectTestClient, type Received } from '../helpers/mqtt-client.ts';
import { freePort } from '../helpers/ports.ts';
import { recordingHandlers, recordingLogger } from '../helpers/remote-link.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';

/** Fast retries so the tests stay quick; the production default is 250 ms → 1.5 s. */
const fastReconnect = { initialDelayMs: 50, maxDelayMs: 200 };

let serialCounter = 0;
function nextSerial(): string {
  serialCounter += 1;
  return `OM1240409${process.pid % 10_000}${String(serialCounter).padStart(4, '0')}`.slice(0, 19);
}

const statusOf = (m: Received): unknown => (m.json as { status?: unknown } | undefined)?.status;
const versionName = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5' } as const;

for (const fixture of BROKERS) {
  describe(`remote link resilience on ${fixture.name}`, () => {
    for (const version of fixture.protocols) {
      test(`${versionName[version]}: a cut connection makes the broker publish the retained offline will; the link comes back and still gets commands`, async () => {
        const broker = await fixture.start();
        const proxy = await startTcpProxy(broker.port);
        const serial = nextSerial();
        const h = recordingHandlers();
        const observer = await connectTestClient(broker.url, { protocolVersion: version });
        const link = await connectRemoteLink({
          url: `mqtt://127.0.0.1:${proxy.port}`,
          serial,
          protocolVersion: version,
          reconnect: fastReconnect,
          ...h,
        });
        try {
          await observer.client.subscribeAsync(link.topics.status, { qos: 1 });
          await observer.waitFor((m) => statusOf(m) === 'online');

          proxy.setBlocked(true);
          proxy.cutAll();
          const will = await observer.waitFor((m) => statusOf(m) === 'offline');
          assert.deepEqual(will.json, { status: 'offline' }, 'the will has no time');
          await h.connection(false, 1);
          const late = await connectTestClient(broker.url, { protocolVersion: version });
          await late.client.subscribeAsync(link.topics.status, { qos: 1 });
          const retained = await late.waitFor((m) => m.topic === link.topics.status);
          assert.deepEqual(retained.json, { status: 'offline' });
          assert.equal(retained.packet.retain, true);
          await late.end();
          proxy.setBlocked(false);

          await h.connection(true, 2);
          const willIndex = observer.received.indexOf(will);
          await observer.waitFor((m) => statusOf(m) === 'online' && observer.received.indexOf(m) > willIndex, 4000, 'online again');
          assert.deepEqual(h.connectionChanges, [true, false, true]);

          await observer.client.publishAsync(link.topics.command, 'after reconnect', { qos: 1 });
          await h.nextMessage('after reconnect');
        } finally {
          await link.close();
          await observer.end();
          await proxy.close();
          await broker.stop();
        }
      });
    }

    test('with the default back-off, a 12 s outage ends with the link back within 2 s of the broker restarting', async () => {
      const serial = nextSerial();
      const first = await fixture.start();
      const h = recordingHandlers();
      const link = await connectRemoteLink({ url: first.url, serial, protocolVersion: 4, ...h });
      try {
        await first.stop();
        await h.connection(false, 1);
        // Long enough for the old 1 s → 30 s back-off to be waiting 8–16 s by now.
        await new Promise((resolve) => setTimeout(resolve, 12_000));
        const second = await fixture.start({ port: first.port, wsPort: first.wsPort });
        const restartedAt = performance.now();
        try {
          await h.connection(true, 2, 5000);
          const tookMs = performance.now() - restartedAt;
          assert.ok(tookMs < 2000, `reconnected ${Math.round(tookMs)} ms after the restart`);
        } finally {
          await link.close();
          await second.stop();
        }
      } finally {
        await link.close();
      }
    });

    test('the link reconnects after the broker restarts on the same port and subscribes again', async () => {
      const serial = nextSerial();
      const first = await fixture.start();
      const h = recordingHandlers();
      const link = await connectRemoteLink({ url: first.url, serial, protocolVersion: 4, reconnect: fastReconnect, ...h });
      await first.stop();
      await h.connection(false, 1);
      assert.equal(link.isConnected(), false);
      await assert.rejects(link.publishFeedback({ any: 1 }), /not connected/);

      const second = await fixture.start({ port: first.port, wsPort: first.wsPort });
      try {
        await h.connection(true, 2);
        const integrator = await connectTestClient(second.url);
        await integrator.client.subscribeAsync([link.topics.status, link.topics.feedback], { qos: 1 });
        // The new broker knew nothing: the link published its online status again.
        await integrator.waitFor((m) => m.topic === link.topics.status && statusOf(m) === 'online');
        await integrator.client.publishAsync(link.topics.command, 'to the new broker', { qos: 1 });
        await h.nextMessage('to the new broker');
        await link.publishFeedback({ ok: true });
        await integrator.waitFor((m) => m.topic === link.topics.feedback);
        await integrator.end();
      } finally {
        await link.close();
        await second.stop();
      }
    });
  });
}

describe('remote link without a broker', () => {
  test('resolves after the initial wait with a warning, runs offline, and connects once the broker comes up', async () => {
    const port = await freePort();
    const log = recordingLogger();
    const h = recordingHandlers();
    const link = await connectRemoteLink({
      url: `mqtt://127.0.0.1:${port}`,
      serial: nextSerial(),
      protocolVersion: 4,
      initialWaitMs: 100,
      reconnect: fastReconnect,
      logger: log,
      ...h,
    });
    try {
      assert.equal(link.isConnected(), false);
      assert.ok(log.entries.some((e) => e.level === 'warn' && /not reachable yet/.test(e.msg)));
      await assert.rejects(link.publishFeedback({}), /not connected to the MQTT broker/);

      const late = await startEmbeddedBroker({ port });
      try {
        await h.connection(true, 1);
        assert.equal(link.isConnected(), true);
      } finally {
        await link.close();
        await late.close();
      }
    } finally {
      await link.close();
    }
  });

  test('retry delays double up to the cap (mqtt.js reconnectPeriod is raised between attempts)', async () => {
    const port = await freePort();
    const log = recordingLogger();
    const link = await connectRemoteLink({
      url: `mqtt://127.0.0.1:${port}`,
      serial: nextSerial(),
      protocolVersion: 4,
      initialWaitMs: 0,
      reconnect: { initialDelayMs: 20, maxDelayMs: 80, jitter: 0 },
      logger: log,
      onCommand: () => undefined,
      onSchedule: () => undefined,
    });
    const closes = (): number[] => log.entries.filter((e) => e.msg === 'remote: connection closed').map((e) => e.obj['nextRetryMs'] as number);
    try {
      await log.next(() => closes().length >= 5, 5000);
      assert.deepEqual(closes().slice(0, 5), [20, 40, 80, 80, 80]);
    } finally {
      await link.close();
    }
    const warnings = log.entries.filter((e) => e.level === 'warn' && /connection error/.test(e.msg));
    assert.equal(warnings.length, 1, 'the same error is logged once per outage, not per attempt');
  });

  test('an MQTT 5 link against the embedded broker is refused cleanly and says why, without hanging', async () => {
    const broker = await startEmbeddedBroker({ port: 0 });
    const log = recordingLogger();
    try {
      const link = await connectRemoteLink({
        url: broker.url,
        serial: nextSerial(),
        protocolVersion: 5,
        initialWaitMs: 200,
        reconnect: fastReconnect,
        logger: log,
        onCommand: () => undefined,
        onSchedule: () => undefined,
      });
      assert.equal(link.isConnected(), false);
      const warning = await log.next((e) => e.level === 'warn' && /does not speak MQTT 5/.test(String(e.obj['err'])));
      assert.match(String(warning.obj['err']), /Unacceptable protocol version/i);
      await link.close();
    } finally {
      await broker.close();
    }
  });
});
