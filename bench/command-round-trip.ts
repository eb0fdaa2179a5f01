// Benchmark: command → feedback round trip over loopback MQTT, as shipped.
//
// An integrator client (MQTT.js) publishes a live command (QoS 1) on the command topic; the real
// app (startApp: remote link, controller, simulated demo site, periodic 1 s cycle) parses it, runs
// a cycle at once, writes the setpoints to the simulated devices, reads them back and publishes the
// feedback (QoS 1); the client times the arrival. Commands go one after the other (each waits for
// its feedback).
//
// Varied:
// - broker: the embedded aedes (its listeners set TCP_NODELAY on accepted sockets), Debian
//   mosquitto 2 with its default config (Nagle on its sockets) and with `set_tcp_nodelay true`;
// - the integrator's socket: 'undelayed' = MQTT.js + keepSocketsUndelayed (what the gridpilot SDK
//   does), 'default' = a plain MQTT.js client (what an integrator's own client does unless told);
// - the integrator's MQTT version: 3.1 and 3.1.1 (aedes has no MQTT 5), and 5 on mosquitto. The
//   controller's own link speaks its config's version (3.1.1 by default) and always sets TCP_NODELAY.
//
// Transport floor, measured in the same run: a client of the same kind as the integrator publishes
// a command-sized message that a second, undelayed client (in the controller's role) echoes back
// with a feedback-sized payload — broker only, no controller. Baseline for the ratio: a 1 s
// cycle-based controller (OpenEMS style) applies a command at its next cycle, on average 500 ms
// later, plus the same transport.
//
// Pacing: back to back (the next command right after the feedback: bursts, scripted sequences)
// for every combination, and — MQTT 3.1.1 only — with a pause between commands (an integrator
// sending now and then). The pause matters for a client with Nagle on: its PUBACK for the last
// feedback is still unacknowledged when the next command follows at once, so the command waits
// for the broker's delayed ACK (~40 ms); after a pause that ACK has long arrived.
//
// Run: npx tsx bench/command-round-trip.ts
// Env: BENCH_COMMANDS (default 1000 per back-to-back row, echoes the same), BENCH_COMMANDS_STALLING
// (default 100: back-to-back rows whose warm-up median is > 20 ms, i.e. Nagle stalls of 40–90 ms
// each; the delay is deterministic, so fewer samples say the same), BENCH_PACED (default 50
// commands and 50 echoes per paced row), BENCH_PACED_GAP_MS (default 150).
import { startApp } from '../src/app.ts';
import type { MqttProtocolVersion } from '../src/remote/mqtt-options.ts';
import { assertMosquittoInstalled, startMosquitto } from '../test/helpers/mosquitto.ts';
import { connectPeer, type BenchPeer, type PeerSockets } from './lib/mqtt-peer.ts';
import { fmt, printHeader, printTable, quantile, ratio, summarize, type Summary } from './lib/report.ts';

const COMMANDS = Number(process.env['BENCH_COMMANDS'] ?? 1000);
const COMMANDS_STALLING = Number(process.env['BENCH_COMMANDS_STALLING'] ?? 100);
const PACED = Number(process.env['BENCH_PACED'] ?? 50);
const PACED_GAP_MS = Number(process.env['BENCH_PACED_GAP_MS'] ?? 150);
const STALL_MS = 20; // a warm-up median above this means Nagle stalls: measure fewer
const BLOCKS = 10; // echo and command samples are taken in alternating blocks, so both see the same noise
const WARMUP = 30;
const CYCLE_BASED_WAIT_MS = 500; // half of a 1 s cycle: the mean wait for the next cycle
const TARGET_P50_MS = 5;
const TARGET_P99_MS = 20;

/** Realistic commands, in turn: storage charge/discharge setpoints, solar caps, the contract's examples. */
const COMMAND_FIELDS: ReadonlyArray<Record<string, unknown>> = [
  { storage_policy: 'setpoint', storage_power_setpoint_w: 3000 },
  { storage_policy: 'setpoint', storage_power_setpoint_w: -2500 },
  { solar_policy: 'setpoint', solar_power_setpoint_w: 4000 },
  { solar_policy: 'setpoint', solar_power_setpoint_w: 0, storage_policy: 'setpoint', storage_power_setpoint_w: 5000 },
  { solar_policy: 'setpoint', solar_power_setpoint_w: 5000, storage_policy: 'setpoint', storage_power_setpoint_w: -5000 },
  { storage_policy: 'setpoint', storage_power_setpoint_w: 1200, solar_policy: 'feed_in_limitation' },
];

type BrokerKind = 'aedes' | 'mosquitto' | 'mosquitto-nodelay';
const BROKER_NAMES: Record<BrokerKind, string> = {
  aedes: 'aedes (embedded)',
  mosquitto: 'mosquitto 2, default config',
  'mosquitto-nodelay': 'mosquitto 2, set_tcp_nodelay true',
};
const PROTOCOLS: Record<BrokerKind, readonly MqttProtocolVersion[]> = { aedes: [3, 4], mosquitto: [3, 4, 5], 'mosquitto-nodelay': [3, 4, 5] };
const PROTOCOL_NAMES: Record<MqttProtocolVersion, string> = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5' };
const PEER_NAMES: Record<PeerSockets, string> = {
  undelayed: 'MQTT.js + TCP_NODELAY (as the SDK)',
  default: 'plain MQTT.js (Nagle on)',
};

const appOptions = { brokerPort: 0, wsPort: null, httpPort: null, logLevel: 'silent' } as const;

interface Target {
  url: string;
  topics: { command: string; feedback: string };
  siteNodeId: string;
  nowS(): number;
  onCycle(fn: (computeMs: number) => void): void;
  stop(): Promise<void>;
}

async function startTarget(broker: BrokerKind): Promise<Target> {
  if (broker === 'aedes') {
    const app = await startApp(appOptions);
    return {
      url: app.info.brokerUrl,
      topics: app.info.topics,
      siteNodeId: app.info.siteNodeId,
      nowS: () => Math.floor(app.clock.now() / 1000),
      onCycle: (fn) => app.controller.onCycle((r) => fn(r.computeMs)),
      stop: () => app.stop(),
    };
  }
  const m = await startMosquitto({ wsPort: null, ...(broker === 'mosquitto-nodelay' ? { extraConfig: 'set_tcp_nodelay true' } : {}) });
  try {
    const app = await startApp({ ...appOptions, brokerUrl: m.url });
    return {
      url: m.url,
      topics: app.info.topics,
      siteNodeId: app.info.siteNodeId,
      nowS: () => Math.floor(app.clock.now() / 1000),
      onCycle: (fn) => app.controller.onCycle((r) => fn(r.computeMs)),
      async stop() {
        await app.stop();
        await m.stop();
      },
    };
  } catch (err) {
    await m.stop();
    throw err;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  broker: BrokerKind;
  protocol: MqttProtocolVersion;
  peer: PeerSockets;
  /** Pause before each command and each echo, ms; 0 = back to back. */
  gapMs: number;
  echo: Summary;
  command: Summary;
  rejected: number;
  computeMs: Summary;
}

async function measure(broker: BrokerKind, protocolVersion: MqttProtocolVersion, peer: PeerSockets, gapMs: number): Promise<Row> {
  const target = await startTarget(broker);
  const { topics, siteNodeId } = target;
  const peers: BenchPeer[] = [];
  try {
    const integrator = await connectPeer(target.url, protocolVersion, 'integrator', peer);
    peers.push(integrator);
    const pinger = await connectPeer(target.url, protocolVersion, 'ping', peer);
    peers.push(pinger);
    // The echo client stands in for the controller, whose link always sets TCP_NODELAY.
    const echoer = await connectPeer(target.url, protocolVersion, 'echo', 'undelayed');
    peers.push(echoer);
    await integrator.client.subscribeAsync(topics.feedback, { qos: 1 });

    let rejected = 0;
    let k = 0;
    let lastFeedback: Buffer = Buffer.from('{}');
    const computeMs: number[] = [];
    let inCommand = false;
    target.onCycle((ms) => {
      if (inCommand) computeMs.push(ms);
    });
    const command = async (): Promise<number> => {
      const fields = COMMAND_FIELDS[k++ % COMMAND_FIELDS.length];
      const payload = JSON.stringify({ extraTags: { nodeId: siteNodeId }, time: target.nowS(), fields });
      const arrival = integrator.next(topics.feedback);
      inCommand = true;
      const t0 = performance.now();
      integrator.client.publish(topics.command, payload, { qos: 1 });
      const m = await arrival;
      inCommand = false;
      lastFeedback = m.payload;
      const code = (JSON.parse(m.payload.toString()) as { data?: { response_code?: number } }).data?.response_code;
      if (code !== 0) rejected += 1;
      return m.atMs - t0;
    };

    // Echo: the second client answers each ping with a feedback-sized pong (the last real feedback).
    const ping = 'bench/echo/ping';
    const pong = 'bench/echo/pong';
    await echoer.client.subscribeAsync(ping, { qos: 1 });
    await pinger.client.subscribeAsync(pong, { qos: 1 });
    echoer.client.on('message', (topic) => {
      if (topic === ping) echoer.client.publish(pong, lastFeedback, { qos: 1 });
    });
    const pingPayload = JSON.stringify({ extraTags: { nodeId: siteNodeId }, time: 0, fields: COMMAND_FIELDS[3] });
    const echo = async (): Promise<number> => {
      const arrival = pinger.next(pong);
      const t0 = performance.now();
      pinger.client.publish(ping, pingPayload, { qos: 1 });
      return (await arrival).atMs - t0;
    };

    const warm: number[] = [];
    for (let i = 0; i < WARMUP; i += 1) warm.push(await command());
    for (let i = 0; i < WARMUP; i += 1) await echo();
    computeMs.length = 0;
    rejected = 0;

    const n = gapMs > 0 ? PACED : quantile(warm, 0.5) > STALL_MS ? Math.min(COMMANDS, COMMANDS_STALLING) : COMMANDS;
    const timed = async (f: () => Promise<number>): Promise<number> => {
      if (gapMs > 0) await sleep(gapMs);
      return f();
    };
    const echoes: number[] = [];
    const commands: number[] = [];
    const perBlock = Math.ceil(n / BLOCKS);
    for (let b = 0; b < BLOCKS; b += 1) {
      for (let i = 0; i < perBlock; i += 1) echoes.push(await timed(echo));
      for (let i = 0; i < perBlock; i += 1) commands.push(await timed(command));
    }
    return { broker, protocol: protocolVersion, peer, gapMs, echo: summarize(echoes), command: summarize(commands), rejected, computeMs: summarize(computeMs) };
  } finally {
    for (const p of peers) await p.end();
    await target.stop();
  }
}

async function main(): Promise<void> {
  printHeader(
    'Command → feedback round trip (loopback MQTT, as shipped)',
    `Sequential commands (each waits for its feedback), QoS 1 both ways; the real app (startApp) on the demo site at a 1 s periodic cycle, ` +
      `client, app and embedded broker in this process (mosquitto in its own). The controller's link speaks MQTT 3.1.1 and sets TCP_NODELAY; the broker's sockets and the ` +
      `integrator's are varied. Echo = broker-only round trip (integrator-kind client → broker → undelayed echo client → broker → client), the transport floor, ` +
      `measured in alternating blocks with the commands.`,
  );
  const brokers: BrokerKind[] = ['aedes', 'mosquitto', 'mosquitto-nodelay'];
  try {
    assertMosquittoInstalled();
  } catch (err) {
    brokers.splice(1);
    console.log(`(mosquitto skipped: ${(err as Error).message})\n`);
  }
  const rows: Row[] = [];
  for (const broker of brokers) {
    for (const peer of ['undelayed', 'default'] as const) {
      for (const v of PROTOCOLS[broker]) rows.push(await measure(broker, v, peer, 0));
    }
  }
  for (const broker of brokers) {
    for (const peer of ['undelayed', 'default'] as const) rows.push(await measure(broker, 4, peer, PACED_GAP_MS));
  }

  const ms = (s: Summary): string[] => [fmt(s.p50), fmt(s.p90), fmt(s.p99), fmt(s.max)];
  const pacing = (r: Row): string => (r.gapMs > 0 ? `${r.gapMs} ms apart` : 'back to back');
  printTable(
    ['broker', 'integrator client', 'MQTT', 'pacing', 'path', 'n', 'median ms', 'p90 ms', 'p99 ms', 'max ms', 'vs 1 s cycle-based (OpenEMS-style) controller'],
    rows.flatMap((r) => {
      const head = [BROKER_NAMES[r.broker], PEER_NAMES[r.peer], PROTOCOL_NAMES[r.protocol], pacing(r)];
      return [
        [...head, 'broker echo (transport floor)', String(r.echo.n), ...ms(r.echo), 'baseline transport'],
        [...head, 'command → feedback', String(r.command.n), ...ms(r.command), `${ratio((CYCLE_BASED_WAIT_MS + r.echo.p50) / r.command.p50)} faster`],
      ];
    }),
  );
  console.log('');
  printTable(
    ['broker', 'integrator client', 'MQTT', 'pacing', `p50 < ${TARGET_P50_MS} ms`, `p99 < ${TARGET_P99_MS} ms`, 'controller share of p50 (p50 − echo p50), ms', 'cycle compute p50 / p99, ms', 'non-zero response codes'],
    rows.map((r) => [
      BROKER_NAMES[r.broker],
      PEER_NAMES[r.peer],
      PROTOCOL_NAMES[r.protocol],
      pacing(r),
      r.command.p50 < TARGET_P50_MS ? 'yes' : 'NO',
      r.command.p99 < TARGET_P99_MS ? 'yes' : 'NO',
      fmt(r.command.p50 - r.echo.p50),
      `${fmt(r.computeMs.p50, 3)} / ${fmt(r.computeMs.p99, 3)}`,
      String(r.rejected),
    ]),
  );
  console.log(`\nRatio = (${CYCLE_BASED_WAIT_MS} ms mean wait for the next 1 s cycle + measured echo median) / measured command median.`);
}

await main();
