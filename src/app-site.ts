// The parts of a running app that follow the site config: devices, the simulated world, the cost
// wiring. Built at start, and again for a live reconfiguration (app-config-apply.ts).
import type { Logger } from 'pino';
import type { Clock } from './core/clock.ts';
import { errorMessage } from './core/errors.ts';
import { allDrivers } from './devices/drivers/index.ts';
import type { SimulatedSite } from './devices/simulated/simulated-site.ts';
import { buildSiteDevices, type SiteRuntime } from './devices/registry.ts';
import { createCostWiring, SKY_HISTORY_DAYS, type CostWiring } from './optimizer/cost-wiring.ts';
import { isAcceptedPriceSlotMs } from './optimizer/prices/price-message.ts';
import { priceSeriesEndMs } from './optimizer/prices/price-series.ts';
import type { SiteConfig } from './site/site-config.ts';
import type { Store } from './store/store.ts';

export interface SiteParts {
  site: SiteConfig;
  runtime: SiteRuntime;
  /** The simulated world of the simulated devices; null when none is simulated. */
  sim: SimulatedSite | null;
  cost: CostWiring;
}

/**
 * Builds the devices (no I/O yet: `runtime.start()` connects) and the cost wiring of `site`.
 * `world`: a simulated world to drive instead of building one (the protocol simulators' world, or
 * the running one when a reconfiguration leaves the simulated devices unchanged).
 */
export function buildSiteParts(site: SiteConfig, deps: { clock: Clock; logger: Logger; world: SimulatedSite | null }): SiteParts {
  const drivers = allDrivers({}, deps.world);
  const runtime = buildSiteDevices(site, { clock: deps.clock, logger: deps.logger.child({ part: 'devices' }), factories: drivers.factories });
  const sim = drivers.simulated.simulation();
  const cost = createCostWiring(site, {
    clock: deps.clock,
    devices: { evChargers: runtime.devices.evChargers },
    // The simulated world, when there is one, is the demo's perfect weather forecast and its outdoor temperature.
    ...(sim ? { environment: { weather: sim.world.weather, temperature: sim.world } } : {}),
    logger: deps.logger.child({ part: 'cost' }),
  });
  return { site, runtime, sim, cost };
}

/**
 * The forecasts' past and the pushed prices survive a restart (and a reconfiguration): the stored
 * 15-min base load of the weeks the load forecast averages, the PV's available power of the 60 days
 * the PV forecast learns from, and the last saved pushed price series. Unreadable parts are logged
 * and skipped.
 */
export async function seedCostFromStore(cost: CostWiring, site: SiteConfig, store: Store, clock: Clock, logger: Logger): Promise<void> {
  try {
    const nowMs = clock.now();
    const days = Math.max(site.optimizer.loadHistoryWeeks * 7, SKY_HISTORY_DAYS);
    const past = await store.queryTelemetry({ fromMs: nowMs - days * 86_400_000, toMs: nowMs, resolution: '15m' });
    const seeded = cost.seedLoadHistory({ atMs: past.atMs, samples: past.samples, baseLoadW: past.values.base_load_w });
    const sky = cost.seedSky({ atMs: past.atMs, samples: past.samples, solarAvailableW: past.values.solar_available_w });
    if (seeded > 0 || sky > 0) logger.info({ loadQuarters: seeded, skyQuarters: sky, fromMs: past.atMs[0] }, 'cost: forecast history loaded from the store');
  } catch (err) {
    logger.warn({ err: errorMessage(err) }, 'cost: stored forecast history not read; the load forecast starts from the standard profile, the PV forecast from the climate');
  }
  // An unreadable row is logged and ignored (the next accepted message replaces it).
  try {
    const saved = await store.loadPushedPrices();
    if (saved && !isAcceptedPriceSlotMs(saved.slotMs)) {
      // Stored before the slot-length rule (docs/protocol.md § Price messages): it cannot resample onto the plan's slots.
      logger.warn({ slotMs: saved.slotMs }, 'prices: stored pushed prices ignored (slot length no longer accepted); the next accepted message replaces them');
    } else if (saved) {
      cost.pushedPrices.accept(saved);
      logger.info({ slots: saved.pricesEurPerMwh.length, fromMs: saved.startMs, toMs: priceSeriesEndMs(saved) }, 'prices: pushed prices loaded from the store');
    }
  } catch (err) {
    logger.warn({ err: errorMessage(err) }, 'prices: stored pushed prices ignored');
  }
}
