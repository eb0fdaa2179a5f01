import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';
import { connectMqtt, type MqttProtocolVersion, type TlsFiles } from '../client/index.ts';
import { mqttReason, socketReason, tlsReason } from './probe-reasons.ts';

/*
 * The getting-started network check [live §5 step 1], extended [issue 13]: can the broker be
 * reached over MQTT on TCP 1883, else over MQTT over WebSocket at /mqtt on 80 [live §1 decided],
 * else over MQTT over TLS on 8883? Every path is tried in that order, step by step (TCP, the TLS
 * handshake, an MQTT CONNECT up to its CONNACK); the verdict names the path that works and, for
 * each other one, why it failed.
 */

export type ProbeResult = { ok: true; detail?: string } | { ok: false; reason: string };

/** One way to the broker. */
export interface CheckPath {
  kind: 'tcp' | 'ws' | 'tls' | 'wss';
  port: number;
  /** The broker URL this path stands for (what `--broker` takes). */
  url: string;
}

const PATH_WORDS: Record<CheckPath['kind'], string> = {
  tcp: 'MQTT over TCP',
  ws: 'MQTT over WebSocket',
  tls: 'MQTT over TLS',
  wss: 'MQTT over secure WebSocket',
};

const isTls = (p: CheckPath): boolean => p.kind === 'tls' || p.kind === 'wss';

function hostInUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * The paths of a check, in order: TCP (default 1883), WebSocket at /mqtt (80), TLS (8883). The
 * broker URL gives the host and the port of the path its scheme names (a `wss://` URL adds a
 * fourth path); explicit ports win over both.
 */
export function checkPathsFor(brokerUrl: string, ports: { tcp?: number | undefined; ws?: number | undefined; tls?: number | undefined } = {}, hostOverride?: string): { host: string; paths: CheckPath[] } {
  const url = new URL(brokerUrl);
  const host = hostOverride ?? url.hostname.replace(/^\[|\]$/g, '');
  const own = url.port === '' ? null : Number(url.port);
  const h = hostInUrl(host);
  const wsPath = url.protocol === 'ws:' && url.pathname !== '/' ? url.pathname : '/mqtt';
  const tcp = ports.tcp ?? (url.protocol === 'mqtt:' ? (own ?? 1883) : 1883);
  const ws = ports.ws ?? (url.protocol === 'ws:' ? (own ?? 80) : 80);
  const tlsPort = ports.tls ?? (url.protocol === 'mqtts:' ? (own ?? 8883) : 8883);
  const paths: CheckPath[] = [
    { kind: 'tcp', port: tcp, url: `mqtt://${h}:${tcp}` },
    { kind: 'ws', port: ws, url: `ws://${h}:${ws}${wsPath}` },
    { kind: 'tls', port: tlsPort, url: `mqtts://${h}:${tlsPort}` },
  ];
  if (url.protocol === 'wss:') {
    const wss = own ?? 443;
    paths.push({ kind: 'wss', port: wss, url: `wss://${h}:${wss}${url.pathname === '/' ? '/mqtt' : url.pathname}` });
  }
  return { host, paths };
}

/**
 * Opens `socket`, waits for `readyEvent` (→ `onReady`'s result) or an error (→ `onError`) or the
 * timeout (→ `timeoutReason`), then closes it: the skeleton of the TCP and TLS probes.
 */
function probeSocket<S extends net.Socket>(
  socket: S,
  readyEvent: 'connect' | 'secureConnect',
  timeoutMs: number,
  timeoutReason: string,
  onReady: (socket: S) => ProbeResult,
  onError: (err: Error) => string,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const done = (result: ProbeResult): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, reason: timeoutReason }), timeoutMs);
    socket.once(readyEvent, () => done(onReady(socket)));
    socket.once('error', (err) => done({ ok: false, reason: onError(err) }));
  });
}

/** `nc -zv host port`: opens a TCP connection and closes it at once. */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return probeSocket(net.connect({ host, port }), 'connect', timeoutMs, `timeout: no answer within ${timeoutMs} ms (a firewall dropping packets?)`, () => ({ ok: true }), socketReason);
}

/** A TLS handshake that verifies the broker's certificate (against `ca`, else Node's CAs) and its name. */
export function probeTls(host: string, port: number, files: { ca?: Buffer | undefined; cert?: Buffer | undefined; key?: Buffer | undefined }, timeoutMs: number): Promise<ProbeResult> {
  const socket = tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...(files.ca ? { ca: files.ca } : {}), ...(files.cert ? { cert: files.cert } : {}), ...(files.key ? { key: files.key } : {}) });
  return probeSocket(
    socket,
    'secureConnect',
    timeoutMs,
    `TLS: no handshake within ${timeoutMs} ms`,
    (s) => {
      const peer = s.getPeerCertificate();
      return { ok: true, detail: `certificate CN=${String(peer.subject?.CN ?? '?')} issued by CN=${String(peer.issuer?.CN ?? '?')}, trusted` };
    },
    (err) => tlsReason(err, files.ca !== undefined),
  );
}

/** The HTTP upgrade to a WebSocket with the `mqtt` subprotocol, at the URL's path (/mqtt). */
export function probeWebSocket(url: string, files: { ca?: Buffer | undefined; cert?: Buffer | undefined; key?: Buffer | undefined }, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ['mqtt'], { handshakeTimeout: timeoutMs, ...(files.ca ? { ca: files.ca } : {}), ...(files.cert ? { cert: files.cert } : {}), ...(files.key ? { key: files.key } : {}) });
    let isDone = false;
    const done = (result: ProbeResult): void => {
      if (isDone) return;
      isDone = true;
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(result);
    };
    ws.once('open', () => done({ ok: true, detail: `subprotocol ${ws.protocol || 'none'}` }));
    ws.once('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      done({ ok: false, reason: `not an MQTT broker: HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''} where MQTT over WebSocket was asked for` });
    });
    ws.once('error', (err) => done({ ok: false, reason: /handshake has timed out/i.test(err.message) ? `not an MQTT broker: no answer to the WebSocket upgrade within ${timeoutMs} ms` : `not an MQTT broker: ${socketReason(err)}` }));
  });
}

export interface MqttProbeOptions {
  protocolVersion: MqttProtocolVersion;
  timeoutMs: number;
  username?: string | undefined;
  password?: string | undefined;
  tls?: TlsFiles | undefined;
}

/** An MQTT CONNECT that waits for the CONNACK, then disconnects. */
export async function probeMqtt(url: string, opts: MqttProbeOptions): Promise<ProbeResult> {
  try {
    const client = await connectMqtt({
      url,
      protocolVersion: opts.protocolVersion,
      connectTimeoutMs: opts.timeoutMs,
      reconnectPeriodMs: 0,
      ...(opts.username !== undefined ? { username: opts.username } : {}),
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
    });
    await client.endAsync(true);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: mqttReason(err, url.startsWith('ws') ? 'ws' : 'tcp') };
  }
}

export interface NetworkCheckOptions {
  /** Broker host name or address. */
  host: string;
  /** Tried in this order (checkPathsFor). */
  paths: readonly CheckPath[];
  /** Per step, ms. */
  timeoutMs: number;
  protocolVersion: MqttProtocolVersion;
  /** No MQTT CONNECT: TCP (as `nc -zv`), and the TLS handshake and WebSocket upgrade where the path has them. */
  isTcpOnly?: boolean;
  username?: string | undefined;
  password?: string | undefined;
  /** --ca / --cert / --key, already read (the TLS probe) and their paths (the MQTT probe). */
  tls?: { files: TlsFiles; ca?: Buffer | undefined; cert?: Buffer | undefined; key?: Buffer | undefined } | undefined;
}

const VERSION_NAMES: Record<MqttProtocolVersion, string> = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5' };

/** Runs one path step by step, printing each step; the reason of the first failed one. */
async function checkPath(p: CheckPath, o: NetworkCheckOptions, log: (line: string) => void): Promise<ProbeResult> {
  const step = (name: string, r: ProbeResult, okWords: string): ProbeResult => {
    log(`       ${name.padEnd(5)} ${r.ok ? okWords + (r.detail ? ` (${r.detail})` : '') : `FAILED, ${r.reason}`}`);
    return r;
  };
  const tcp = step('tcp', await probeTcp(o.host, p.port, o.timeoutMs), 'open');
  if (!tcp.ok) return tcp;
  if (isTls(p)) {
    const handshake = step('tls', await probeTls(o.host, p.port, o.tls ?? {}, o.timeoutMs), 'handshake done');
    if (!handshake.ok) return handshake;
  }
  if (p.kind === 'ws' || p.kind === 'wss') {
    const upgrade = step('ws', await probeWebSocket(p.url, o.tls ?? {}, o.timeoutMs), 'upgrade accepted');
    if (!upgrade.ok) return upgrade;
  }
  if (o.isTcpOnly) return { ok: true };
  return step('mqtt', await probeMqtt(p.url, { ...o, tls: o.tls?.files }), `CONNECT accepted (${VERSION_NAMES[o.protocolVersion]})`);
}

/**
 * Runs the check, printing each path's steps and a verdict. True when an MQTT connection (or,
 * with `isTcpOnly`, the steps before the CONNECT) succeeded on at least one path.
 */
export async function runNetworkCheck(o: NetworkCheckOptions, log: (line: string) => void): Promise<boolean> {
  log(`Checking the MQTT broker at ${o.host}: ${o.paths.map((p) => `${p.port} (${PATH_WORDS[p.kind]})`).join(', then ')} [live §5 step 1]`);
  const results: Array<{ path: CheckPath; result: ProbeResult }> = [];
  for (const [i, path] of o.paths.entries()) {
    log(`  ${i + 1}. ${PATH_WORDS[path.kind].padEnd(27)}${path.url}`);
    results.push({ path, result: await checkPath(path, o, log) });
  }
  const working = results.filter((r) => r.result.ok);
  const failed = results.filter((r) => !r.result.ok);
  const reasons = failed.map((r) => `  - ${r.path.url}: ${r.result.ok ? '' : r.result.reason}`);
  const best = working[0];
  if (!best) {
    log(`verdict: FAILED, no MQTT broker could be reached at ${o.host}:`);
    for (const line of reasons) log(line);
    log('  Check the host name, the ports, a firewall on this network, the credentials (--username/--password), the CA (--ca), or that the broker runs (gridpilot start).');
    return false;
  }
  const untested = o.isTcpOnly ? ' (up to the MQTT CONNECT, not tested)' : '';
  log(`verdict: OK, ${working.map((r) => `${r.path.url} (${PATH_WORDS[r.path.kind]})`).join(' and ')} ${working.length > 1 ? 'work' : 'works'}${untested}. Use --broker ${best.path.url}`);
  if (failed.length) {
    log('  the other paths failed:');
    for (const line of reasons) log(line);
  }
  return true;
}
