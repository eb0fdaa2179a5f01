import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FeedbackSchema } from '../../src/protocol/feedback.ts';
import { startFakeController, type FakeController } from '../client/support/fake-controller.ts';
import { closedPort, startTestBroker, type TestBroker } from '../client/support/test-broker.ts';

const SERIAL = 'OM12404080000000000';

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: new URL('../../', import.meta.url) }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

describe('gridpilot send (child process, real MQTT)', () => {
  let broker: TestBroker;
  let controller: FakeController;

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

  it('sends the command over MQTT 3.1 and prints the feedback summary', async () => {
    const before = Math.floor(Date.now() / 1000);
    const run = await runCli(['send', '--broker', broker.url, '--storage', 'setpoint', '-5000', '--solar', 'setpoint', '0', '--heat-pump', 'on', '--client-id', 'gp_cli_send']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /response_code 0 OK: command accepted and applied/);
    assert.match(run.stdout, /storage +setpoint +executed -5000 W/);
    assert.match(run.stderr, /→ standard1\/rp_one_s\/remoteControlMetrics\/OM12404080000000000: storage setpoint -5000 W, solar setpoint 0 W, heat_pump power_on/);
    const [sent] = controller.received;
    const message = sent?.message as { time: number };
    assert.deepEqual(message, {
      extraTags: { nodeId: `${SERIAL}_site_0` },
      time: message.time,
      fields: { storage_policy: 'setpoint', storage_power_setpoint_w: -5000, solar_policy: 'setpoint', solar_power_setpoint_w: 0, heat_pump_policy: 'power_on' },
    });
    assert.ok(message.time >= before && message.time <= Math.floor(Date.now() / 1000));
    assert.deepEqual(broker.connects.find((c) => c.clientId === 'gp_cli_send'), { clientId: 'gp_cli_send', protocolId: 'MQIsdp', protocolVersion: 3 });
  });

  it('prints the raw feedback with --json', async () => {
    const run = await runCli(['send', '--broker', broker.url, '--empty', '--json', '--mqtt-version', '4']);
    assert.equal(run.code, 0, run.stderr);
    const feedback = FeedbackSchema.parse(JSON.parse(run.stdout));
    assert.deepEqual(feedback.fields, {});
  });

  it('exits 1 when the controller rejects the command (response_code ≥ 10)', async () => {
    controller.respondWith(() => ({ responseCode: 14, errors: [{ field: 'extraTags.nodeId', message: 'not this site' }] }));
    const run = await runCli(['send', '--broker', broker.url, '--site-node-id', 'other_site_0', '--site', 'limit', '0']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /response_code 14 WRONG_SITE/);
    assert.match(run.stdout, /! extraTags\.nodeId: not this site/);
    assert.equal((controller.received[0]?.message as { extraTags: unknown }).extraTags !== undefined, true);
  });

  it('exits 1 with a timeout error when no feedback comes', async () => {
    controller.respondWith(() => 'ignore');
    const run = await runCli(['send', '--broker', broker.url, '--storage', 'cost', '--timeout', '0.3']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no feedback for the message sent at time=\d+ within 300 ms/);
  });

  it('exits 1 when the broker cannot be reached, and 2 on bad arguments', async () => {
    const port = await closedPort();
    const unreachable = await runCli(['send', '--broker', `mqtt://127.0.0.1:${port}`, '--storage', 'cost']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /could not connect to mqtt:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    const usage = await runCli(['send', '--broker', `mqtt://127.0.0.1:${port}`, '--storage', 'charge', '5000']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /"charge" is not a policy of storage/);
  });
});
