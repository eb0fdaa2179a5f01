import type { DriverFactory } from '../driver.ts';
import { modbusDriver } from './modbus/index.ts';
import { ocppDriver } from './ocpp/index.ts';
import { sunspecDriver } from './sunspec/index.ts';
import { simulatedDriver, type SimulatedDriver, type SimulatedSite, type SimulatedSiteOptions } from './simulated/index.ts';

/**
 * Every driver of this build, with the simulated one configured by `simulation` (tests: weather,
 * cars) or running in an `existing` simulated world (the protocol-simulated demo site).
 */
export function allDrivers(simulation: SimulatedSiteOptions = {}, existing: SimulatedSite | null = null): { factories: DriverFactory[]; simulated: SimulatedDriver } {
  const simulated = simulatedDriver(simulation, existing);
  return { factories: [simulated, sunspecDriver, modbusDriver, ocppDriver], simulated };
}
