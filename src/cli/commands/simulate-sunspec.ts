import { InvalidArgumentError, Option, type Command } from 'commander';
import { ScaledClock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import { SimBattery } from '../../devices/simulated/sim-battery.ts';
import { SimGridMeter } from '../../devices/simulated/sim-grid-meter.ts';
import { SimSolar } from '../../devices/simulated/sim-solar.ts';
import { SimWorld } from '../../devices/simulated/sim-world.ts';
import { startSunSpecServer, type RunningSunSpecServer, type SunSpecSimDevice } from '../../devices/simulators/sunspec-server.ts';
import { parsePort, parsePositiveInt, parsePositiveNumber } from '../arg-parsers.ts';
import { EXIT_FAILURE, EXIT_OK, errorText, type CliIo } from '../io.ts';
import { whenAborted } from '../termination.ts';
import type { RunUntilSignal } from './simulate.ts';

export const SUNSPEC_SIM_MODELS = ['inverter', 'battery', 'meter'] as const;
export type SunSpecSimModel = (typeof SUNSPEC_SIM_MODELS)[number];

export interface SimulateSunSpecFlags {
  model: SunSpecSimModel;
  /** TCP port; 0 = a free one. Default 1502. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 1. */
  unitId?: number;
  /** Inverter AC rating, W. Default 5000. */
  ratedW?: number;
  /** Battery capacity, Wh. Default 10 000. */
  capacityWh?: number;
  /** Battery charge/discharge rating, W. Default capacity / 2. */
  maxPowerW?: number;
  /** Simulated seconds per real second. Default 1. */
  speed?: number;
  /** 'bundled' (Belgian weather year), 'clear-sky' or a CSV path. Default 'bundled'. */
  weather?: string;
  /** SunS marker address. Default 40000. */
  baseAddress?: 0 | 40000 | 50000;
}

/** The simulated device behind the server, in its own world. */
export function buildSimulatedSunSpecDevice(flags: SimulateSunSpecFlags, world: SimWorld): SunSpecSimDevice {
  if (flags.model === 'inverter') {
    const ratedPowerW = flags.ratedW ?? 5000;
    return { model: 'inverter', device: new SimSolar(world, { nodeId: 'sunspec-sim-pv', ratedPowerW }), ratings: { ratedPowerW } };
  }
  if (flags.model === 'battery') {
    const capacityWh = flags.capacityWh ?? 10_000;
    const maxW = flags.maxPowerW ?? capacityWh / 2;
    const device = new SimBattery(world, { nodeId: 'sunspec-sim-battery', capacityWh, maxChargeW: maxW, maxDischargeW: maxW, minSocPct: 5, maxSocPct: 100, efficiency: 0.95, initialSocPct: 50 });
    return { model: 'battery', device, ratings: { capacityWh, maxChargeW: maxW, maxDischargeW: maxW, minSocPct: 5, maxSocPct: 100 } };
  }
  // Standalone, the meter measures a simulated household (the world's load profile) with a small PV system.
  const pv = new SimSolar(world, { nodeId: 'sunspec-sim-meter-pv', ratedPowerW: flags.ratedW ?? 3000 });
  return { model: 'meter', device: new SimGridMeter(world, { solar: [pv], storage: [], loads: [] }), ratings: { maxPowerW: 30_000 } };
}

/** Runs one simulated SunSpec device until `signal` aborts. */
export async function runSimulateSunSpec(flags: SimulateSunSpecFlags, io: CliIo, signal: AbortSignal, logger?: Logger): Promise<number> {
  let server: RunningSunSpecServer;
  try {
    const clock = new ScaledClock(flags.speed ?? 1);
    const world = new SimWorld(clock, { weather: flags.weather ?? 'bundled' });
    const spec = buildSimulatedSunSpecDevice(flags, world);
    server = await startSunSpecServer({
      ...spec,
      port: flags.port ?? 1502,
      host: flags.host ?? '127.0.0.1',
      unitId: flags.unitId ?? 1,
      baseAddress: flags.baseAddress ?? 40000,
      clock,
      ...(logger ? { logger } : {}),
    });
  } catch (err) {
    io.err(`error: could not start the SunSpec simulator: ${errorText(err)}`);
    return EXIT_FAILURE;
  }
  io.out(`SunSpec ${flags.model} simulator listening on ${server.host}:${server.port}, unit id ${server.unitId} (${server.url})`);
  io.out(`site config: driver: { type: sunspec, host: ${server.host}, port: ${server.port}, unitId: ${server.unitId} }`);
  await whenAborted(signal);
  io.err('stopping…');
  await server.close();
  io.err('stopped.');
  return EXIT_OK;
}

function parseBaseAddress(text: string): 0 | 40000 | 50000 {
  const n = Number(text);
  if (n === 0 || n === 40000 || n === 50000) return n;
  throw new InvalidArgumentError('expected 40000, 50000 or 0.');
}

/** `gridpilot simulate sunspec …` */
export function registerSimulateSunSpec(simulate: Command, runUntilSignal: RunUntilSignal, io: CliIo): void {
  simulate
    .command('sunspec')
    .summary('a SunSpec Modbus TCP device (inverter, battery or meter) backed by a simulated device')
    .description(
      'Serves one simulated device as SunSpec over Modbus TCP: inverter (models 1, 103, 120, 121, 123), battery (1, 103, 124, 802) or meter (1, 203; it measures a simulated household with a small PV system). Control writes reach the simulated device; revert timers are enforced.',
    )
    .addOption(new Option('--model <model>', 'which device').choices(SUNSPEC_SIM_MODELS).makeOptionMandatory())
    .option('--port <n>', 'TCP port, 0 = any free port (default 1502)', parsePort)
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--unit-id <n>', 'Modbus unit id (default 1)', parsePositiveInt)
    .option('--rated-w <w>', 'inverter AC rating, W (default 5000; meter: its PV, default 3000)', parsePositiveNumber)
    .option('--capacity-wh <wh>', 'battery capacity, Wh (default 10000)', parsePositiveNumber)
    .option('--max-power-w <w>', 'battery charge/discharge rating, W (default capacity / 2)', parsePositiveNumber)
    .option('--speed <x>', 'simulated seconds per real second (default 1)', parsePositiveNumber)
    .option('--weather <w>', '"bundled", "clear-sky" or an hourly weather CSV (default bundled)')
    .option('--base-address <a>', 'address of the SunS marker: 40000, 50000 or 0 (default 40000)', parseBaseAddress)
    .action((flags: SimulateSunSpecFlags) => runUntilSignal((signal) => runSimulateSunSpec(flags, io, signal)));
}
