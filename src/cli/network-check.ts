import net from 'node:net';
import { connectMqtt, type MqttProtocolVersion } from '../client/index.ts';

/*
 * The getting-started network check [live §5 step 1]: can the broker be reached on TCP 1883, or
 * else on 80 (`nc -zv host 1883`)? Then an MQTT CONNECT on the port that answered, because an open
 * port is not yet a broker that accepts us. Port 80 is MQTT over WebSocket at /mqtt [live §1 decided].
 */

export type ProbeResult = { ok: true } | { ok: false; reason: string };

const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens there)',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  EHOSTUNREACH: 'host unreachable (routing)',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
};

/** `nc -zv host port`: opens a TCP connection and closes it at once. */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result: ProbeResult): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, reason: `no answer within ${timeoutMs} ms (a firewall dropping packets?)` }), timeoutMs);
    socket.once('connect', () => done({ ok: true }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, reason: (err.code && SOCKET_REASONS[err.code]) ?? err.message }));
  });
}

export interface MqttProbeOptions {
  protocolVersion: MqttProtocolVersion;
  timeoutMs: number;
  username?: string;
  password?: string;
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
    });
    await client.endAsync(true);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

export interface NetworkCheckOptions {
  /** Broker host name or address. */
  host: string;
  /** Main port: MQTT over TCP. Default 1883 (8883 = MQTT over TLS). */
  port: number;
  /** Backup port: MQTT over WebSocket at /mqtt. Default 80 (443 = over TLS). */
  backupPort: number;
  /** Per step, ms. */
  timeoutMs: number;
  protocolVersion: MqttProtocolVersion;
  /** Only test TCP, as `nc -zv` does. */
  isTcpOnly?: boolean;
  username?: string;
  password?: string;
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The broker URL a port stands for: the main port speaks MQTT over TCP, the backup port MQTT over WebSocket. */
export function brokerUrlFor(host: string, port: number, role: 'main' | 'backup'): string {
  if (role === 'main') return `${port === 8883 ? 'mqtts' : 'mqtt'}://${urlHost(host)}:${port}`;
  return `${port === 443 ? 'wss' : 'ws'}://${urlHost(host)}:${port}/mqtt`;
}

const VERSION_NAMES: Record<MqttProtocolVersion, string> = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5' };

/**
 * Runs the check, printing each step and a verdict. True when an MQTT connection (or, with
 * `isTcpOnly`, a TCP connection) succeeded on the main or the backup port.
 */
export async function runNetworkCheck(opts: NetworkCheckOptions, log: (line: string) => void): Promise<boolean> {
  log(`Checking whether the MQTT broker at ${opts.host} can be reached on port ${opts.port}, or else on ${opts.backupPort} [live §5 step 1]`);
  const failures: string[] = [];
  for (const role of ['main', 'backup'] as const) {
    const port = role === 'main' ? opts.port : opts.backupPort;
    const tcp = await probeTcp(opts.host, port, opts.timeoutMs);
    if (!tcp.ok) {
      log(`  tcp  ${opts.host} port ${port}: FAILED, ${tcp.reason}`);
      failures.push(`port ${port}: ${tcp.reason}`);
      continue;
    }
    log(`  tcp  ${opts.host} port ${port}: open`);
    const url = brokerUrlFor(opts.host, port, role);
    if (opts.isTcpOnly) {
      log(`verdict: OK, port ${port} of ${opts.host} accepts TCP connections (use --broker ${url}; MQTT not tested)`);
      return true;
    }
    const mqtt = await probeMqtt(url, opts);
    if (mqtt.ok) {
      log(`  mqtt ${url} (${VERSION_NAMES[opts.protocolVersion]}): CONNECT accepted`);
      log(`verdict: OK, the broker is reachable at ${url}${role === 'backup' ? ` (port ${opts.port} is blocked; use the backup)` : ''}. Use --broker ${url}`);
      return true;
    }
    log(`  mqtt ${url} (${VERSION_NAMES[opts.protocolVersion]}): FAILED, ${mqtt.reason}`);
    failures.push(`${url}: ${mqtt.reason}`);
  }
  log(`verdict: FAILED, no MQTT broker could be reached at ${opts.host}:`);
  for (const f of failures) log(`  - ${f}`);
  log('  Check the host name, the ports, a firewall on this network, the credentials (--username/--password), or that the broker runs (gridpilot start).');
  return false;
}
