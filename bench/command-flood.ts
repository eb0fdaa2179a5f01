// Benchmark: a command flood [issue 14, performance]. 1,000 live commands per second for 60 s from
// one integrator (MQTT.js, MQTT 3.1.1, QoS 1, TCP_NODELAY) to one controller — the real app
// (startApp: remote link, controller on the simulated demo site at its 1 s cycle, the store in a
// data directory as `gridpilot start` has it: every command journaled before its feedback) on a
// real Debian mosquitto (`set_tcp_nodelay true`). Commands are paced on an absolute schedule
// (command i is due at start + i ms, sent in 10 ms batches); each carries a unique `time` in
// milliseconds, strictly increasing, so each is accepted by the ordering rule and its feedback
// (`requestTime`) names it.
//
// Reported: the periodic cycle's gap (the time between two periodic cycles, which queue behind the
// commands; target ≤ 1.1 s), RSS over time (this process: app and the lean client), the intake per
// second from the first second (commands the controller answered, and feedbacks the integrator
// got), and command → feedback latency under flood against the idle baseline: the same app, the
// same kind of command sent one at a time (each waits for its feedback) after the flood (drained,
// then 5 s calm). The flood starts as soon as startApp resolves, while the `cost` planner makes its
// first plan (BENCH_FLOOD_WAIT_PLAN=1 waits for it). Memory: RSS every 5 s, and RSS and heap after
// two forced GCs before and after the flood.
//
// Run: npx tsx bench/command-flood.ts
// Env: BENCH_FLOOD_RATE (default 1000 /s), BENCH_FLOOD_S (default 60), BENCH_FLOOD_IDLE (default
// 300 idle commands), BENCH_FLOOD_STORE (default 1; 0 = no data directory), BENCH_FLOOD_WAIT_PLAN (default 0).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from '../src/app.ts';
import { ScaledClock } from '../src/core/clock.ts';
import type { Feedback } from '../src/protocol/feedback.ts';
import { collector, memoryAfterGc } from '../test/helpers/gc.ts';
import { assertMosquittoInstalled, startMosquitto } from '../test/helpers/mosquitto.ts';
import { connectPeer } from './lib/mqtt-peer.ts';
import { fmt, printHeader, printTable, ratio, summarize } from './lib/report.ts';

const RATE = Number(process.env['BENCH_FLOOD_RATE'] ?? 1000);
const SECONDS = Number(process.env['BENCH_FLOOD_S'] ?? 60);
const IDLE = Number(process.env['BENCH_FLOOD_IDLE'] ?? 300);
const HAS_STORE = (process.env['BENCH_FLOOD_STORE'] ?? '1') !== '0';
const BATCH_MS = 10;

/** A real-time clock that notes when the controller's periodic tick fires (its timers come from controller.ts). */
class TickWatchingClock extends ScaledClock {
  onTick: (() => void) | null = null;
  override setTimer(delayMs: number, fn: () => void): () => void {
    const isTick = delayMs === 1000 && new Error().stack?.includes('controller.ts') === true;
    return super.setTimer(delayMs, () => {
      fn();
      if (isTick) this.onTick?.();
    });
  }
}

assertMosquittoInstalled();
printHeader(
  'Command flood',
  `${RATE} commands/s for ${SECONDS} s, one integrator → one controller over mosquitto (TCP_NODELAY), QoS 1; store ${HAS_STORE ? 'on (every command journaled before its feedback)' : 'off'}. Baseline: ${IDLE} commands one at a time on the same app after the flood. The flood starts with the app (the planner's first plan meanwhile).`,
);
const broker = await startMosquitto({ wsPort: null, extraConfig: ['set_tcp_nodelay true', ...(process.env['BENCH_FLOOD_MOSQUITTO'] ? [process.env['BENCH_FLOOD_MOSQUITTO']] : [])].join('\n') });
const dir = mkdtempSync(join(tmpdir(), 'gp-bench-flood-'));
const clock = new TickWatchingClock(1);
const app = await startApp({ clock, brokerUrl: broker.url, httpPort: null, logLevel: 'silent', ...(HAS_STORE ? { dataDir: join(dir, 'data') } : {}) });
const peer = await connectPeer(broker.url, 4, 'flood');
const topics = app.info.topics;
const site = app.info.siteNodeId;

// Every feedback: its requestTime (the command's ms `time`) → arrival.
const arrivals = new Map<number, number>();
const arrivalLog: number[] = [];
let lastFeedback: Feedback | null = null;
peer.client.on('message', (topic, payload) => {
  if (topic !== topics.feedback) return;
  const at = performance.now();
  const f = JSON.parse(payload.toString()) as Feedback;
  if (typeof f.requestTime !== 'number') return;
  arrivals.set(f.requestTime, at);
  arrivalLog.push(at);
  lastFeedback = f;
});
await peer.client.subscribeAsync(topics.feedback, { qos: 1 });

let nextTimeMs = Date.now();
const command = (i: number): { timeMs: number; payload: string } => {
  nextTimeMs = Math.max(nextTimeMs + 1, Date.now());
  return { timeMs: nextTimeMs, payload: JSON.stringify({ extraTags: { nodeId: site }, time: nextTimeMs, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: (i % 41) * 100 - 2000 } }) };
};
const answered = (): number => [...app.controller.stats().commandsByCode.values()].reduce((a, b) => a + b, 0);

// The flood starts as soon as the app is up, while the `cost` planner makes its first plan (bundled
// prices, forecasts, the HiGHS worker): the worst first seconds there are. BENCH_FLOOD_WAIT_PLAN=1
// waits for that plan first.
if ((process.env['BENCH_FLOOD_WAIT_PLAN'] ?? '0') !== '0') {
  const t0 = performance.now();
  while (app.cost.service.currentPlan() === null && performance.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
  console.log(`First plan after ${fmt((performance.now() - t0) / 1000, 1)} s of waiting (${app.cost.service.currentPlan() ? 'planned' : 'none yet'}).\n`);
}

// The flood.
const gc = collector();
const memBefore = memoryAfterGc(gc);
const periodic: number[] = [];
clock.onTick = () => {
  // Queued right behind the tick's own cycle: resolves when that cycle is done.
  app.controller.trigger().then(
    () => periodic.push(performance.now()),
    () => undefined,
  );
};
const sentAt = new Map<number, number>();
const total = RATE * SECONDS;
const rss: Array<{ s: number; mb: number }> = [];
const perSecond: Array<{ s: number; answered: number; received: number }> = [];
const answeredBefore = answered();
const start = performance.now();
let sent = 0;
let lastSecond = 0;
let lastAnswered = answeredBefore;
let lastReceived = arrivalLog.length;
const publishes: Array<Promise<unknown>> = [];
while (sent < total || performance.now() - start < SECONDS * 1000 + 5000) {
  const elapsed = performance.now() - start;
  const due = Math.min(total, Math.floor((elapsed * RATE) / 1000));
  for (; sent < due; sent++) {
    const c = command(sent);
    sentAt.set(c.timeMs, performance.now());
    publishes.push(peer.client.publishAsync(topics.command, c.payload, { qos: 1 }));
  }
  const second = Math.floor(elapsed / 1000);
  if (second > lastSecond) {
    for (let s = lastSecond + 1; s <= second; s++) {
      const a = answered();
      perSecond.push({ s, answered: a - lastAnswered, received: arrivalLog.length - lastReceived });
      lastAnswered = a;
      lastReceived = arrivalLog.length;
      if (s % 5 === 0) rss.push({ s, mb: process.memoryUsage().rss / 2 ** 20 });
    }
    lastSecond = second;
  }
  if (sent >= total && [...sentAt.keys()].every((t) => arrivals.has(t))) break;
  await new Promise((r) => setTimeout(r, BATCH_MS));
}
await Promise.allSettled(publishes);
clock.onTick = null;
publishes.length = 0;
const memAfter = memoryAfterGc(gc);
const floodMs = [...sentAt].map(([t, at]) => (arrivals.get(t) ?? Number.NaN) - at).filter(Number.isFinite);
const lost = [...sentAt.keys()].filter((t) => !arrivals.has(t)).length;
const gaps = periodic.slice(1).map((t, i) => t - (periodic[i] ?? t));
const lastSetpoint = (((total - 1) % 41) * 100 - 2000);
const executed = (lastFeedback as Feedback | null)?.data.state.storage.executed_power_W;

// Idle baseline: one at a time, after the flood has drained and the app has been calm for 5 s.
await new Promise((r) => setTimeout(r, 5000));
const idleMs: number[] = [];
for (let i = 0; i < IDLE; i++) {
  const c = command(i);
  const t0 = performance.now();
  await peer.client.publishAsync(topics.command, c.payload, { qos: 1 });
  while (!arrivals.has(c.timeMs)) await new Promise((r) => setImmediate(r));
  idleMs.push((arrivals.get(c.timeMs) ?? 0) - t0);
}

console.log('### Command → feedback, ms\n');
const idle = summarize(idleMs);
const flood = summarize(floodMs);
printTable(
  ['load', 'n', 'p50', 'p90', 'p99', 'max', 'p50 vs idle', 'p99 vs idle'],
  [
    ['idle (one at a time; baseline)', String(idle.n), fmt(idle.p50), fmt(idle.p90), fmt(idle.p99), fmt(idle.max), ratio(1), ratio(1)],
    [`flood ${RATE}/s`, String(flood.n), fmt(flood.p50), fmt(flood.p90), fmt(flood.p99), fmt(flood.max), ratio(flood.p50 / idle.p50), ratio(flood.p99 / idle.p99)],
  ],
);
console.log('\n### Intake per second (from the first second of the flood)\n');
printTable(
  ['second', 'answered by the controller', 'feedbacks received'],
  perSecond.filter((p) => p.s <= 5 || p.s % 10 === 0 || p.s > SECONDS).map((p) => [String(p.s), String(p.answered), String(p.received)]),
);
const firstSeconds = perSecond.filter((p) => p.s <= SECONDS);
console.log(`\nIntake over the flood seconds: min ${Math.min(...firstSeconds.map((p) => p.answered))}/s, median ${fmt(summarize(firstSeconds.map((p) => p.answered)).p50, 0)}/s, first second ${firstSeconds[0]?.answered ?? 0}/s.\n`);
console.log('### Periodic cycle gap during the flood, s\n');
const g = summarize(gaps.map((x) => x / 1000));
printTable(['periodic cycles', 'p50', 'p99', 'max', 'target'], [[String(periodic.length), fmt(g.p50, 3), fmt(g.p99, 3), fmt(g.max, 3), '≤ 1.1']]);
console.log('\n### RSS of this process (app + lean client), MB\n');
printTable(['second', 'RSS MB'], rss.map((r) => [String(r.s), fmt(r.mb, 0)]));
console.log(`\nAfter two forced GCs, before the flood → after it (the bench's own maps of ${total} send and arrival times included):\n`);
printTable(
  ['measure', 'before', 'after', 'after vs before'],
  [
    ['RSS MB', fmt(memBefore.rssMB, 0), fmt(memAfter.rssMB, 0), ratio(memAfter.rssMB / memBefore.rssMB)],
    ['heap used MB', fmt(memBefore.heapUsedMB, 1), fmt(memAfter.heapUsedMB, 1), ratio(memAfter.heapUsedMB / memBefore.heapUsedMB)],
  ],
);
console.log(`\nSent ${sent}, answered ${answered() - answeredBefore}, feedbacks lost ${lost}; the last command's setpoint ${lastSetpoint} W, executed ${String(executed)} W (last one wins: ${executed === lastSetpoint ? 'yes' : 'no'}).`);

const brokerNotes = broker.log().split('\n').filter((l) => /drop|disconnect|timeout|exceed/i.test(l));
if (brokerNotes.length) console.log(`\nmosquitto said (${brokerNotes.length} lines, the first 5):\n${brokerNotes.slice(0, 5).map((l) => `    ${l}`).join('\n')}`);
await peer.end();
await app.stop();
await broker.stop();
rmSync(dir, { recursive: true, force: true });
