// The real controller with the `cost` policy on a fake clock over simulated devices, with crafted
// day-ahead prices, a given irradiance curve (the PV forecast is that curve: perfect) and a constant
// household load (the load forecast is that constant), planned by the real planner synchronously.
import { FakeClock } from '../../src/core/clock.ts';
import { Controller, type CycleRecord } from '../../src/control/controller.ts';
import { createSimulatedSite, type SimulatedSite } from '../../src/devices/simulated/simulated-site.ts';
import type { Weather } from '../../src/environment/weather.ts';
import { CostService, syncPlanner, type CostServiceOptions } from '../../src/optimizer/cost-service.ts';
import { WeatherPvForecast } from '../../src/optimizer/forecast/pv-forecast.ts';
import { loadSolver } from '../../src/optimizer/planner/highs-runner.ts';
import { solvePlan } from '../../src/optimizer/planner/solve-plan.ts';
import { StaticPriceProvider, type PriceProvider } from '../../src/optimizer/prices/price-provider.ts';
import type { PriceSeries } from '../../src/optimizer/prices/price-series.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import type { SiteConfigInput } from '../../src/site/config-schema.ts';
import { scenarioDriver } from './scenario.ts';
import { resolveSiteConfig, type SiteConfig } from '../../src/site/site-config.ts';

export const HOUR_MS = 3_600_000;
/** 2024-06-03 00:00 Brussels (22:00 UTC the day before), a Monday. */
export const DAY0 = Date.UTC(2024, 5, 2, 22, 0, 0);

/** Spot prices, EUR/MWh, one per hour of the local day from DAY0, for `days` days (the same day repeated). */
export function hourlySpot(perHour: readonly number[], days = 2): PriceSeries {
  if (perHour.length !== 24) throw new Error('24 hourly prices needed');
  const prices: number[] = [];
  for (let d = 0; d < days; d++) for (const p of perHour) prices.push(p, p, p, p);
  return { startMs: DAY0, slotMs: 900_000, pricesEurPerMwh: prices };
}

/** A weather with irradiance by local hour from DAY0 (W/m², piecewise constant per hour, repeating daily) and 15 °C. */
export function hourlyWeather(wm2PerHour: readonly number[]): Weather {
  return {
    irradianceWm2: (ms) => wm2PerHour[Math.floor((((ms - DAY0) % 86_400_000) + 86_400_000) % 86_400_000 / HOUR_MS)] ?? 0,
    temperatureC: () => 15,
  };
}

export const NO_SUN = hourlyWeather(new Array<number>(24).fill(0));
/** A bell from 07:00 to 19:00 local with `peak` W/m² at 13:00. */
export function sunnyDay(peakWm2 = 900): Weather {
  return hourlyWeather(Array.from({ length: 24 }, (_, h) => (h >= 7 && h < 19 ? peakWm2 * Math.sin((Math.PI * (h + 0.5 - 7)) / 12) : 0)));
}

export interface CostSite {
  clock: FakeClock;
  site: SiteConfig;
  sim: SimulatedSite;
  controller: Controller;
  service: CostService;
  /** Moves time by one cycle (re-planning when due) and runs it. */
  cycle(): Promise<CycleRecord>;
  /** Runs cycles for `ms`, calling `each` after every one. */
  run(ms: number, each?: (r: CycleRecord) => void): Promise<void>;
  send(fields: Record<string, unknown>): Promise<Feedback>;
  gridW(): number;
  storageW(): number;
  socPct(): number;
  stop(): Promise<void>;
}

export interface CostSiteOptions {
  config: SiteConfigInput;
  prices: PriceSeries;
  /** Instead of a StaticPriceProvider over `prices`: a provider built on the site's clock (a replay, pushed prices). */
  priceProvider?: (clock: FakeClock) => PriceProvider;
  weather: Weather;
  /** Constant household load, W. Default 500. */
  baseLoadW?: number;
  /** The weather the PV forecast is made from (forecast error); default `weather` itself (a perfect forecast). */
  forecastWeather?: Weather;
  startMs?: number;
  service?: Partial<Pick<CostServiceOptions, 'planInputs' | 'evSessions' | 'replanIntervalMs' | 'planner'>>;
}

export async function startCostSite(o: CostSiteOptions): Promise<CostSite> {
  const clock = new FakeClock(o.startMs ?? DAY0);
  const site = resolveSiteConfig(o.config);
  const sim = createSimulatedSite(site, clock, { weather: o.weather, carPattern: null });
  const baseLoadW = o.baseLoadW ?? 500;
  sim.world.setBaseLoadOverride(baseLoadW);
  const highs = await loadSolver();
  const service = new CostService({
    site,
    clock,
    prices: o.priceProvider ? o.priceProvider(clock) : new StaticPriceProvider(o.prices),
    planner: syncPlanner((p) => solvePlan(highs, p)),
    pvForecast: new WeatherPvForecast(o.forecastWeather ?? o.weather),
    loadForecast: { forecastBaseLoadW: (r) => new Array<number>(r.slotCount).fill(baseLoadW) },
    temperatureC: () => 15,
    ...o.service,
  });
  const controller = new Controller(site, sim, clock, { costPlan: service });
  controller.onCycle((r) => service.observe(r));
  service.start();
  await service.idle();
  return {
    clock,
    site,
    sim,
    controller,
    service,
    ...scenarioDriver({ clock, site, sim, controller }, () => service.idle()),
    storageW: () => sim.gridMeter.snapshot().storageW,
    socPct: () => [...sim.storage.values()][0]?.snapshot().socPct ?? NaN,
    async stop() {
      await service.stop();
      await controller.stop();
    },
  };
}

/** A site with PV and one battery whose components all default to `cost`; patch as needed. */
export function costSiteConfig(patch: Partial<SiteConfigInput> = {}): SiteConfigInput {
  return {
    serial: 'GPCOST0000000001',
    grid: { importLimitW: 17_000, exportLimitW: 10_000, safetyMarginW: 100 },
    control: { cycleMs: 60_000 },
    defaults: { solar: 'cost', storage: 'cost', heat_pump: 'cost', switched_load: 'cost', variable_power_load: 'cost' },
    devices: [
      { group: 'solar', nodeId: 'pv', ratedPowerW: 8000, peakPowerW: 8000 },
      { group: 'storage', nodeId: 'bat', capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 5000, minSocPct: 10, initialSocPct: 20 },
    ],
    ...patch,
  };
}
