import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startApp } from '../../src/app.ts';
import { FakeClock } from '../../src/core/clock.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import { keepSocketsUndelayed } from '../../src/protocol/transport.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { connectTestClient, latch, type TestClient } from '../helpers/mqtt-client.ts';
import { until } from '../helpers/until.ts';

/**
 * A broker outage end to end [issue 14, acceptance: outage]: the app on a real Debian mosquitto,
 * which the test kills (SIGKILL: a crash) and restarts on the same port. The controller's clock is
 * a fake one (the watchdog fires when the test says), the MQTT link runs on real time. What is
 * checked: the local regime during the outage (the watchdog fallback, cycles going on), the link's
 * reconnect (its `remote: connected` log event) within 2 s of the restart once its back-off is at
 * its cap, the retained online status published again on the new broker, and after it a stale
 * command (older than the age limit) rejected with 15, a fresh one applied, and a delayed one
 * (older than the fresh one: the ordering rule) rejected with 15.
 */

const FALLBACK_S = 30;
const RECONNECT_BOUND_MS = 2000;

interface LogEvent {
  atMs: number;
  msg: string;
  obj: Record<string, unknown>;
}

describe('broker outage: mosquitto killed and restarted', () => {
  it('the site runs its local regime, the link is back within 2 s of the restart, then a fresh command applies and stale ones are rejected with 15', async () => {
    const clock = new FakeClock(Date.now());
    const events: LogEvent[] = [];
    const logged = latch<LogEvent>();
    const logDestination = {
      write(line: string): void {
        const obj = JSON.parse(line) as Record<string, unknown>;
        const e = { atMs: performance.now(), msg: String(obj['msg']), obj };
        events.push(e);
        logged.fire(e);
      },
    };
    // TCP_NODELAY: the answers of this test are request/response (docs/benchmarks.md § 1).
    let broker = await startMosquitto({ wsPort: null, extraConfig: 'set_tcp_nodelay true' });
    const port = broker.port;
    const app = await startApp({ clock, brokerUrl: broker.url, fallbackTimeoutS: FALLBACK_S, httpPort: null, logLevel: 'debug', logDestination });
    const site = app.info.siteNodeId;
    const topics = app.info.topics;
    const integrators: TestClient[] = [];
    const integrator = async (): Promise<TestClient> => {
      const c = await connectTestClient(broker.url, { protocolVersion: 4 });
      keepSocketsUndelayed(c.client);
      await c.client.subscribeAsync([topics.feedback, topics.status], { qos: 1 });
      integrators.push(c);
      return c;
    };
    const send = async (c: TestClient, timeS: number, fields: Record<string, unknown>): Promise<Feedback> => {
      const from = c.received.length;
      await c.client.publishAsync(topics.command, JSON.stringify({ extraTags: { nodeId: site }, time: timeS, fields }), { qos: 1 });
      const m = await c.waitFor((r) => c.received.indexOf(r) >= from && r.topic === topics.feedback && (r.json as Feedback).requestTime === timeS, 8000, `the answer to time ${timeS}`);
      return m.json as Feedback;
    };
    const nowS = (): number => Math.floor(clock.now() / 1000);
    try {
      // Before: a remote command drives the batteries.
      const before = await integrator();
      const appliedS = nowS();
      const applied = await send(before, appliedS, { storage_policy: 'setpoint', storage_power_setpoint_w: 3000 });
      assert.equal(applied.data.response_code, 0);
      assert.equal(applied.data.state.storage.active_signal, 'remote');

      // The broker crashes.
      await broker.kill();
      await until(() => !app.link.isConnected(), 'the link to notice the lost broker', 8000);

      // Local regime: the cycles go on, and the watchdog hands the site back to its local defaults.
      const fallbacksBefore = app.controller.stats().watchdogFallbacks;
      const cycleBefore = app.controller.lastCycle()?.atMs ?? 0;
      for (let s = 0; s < FALLBACK_S + 15; s++) {
        clock.advance(1000);
        await app.controller.trigger();
      }
      assert.equal(app.controller.stats().watchdogFallbacks, fallbacksBefore + 1, 'the watchdog fired once');
      assert.equal(app.controller.watchdogSecondsLeft(), null);
      const res = app.controller.lastCycle()?.resolution;
      assert.equal(res?.components.storage.source, 'local');
      assert.equal(res?.components.storage.policy, app.site.defaults.storage);
      assert.ok((app.controller.lastCycle()?.atMs ?? 0) >= cycleBefore + FALLBACK_S * 1000, 'the cycle ran on through the outage');

      // Let the back-off reach its cap (the outage is "long"): an event of the link, not a sleep.
      const capMs = app.site.mqtt.reconnectMaxMs;
      await logged.next((e) => e.msg === 'remote: connection closed' && Number(e.obj['nextRetryMs']) >= capMs * 0.7, 20_000, 'the reconnect back-off at its cap');

      // The broker comes back on the same port.
      const restartedAt = performance.now();
      broker = await startMosquitto({ port, wsPort: null, extraConfig: 'set_tcp_nodelay true' });
      const connected = await logged.next((e) => e.msg === 'remote: connected' && e.atMs > restartedAt, 10_000, 'the link to reconnect');
      const tookMs = connected.atMs - restartedAt;
      assert.ok(tookMs <= RECONNECT_BOUND_MS, `the link reconnected ${Math.round(tookMs)} ms after the restart (bound ${RECONNECT_BOUND_MS} ms)`);
      assert.equal(app.link.isConnected(), true);

      // On the new broker (which knew nothing): the retained online status was published again.
      const after = await integrator();
      const status = await after.waitFor((m) => m.topic === topics.status, 4000, 'the retained status');
      assert.equal((status.json as { status?: string }).status, 'online');
      assert.equal(status.packet.retain, true);

      // A command queued somewhere through the outage, now older than the age limit: the age rule refuses it.
      const staleS = nowS() - FALLBACK_S - 5;
      assert.ok(staleS > appliedS, 'newer than the last command applied: only the age rule can refuse it');
      const stale = await send(after, staleS, { storage_policy: 'setpoint', storage_power_setpoint_w: -4000 });
      assert.equal(stale.data.response_code, 15);
      assert.match(stale.data.errors?.[0]?.message ?? '', /message is \d+ s old; the limit is 30 s/);
      assert.equal(stale.data.state.storage.active_signal, 'local', 'the local regime stays');
      // A fresh one is applied.
      clock.advance(10_000);
      const freshS = nowS();
      const fresh = await send(after, freshS, { storage_policy: 'setpoint', storage_power_setpoint_w: -1500 });
      assert.equal(fresh.data.response_code, 0);
      assert.equal(fresh.data.state.storage.active_signal, 'remote');
      assert.equal(fresh.data.state.storage.executed_power_W, -1500);
      // A delayed one, within the age limit but older than the one just applied: the ordering rule refuses it.
      const delayed = await send(after, freshS - 5, { storage_policy: 'setpoint', storage_power_setpoint_w: 4000 });
      assert.equal(delayed.data.response_code, 15);
      assert.match(delayed.data.errors?.[0]?.message ?? '', /older than the last command applied/);
      assert.equal(delayed.data.state.storage.executed_power_W, -1500, 'the fresh command stays in force');
      console.log(`# reconnected ${Math.round(tookMs)} ms after the broker restart`);
    } finally {
      for (const c of integrators) await c.end().catch(() => undefined);
      await app.stop();
      await broker.stop();
    }
    assert.ok(events.length > 0);
  });
});
