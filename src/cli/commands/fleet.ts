import { Option, type Command } from 'commander';
import pino from 'pino';
import { systemClock } from '../../core/clock.ts';
import { startFleet } from '../../fleet/fleet.ts';
import { controllerAccountName } from '../../store/broker-accounts.ts';
import { collect, parseMqttVersion, parseNonNegativeInt, parsePositiveInt, parsePositiveNumber } from '../arg-parsers.ts';
import { brokerOption } from '../connection-options.ts';
import { EXIT_FAILURE, EXIT_OK, errorText, UsageError, type CliIo } from '../io.ts';
import { whenAborted } from '../termination.ts';
import type { MqttProtocolVersion } from '../../client/index.ts';
import type { RunUntilSignal } from './simulate.ts';

/*
 * `gridpilot fleet --sites N`: N independent simulated controllers in this process (varied sites:
 * src/fleet/fleet-site-config.ts), each with its own serial `<prefix><000001>`, broker session
 * (`gp-<serial>` with --site-password, as `gridpilot broker add-fleet` creates them), topics,
 * watchdog and feedback, for load-testing the integrator side. Runs until Ctrl-C.
 */

export interface FleetFlags {
  sites: number;
  first: number;
  serialPrefix: string;
  broker: string;
  brokerUrl?: string;
  mqttVersion: MqttProtocolVersion;
  sitePassword?: string;
  ca?: string;
  feedbackInterval: number;
  fallbackTimeout: number;
  vpp: string[];
  seed: number;
  concurrency: number;
}

export async function runFleet(flags: FleetFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  if (flags.first + flags.sites - 1 > 999_999) throw new UsageError(`--first ${flags.first} with --sites ${flags.sites}: indexes must stay within 1–999999`);
  const brokerUrl = flags.brokerUrl ?? flags.broker;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const rss0 = process.memoryUsage().rss;
  let fleet;
  try {
    fleet = await startFleet({
      sites: flags.sites,
      firstIndex: flags.first,
      serialPrefix: flags.serialPrefix,
      seed: flags.seed,
      brokerUrl,
      protocolVersion: flags.mqttVersion,
      ...(flags.sitePassword !== undefined ? { credentials: (serial: string) => ({ username: controllerAccountName(serial), password: flags.sitePassword as string }) } : {}),
      ...(flags.ca !== undefined ? { caFile: flags.ca } : {}),
      feedbackIntervalS: flags.feedbackInterval,
      fallbackTimeoutS: flags.fallbackTimeout,
      vppIds: flags.vpp,
      connectConcurrency: flags.concurrency,
      clock: systemClock,
      logger: pino({ level: 'warn', base: null }),
      onStarted: (n, total) => {
        if (n % 500 === 0 && n < total) io.err(`fleet: ${n} of ${total} sites started`);
      },
    });
  } catch (err) {
    io.err(`error: the fleet could not start: ${errorText(err)}`);
    return EXIT_FAILURE;
  }
  const connected = fleet.sites.filter((s) => s.link.isConnected()).length;
  const first = fleet.sites[0]?.site.serial ?? '–';
  const last = fleet.sites[fleet.sites.length - 1]?.site.serial ?? '–';
  io.out(`fleet: ${fleet.sites.length} sites running (${first} … ${last}) on ${brokerUrl}, ${connected} connected, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const f of fleet.failed.slice(0, 5)) io.err(`fleet: ${f.serial} did not start: ${f.error}`);
  if (fleet.failed.length > 5) io.err(`fleet: … and ${fleet.failed.length - 5} more did not start`);
  const m = process.memoryUsage();
  io.out(`fleet: RSS ${(m.rss / 2 ** 20).toFixed(0)} MB (+${((m.rss - rss0) / 1024 / Math.max(1, fleet.sites.length)).toFixed(0)} KiB per site since the start), Ctrl-C stops`);
  const report = setInterval(() => {
    const c = process.cpuUsage(cpu0);
    const answered = fleet.sites.reduce((n, s) => n + s.answered(), 0);
    const online = fleet.sites.filter((s) => s.link.isConnected()).length;
    io.err(`fleet: ${online}/${fleet.sites.length} connected, ${answered} messages answered, CPU ${(((c.user + c.system) / 1000 / (performance.now() - started)) * 100).toFixed(0)} % of a core since start, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
  }, 30_000);
  report.unref();
  await whenAborted(signal);
  clearInterval(report);
  io.err('fleet: stopping…');
  await fleet.close();
  return fleet.failed.length === 0 ? EXIT_OK : EXIT_FAILURE;
}

export function registerFleet(program: Command, runUntilSignal: RunUntilSignal, io: CliIo): void {
  program
    .command('fleet')
    .summary('run N simulated controllers against a broker (load-test the integrator side)')
    .description(
      'Runs --sites independent simulated controllers in this process: varied sites (PV, batteries, EVs, heat pumps),\n' +
        'each with its own serial <prefix><000001>, broker session, topics, watchdog and feedback.\n' +
        'On a broker with accounts, create them first: gridpilot broker add-fleet --sites N --password PW.',
    )
    .requiredOption('--sites <n>', 'how many sites', parsePositiveInt)
    .option('--first <index>', 'index of the first site (split a fleet over processes)', parsePositiveInt, 1)
    .option('--serial-prefix <prefix>', 'serials are <prefix><6-digit index>', 'SIM')
    .addOption(brokerOption())
    .addOption(new Option('--broker-url <url>', 'the same as --broker').hideHelp())
    .addOption(new Option('--mqtt-version <v>', 'MQTT protocol of the sites: 3, 4 or 5').default(4).argParser(parseMqttVersion))
    .addOption(new Option('--site-password <pw>', 'each site logs in as gp-<serial> with this password (gridpilot broker add-fleet)').env('GRIDPILOT_FLEET_PASSWORD'))
    .option('--ca <file>', 'PEM CA of an mqtts:// broker')
    .option('--feedback-interval <s>', 'periodic feedback every s seconds (0 = only answers)', parseNonNegativeInt, 1)
    .option('--fallback-timeout <s>', 'watchdog of remote commands, s', parsePositiveNumber, 60)
    .option('--vpp <id>', 'VPP ID given round robin (repeatable)', collect, [] as string[])
    .option('--seed <n>', 'seed of the fleet (same seed, same sites)', parsePositiveInt, 1)
    .option('--concurrency <n>', 'sites connecting at once while starting', parsePositiveInt, 50)
    .action((flags: FleetFlags) => runUntilSignal((signal) => runFleet(flags, io, signal)));
}
