// A real plan for the Plan page and GET /api/plan: the real controller with the `cost` policy over
// simulated devices (test/helpers/cost-site.ts), planned by HiGHS, served by the real web server.
import { startWebServer, type WebServer, type WebServerDeps } from '../../src/web/server.ts';
import type { RunningAppInfo } from '../../src/app-options.ts';
import { siteInfoFor } from '../helpers/site-info.ts';
import type { FakeClock } from '../../src/core/clock.ts';
import { OverlayPriceProvider } from '../../src/optimizer/prices/overlay-price-provider.ts';
import { PushedPriceProvider, ReplayPriceProvider, type PriceProvider } from '../../src/optimizer/prices/price-provider.ts';
import { costSiteConfig, DAY0, HOUR_MS, hourlySpot, startCostSite, sunnyDay, type CostSite } from '../helpers/cost-site.ts';

/** Spot prices by local hour, EUR/MWh: cheap night, solar dip at noon, evening peak. */
export const SPOT_EUR_MWH = [60, 55, 50, 45, 45, 50, 80, 120, 110, 90, 60, 30, 10, 5, 20, 50, 90, 160, 220, 240, 180, 120, 90, 70];
/** 10:00 in Brussels on DAY0 (a sunny Monday in June). */
export const PLAN_START_MS = DAY0 + 10 * HOUR_MS;

export interface PlanSiteUnderTest {
  cs: CostSite;
  web: WebServer;
  stop(): Promise<void>;
}

/** Where the fixture's prices come from: given as they are (default), the same prices recorded 52 weeks earlier and replayed onto today, or pushed over MQTT over such a replay. */
export type PlanPrices = 'static' | 'replayed' | 'pushed';

export interface PlanSiteOptions {
  /** The web server's options beyond the fixture's. */
  web?: Partial<WebServerDeps>;
  /** The site's IANA time zone (location.timeZone). Default Europe/Brussels. */
  timeZone?: string;
  prices?: PlanPrices;
}

/** How the replayed fixture prices are named (the bundled prices are named so by cost-wiring.ts). */
export const REPLAYED_LABEL = 'the recorded test prices';
const WEEKS_52_MS = 364 * 86_400_000;

/** The price provider of a {@link PlanPrices} choice, on the site's clock. */
function providerFor(prices: PlanPrices, timeZone: string): ((clock: FakeClock) => PriceProvider) | undefined {
  if (prices === 'static') return undefined;
  const spot = hourlySpot(SPOT_EUR_MWH, 3);
  return (clock) => {
    const replay = new ReplayPriceProvider({ ...spot, startMs: spot.startMs - WEEKS_52_MS }, { clock, timeZone, label: REPLAYED_LABEL });
    if (prices === 'replayed') return replay;
    const pushed = new PushedPriceProvider();
    pushed.accept(spot);
    return new OverlayPriceProvider(replay, pushed);
  };
}

/** The cost site (PV, battery, a boiler relay) planned once, one cycle run, and the web server on port 0 serving its plan. */
export async function startPlanSite(options: PlanSiteOptions = {}): Promise<PlanSiteUnderTest> {
  const timeZone = options.timeZone ?? 'Europe/Brussels';
  const priceProvider = providerFor(options.prices ?? 'static', timeZone);
  const cs = await startCostSite({
    config: costSiteConfig({
      location: { timeZone },
      devices: [
        { group: 'solar', nodeId: 'pv', ratedPowerW: 8000, peakPowerW: 8000 },
        { group: 'storage', nodeId: 'bat', capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 5000, minSocPct: 10, initialSocPct: 30 },
        { group: 'switched_load', nodeId: 'boiler', ratedPowerW: 2000 },
      ],
    }),
    prices: hourlySpot(SPOT_EUR_MWH, 3),
    ...(priceProvider ? { priceProvider } : {}),
    weather: sunnyDay(900),
    startMs: PLAN_START_MS,
    service: { planInputs: { relayRunPerDayS: { boiler: 3 * 3600 } } },
  });
  let web: WebServer;
  try {
    await cs.cycle();
    web = await startWebServer({ controller: cs.controller, site: cs.site, info: infoFor(cs), sim: cs.sim, clock: cs.clock, port: 0, costPlan: cs.service, ...options.web });
  } catch (err) {
    await cs.stop();
    throw err;
  }
  return {
    cs,
    web,
    async stop() {
      await web.close();
      await cs.stop();
    },
  };
}

/** What the app would report about itself (the web server shows it on the Integrator page). */
export function infoFor(cs: CostSite): RunningAppInfo {
  return siteInfoFor(cs.site);
}
