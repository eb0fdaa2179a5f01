import type { Clock } from '../../core/clock.ts';
import { devicesOf, type SiteConfig } from '../../site/site-config.ts';
import type { CarPattern } from './car-pattern.ts';
import { SimBattery } from './sim-battery.ts';
import { SimEvCharger } from './sim-ev-charger.ts';
import { SimGridMeter } from './sim-grid-meter.ts';
import { SimSolar } from './sim-solar.ts';
import { SimSwitch } from './sim-switch.ts';
import { SimWorld } from './sim-world.ts';
import type { Weather } from '../../environment/weather.ts';

export interface SimulatedSiteOptions {
  /** Weather to use instead of `site.simulation.weatherCsv` (e.g. a fixed test weather). */
  weather?: Weather;
  /** The simulated car's weekly routine for every charger; null = cars only via plugIn(). Default DEFAULT_CAR_PATTERN. */
  carPattern?: CarPattern | null;
}

/** Every simulated device of a site, by nodeId, plus the world they share. */
export interface SimulatedSite {
  /** Clock, weather, household load and the test/demo overrides. */
  world: SimWorld;
  /** The connection point, W + import: balances everything below. */
  gridMeter: SimGridMeter;
  /** PV inverters by nodeId (group solar). */
  solar: Map<string, SimSolar>;
  /** Batteries by nodeId (group storage). */
  storage: Map<string, SimBattery>;
  /** Heat pumps by nodeId (group heat_pump). */
  heatPumps: Map<string, SimSwitch>;
  /** Relay loads by nodeId (group switched_load). */
  switchedLoads: Map<string, SimSwitch>;
  /** EV chargers by nodeId (group variable_power_load). */
  evChargers: Map<string, SimEvCharger>;
}

/**
 * Builds the simulated twin of `site`: one sim device per configured device, in one world driven by
 * `clock` (weather and household load from `site.simulation`), and a grid meter balancing them all.
 */
export function createSimulatedSite(site: SiteConfig, clock: Clock, options: SimulatedSiteOptions = {}): SimulatedSite {
  const world = new SimWorld(clock, {
    weather: options.weather ?? site.simulation.weatherCsv,
    annualLoadKWh: site.simulation.annualLoadKWh,
    seed: site.simulation.seed,
    timeZone: site.location.timeZone,
  });
  const byNodeId = <T extends { nodeId: string }>(devices: T[]) => new Map(devices.map((d) => [d.nodeId, d]));
  const carOptions = { timeZone: site.location.timeZone, ...(options.carPattern === undefined ? {} : { carPattern: options.carPattern }) };

  const solar = byNodeId(devicesOf(site, 'solar').map((d) => new SimSolar(world, d)));
  const storage = byNodeId(devicesOf(site, 'storage').map((d) => new SimBattery(world, d)));
  const heatPumps = byNodeId(devicesOf(site, 'heat_pump').map((d) => new SimSwitch(world, d)));
  const switchedLoads = byNodeId(devicesOf(site, 'switched_load').map((d) => new SimSwitch(world, d)));
  const evChargers = byNodeId(devicesOf(site, 'variable_power_load').map((d) => new SimEvCharger(world, d, carOptions)));
  const gridMeter = new SimGridMeter(world, {
    solar: [...solar.values()],
    storage: [...storage.values()],
    loads: [...heatPumps.values(), ...switchedLoads.values(), ...evChargers.values()],
  });
  return { world, gridMeter, solar, storage, heatPumps, switchedLoads, evChargers };
}
