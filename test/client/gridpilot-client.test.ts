import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  ClientClosedError,
  cmd,
  CommandRejectedError,
  FeedbackTimeoutError,
  GridpilotClient,
  InvalidFeedbackError,
  keepAliveTiming,
  type Feedback,
} from '../../src/client/index.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { closedPort, startTestBroker, type TestBroker } from './support/test-broker.ts';
import { startFakeController, type FakeController } from './support/fake-controller.ts';

const SERIAL = 'OM12404080000000000';
const SITE = `${SERIAL}_site_0`;

/** Resolves with the next `n` feedback messages the client sees. */
function nextFeedbacks(client: GridpilotClient, n: number): Promise<Feedback[]> {
  return new Promise((resolve) => {
    const seen: Feedback[] = [];
    const off = client.onFeedback((fb) => {
      seen.push(fb);
      if (seen.length >= n) {
        off();
        resolve(seen);
      }
    });
  });
}

describe('GridpilotClient over real MQTT', () => {
  let broker: TestBroker;
  let controller: FakeController;
  const clients: GridpilotClient[] = [];

  const connect = async (extra: Partial<Parameters<typeof GridpilotClient.connect>[0]> = {}): Promise<GridpilotClient> => {
    const client = await GridpilotClient.connect({ url: broker.url, serial: SERIAL, ...extra });
    clients.push(client);
    return client;
  };

  before(async () => {
    broker = await startTestBroker({ ws: true });
    controller = await startFakeController(broker.url, SERIAL);
  });

  beforeEach(() => {
    controller.respondWith(() => ({}));
    controller.received.length = 0;
  });

  after(async () => {
    for (const c of clients) await c.close({ force: true });
    await controller.close();
    await broker.close();
  });

  it('connects with real MQTT 3.1 (protocol name MQIsdp, level 3) by default [live §1]', async () => {
    const client = await connect({ clientId: 'gp_test_v31' });
    const seen = broker.connects.find((c) => c.clientId === 'gp_test_v31');
    assert.deepEqual(seen, { clientId: 'gp_test_v31', protocolId: 'MQIsdp', protocolVersion: 3 });
    assert.equal(client.protocolVersion, 3);
    await connect({ clientId: 'gp_test_v311', protocolVersion: 4 });
    assert.deepEqual(broker.connects.find((c) => c.clientId === 'gp_test_v311'), { clientId: 'gp_test_v311', protocolId: 'MQTT', protocolVersion: 4 });
  });

  it('publishes the exact command envelope and resolves with the feedback that echoes its time', async () => {
    const client = await connect();
    const feedback = await client.send(cmd().solar.setpoint(5000).storage.setpoint(-5000), { time: Math.floor(Date.now() / 1000) });
    const [sent] = controller.received;
    assert.equal(sent?.topic, `standard1/rp_one_s/remoteControlMetrics/${SERIAL}`);
    const envelope = sent?.message as { time: number };
    assert.deepEqual(envelope, {
      extraTags: { nodeId: SITE },
      time: envelope.time,
      fields: { solar_policy: 'setpoint', solar_power_setpoint_w: 5000, storage_policy: 'setpoint', storage_power_setpoint_w: -5000 },
    });
    assert.equal(feedback.requestTime, envelope.time);
    assert.equal(feedback.data.response_code, 0);
    assert.equal(feedback.data.state.storage.executed_power_W, -5000);
  });

  it('matches sends of the same second first in, first out', async () => {
    const client = await connect({ clock: new FakeClock(Date.UTC(2024, 4, 2, 12, 0, 0, 400)) });
    const first = client.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 1000 });
    const second = client.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 2000 });
    const third = client.send({ storage_policy: 'cost' });
    const [a, b, c] = await Promise.all([first, second, third]);
    assert.equal(a.requestTime, 1714651200);
    assert.equal(b.requestTime, 1714651200);
    assert.deepEqual(a.fields, { storage_policy: 'setpoint', storage_power_setpoint_w: 1000 });
    assert.deepEqual(b.fields, { storage_policy: 'setpoint', storage_power_setpoint_w: 2000 });
    assert.deepEqual(c.fields, { storage_policy: 'cost' });
  });

  it('rejects with a clear timeout error when no matching feedback comes', async () => {
    const clock = new FakeClock();
    const client = await connect({ clock });
    controller.respondWith(() => ({ requestTime: 42 })); // someone else's answer
    const pending = client.send(cmd().storage.cost(), { timeoutMs: 5000 });
    await nextFeedbacks(client, 1);
    clock.advance(5000);
    await assert.rejects(pending, (err: unknown) => {
      assert.ok(err instanceof FeedbackTimeoutError);
      assert.equal(err.requestTime, Math.floor(clock.now() / 1000) - 5);
      assert.match(err.message, /no feedback for the message sent at time=\d+ within 5000 ms/);
      assert.match(err.message, /standard1\/outbound\/remoteControlMetrics\/feedback\/OM12404080000000000/);
      return true;
    });
  });

  it('resolves with a rejection feedback (response_code ≥ 10) instead of throwing', async () => {
    const client = await connect();
    controller.respondWith(() => ({ responseCode: 13, errors: [{ field: 'fields.storage_power_setpoint_w', message: 'missing' }] }));
    const feedback = await client.send({ storage_policy: 'setpoint' });
    assert.equal(feedback.data.response_code, 13);
    assert.deepEqual(feedback.data.errors, [{ field: 'fields.storage_power_setpoint_w', message: 'missing' }]);
  });

  it('fails a send at once when its answer is not a valid feedback, and reports it', async () => {
    const clock = new FakeClock();
    const client = await connect({ clock });
    const errors: Error[] = [];
    client.onError((e) => errors.push(e));
    controller.respondWith(() => 'ignore');
    const pending = client.send({ storage_policy: 'cost' });
    await controller.waitForMessages(1);
    await controller.publishFeedback({ requestTime: Math.floor(clock.now() / 1000), data: {} });
    await assert.rejects(pending, InvalidFeedbackError);
    assert.ok(errors.some((e) => e instanceof InvalidFeedbackError && /siteNodeId/.test(e.message)));
  });

  it('asks for feedback with an empty command [live §3.3 rule 3]', async () => {
    const client = await connect();
    const feedback = await client.requestFeedback();
    assert.deepEqual((controller.received[0]?.message as { fields: unknown }).fields, {});
    assert.equal(feedback.data.response_code, 0);
  });

  it('sends schedules on the schedule topic and resolves with their feedback [scheduled §Topics]', async () => {
    const client = await connect();
    const feedback = await client.sendSchedule({ mode: 'replace', schedule: [{ start: 2_000_000_000, end: 2_000_000_900, fields: cmd().storage.setpoint(3000) }] });
    const [sent] = controller.received;
    assert.equal(sent?.topic, `standard1/rp_one_s/remoteControlSchedules/${SERIAL}`);
    const message = sent?.message as { time: number };
    assert.deepEqual(message, {
      extraTags: { nodeId: SITE },
      time: message.time,
      schedule: [{ start: 2_000_000_000, end: 2_000_000_900, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: 3000 } }],
      mode: 'replace',
    });
    assert.equal(feedback.requestTime, message.time);
  });

  it('passes every feedback to onFeedback listeners, matched or not', async () => {
    const watcher = await connect();
    const sender = await connect();
    const seen = nextFeedbacks(watcher, 1);
    await sender.send(cmd().heatPump.powerOn());
    const [fb] = await seen;
    assert.deepEqual(fb?.fields, { heat_pump_policy: 'power_on' });
  });

  it('keeps a command alive: re-sends it every interval until stopped [live §3.3 rule 2]', async () => {
    const clock = new FakeClock();
    const client = await connect({ clock });
    const errors: Error[] = [];
    const fields = cmd().storage.setpoint(5000).solar.setpoint(0);
    let feedbacks = nextFeedbacks(client, 1);
    const handle = client.keepAlive(fields, { intervalMs: 20_000, onError: (e) => errors.push(e) });
    await feedbacks;
    for (let n = 2; n <= 3; n += 1) {
      feedbacks = nextFeedbacks(client, 1);
      clock.advance(20_000);
      await feedbacks;
    }
    handle.stop();
    assert.equal(handle.isRunning, false);
    clock.advance(120_000);
    await client.requestFeedback(); // a barrier: the controller answers in order
    const commands = controller.received.map((r) => (r.message as { fields: unknown }).fields);
    assert.deepEqual(commands, [fields.toFields(), fields.toFields(), fields.toFields(), {}]);
    assert.deepEqual(errors, []);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('reports keep-alive rejections and timeouts to its error callback', async () => {
    const clock = new FakeClock();
    const client = await connect({ clock });
    controller.respondWith(() => ({ responseCode: 16 }));
    const rejected = new Promise<Error>((resolve) => {
      const handle = client.keepAlive({ storage_policy: 'cost' }, { onError: (e) => (handle.stop(), resolve(e)) });
    });
    const err = await rejected;
    assert.ok(err instanceof CommandRejectedError);
    assert.equal(err.responseCode, 16);
  });

  it('chooses a keep-alive interval below the watchdog, and refuses one that is not', () => {
    assert.deepEqual(keepAliveTiming({}), { intervalMs: 20_000, timeoutMs: 5000 });
    assert.deepEqual(keepAliveTiming({ fallbackTimeoutS: 9 }), { intervalMs: 3000, timeoutMs: 3000 });
    assert.throws(() => keepAliveTiming({ intervalMs: 60_000 }), /below the fallback timeout/);
    assert.throws(() => keepAliveTiming({ intervalMs: 0 }), RangeError);
  });

  it('refuses to keep an empty command alive (it does not re-arm the watchdog)', async () => {
    const client = await connect();
    assert.throws(() => client.keepAlive({}), /non-empty/);
  });

  it('rejects waiting sends and stops keep-alives on close', async () => {
    const clock = new FakeClock();
    const client = await connect({ clock });
    controller.respondWith(() => 'ignore');
    const pending = client.send(cmd().storage.off());
    const rejection = assert.rejects(pending, ClientClosedError);
    const handle = client.keepAlive(cmd().solar.off(), { onError: () => undefined });
    await client.close();
    await rejection;
    assert.equal(handle.isRunning, false);
    await assert.rejects(client.send({}), ClientClosedError);
  });

  it('connects over WebSocket at /mqtt [live §1 decided]', async () => {
    assert.ok(broker.wsPort !== null);
    const client = await connect({ url: `ws://127.0.0.1:${broker.wsPort}` });
    const feedback = await client.requestFeedback();
    assert.equal(feedback.siteNodeId, SITE);
  });

  it('fails to connect with a clear error when nothing listens', async () => {
    const port = await closedPort();
    await assert.rejects(GridpilotClient.connect({ url: `mqtt://127.0.0.1:${port}`, serial: SERIAL }), /could not connect to mqtt:\/\/127\.0\.0\.1:\d+\/?: connection refused|ECONNREFUSED/);
  });

  it('honours white-label topic prefixes', async () => {
    const client = await connect({ prefixes: { command: 'acme/cmd', feedback: 'acme/fb' } });
    assert.equal(client.topics.command, `acme/cmd/${SERIAL}`);
    assert.equal(client.topics.feedback, `acme/fb/${SERIAL}`);
    assert.equal(client.siteNodeId, SITE);
  });
});
