import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { GridpilotClient, cmd } from '../../src/client/index.ts';
import { runDemo, type DemoFlags } from '../../src/cli/commands/demo.ts';
import { runWatch, type WatchFlags } from '../../src/cli/commands/watch.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { startFakeController, type FakeController } from '../client/support/fake-controller.ts';
import { startTestBroker, type TestBroker } from '../client/support/test-broker.ts';

const SERIAL = 'OM12404080000000000';

describe('gridpilot watch and demo (real MQTT)', () => {
  let broker: TestBroker;
  let controller: FakeController;
  const connection = (): Pick<WatchFlags, 'broker' | 'serial' | 'mqttVersion'> => ({ broker: broker.url, serial: SERIAL, mqttVersion: 3 });

  before(async () => {
    broker = await startTestBroker();
    controller = await startFakeController(broker.url, SERIAL);
  });
  beforeEach(() => {
    controller.respondWith(() => ({}));
    controller.received.length = 0;
  });
  after(async () => {
    await controller.close();
    await broker.close();
  });

  it('watch prints one block per feedback and stops after --count', async () => {
    const io = memoryIo();
    const watching = runWatch({ ...connection(), count: 2, status: false }, io, new AbortController().signal);
    // Wait until watch has subscribed (it says so on stderr), then send two commands.
    while (!io.stderr.some((l) => l.startsWith('watching'))) await new Promise((r) => setImmediate(r));
    const sender = await GridpilotClient.connect({ url: broker.url, serial: SERIAL });
    await sender.send(cmd().storage.setpoint(1000));
    await sender.send(cmd().storage.cost());
    assert.equal(await watching, 0);
    await sender.close();
    const blocks = io.stdout.filter((l) => l.startsWith('feedback  requestTime'));
    assert.equal(blocks.length, 2);
    assert.match(io.stdout[0] ?? '', /storage +setpoint +executed \+1000 W/);
    assert.match(io.stdout[1] ?? '', /storage +cost/);
  });

  it('watch --json prints raw JSON lines and stops on the abort signal', async () => {
    const io = memoryIo();
    const stop = new AbortController();
    const watching = runWatch({ ...connection(), json: true, status: true }, io, stop.signal);
    while (!io.stderr.some((l) => l.startsWith('watching'))) await new Promise((r) => setImmediate(r));
    const sender = await GridpilotClient.connect({ url: broker.url, serial: SERIAL });
    await sender.requestFeedback();
    await sender.close();
    stop.abort();
    assert.equal(await watching, 0);
    assert.equal(io.stdout.length, 1);
    assert.deepEqual((JSON.parse(io.stdout[0] ?? '') as { fields: unknown }).fields, {});
  });

  it('demo sends "storage +5000 W, solar 0 W" each interval and prints the feedback [live §5 step 5]', async () => {
    const io = memoryIo();
    const flags: DemoFlags = { ...connection(), interval: 0.001, count: 2, timeout: 5, storageW: 5000, solarW: 0 };
    assert.equal(await runDemo(flags, io, new AbortController().signal), 0);
    const fields = controller.received.map((r) => (r.message as { fields: unknown }).fields);
    const expected = { storage_policy: 'setpoint', storage_power_setpoint_w: 5000, solar_policy: 'setpoint', solar_power_setpoint_w: 0 };
    assert.deepEqual(fields, [expected, expected]);
    assert.deepEqual(io.stdout.filter((l) => l.startsWith('#')), ['#1 → storage setpoint +5000 W, solar setpoint 0 W', '#2 → storage setpoint +5000 W, solar setpoint 0 W']);
    assert.match(io.stdout.join('\n'), /response_code 0 OK/);
  });

  it('demo exits 1 when the controller rejects, and can cancel its command on exit', async () => {
    controller.respondWith((r) => ((r.message as { fields: Record<string, unknown> }).fields.storage_policy === 'fallback' ? {} : { responseCode: 16 }));
    const io = memoryIo();
    const flags: DemoFlags = { ...connection(), interval: 0.001, count: 1, timeout: 5, storageW: 5000, solarW: 0, fallbackOnExit: true };
    assert.equal(await runDemo(flags, io, new AbortController().signal), 1);
    const last = controller.received.at(-1)?.message as { fields: unknown };
    assert.deepEqual(last.fields, { storage_policy: 'fallback', solar_policy: 'fallback' });
  });
});
