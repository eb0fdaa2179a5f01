// Benchmark: the local broker engines side by side [issue 13, performance] — the default broker
// (`gridpilot start` here: Debian's mosquitto behind gridpilot's own listener, which applies the
// abuse limits), plain Debian mosquitto (the same generated config, nothing in front: the
// baseline of every ratio) and aedes (embedded, in-process, the same guard in front), each with
// the real app attached (bench/lib/broker-targets.ts). Same client (MQTT.js + TCP_NODELAY, as the
// SDK), same run, fresh app per row.
//
// Per row: command → feedback (an integrator publishes a live command, QoS 1, and waits for its
// feedback; one at a time) for MQTT 3.1, 3.1.1 and 5 (5 not on aedes), over TCP and over TLS
// (`mqtt.embedded.tls` for the default broker and aedes, a TLS listener in plain mosquitto's own
// config); and broker throughput: one publisher → one subscriber, QoS 1, 200-byte
// payloads, at most 200 in flight, messages delivered per second.
// The guarded targets run with the message rate raised (maxMessagesPerS 1e6) so that throughput
// measures the broker, not the per-connection cap (1,000/s by default).
//
// Run: npx tsx bench/broker-engines.ts
// Env: BENCH_BROKER_COMMANDS (default 500 per row), BENCH_BROKER_MESSAGES (default 20000 per row).
import type { MqttProtocolVersion } from '../src/remote/mqtt-options.ts';
import { assertMosquittoInstalled } from '../test/helpers/mosquitto.ts';
import { createTestPki, type TestPki } from '../test/helpers/tls-certs.ts';
import { startTarget, TARGET_NAMES, type Target, type TargetKind } from './lib/broker-targets.ts';
import { connectPeer } from './lib/mqtt-peer.ts';
import { fmt, printHeader, printTable, ratio, summarize, type Summary } from './lib/report.ts';

const COMMANDS = Number(process.env['BENCH_BROKER_COMMANDS'] ?? 500);
const MESSAGES = Number(process.env['BENCH_BROKER_MESSAGES'] ?? 20_000);
const WARMUP = 30;
const WINDOW = 200;
const PAYLOAD = Buffer.alloc(200, 'x');
const PROTOCOLS: Record<TargetKind, readonly MqttProtocolVersion[]> = { default: [3, 4, 5], aedes: [3, 4], mosquitto: [3, 4, 5] };
const PROTOCOL_NAMES: Record<MqttProtocolVersion, string> = { 3: '3.1', 4: '3.1.1', 5: '5' };
const ROOMY_RATE = { maxMessagesPerS: 1_000_000, messageBurst: 10_000_000 };

interface Row {
  kind: TargetKind;
  tls: boolean;
  protocol: MqttProtocolVersion;
  command: Summary;
  rejected: number;
  messagesPerS: number;
}

async function commandRoundTrips(t: Target, protocol: MqttProtocolVersion): Promise<{ ms: number[]; rejected: number }> {
  const peer = await connectPeer(t.url, protocol, 'integrator', 'undelayed', { caFile: t.caFile });
  try {
    const { topics, siteNodeId } = t.app.info;
    await peer.client.subscribeAsync(topics.feedback, { qos: 1 });
    let rejected = 0;
    let k = 0;
    const one = async (): Promise<number> => {
      const w = (k++ % 41) * 100 - 2000;
      const payload = JSON.stringify({ extraTags: { nodeId: siteNodeId }, time: Math.floor(t.app.clock.now() / 1000), fields: { storage_policy: 'setpoint', storage_power_setpoint_w: w } });
      const arrival = peer.next(topics.feedback);
      const t0 = performance.now();
      peer.client.publish(topics.command, payload, { qos: 1 });
      const m = await arrival;
      if ((JSON.parse(m.payload.toString()) as { data?: { response_code?: number } }).data?.response_code !== 0) rejected += 1;
      return m.atMs - t0;
    };
    for (let i = 0; i < WARMUP; i++) await one();
    rejected = 0;
    const ms: number[] = [];
    for (let i = 0; i < COMMANDS; i++) ms.push(await one());
    return { ms, rejected };
  } finally {
    await peer.end();
  }
}

async function throughput(t: Target, protocol: MqttProtocolVersion, messages: number): Promise<number> {
  const sub = await connectPeer(t.url, protocol, 'tp-sub', 'undelayed', { caFile: t.caFile });
  const pub = await connectPeer(t.url, protocol, 'tp-pub', 'undelayed', { caFile: t.caFile });
  try {
    const topic = `bench/throughput/${protocol}/${messages}`;
    await sub.client.subscribeAsync(topic, { qos: 1 });
    let received = 0;
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (done = resolve));
    sub.client.on('message', (tp) => {
      if (tp === topic && ++received === messages) done();
    });
    const t0 = performance.now();
    const inFlight = new Set<Promise<unknown>>();
    for (let i = 0; i < messages; i++) {
      const p: Promise<unknown> = pub.client
        .publishAsync(topic, PAYLOAD, { qos: 1 })
        .catch(() => undefined)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= WINDOW) await Promise.race(inFlight);
    }
    const timeout = new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`only ${received} of ${messages} delivered in 60 s`)), 60_000).unref());
    await Promise.race([all, timeout]);
    const rate = messages / ((performance.now() - t0) / 1000);
    await Promise.allSettled(inFlight);
    return rate;
  } finally {
    await pub.end();
    await sub.end();
  }
}

async function measure(kind: TargetKind, tls: boolean, protocol: MqttProtocolVersion, pki: TestPki): Promise<Row> {
  const t = await startTarget(kind, { ...(tls ? { tls: pki } : {}), limits: ROOMY_RATE });
  try {
    const c = await commandRoundTrips(t, protocol);
    await throughput(t, protocol, Math.ceil(MESSAGES / 10)); // warm-up
    const messagesPerS = await throughput(t, protocol, MESSAGES);
    return { kind, tls, protocol, command: summarize(c.ms), rejected: c.rejected, messagesPerS };
  } finally {
    await t.stop();
  }
}

assertMosquittoInstalled();
printHeader(
  'Local broker engines: command → feedback and throughput',
  `The real app on the demo site (1 s periodic cycle; its link speaks MQTT 3.1.1 with TCP_NODELAY); one integrator (MQTT.js + TCP_NODELAY) sends ${COMMANDS} commands one at a time (QoS 1, after ${WARMUP} warm-up ones) and times each feedback; then ${MESSAGES} QoS 1 messages (after a tenth as many to warm up) of ${PAYLOAD.length} B, one publisher → one subscriber, ≤ ${WINDOW} in flight. ` +
    `Fresh app per row; ratios against plain Debian mosquitto with the same MQTT version and transport, measured in the same run.`,
);
const pki = createTestPki();
const rows: Row[] = [];
try {
  for (const tls of [false, true]) {
    for (const protocol of [3, 4, 5] as const) {
      for (const kind of ['mosquitto', 'default', 'aedes'] as const) {
        if (!PROTOCOLS[kind].includes(protocol)) continue;
        rows.push(await measure(kind, tls, protocol, pki));
      }
    }
  }
} finally {
  pki.remove();
}

const baseline = (r: Row): Row | undefined => rows.find((b) => b.kind === 'mosquitto' && b.tls === r.tls && b.protocol === r.protocol);
printTable(
  ['broker', 'transport', 'MQTT', 'commands', 'p50 ms', 'p99 ms', 'p50 vs plain mosquitto', 'p99 vs plain mosquitto', 'messages/s', 'messages/s vs plain mosquitto', 'non-zero codes'],
  rows.map((r) => {
    const b = baseline(r);
    return [
      TARGET_NAMES[r.kind],
      r.tls ? 'TLS' : 'TCP',
      PROTOCOL_NAMES[r.protocol],
      String(r.command.n),
      fmt(r.command.p50),
      fmt(r.command.p99),
      b ? ratio(r.command.p50 / b.command.p50) : '–',
      b ? ratio(r.command.p99 / b.command.p99) : '–',
      fmt(r.messagesPerS, 0),
      b ? ratio(r.messagesPerS / b.messagesPerS) : '–',
      String(r.rejected),
    ];
  }),
);
