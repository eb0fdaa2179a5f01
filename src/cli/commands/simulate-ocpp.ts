import { InvalidArgumentError, Option, type Command } from 'commander';
import { ScaledClock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import { parsePositiveNumber } from '../arg-parsers.ts';
import { EXIT_FAILURE, EXIT_OK, errorText, type CliIo } from '../io.ts';
import { whenAborted } from '../termination.ts';
import type { RunUntilSignal } from './simulate.ts';

export interface SimulateOcppFlags {
  url: string;
  id: string;
  ocpp: '1.6' | '2.0.1';
  password?: string;
  /** Simulated seconds per real second. */
  speed: number;
  /** A car is plugged in at start (else only the weekly car pattern brings one). */
  plugged?: boolean;
  /** s */
  meterInterval: number;
  rateUnit: 'A' | 'W';
  phases: 1 | 3;
  maxCurrent: number;
}

function parsePhases(text: string): 1 | 3 {
  if (text === '1') return 1;
  if (text === '3') return 3;
  throw new InvalidArgumentError('expected 1 or 3.');
}

function parseWsUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError('expected a ws:// or wss:// URL, e.g. ws://127.0.0.1:8887/ocpp.');
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new InvalidArgumentError('expected a ws:// or wss:// URL, e.g. ws://127.0.0.1:8887/ocpp.');
  return text.replace(/\/+$/, '');
}

/** Runs one simulated charge point until `signal` aborts. */
export async function runSimulateOcpp(flags: SimulateOcppFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  // Loaded here so that other subcommands do not load the simulator.
  const [{ SimWorld }, { SimEvCharger }, { startOcppChargePoint }] = await Promise.all([
    import('../../devices/simulated/sim-world.ts'),
    import('../../devices/simulated/sim-ev-charger.ts'),
    import('../../devices/simulators/ocpp-charge-point.ts'),
  ]);
  const clock = new ScaledClock(flags.speed);
  const world = new SimWorld(clock, { weather: 'clear-sky' });
  const charger = new SimEvCharger(world, {
    nodeId: flags.id,
    phases: flags.phases,
    canSwitchPhases: flags.phases === 3,
    minCurrentA: 6,
    maxCurrentA: flags.maxCurrent,
    allowZeroCurrent: true,
    voltageV: 230,
  });
  if (flags.plugged && !charger.snapshot().isConnected) charger.plugIn({ energyNeededWh: 20_000 });
  const print = (_obj: object, msg?: string) => io.out(`${new Date(clock.now()).toISOString()} ${msg ?? ''}`);
  const logger: Logger = { debug: () => undefined, info: print, warn: print, error: print };
  let cp: Awaited<ReturnType<typeof startOcppChargePoint>>;
  try {
    cp = await startOcppChargePoint({
      url: flags.url,
      chargePointId: flags.id,
      ocppVersion: flags.ocpp,
      password: flags.password,
      charger,
      clock,
      meterIntervalS: flags.meterInterval,
      rateUnit: flags.rateUnit,
      wiredPhases: flags.phases,
      logger,
    });
  } catch (err) {
    io.err(`error: could not start the charge point: ${errorText(err)}`);
    return EXIT_FAILURE;
  }
  io.err(`charge point ${flags.id} (OCPP ${flags.ocpp}) → ${flags.url}/${flags.id}; car ${charger.snapshot().isConnected ? 'plugged in' : 'not plugged in (comes by the weekly pattern)'}; Ctrl-C stops`);
  await whenAborted(signal);
  io.err('stopping…');
  await cp.close();
  io.err('stopped.');
  return EXIT_OK;
}

/** `gridpilot simulate ocpp`: an OCPP charge point with a simulated car, for trying the OCPP driver without hardware. */
export function registerSimulateOcpp(simulate: Command, runUntilSignal: RunUntilSignal, io: CliIo): void {
  simulate
    .command('ocpp')
    .summary('an OCPP 1.6J / 2.0.1 charge point with a simulated car')
    .description(
      'Connects a simulated EV charge point to an OCPP central system (gridpilot with an ocpp device, or any CSMS): it boots, ' +
        'reports the car plugging in and out (a weekly commuter pattern), starts and stops transactions, sends meter values, ' +
        'and applies the charging profiles it gets. Prints what it does; reconnects when the server goes away.',
    )
    .requiredOption('--url <url>', 'central system endpoint without the id, e.g. ws://127.0.0.1:8887/ocpp', parseWsUrl)
    .requiredOption('--id <chargePointId>', 'charge point identity (the driver config chargePointId)')
    .addOption(new Option('--ocpp <version>', 'OCPP version').choices(['1.6', '2.0.1']).default('1.6'))
    .option('--password <pw>', 'HTTP Basic-auth password (the driver config password)')
    .option('--speed <x>', 'simulated seconds per real second', parsePositiveNumber, 1)
    .option('--plugged', 'a car is plugged in at start (wanting 20 kWh)')
    .option('--meter-interval <s>', 'MeterValues every this many simulated seconds', parsePositiveNumber, 10)
    .addOption(new Option('--rate-unit <unit>', 'schedule unit the charger declares: A (Current) or W (Power)').choices(['A', 'W']).default('A'))
    .option('--phases <n>', 'phases wired, 1 or 3 (3 can switch to 1)', parsePhases, 3 as 1 | 3)
    .option('--max-current <a>', 'maximum current per phase, A', parsePositiveNumber, 16)
    .action((flags: SimulateOcppFlags) => runUntilSignal((signal) => runSimulateOcpp(flags, io, signal)));
}
