import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { normalizeBrokerUrl, type MqttProtocolVersion, type TlsFiles } from '../../client/index.ts';
import { parseMqttVersion, parsePort, parsePositiveNumber } from '../arg-parsers.ts';
import { brokerOption } from '../connection-options.ts';
import { EXIT_FAILURE, EXIT_OK, UsageError, errorText, type CliIo } from '../io.ts';
import { checkPathsFor, runNetworkCheck, type NetworkCheckOptions } from '../network-check.ts';

export interface CheckFlags {
  /** Broker URL: its host, and the port of the path its scheme names. Default mqtt://127.0.0.1:1883. */
  broker: string;
  /** Replaces the host of --broker. */
  host?: string;
  /** MQTT over TCP. Default: --broker's port when mqtt://, else 1883. */
  port?: number;
  /** MQTT over WebSocket at /mqtt. Default: --broker's port when ws://, else 80. */
  backupPort?: number;
  /** MQTT over TLS. Default: --broker's port when mqtts://, else 8883. */
  tlsPort?: number;
  /** Seconds per step. */
  timeout: number;
  mqttVersion: MqttProtocolVersion;
  /** false with --no-mqtt. */
  mqtt: boolean;
  username?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`${flag} ${path}: ${errorText(err)}`);
  }
}

/** What runNetworkCheck needs from the flags; UsageError on a bad URL or an unreadable file. */
export function checkOptionsFrom(flags: CheckFlags): NetworkCheckOptions {
  let url: string;
  try {
    url = normalizeBrokerUrl(flags.broker);
  } catch (err) {
    throw new UsageError(`--broker: ${errorText(err)}`);
  }
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new UsageError('--cert and --key go together');
  const { host, paths } = checkPathsFor(url, { tcp: flags.port, ws: flags.backupPort, tls: flags.tlsPort }, flags.host);
  const files: TlsFiles = {};
  if (flags.ca !== undefined) files.caFile = flags.ca;
  if (flags.cert !== undefined) files.certFile = flags.cert;
  if (flags.key !== undefined) files.keyFile = flags.key;
  return {
    host,
    paths,
    timeoutMs: flags.timeout * 1000,
    protocolVersion: flags.mqttVersion,
    isTcpOnly: !flags.mqtt,
    username: flags.username,
    password: flags.password,
    tls: {
      files,
      ca: flags.ca !== undefined ? readFlagFile('--ca', flags.ca) : undefined,
      cert: flags.cert !== undefined ? readFlagFile('--cert', flags.cert) : undefined,
      key: flags.key !== undefined ? readFlagFile('--key', flags.key) : undefined,
    },
  };
}

/** The getting-started network check [live §5 step 1]. Exit 0 when one path reaches the broker, 1 when none does, 2 on bad flags. */
export async function runCheck(flags: CheckFlags, io: CliIo): Promise<number> {
  const isOk = await runNetworkCheck(checkOptionsFrom(flags), (line) => io.out(line));
  return isOk ? EXIT_OK : EXIT_FAILURE;
}

export function registerCheck(program: Command, run: (action: () => Promise<number>) => Promise<void>, io: CliIo): void {
  program
    .command('check')
    .summary('check which way the broker can be reached: 1883, then 80 (WebSocket), then 8883 (TLS)')
    .description(
      'The getting-started network check: tries MQTT over TCP (--port, 1883), then MQTT over WebSocket at /mqtt ' +
        '(--backup-port, 80), then MQTT over TLS (--tls-port, 8883), step by step: TCP, the TLS handshake, the WebSocket upgrade, ' +
        'an MQTT CONNECT. Prints which path works and why each other failed. Exit code 0 = one works, 1 = none, 2 = bad flags.',
    )
    .addOption(brokerOption())
    .option('--host <host>', 'broker host (replaces the host of --broker)')
    .option('--port <n>', "MQTT over TCP (default: --broker's port for mqtt://, else 1883)", parsePort)
    .option('--backup-port <n>', "MQTT over WebSocket at /mqtt (default: --broker's port for ws://, else 80)", parsePort)
    .option('--tls-port <n>', "MQTT over TLS (default: --broker's port for mqtts://, else 8883)", parsePort)
    .option('--timeout <s>', 'seconds per step', parsePositiveNumber, 3)
    .option('--mqtt-version <v>', 'MQTT protocol for the CONNECT: 3 (3.1), 4 (3.1.1) or 5', parseMqttVersion, 3)
    .option('--no-mqtt', 'stop before the MQTT CONNECT: TCP (like nc -zv), the TLS handshake, the WebSocket upgrade')
    .addOption(new Option('-u, --username <name>', 'MQTT username').env('GRIDPILOT_MQTT_USERNAME'))
    .addOption(new Option('-P, --password <password>', 'MQTT password (prefer the environment variable)').env('GRIDPILOT_MQTT_PASSWORD'))
    .option('--ca <file>', "PEM CA bundle the broker's TLS certificate is checked against (default: the system's)")
    .option('--cert <file>', 'PEM client certificate (brokers that log clients in by certificate)')
    .option('--key <file>', 'PEM private key of --cert')
    .action((flags: CheckFlags) => run(() => runCheck(flags, io)));
}
