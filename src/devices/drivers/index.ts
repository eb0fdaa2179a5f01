import type { SimulatedSiteOptions } from '../simulated/simulated-site.ts';
import type { DriverFactory } from '../driver.ts';
import { simulatedDriver, type SimulatedDriver } from './simulated/index.ts';

/** Every driver of this build, with the simulated one configured by `simulation` (tests: weather, cars). */
export function allDrivers(simulation: SimulatedSiteOptions = {}): { factories: DriverFactory[]; simulated: SimulatedDriver } {
  const simulated = simulatedDriver(simulation);
  return { factories: [simulated], simulated };
}
