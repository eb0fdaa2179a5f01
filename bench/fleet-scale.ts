// Benchmark (slow, ~1 min per fleet size): fleet scale [issue 17, performance]. `startFleet` in a
// child process (bench/lib/fleet-child.ts: N simulated controllers, each its own MQTT session,
// periodic feedback every second) on a real Debian mosquitto (`set_tcp_nodelay true`,
// `max_connections -1`); one integrator (MQTT.js 3.1.1, QoS 1, one connection, subscribed to
// every site's feedback with one wildcard) in this process.
// Measured per fleet size: how many sites connected; periodic feedbacks received per second against
// the N expected; command → feedback over every site (ROUNDS rounds, each a command to every site,
// spread over one second); CPU (% of one core) of the fleet process, of mosquitto and of this
// integrator; the fleet's RSS per site. Baseline: the smallest fleet (ratios of p50/p99 and of CPU
// per 1,000 sites). Target: p99 < 1 s with every site publishing at 1 Hz, for N up to 10,000.
// With BENCH_FLEET_PROCESSES=P the fleet is split over P child processes (`gridpilot fleet --first`
// ranges, as one would spread a big fleet over the cores); CPU and RSS are their sums.
// Run: npx tsx bench/fleet-scale.ts   Env: BENCH_FLEET_SITES (default "250,1000,2000"),
// BENCH_FLEET_WINDOW_S (default 15), BENCH_FLEET_ROUNDS (default 3), BENCH_FLEET_PROCESSES (default 1).
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Feedback } from '../src/protocol/feedback.ts';
import { topicsFor } from '../src/protocol/topics.ts';
import { assertMosquittoInstalled, startMosquitto } from '../test/helpers/mosquitto.ts';
import { connectPeer } from './lib/mqtt-peer.ts';
import { fmt, printHeader, printTable, ratio, summarize } from './lib/report.ts';

const SIZES = (process.env['BENCH_FLEET_SITES'] ?? '250,1000,2000').split(',').map(Number);
const WINDOW_S = Number(process.env['BENCH_FLEET_WINDOW_S'] ?? 15);
const ROUNDS = Number(process.env['BENCH_FLEET_ROUNDS'] ?? 3);
const PROCESSES = Number(process.env['BENCH_FLEET_PROCESSES'] ?? 1);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TICK_HZ = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

function procCpuS(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK_HZ;
}

interface Row {
  n: number;
  connected: number;
  startS: number;
  feedbackPerS: number;
  p50: number;
  p99: number;
  max: number;
  answered: number;
  sent: number;
  fleetCpu: number;
  brokerCpu: number;
  integratorCpu: number;
  rssPerSiteKiB: number;
}

interface ChildSample { userUs: number; systemUs: number; rssBytes: number }

async function measure(n: number): Promise<Row> {
  const broker = await startMosquitto({ wsPort: null, extraConfig: 'set_tcp_nodelay true\nmax_connections -1\nmax_queued_messages 100000' });
  const per = Math.ceil(n / PROCESSES);
  const children = Array.from({ length: PROCESSES }, (_, k) => {
    const first = k * per + 1;
    const count = Math.min(per, n - k * per);
    return fork(new URL('./lib/fleet-child.ts', import.meta.url), [broker.url, String(count), '1', String(first)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  });
  const next = <T>(c: (typeof children)[number]): Promise<T> => new Promise((resolve) => c.once('message', (m) => resolve(m as T)));
  try {
    const readies = await Promise.all(children.map((c) => next<{ started: number; failed: number; connected: number; startS: number; rssBeforeBytes: number; serials: string[] }>(c)));
    const ready = {
      connected: readies.reduce((a, r) => a + r.connected, 0),
      startS: Math.max(...readies.map((r) => r.startS)),
      rssBeforeBytes: readies.reduce((a, r) => a + r.rssBeforeBytes, 0),
      serials: readies.flatMap((r) => r.serials),
    };
    const peer = await connectPeer(broker.url, 4, 'fleet-integrator');
    let periodic = 0;
    const waiting = new Map<string, number>();
    const latencies: number[] = [];
    let roundTimeS = -1;
    peer.client.on('message', (_topic, payload) => {
      const f = JSON.parse(payload.toString()) as Feedback;
      if (f.requestTime === null) {
        periodic++;
        return;
      }
      if (f.requestTime !== roundTimeS) return;
      const sentAt = waiting.get(f.siteNodeId);
      if (sentAt === undefined) return;
      waiting.delete(f.siteNodeId);
      latencies.push(performance.now() - sentAt);
    });
    await peer.client.subscribeAsync(topicsFor('+').feedback, { qos: 1 });
    await sleep(5000); // warm-up
    const sample = async (): Promise<{ fleet: ChildSample; brokerS: number; self: NodeJS.CpuUsage; at: number }> => {
      const samples = await Promise.all(
        children.map((c) => {
          const answer = next<ChildSample>(c);
          c.send('sample');
          return answer;
        }),
      );
      const fleet = samples.reduce((a, x) => ({ userUs: a.userUs + x.userUs, systemUs: a.systemUs + x.systemUs, rssBytes: a.rssBytes + x.rssBytes }), { userUs: 0, systemUs: 0, rssBytes: 0 });
      return { fleet, brokerS: procCpuS(broker.pid), self: process.cpuUsage(), at: performance.now() };
    };
    const s0 = await sample();
    const p0 = periodic;
    await sleep(WINDOW_S * 1000);
    const s1 = await sample();
    const feedbackPerS = (periodic - p0) / ((s1.at - s0.at) / 1000);
    let sent = 0;
    for (let r = 0; r < ROUNDS; r++) {
      // A new second for every round: the ordering rule needs a later `time`.
      const nowS = Math.floor(Date.now() / 1000);
      await sleep((nowS + 1) * 1000 - Date.now() + 5);
      roundTimeS = Math.floor(Date.now() / 1000);
      waiting.clear();
      const start = performance.now();
      for (let i = 0; i < ready.serials.length; i++) {
        const serial = ready.serials[i] as string;
        const due = start + (i * 1000) / ready.serials.length;
        if (due > performance.now()) await sleep(due - performance.now());
        waiting.set(`${serial}_site_0`, performance.now());
        void peer.client.publishAsync(topicsFor(serial).command, JSON.stringify({ extraTags: { nodeId: `${serial}_site_0` }, time: roundTimeS, fields: { storage_policy: 'self_consumption', solar_policy: 'feed_in_limitation' } }), { qos: 1 });
        sent++;
      }
      const deadline = performance.now() + 10_000;
      while (waiting.size > 0 && performance.now() < deadline) await sleep(20);
      for (const sentAt of waiting.values()) latencies.push(performance.now() - sentAt); // unanswered in 10 s: counted at 10 s+
    }
    const s2 = await sample();
    const wallS = (s1.at - s0.at) / 1000;
    const cpuPct = (us: number): number => (us / 1e6 / wallS) * 100;
    const l = summarize(latencies);
    await peer.client.endAsync(true);
    return {
      n,
      connected: ready.connected,
      startS: ready.startS,
      feedbackPerS,
      p50: l.p50,
      p99: l.p99,
      max: l.max,
      answered: sent - [...waiting.values()].length,
      sent,
      fleetCpu: cpuPct(s1.fleet.userUs + s1.fleet.systemUs - s0.fleet.userUs - s0.fleet.systemUs),
      brokerCpu: ((s1.brokerS - s0.brokerS) / wallS) * 100,
      integratorCpu: cpuPct(s1.self.user + s1.self.system - s0.self.user - s0.self.system),
      rssPerSiteKiB: (s2.fleet.rssBytes - ready.rssBeforeBytes) / 1024 / n,
    };
  } finally {
    await Promise.all(
      children.map((c) => {
        const exited = new Promise((r) => c.once('exit', r));
        c.send('stop');
        return exited;
      }),
    );
    await broker.stop();
  }
}

assertMosquittoInstalled();
printHeader(
  'Fleet scale',
  `N simulated controllers (startFleet in ${PROCESSES} process${PROCESSES > 1 ? 'es' : ''}, one MQTT session each, feedback every 1 s) on mosquitto; one integrator, one connection; ${WINDOW_S} s steady window, then ${ROUNDS} rounds of a command to every site spread over 1 s.`,
);
const rows: Row[] = [];
for (const n of SIZES) {
  process.stderr.write(`fleet-scale: ${n} sites…\n`);
  rows.push(await measure(n));
}
const base = rows[0];
printTable(
  ['sites', 'connected', 'start s', 'feedback /s (expected N)', 'cmd → feedback p50 ms', 'p99 ms', 'max ms', 'answered', 'p50 vs smallest', 'p99 vs smallest', 'fleet CPU %', 'per 1,000 sites', 'mosquitto CPU %', 'integrator CPU %', 'fleet RSS KiB / site'],
  rows.map((r) => [
    String(r.n),
    String(r.connected),
    fmt(r.startS, 1),
    fmt(r.feedbackPerS, 0),
    fmt(r.p50),
    fmt(r.p99),
    fmt(r.max),
    `${r.answered} / ${r.sent}`,
    base ? ratio(r.p50 / base.p50) : '–',
    base ? ratio(r.p99 / base.p99) : '–',
    fmt(r.fleetCpu, 0),
    fmt((r.fleetCpu / r.n) * 1000, 0),
    fmt(r.brokerCpu, 0),
    fmt(r.integratorCpu, 0),
    fmt(r.rssPerSiteKiB, 0),
  ]),
);
console.log('\nTarget: p99 < 1 s with every site at 1 Hz (feedback /s ≈ N), up to 10,000 sites.');
