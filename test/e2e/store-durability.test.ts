import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import { siteNodeIdFor, topicsFor } from '../../src/protocol/topics.ts';
import { DEMO_SERIAL } from '../../src/site/demo-site.ts';
import { HistoryReader } from '../../src/store/queries.ts';
import { connectTestClient, type TestClient } from '../helpers/mqtt-client.ts';
import { tempDir } from '../helpers/schedule-peer.ts';

// kill -9 in the middle of a stream of schedule and command messages, 20 times over one data
// directory: after each restart the stored schedule and every acknowledged log entry (every
// message whose feedback we received) are there, and the first cycle runs the active slot.

const ROUNDS = 20;
const topics = topicsFor(DEMO_SERIAL);
const site = siteNodeIdFor(DEMO_SERIAL);

interface Ready {
  ready: boolean;
  error?: string;
  firstCycle: { atMs: number; storage: { source: string; policy: string; setpointW?: number } } | null;
}

interface Sent {
  time: number;
  kind: 'command' | 'schedule';
  /** The storage setpoint a (valid) schedule message stores. */
  scheduleW?: number;
  isValidSchedule: boolean;
}

function startController(brokerUrl: string, dataDir: string): { child: ChildProcess; ready: Promise<Ready>; stderr: string[] } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/store-child-app.ts'], {
    env: { ...process.env, BROKER_URL: brokerUrl, DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ready = new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`controller not ready within 20 s: ${stderr.join('')}`)), 20_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as Ready);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`controller exited (${code}) before ready: ${stderr.join('')}`));
    });
  });
  return { child, ready, stderr };
}

describe('durability: kill -9 during a stream of schedules and commands', () => {
  const dir = tempDir('gp-durable-');
  let broker: EmbeddedBroker;
  let integrator: TestClient;
  const acked = new Map<number, number>(); // requestTime (ms) → response_code
  const sent: Sent[] = [];
  let lastTime = 0;
  const uniqueTimeMs = (): number => (lastTime = Math.max(Date.now(), lastTime + 1));

  before(async () => {
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: null });
    integrator = await connectTestClient(broker.url, { protocolVersion: 4 });
    await integrator.client.subscribeAsync(topics.feedback, { qos: 1 });
    integrator.client.on('message', (topic, payload) => {
      if (topic !== topics.feedback) return;
      const fb = JSON.parse(payload.toString()) as Feedback;
      if (typeof fb.requestTime === 'number') acked.set(fb.requestTime, fb.data.response_code);
    });
  });
  after(async () => {
    await integrator.end();
    await broker.close();
    dir.remove();
  });

  /** What a restarted controller must have kept, checked against its data directory and first cycle. */
  function checkAfterRestart(ready: Ready, round: number): void {
    const reader = new HistoryReader(dir.path);
    try {
      const log = new Map(reader.commands({ limit: 10_000 }).map((e) => [e.requestTime, e]));
      for (const [time, code] of acked) {
        const entry = log.get(time);
        assert.ok(entry, `round ${round}: acknowledged message ${time} is missing from the command log`);
        assert.equal(entry.responseCode, code, `round ${round}: message ${time}`);
      }
      const slots = reader.schedule();
      const schedules = sent.filter((s) => s.kind === 'schedule' && s.isValidSchedule);
      if (schedules.length === 0) return;
      assert.equal(slots.length, 1, `round ${round}: one merged slot`);
      const storedW = slots[0]?.fields.storage_power_setpoint_w;
      // The stored slot is the last acknowledged schedule, or one sent after it (stored, then killed before its answer).
      const lastAcked = schedules.map((s) => s.time).filter((t) => acked.has(t)).at(-1);
      const candidates = schedules.filter((s) => lastAcked === undefined || s.time >= lastAcked).map((s) => s.scheduleW);
      assert.ok(candidates.includes(storedW as number), `round ${round}: stored ${String(storedW)} W, expected one of ${candidates.join(', ')}`);
      // The first cycle after the restart runs that slot again.
      assert.deepEqual(ready.firstCycle?.storage, { source: 'schedule', policy: 'setpoint', setpointW: storedW });
    } finally {
      reader.close();
    }
  }

  it(`keeps the schedule and every acknowledged log entry across ${ROUNDS} kills`, async () => {
    for (let round = 0; round <= ROUNDS; round++) {
      const { child, ready: readyPromise, stderr } = startController(broker.url, dir.path);
      const ready = await readyPromise;
      assert.ok(ready.ready, `round ${round}: ${ready.error ?? ''} ${stderr.join('')}`);
      checkAfterRestart(ready, round);
      if (round === ROUNDS) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        break;
      }

      // The stream: a message every ~2 ms without waiting for answers, so some are always in flight.
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      let isRunning = true;
      void exited.then(() => {
        isRunning = false;
      });
      const ackedBefore = acked.size;
      const killAfter = 3 + Math.floor(Math.random() * 20);
      let k = 0;
      while (isRunning) {
        k += 1;
        const time = uniqueTimeMs();
        const nowS = Math.floor(time / 1000);
        const kind = k % 3 === 0 ? 'command' : 'schedule';
        if (kind === 'schedule') {
          const isValidSchedule = k % 7 !== 0;
          const scheduleW = 100 * round + k;
          const fields = isValidSchedule ? { storage_policy: 'setpoint', storage_power_setpoint_w: scheduleW } : { storage_policy: 'turbo' };
          sent.push({ time, kind, scheduleW, isValidSchedule });
          integrator.client.publish(topics.schedule, JSON.stringify({ extraTags: { nodeId: site }, time, schedule: [{ start: nowS - 60, end: nowS + 3600, fields }] }), { qos: 1 });
        } else {
          sent.push({ time, kind, isValidSchedule: false });
          const fields = k % 2 === 0 ? { storage_policy: 'setpoint', storage_power_setpoint_w: -k } : { storage_policy: 'fallback' };
          integrator.client.publish(topics.command, JSON.stringify({ extraTags: { nodeId: site }, time, fields }), { qos: 1 });
        }
        if (acked.size - ackedBefore >= killAfter && child.exitCode === null && !child.killed) child.kill('SIGKILL');
        await new Promise((r) => setTimeout(r, 2));
      }
      await exited;
      assert.ok(acked.size > ackedBefore, `round ${round}: no message was answered before the kill`);
    }
  });
});
