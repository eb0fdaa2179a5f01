// A real plan for the Plan page and GET /api/plan: the real controller with the `cost` policy over
// simulated devices (test/helpers/cost-site.ts), planned by HiGHS, served by the real web server.
import { startWebServer, type WebServer, type WebServerDeps } from '../../src/web/server.ts';
import type { RunningAppInfo } from '../../src/app-options.ts';
import { topicsFor } from '../../src/protocol/topics.ts';
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

/** The cost site (PV, battery, a boiler relay) planned once, one cycle run, and the web server on port 0 serving its plan. */
export async function startPlanSite(overrides: Partial<WebServerDeps> = {}): Promise<PlanSiteUnderTest> {
  const cs = await startCostSite({
    config: costSiteConfig({
      devices: [
        { group: 'solar', nodeId: 'pv', ratedPowerW: 8000, peakPowerW: 8000 },
        { group: 'storage', nodeId: 'bat', capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 5000, minSocPct: 10, initialSocPct: 30 },
        { group: 'switched_load', nodeId: 'boiler', ratedPowerW: 2000 },
      ],
    }),
    prices: hourlySpot(SPOT_EUR_MWH, 3),
    weather: sunnyDay(900),
    startMs: PLAN_START_MS,
    service: { planInputs: { relayRunPerDayS: { boiler: 3 * 3600 } } },
  });
  let web: WebServer;
  try {
    await cs.cycle();
    web = await startWebServer({ controller: cs.controller, site: cs.site, info: infoFor(cs), sim: cs.sim, clock: cs.clock, port: 0, costPlan: cs.service, ...overrides });
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
  const { site } = cs;
  return {
    serial: site.serial,
    siteNodeId: site.siteNodeId,
    brokerUrl: 'mqtt://127.0.0.1:1883',
    isEmbeddedBroker: true,
    wsUrl: null,
    httpUrl: null,
    topics: topicsFor(site.serial),
    fallbackTimeoutS: site.remoteSignal.fallbackTimeoutS,
    devices: site.devices.map((d) => ({ nodeId: d.nodeId, group: d.group, name: d.name, driver: d.driver.type })),
    gridMeterDriver: site.grid.meter.driver.type,
  };
}
