import type { Command } from 'commander';
import type { MqttProtocolVersion } from '../../client/index.ts';
import { parseMqttVersion, parsePort, parsePositiveNumber } from '../arg-parsers.ts';
import { EXIT_FAILURE, EXIT_OK, type CliIo } from '../io.ts';
import { runNetworkCheck } from '../network-check.ts';

export interface CheckFlags {
  host: string;
  port: number;
  backupPort: number;
  /** Seconds per step. */
  timeout: number;
  mqttVersion: MqttProtocolVersion;
  /** false with --tcp-only. */
  mqtt: boolean;
  username?: string;
  password?: string;
}

/** The getting-started network check [live §5 step 1]. Exit 0 when the broker can be reached, else 1. */
export async function runCheck(flags: CheckFlags, io: CliIo): Promise<number> {
  const isOk = await runNetworkCheck(
    {
      host: flags.host,
      port: flags.port,
      backupPort: flags.backupPort,
      timeoutMs: flags.timeout * 1000,
      protocolVersion: flags.mqttVersion,
      isTcpOnly: !flags.mqtt,
      ...(flags.username !== undefined ? { username: flags.username } : {}),
      ...(flags.password !== undefined ? { password: flags.password } : {}),
    },
    (line) => io.out(line),
  );
  return isOk ? EXIT_OK : EXIT_FAILURE;
}

export function registerCheck(program: Command, run: (action: () => Promise<number>) => Promise<void>, io: CliIo): void {
  program
    .command('check')
    .summary('check that the broker can be reached (1883, else 80)')
    .description(
      'The getting-started network check: can the broker be reached on TCP --port (1883), or else on --backup-port (80,\n' +
        'MQTT over WebSocket at /mqtt)? Then tries an MQTT CONNECT there. Exit code 0 = reachable, 1 = not.',
    )
    .option('--host <host>', 'broker host', '127.0.0.1')
    .option('--port <n>', 'main port, MQTT over TCP (8883 = over TLS)', parsePort, 1883)
    .option('--backup-port <n>', 'backup port, MQTT over WebSocket at /mqtt (443 = over TLS)', parsePort, 80)
    .option('--timeout <s>', 'seconds per step', parsePositiveNumber, 3)
    .option('--mqtt-version <v>', 'MQTT protocol for the CONNECT: 3 (3.1), 4 (3.1.1) or 5', parseMqttVersion, 3)
    .option('--no-mqtt', 'only test TCP, like nc -zv')
    .option('-u, --username <name>', 'MQTT username')
    .option('-P, --password <password>', 'MQTT password')
    .action((flags: CheckFlags) => run(() => runCheck(flags, io)));
}
