import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { runCheck, type CheckFlags } from '../../src/cli/commands/check.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { brokerUrlFor, probeTcp } from '../../src/cli/network-check.ts';
import { closedPort, startTestBroker, type TestBroker } from '../client/support/test-broker.ts';

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: new URL('../../', import.meta.url) }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

describe('gridpilot check [live §5 step 1]', () => {
  let broker: TestBroker;
  let closed: number;
  const flags = (over: Partial<CheckFlags>): CheckFlags => ({ host: '127.0.0.1', port: 1883, backupPort: 80, timeout: 2, mqttVersion: 3, mqtt: true, ...over });

  before(async () => {
    broker = await startTestBroker({ ws: true });
    closed = await closedPort();
  });
  after(async () => broker.close());

  it('passes when the main port answers TCP and accepts an MQTT 3.1 CONNECT', async () => {
    const io = memoryIo();
    const code = await runCheck(flags({ port: broker.port, backupPort: closed }), io);
    assert.equal(code, 0);
    assert.match(io.stdout.join('\n'), new RegExp(`tcp  127\\.0\\.0\\.1 port ${broker.port}: open`));
    assert.match(io.stdout.join('\n'), /CONNECT accepted/);
    assert.match(io.stdout.at(-1) ?? '', new RegExp(`^verdict: OK, the broker is reachable at mqtt://127\\.0\\.0\\.1:${broker.port}`));
  });

  it('falls back to the backup port, MQTT over WebSocket at /mqtt', async () => {
    const io = memoryIo();
    const code = await runCheck(flags({ port: closed, backupPort: broker.wsPort ?? 0 }), io);
    assert.equal(code, 0);
    const text = io.stdout.join('\n');
    assert.match(text, new RegExp(`port ${closed}: FAILED, connection refused`));
    assert.match(text, new RegExp(`ws://127\\.0\\.0\\.1:${broker.wsPort}/mqtt \\(MQTT 3\\.1\\): CONNECT accepted`));
    assert.match(text, /is blocked; use the backup/);
  });

  it('fails with a clear verdict when neither port answers', async () => {
    const io = memoryIo();
    const code = await runCheck(flags({ port: closed, backupPort: closed }), io);
    assert.equal(code, 1);
    assert.match(io.stdout.join('\n'), /verdict: FAILED, no MQTT broker could be reached at 127\.0\.0\.1/);
  });

  it('fails when a port is open but is no MQTT broker', async () => {
    const io = memoryIo();
    // The WebSocket listener's port speaks HTTP, not MQTT over TCP.
    const code = await runCheck(flags({ port: broker.wsPort ?? 0, backupPort: closed, timeout: 1 }), io);
    assert.equal(code, 1);
    assert.match(io.stdout.join('\n'), /tcp .* open\n {2}mqtt .*FAILED/);
  });

  it('probes TCP only with --no-mqtt, like nc -zv', async () => {
    const io = memoryIo();
    assert.equal(await runCheck(flags({ port: broker.port, backupPort: closed, mqtt: false }), io), 0);
    assert.match(io.stdout.at(-1) ?? '', /MQTT not tested/);
    assert.deepEqual(await probeTcp('127.0.0.1', closed, 1000), { ok: false, reason: 'connection refused (nothing listens there)' });
    assert.equal(brokerUrlFor('::1', 443, 'backup'), 'wss://[::1]:443/mqtt');
    assert.equal(brokerUrlFor('h', 8883, 'main'), 'mqtts://h:8883');
  });

  it('exits 0 / 1 as a command', async () => {
    const ok = await runCli(['check', '--host', '127.0.0.1', '--port', String(broker.port), '--backup-port', String(closed)]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /verdict: OK/);
    const failed = await runCli(['check', '--port', String(closed), '--backup-port', String(closed), '--timeout', '1']);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /verdict: FAILED/);
  });
});
