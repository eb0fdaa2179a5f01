// Realistic planning problems for the optimiser benchmark: a Belgian house with PV, a battery, a heat
// pump with run-time rules, an EV and two relay loads, on real day-ahead prices and weather cut from
// the bundled data. Shared by bench/optimizer-planner.ts (and handy for experiments).
import { toLocalTime, wallTimeToUtcMs } from '../src/core/local-time.ts';
import { LoadProfile } from '../src/environment/load-profile.ts';
import { loadWeather } from '../src/environment/weather.ts';
import { ProfileLoadForecast } from '../src/optimizer/forecast/load-forecast.ts';
import { PersistencePvForecast } from '../src/optimizer/forecast/pv-forecast.ts';
import { loadBundledPrices } from '../src/optimizer/prices/price-file.ts';
import { buildPlanProblem } from '../src/optimizer/planner/problem-from-site.ts';
import type { PlanProblem } from '../src/optimizer/planner/plan-problem.ts';
import { resolveSiteConfig, type SiteConfig } from '../src/site/site-config.ts';

export type BenchSite = 'full' | 'battery-only';

export function benchSiteConfig(kind: BenchSite): SiteConfig {
  const devices: unknown[] = [
    { group: 'solar', nodeId: 'pv', ratedPowerW: 8000, peakPowerW: 9000 },
    { group: 'storage', nodeId: 'battery', capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 5000, minSocPct: 10, maxSocPct: 95 },
  ];
  if (kind === 'full') {
    devices.push(
      { group: 'heat_pump', nodeId: 'heatpump', ratedPowerW: 2500, minOnS: 3600, minOffS: 1800, maxOnS: 4 * 3600, maxStartsPerHour: 2 },
      { group: 'variable_power_load', nodeId: 'ev', phases: 3, minCurrentA: 6, maxCurrentA: 16 },
      { group: 'switched_load', nodeId: 'boiler', ratedPowerW: 2000, minOnS: 1800, minOffS: 900 },
      { group: 'switched_load', nodeId: 'pool', ratedPowerW: 1000, minOnS: 3600, minOffS: 1800 },
    );
  }
  return resolveSiteConfig({ serial: 'BENCH1', grid: { importLimitW: 11_000, exportLimitW: 8000 }, devices });
}

/**
 * The problem the planner sees at local midnight starting `localDate` (YYYY-MM-DD), over `slots`
 * 15-minute slots (both days' prices taken as known), with an honest persistence PV forecast.
 */
export function benchProblem(kind: BenchSite, localDate: string, slots: number): PlanProblem {
  const [y, m, d] = localDate.split('-').map(Number) as [number, number, number];
  const dayIndex = Math.floor(Date.UTC(y, m - 1, d) / 86_400_000);
  const nowMs = wallTimeToUtcMs(dayIndex, 0, 'Europe/Brussels');
  const weather = loadWeather('bundled');
  const site = benchSiteConfig(kind);
  const weekday = toLocalTime(nowMs, 'Europe/Brussels').weekday;
  const evSessions =
    kind === 'full'
      ? {
          ev: [
            // Plugged in since last evening, leaves at 07:30; back at 18:00 until 07:30 the next day.
            { fromMs: nowMs - 6 * 3_600_000, untilMs: nowMs + 7.5 * 3_600_000, energyWh: weekday === 0 || weekday === 6 ? 6000 : 12_000 },
            { fromMs: nowMs + 18 * 3_600_000, untilMs: nowMs + 31.5 * 3_600_000, energyWh: 15_000 },
          ],
        }
      : {};
  return buildPlanProblem({
    site,
    nowMs,
    spotPrices: loadBundledPrices(),
    pvForecast: new PersistencePvForecast(weather),
    loadForecast: new ProfileLoadForecast(new LoadProfile({ annualLoadKWh: 4500 })),
    temperatureC: (ms) => weather.temperatureC(ms),
    maxHorizonMs: slots * 900_000,
    state: { storageSocPct: { battery: 30 }, evSessions },
    relayRunPerDayS: kind === 'full' ? { boiler: 3 * 3600, pool: 6 * 3600 } : {},
  });
}

/** `count` dates spread over the bundled price span (2024-01-02 … 2025-10-18), every `stepDays`. */
export function benchDates(count: number, stepDays = 29): string[] {
  const first = Date.UTC(2024, 0, 2);
  return Array.from({ length: count }, (_, i) => new Date(first + i * stepDays * 86_400_000).toISOString().slice(0, 10));
}
