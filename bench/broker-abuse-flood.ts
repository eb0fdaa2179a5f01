// Benchmark: command → feedback under abuse [issue 13, acceptance: "a flood of 10,000 bad CONNECTs
// and oversized publishes leaves command → feedback latency within 2× its idle value"].
//
// Per broker (bench/lib/broker-targets.ts: the default broker — mosquitto behind gridpilot's
// guard —, aedes with the same guard, and plain Debian mosquitto with nothing in front, the
// reference) with the real app attached (no data directory, so no journaling in the latency): an
// integrator (MQTT.js + TCP_NODELAY, 3.1.1, from 127.0.0.1) sends commands one at a time and times
// each feedback, first idle, then while
// - BENCH_ABUSE_CONNECTS (default 10,000) CONNECTs, BENCH_ABUSE_RATE (default 1,000) a second at most
//   (0 = as fast as the attacker can), with the controller account's name and a wrong
//   password arrive (each costs the broker a password hash: scrypt on aedes, PBKDF2 on
//   mosquitto, unless the guard refuses the socket first), BENCH_ABUSE_PARALLEL
//   (default 50) at a time, from BENCH_ABUSE_ADDRESSES (default 20) source addresses 127.0.0.10…;
// - a logged-in misbehaving client (127.0.0.9) sends BENCH_ABUSE_OVERSIZED (default 100)
//   publishes announcing 20 MiB (over the 16 MiB cap), writing 1 MiB of each before it is cut off.
// The guard's limits are the shipped defaults (back-off after 5 failures: 1 s doubling to 60 s).
//
// Run: npx tsx bench/broker-abuse-flood.ts
// Env: BENCH_ABUSE_BROKERS (default 'default,aedes,mosquitto'), BENCH_ABUSE_CONNECTS, BENCH_ABUSE_RATE, BENCH_ABUSE_PARALLEL, BENCH_ABUSE_ADDRESSES, BENCH_ABUSE_OVERSIZED, BENCH_ABUSE_IDLE (default 1000 idle commands).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertMosquittoInstalled } from '../test/helpers/mosquitto.ts';
import { startTarget, TARGET_NAMES, type TargetKind } from './lib/broker-targets.ts';
import { connectPeer, type BenchPeer } from './lib/mqtt-peer.ts';
import { fmt, printHeader, printTable, ratio, summarize, type Summary } from './lib/report.ts';

const CONNECTS = Number(process.env['BENCH_ABUSE_CONNECTS'] ?? 10_000);
const RATE = Number(process.env['BENCH_ABUSE_RATE'] ?? 1000);
const PARALLEL = Number(process.env['BENCH_ABUSE_PARALLEL'] ?? 50);
const ADDRESSES = Number(process.env['BENCH_ABUSE_ADDRESSES'] ?? 20);
const OVERSIZED = Number(process.env['BENCH_ABUSE_OVERSIZED'] ?? 100);
const IDLE = Number(process.env['BENCH_ABUSE_IDLE'] ?? 1000);
/** Plain mosquitto has accounts (anonymous off); the guarded targets run open (loopback, no data directory) — bad passwords are refused the same way. */
const ACCOUNTS = { acme: 'acme-bench-password', mallory: 'mallory-bench-password' };
const ANNOUNCED_BYTES = 20 * 1024 * 1024;
const WRITTEN_BYTES = 1024 * 1024;

interface Row {
  kind: TargetKind;
  idle: Summary;
  flood: Summary;
  floodS: number;
  connectsPerS: number;
  oversizedSent: number;
  guard: string;
}

/** The attacker (bench/lib/abuse-flood-child.ts) in its own process, so its sockets are not the app's event loop: resolves once it is loaded; `go()` starts the flood. */
function floodChild(port: number, username: string, hasAccounts: boolean): Promise<{ go(): Promise<{ oversizedSent: number }> }> {
  return new Promise((ready, reject) => {
    const args = { port, username, hasAccounts, CONNECTS, RATE, PARALLEL, ADDRESSES, OVERSIZED, ANNOUNCED_BYTES, WRITTEN_BYTES, mallory: ACCOUNTS.mallory };
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./lib/abuse-flood-child.ts', import.meta.url)), JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const exited = new Promise<{ oversizedSent: number }>((resolve, fail) => {
      child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.split('\n')[1] ?? '{}') as { oversizedSent: number }) : fail(new Error(`the flood child exited ${String(code)}`))));
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) ready({ go: () => (child.stdin.end('go\n'), exited) });
    });
    child.once('error', reject);
  });
}

async function measure(kind: TargetKind): Promise<Row> {
  const hasAccounts = kind === 'mosquitto';
  const t = await startTarget(kind, hasAccounts ? { integrators: ACCOUNTS } : {});
  let peer: BenchPeer | null = null;
  try {
    const port = Number(new URL(t.url).port);
    peer = await connectPeer(t.url, 4, 'acme', 'undelayed', hasAccounts ? { username: 'acme', password: ACCOUNTS.acme } : {});
    const p = peer;
    const { topics, siteNodeId } = t.app.info;
    await p.client.subscribeAsync(topics.feedback, { qos: 1 });
    let k = 0;
    const one = async (): Promise<number> => {
      const payload = JSON.stringify({ extraTags: { nodeId: siteNodeId }, time: Math.floor(t.app.clock.now() / 1000), fields: { storage_policy: 'setpoint', storage_power_setpoint_w: (k++ % 41) * 100 - 2000 } });
      const arrival = p.next(topics.feedback, 30_000);
      const t0 = performance.now();
      p.client.publish(topics.command, payload, { qos: 1 });
      try {
        return (await arrival).atMs - t0;
      } catch (err) {
        throw new Error(`${kind}: ${(err as Error).message} (integrator connected: ${String(p.client.connected)}; guard ${JSON.stringify(t.guard?.stats() ?? null)})`, { cause: err });
      }
    };
    // The attacker is loaded (and idle) before the baseline is measured.
    const attacker = await floodChild(port, `gp-${t.app.info.serial}`, hasAccounts);
    for (let i = 0; i < 30; i++) await one();
    const idle: number[] = [];
    for (let i = 0; i < IDLE; i++) idle.push(await one());

    let floodDone = false;
    const t0 = performance.now();
    const running = attacker.go().finally(() => {
      floodDone = true;
    });
    const during: number[] = [];
    while (!floodDone) during.push(await one());
    const { oversizedSent } = await running;
    const floodS = (performance.now() - t0) / 1000;
    const s = t.guard?.stats();
    return {
      kind,
      idle: summarize(idle),
      flood: summarize(during),
      floodS,
      connectsPerS: CONNECTS / floodS,
      oversizedSent,
      guard: s ? `${s.failures} failures, ${s.refusedBackingOff} refused at accept, ${s.oversized} oversized cut` : '–',
    };
  } finally {
    await peer?.end();
    await t.stop();
  }
}

assertMosquittoInstalled();
printHeader(
  'Command → feedback under a CONNECT flood and oversized publishes',
  `${CONNECTS} CONNECTs with a wrong password (${RATE > 0 ? `${RATE}/s at most, ` : ''}${PARALLEL} at a time, from ${ADDRESSES} addresses), from another process, and ${OVERSIZED} publishes from a logged-in client announcing ${ANNOUNCED_BYTES / 2 ** 20} MiB ` +
    `(${WRITTEN_BYTES / 2 ** 20} MiB written of each), while one integrator sends commands one at a time to the real app. Idle baseline: ${IDLE} commands on the same app just before. Shipped limits.`,
);
const rows: Row[] = [];
const kinds = (process.env['BENCH_ABUSE_BROKERS'] ?? 'default,aedes,mosquitto').split(',') as TargetKind[];
for (const kind of kinds) rows.push(await measure(kind));
printTable(
  ['broker', 'idle p50 ms', 'idle p99 ms', 'flood n', 'flood p50 ms', 'flood p99 ms', 'p50 vs idle', 'p99 vs idle', 'within 2×', 'flood s', 'bad CONNECTs/s achieved', 'guard'],
  rows.map((r) => [
    TARGET_NAMES[r.kind],
    fmt(r.idle.p50),
    fmt(r.idle.p99),
    String(r.flood.n),
    fmt(r.flood.p50),
    fmt(r.flood.p99),
    ratio(r.flood.p50 / r.idle.p50),
    ratio(r.flood.p99 / r.idle.p99),
    r.flood.p50 <= 2 * r.idle.p50 && r.flood.p99 <= 2 * r.idle.p99 ? 'yes' : 'NO',
    fmt(r.floodS, 1),
    fmt(r.connectsPerS, 0),
    r.guard,
  ]),
);
