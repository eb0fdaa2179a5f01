import { Option, type Command } from 'commander';
import type { AppOptions } from '../../app-options.ts';
import { DEFAULT_DATA_DIR } from '../../store/paths.ts';
import { parseIsoTimeMs, parsePort, parsePortOrOff, parsePositiveNumber } from '../arg-parsers.ts';
import { EXIT_FAILURE, EXIT_INTERNAL, EXIT_OK, errorText, type CliIo } from '../io.ts';
import { formatStartBanner } from '../start-banner.ts';
import { whenAborted } from '../termination.ts';

export interface StartFlags {
  config?: string;
  serial?: string;
  brokerPort?: number;
  wsPort?: number | 'off';
  httpPort?: number | 'off';
  /** Seconds. */
  fallbackTimeout?: number;
  speed?: number;
  /** Unix ms (parsed from ISO 8601). */
  simStart?: number;
  brokerUrl?: string;
  dataDir?: string;
  logLevel?: string;
  /** Run the site's devices behind protocol simulators (SunSpec, OCPP 1.6 or 2.0.1), driven by the real drivers. */
  protocolSim?: '1.6' | '2.0.1' | true;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Maps `gridpilot start` flags to `startApp` options; unset flags stay unset (the config decides). */
export function appOptionsFrom(flags: StartFlags): AppOptions {
  const opts: AppOptions = {};
  if (flags.config !== undefined) opts.configPath = flags.config;
  if (flags.serial !== undefined) opts.serial = flags.serial;
  if (flags.brokerPort !== undefined) opts.brokerPort = flags.brokerPort;
  if (flags.wsPort !== undefined) opts.wsPort = flags.wsPort === 'off' ? null : flags.wsPort;
  if (flags.httpPort !== undefined) opts.httpPort = flags.httpPort === 'off' ? null : flags.httpPort;
  if (flags.fallbackTimeout !== undefined) opts.fallbackTimeoutS = flags.fallbackTimeout;
  if (flags.speed !== undefined) opts.speed = flags.speed;
  if (flags.simStart !== undefined) opts.simStartMs = flags.simStart;
  if (flags.brokerUrl !== undefined) opts.brokerUrl = flags.brokerUrl;
  if (flags.dataDir !== undefined) opts.dataDir = flags.dataDir;
  if (flags.logLevel !== undefined) opts.logLevel = flags.logLevel;
  if (flags.protocolSim !== undefined) opts.protocolSim = { ocppVersion: flags.protocolSim === true ? '1.6' : flags.protocolSim };
  return opts;
}

/** Starts the controller, prints how to send a first command, runs until `signal` aborts, stops in order. */
export async function runStart(flags: StartFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  // Loaded here so that client subcommands (send, watch …) do not load the whole controller.
  const { startApp } = await import('../../app.ts');
  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp(appOptionsFrom(flags));
  } catch (err) {
    io.err(`error: could not start: ${errorText(err)}`);
    return EXIT_FAILURE;
  }
  io.out(formatStartBanner(app.info));
  const fatal = containErrors(io);
  try {
    await Promise.race([whenAborted(signal), fatal.happened]);
  } finally {
    fatal.dispose();
  }
  io.err(fatal.error === null ? 'stopping (Ctrl-C again to force)…' : 'stopping after an internal error…');
  try {
    await app.stop();
  } catch (err) {
    io.err(`error while stopping: ${errorText(err)}`);
    return fatal.error === null ? EXIT_FAILURE : EXIT_INTERNAL;
  }
  io.err('stopped.');
  return fatal.error === null ? EXIT_OK : EXIT_INTERNAL;
}

/**
 * While the controller runs: a stray promise rejection (a library's, a device's) is logged and the
 * controller keeps running — every part that can fail (drivers, planner, store, web) already turns
 * its failures into statuses; an uncaught exception may have left any state half-changed, so it
 * stops the controller in order (devices back to their local defaults) and `start` exits 70 for the
 * supervisor to restart it (docs/operations.md).
 */
function containErrors(io: CliIo): { happened: Promise<void>; error: unknown; dispose(): void } {
  let resolve: () => void = () => {};
  const state = {
    happened: new Promise<void>((r) => (resolve = r)),
    error: null as unknown,
    dispose: () => {
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
    },
  };
  const onException = (err: unknown): void => {
    io.err(`fatal: uncaught exception: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (state.error === null) state.error = err ?? new Error('uncaught exception');
    resolve();
  };
  const onRejection = (reason: unknown): void => {
    io.err(`error: unhandled promise rejection (contained; the controller keeps running): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  };
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return state;
}

export function registerStart(program: Command, run: (action: (signal: AbortSignal) => Promise<number>) => Promise<void>, io: CliIo): void {
  program
    .command('start')
    .summary('run the controller (embedded broker, simulated demo site unless --config)')
    .description('Runs the site controller. Without --config it runs the simulated demo site with an embedded MQTT broker.')
    .option('--config <file>', 'site configuration (YAML or JSON); default: the demo site')
    .option('--serial <sn>', "overrides the config's controller serial number")
    .option('--broker-port <n>', 'embedded broker TCP port, 0 = any free port (default: config, 1883)', parsePort)
    .option('--ws-port <n>', 'embedded broker WebSocket port, path /mqtt; "off" to disable (default: config, 8083)', parsePortOrOff)
    .option('--http-port <n>', 'web UI / HTTP API port; "off" to disable (default 8080)', parsePortOrOff)
    .option('--fallback-timeout <s>', 'watchdog: seconds without a command before remote control falls back (default: config, 60)', parsePositiveNumber)
    .option('--speed <x>', 'simulated seconds per real second (default 1)', parsePositiveNumber)
    .option('--sim-start <time>', 'simulated clock start, ISO 8601 (default: now)', parseIsoTimeMs)
    .option('--broker-url <url>', 'use this external broker instead of the embedded one (mqtt://, mqtts://, ws://, wss://)')
    .addOption(new Option('--data-dir <dir>', 'data directory: schedules, command log, history (SQLite)').default(DEFAULT_DATA_DIR).env('GRIDPILOT_DATA_DIR'))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
    .addOption(
      new Option(
        '--protocol-sim [ocpp-version]',
        'run the site (demo or --config) with its inverters, batteries and grid meter behind SunSpec Modbus TCP simulators and its EV chargers behind OCPP charge-point simulators (1.6 or 2.0.1, default 1.6), driven by the real drivers',
      ).choices(['1.6', '2.0.1']),
    )
    .action((flags: StartFlags) => run((signal) => runStart(flags, io, signal)));
}
