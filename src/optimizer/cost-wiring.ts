// Builds the `cost` policy's planning side from the site config, for the app (composition root).
// The app adds a handful of lines (docs/optimizer.md "Wiring"): create, pass `service` to the
// Controller as `costPlan`, feed it every cycle, start it, close it on stop.
import type { Clock } from '../core/clock.ts';
import { GridpilotError } from '../core/errors.ts';
import type { Controller } from '../control/controller.ts';
import type { Weather } from '../environment/weather.ts';
import { typicalTemperatureC } from '../environment/typical-temperature.ts';
import { devicesOf, type SiteConfig } from '../site/site-config.ts';
import type { EvCharger, SiteEnvironment, SolarReading } from '../devices/capabilities.ts';
import { CostService, type CostServiceLogger } from './cost-service.ts';
import { evSessionEstimator } from './ev-sessions.ts';
import { RecordedLoadHistory } from './forecast/load-forecast.ts';
import { PriceInformedPvForecast } from './forecast/price-informed-pv-forecast.ts';
import { fetchOpenMeteoForecast } from './forecast/open-meteo.ts';
import { MeasuredSky } from './forecast/measured-sky.ts';
import { ClearSkyPvForecast, WeatherPvForecast, type MeasuredIrradiance, type PvForecast } from './forecast/pv-forecast.ts';
import { WeatherServicePvForecast } from './forecast/weather-service-pv-forecast.ts';
import { EliaPvForecast } from './forecast/elia-pv-forecast.ts';
import { fetchEliaForecast } from './forecast/elia-data.ts';
import { PlannerService } from './planner-service.ts';
import { openMeteoPlace, siteLocation } from './site-location.ts';
import { loadBundledPrices, loadPriceFile } from './prices/price-file.ts';
import { OverlayPriceProvider } from './prices/overlay-price-provider.ts';
import { EntsoePriceProvider, PushedPriceProvider, ReplayPriceProvider, StaticPriceProvider, type PriceProvider, type PriceReplay } from './prices/price-provider.ts';

export interface CostWiring {
  /** The CostPlanSource to give the Controller (`costPlan`), and the plan API for the web UI (`explanation()`). */
  service: CostService;
  /** Where prices pushed over MQTT go (see price-push.ts); they override the configured source where they cover it. */
  pushedPrices: PushedPriceProvider;
  /** The prices the planner reads (the configured source with the pushed prices laid over it): the web History page shows them. */
  prices: PriceProvider;
  /** Hooks the service to the controller's cycles and starts planning. */
  start(controller: Controller): void;
  /** Stops planning and the planner's worker thread. */
  close(): Promise<void>;
  /** The days from `nowMs` to the end of the known prices that get another day's prices (the bundled prices replayed), or null (for the start banner). */
  priceReplay(nowMs: number): Promise<PriceReplay | null>;
  /**
   * Seeds the load forecast's history with stored averages (the store's 15-min telemetry after a
   * restart): bucket starts, cycles per bucket, base load W (null = none). Call before `start`.
   */
  seedLoadHistory(history: { atMs: readonly number[]; samples: readonly number[]; baseLoadW: ReadonlyArray<number | null> }): number;
  /**
   * Seeds the measured sky (the honest PV forecasts' past) with stored averages of the PV's
   * available power, W (null = none), like `seedLoadHistory`. Call before `start`.
   */
  seedSky(history: { atMs: readonly number[]; samples: readonly number[]; solarAvailableW: ReadonlyArray<number | null> }): number;
}

/** Feeds stored averages (bucket starts, cycles per bucket, values; null = none) to `record`; returns how many it took. */
function seedStored(atMs: readonly number[], samples: readonly number[], values: ReadonlyArray<number | null>, record: (atMs: number, value: number, samples: number) => void): number {
  let seeded = 0;
  atMs.forEach((at, i) => {
    const value = values[i];
    const n = samples[i] ?? 0;
    if (value === null || value === undefined || !Number.isFinite(value) || !(n > 0)) return;
    record(at, value, n);
    seeded++;
  });
  return seeded;
}

/** One cycle's PV readings into the measured sky: the available power and DC peak of the inverters that answered. */
function recordSky(sky: MeasuredSky, peakW: ReadonlyMap<string, number>, atMs: number, solar: ReadonlyMap<string, SolarReading>): void {
  let availableW = 0;
  let peak = 0;
  for (const [id, r] of solar) {
    const p = peakW.get(id);
    if (p === undefined || !Number.isFinite(r.availablePowerW)) continue;
    availableW += r.availablePowerW;
    peak += p;
  }
  if (peak > 0) sky.record(atMs, availableW, peak);
}

/** What the site's world tells the optimiser beyond its models (all optional; the simulated driver provides them). */
export interface CostEnvironment {
  /** A weather taken as a perfect forecast by `optimizer.pvForecast: 'weather'` (demos); its temperature is the default `temperature`. */
  weather?: Weather;
  /** Outdoor temperature (heat-pump needs). Default: `weather`'s, else the typical temperature at `site.location`. */
  temperature?: SiteEnvironment;
}

export interface CostWiringOptions {
  clock: Clock;
  /** The devices the optimiser asks beyond the cycle's readings: the EV chargers by nodeId (their optional `sessionNeed`). */
  devices?: { evChargers?: ReadonlyMap<string, Pick<EvCharger, 'sessionNeed'>> };
  /** Optional sources of weather and temperature (see {@link CostEnvironment}). */
  environment?: CostEnvironment;
  logger?: CostServiceLogger;
  /** Instead of the config's `optimizer.prices` (tests). */
  prices?: PriceProvider;
}

/** The bundled prices in words (the plan page and the start banner name what they replay). */
export const BUNDLED_PRICES_LABEL = 'the bundled Belgian day-ahead prices';

/**
 * The price provider named by `optimizer.prices`, with the pushed prices laid over it (pushed
 * prices win for the slots they cover). A price file is read (and checked) here, at start.
 */
export function priceProviderFor(site: SiteConfig, clock: Clock): { provider: PriceProvider; pushed: PushedPriceProvider } {
  const source = site.optimizer.prices;
  const pushed = new PushedPriceProvider();
  if (source === 'pushed') return { provider: pushed, pushed };
  let base: PriceProvider;
  const timeZone = site.location.timeZone;
  if (source === 'bundled') base = new ReplayPriceProvider(loadBundledPrices(), { clock, timeZone, label: BUNDLED_PRICES_LABEL });
  else if (source === 'entsoe') {
    const e = site.optimizer.entsoe;
    if (!e) throw new GridpilotError('prices "entsoe" needs optimizer.entsoe.securityToken', 'optimizer.entsoe');
    base = new EntsoePriceProvider({ fetch: (url, init) => fetch(url, init), securityToken: e.securityToken, biddingZoneEic: e.biddingZoneEic, ...(e.baseUrl ? { baseUrl: e.baseUrl } : {}), clock, timeZone });
  } else base = new StaticPriceProvider(loadPriceFile(source), { clock, timeZone });
  return { provider: new OverlayPriceProvider(base, pushed), pushed };
}

/** Days of the sky the PV measured that the app keeps (and reads back from the store at start): the honest forecast's 60 days of fit, and a day. */
export const SKY_HISTORY_DAYS = 61;

/** What the PV forecasts can read: a weather (for 'weather', the perfect demo forecast; the simulated driver's) and the sky the site's own PV measured. */
export interface PvForecastSources {
  weather?: Weather;
  sky?: MeasuredIrradiance;
}

/**
 * The PV forecast named by `optimizer.pvForecast`. 'persistence' reads the measured sky (the site's
 * own PV); 'open-meteo' falls back to it (or, without one, the clear sky × 0.55 at the site's place)
 * for the slots the service does not cover and while it cannot be reached.
 */
export function pvForecastFor(site: SiteConfig, sources: PvForecastSources, logger?: CostServiceLogger): PvForecast {
  const o = site.optimizer;
  const location = siteLocation(site);
  // The measured past sky with the published prices' midday dip as its prior (docs/backtest.md).
  const persistence = sources.sky ? new PriceInformedPvForecast(sources.sky, { location, timeZone: site.location.timeZone }) : null;
  const clearSky = new ClearSkyPvForecast(0.55, location);
  if (o.pvForecast === 'open-meteo') {
    const om = o.openMeteo;
    const place = openMeteoPlace(site);
    return new WeatherServicePvForecast({
      source: 'Open-Meteo',
      fetchForecast: (signal) =>
        fetchOpenMeteoForecast({ fetch: (url, init) => fetch(url, init), latitudeDeg: place.latitude, longitudeDeg: place.longitude, signal, ...(om?.baseUrl ? { baseUrl: om.baseUrl } : {}), ...(om?.panels ? { panels: om.panels } : {}) }),
      fallback: persistence ?? clearSky,
      ...(sources.sky ? { measured: sources.sky } : {}),
      refreshIntervalMs: (om?.refreshMin ?? 60) * 60_000,
      ...(logger ? { logger } : {}),
    });
  }
  if (o.pvForecast === 'elia') {
    const e = o.elia;
    // Without a measured sky (no PV readings yet) it is uncalibrated and has no nowcast.
    return new EliaPvForecast(sources.sky ?? { irradianceWm2: () => Number.NaN }, {
      location,
      timeZone: site.location.timeZone,
      fetchForecast: (fromMs, toMs, signal) =>
        fetchEliaForecast({ fetch: (url, init) => fetch(url, init), fromMs, toMs, signal, region: e?.region ?? 'Belgium', dataset: e?.dataset ?? 'ods087', ...(e?.baseUrl ? { baseUrl: e.baseUrl } : {}) }),
      refreshIntervalMs: (e?.refreshMin ?? 60) * 60_000,
      ...(logger ? { logger } : {}),
    });
  }
  if (sources.weather && o.pvForecast === 'weather') return new WeatherPvForecast(sources.weather);
  if (persistence && o.pvForecast === 'persistence') return persistence;
  return clearSky;
}

/** Builds the CostService (with a PlannerService worker) from the site config. */
export function createCostWiring(site: SiteConfig, options: CostWiringOptions): CostWiring {
  const { clock, devices, environment } = options;
  const configured = options.prices ? null : priceProviderFor(site, clock);
  const pushed = configured?.pushed ?? new PushedPriceProvider();
  const provider = configured?.provider ?? new OverlayPriceProvider(options.prices as PriceProvider, pushed);
  const weather = environment?.weather;
  const location = siteLocation(site);
  const temperature = environment?.temperature ?? weather;
  const sky = new MeasuredSky({ maxAgeMs: SKY_HISTORY_DAYS * 86_400_000 });
  const peakW = new Map(devicesOf(site, 'solar').map((d) => [d.nodeId, d.peakPowerW ?? d.ratedPowerW]));
  const pvForecast = pvForecastFor(site, { ...(weather ? { weather } : {}), sky }, options.logger);
  // The solver runs in a child process that stops 5 s after each plan: a plan every 15 min costs
  // ~0.5 s to start a fresh one, and the controller's own process stays small (docs/benchmarks.md,
  // idle footprint). Its timeout is wall time (the solver's), whatever the simulated clock's speed.
  const planner = new PlannerService({ idleTimeoutMs: 5000, isolation: 'process' });
  // The weeks the load forecast averages, and a day more.
  const loadHistory = new RecordedLoadHistory({ maxAgeMs: (site.optimizer.loadHistoryWeeks * 7 + 1) * 86_400_000 });
  const service = new CostService({
    site,
    clock,
    prices: provider,
    planner,
    pvForecast,
    history: loadHistory,
    temperatureC: temperature ? (ms: number) => temperature.temperatureC(ms) : (ms: number) => typicalTemperatureC(ms, location),
    evSessions: evSessionEstimator({ site, ...(devices?.evChargers ? { chargers: devices.evChargers } : {}) }),
    ...(options.logger ? { logger: options.logger } : {}),
    // The honest forecast comes with scenarios from its own past errors: plans hedge every decision made before the sun tells them apart (docs/backtest.md).
    ...(pvForecast instanceof PriceInformedPvForecast ? { planInputs: { pvScenarios: true } } : {}),
  });
  let unsubscribe: (() => void) | null = null;
  return {
    service,
    pushedPrices: pushed,
    prices: provider,
    start(controller) {
      unsubscribe ??= controller.onCycle((record) => {
        service.observe(record);
        recordSky(sky, peakW, record.atMs, record.snapshot.solar);
      });
      service.start();
    },
    seedLoadHistory({ atMs, samples, baseLoadW }) {
      return seedStored(atMs, samples, baseLoadW, (at, w, n) => loadHistory.record(at, Math.max(0, w), n));
    },
    seedSky({ atMs, samples, solarAvailableW }) {
      const totalPeakW = [...peakW.values()].reduce((sum, w) => sum + w, 0);
      return totalPeakW > 0 ? seedStored(atMs, samples, solarAvailableW, (at, w, n) => sky.record(at, w, totalPeakW, n)) : 0;
    },
    async priceReplay(nowMs) {
      return (await provider.replayOf?.(nowMs, nowMs + site.optimizer.horizonH * 3_600_000)) ?? null;
    },
    async close() {
      unsubscribe?.();
      unsubscribe = null;
      await service.stop();
      await planner.close();
    },
  };
}
