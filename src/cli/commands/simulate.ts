import type { Command } from 'commander';
import type { CliIo } from '../io.ts';
import { registerSimulateOcpp } from './simulate-ocpp.ts';
import { registerSimulateSunSpec } from './simulate-sunspec.ts';

/** How a long-running subcommand runs: until SIGINT/SIGTERM, its action resolving to an exit code. */
export type RunUntilSignal = (action: (signal: AbortSignal) => Promise<number>) => Promise<void>;

/**
 * `gridpilot simulate …`: protocol-level simulators, as product: a real peer (a SunSpec Modbus TCP
 * server, an OCPP charge point) whose physics is the simulated device, so that the real drivers
 * can be tried without hardware.
 */
export function registerSimulate(program: Command, runUntilSignal: RunUntilSignal, io: CliIo): void {
  const simulate = program.command('simulate').description('Run a protocol-level device simulator (SunSpec Modbus TCP server, OCPP charge point) for trying the real drivers without hardware.');
  // Each simulator registers its subcommand here.
  registerSimulateSunSpec(simulate, runUntilSignal, io);
  registerSimulateOcpp(simulate, runUntilSignal, io);
}
