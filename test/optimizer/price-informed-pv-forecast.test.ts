import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { toLocalTime, wallTimeToUtcMs } from '../../src/core/local-time.ts';
import { clearSkyIrradianceWm2 } from '../../src/environment/clear-sky.ts';
import type { Weather } from '../../src/environment/weather.ts';
import { middayPriceDipEurPerMwh, PriceInformedPvForecast } from '../../src/optimizer/forecast/price-informed-pv-forecast.ts';
import { PersistencePvForecast } from '../../src/optimizer/forecast/pv-forecast.ts';
import { CostService, syncPlanner } from '../../src/optimizer/cost-service.ts';
import { loadSolver } from '../../src/optimizer/planner/highs-runner.ts';
import { solvePlan } from '../../src/optimizer/planner/solve-plan.ts';
import { dayAheadKnownUntilMs, StaticPriceProvider } from '../../src/optimizer/prices/price-provider.ts';
import { priceSeriesEndMs, type PriceSeries } from '../../src/optimizer/prices/price-series.ts';
import { loadSiteConfigFile } from '../../src/site/site-config.ts';

const toBrusselsTime = (ms: number) => toLocalTime(ms, 'Europe/Brussels');
const brusselsWallTimeToUtcMs = (day: number, minute: number) => wallTimeToUtcMs(day, minute, 'Europe/Brussels');

const HOUR = 3_600_000;
const system = { ratedPowerW: 1e6, peakPowerW: 10_000 };
const DAY0 = toBrusselsTime(Date.parse('2024-06-01T12:00:00Z')).localDayIndex;
const dayStart = (day: number): number => brusselsWallTimeToUtcMs(day, 0);

/** Sunny (clear-sky index 0.9) on even days, dull (0.2) on odd days. */
const isSunny = (day: number): boolean => (day - DAY0) % 2 === 0;
const weather: Weather & { firstMs: number } = {
  firstMs: dayStart(DAY0 - 5),
  irradianceWm2: (ms) => clearSkyIrradianceWm2(ms) * (isSunny(toBrusselsTime(ms).localDayIndex) ? 0.9 : 0.2),
  temperatureC: () => 15,
};

/** Hourly prices from `fromDay` for `days` days: 100 EUR/MWh, with a 60 EUR/MWh midday dip on sunny days. */
function prices(fromDay: number, days: number): PriceSeries {
  const startMs = dayStart(fromDay);
  const n = Math.round((dayStart(fromDay + days) - startMs) / HOUR);
  return {
    startMs,
    slotMs: HOUR,
    pricesEurPerMwh: Array.from({ length: n }, (_, i) => {
      const t = toBrusselsTime(startMs + i * HOUR);
      return isSunny(t.localDayIndex) && t.hourOfDay >= 11 && t.hourOfDay < 16 ? 40 : 100;
    }),
  };
}

/** PV energy of the local day `day` forecast at `issuedAtMs`, kWh. */
function dayKwh(f: PersistencePvForecast, day: number, issuedAtMs: number): number {
  const w = f.forecastAvailableW(system, { issuedAtMs, fromMs: dayStart(day), slotMs: HOUR, slotCount: 24 });
  return w.reduce((s, x) => s + x, 0) / 1000;
}

void describe('PriceInformedPvForecast', () => {
  void it('measures the midday dip of a fully priced day, and refuses a day the prices do not cover', () => {
    const p = prices(DAY0, 2);
    assert.equal(middayPriceDipEurPerMwh(p, DAY0), -60);
    assert.equal(middayPriceDipEurPerMwh(p, DAY0 + 1), 0);
    assert.equal(middayPriceDipEurPerMwh(p, DAY0 + 2), null);
  });

  void it('learns from past days that a price dip means sun, and forecasts tomorrow from its published prices', () => {
    const f = new PriceInformedPvForecast(weather, { minFitDays: 6, recentMs: 0 });
    const tomorrow = DAY0 + 30;
    // Shown the prices of the 30 past days and of tomorrow (as published the day before).
    f.observePrices(prices(DAY0, 31));
    const issuedAtMs = dayStart(tomorrow) - 10 * HOUR;
    const line = f.lineAt(issuedAtMs);
    assert.ok(line && line.b < 0, `a dip means more sun: ${JSON.stringify(line)}`);
    const plain = new PersistencePvForecast(weather, { recentMs: 0 });
    // Today (DAY0 + 29) was dull, tomorrow is sunny: persistence says dull, the prices say sunny.
    assert.ok(dayKwh(f, tomorrow, issuedAtMs) > 1.3 * dayKwh(plain, tomorrow, issuedAtMs), `${dayKwh(f, tomorrow, issuedAtMs)} vs ${dayKwh(plain, tomorrow, issuedAtMs)}`);
  });

  void it('does not peek: the weather after the issue time changes nothing, and unpublished days fall back to persistence', () => {
    const issuedAtMs = dayStart(DAY0 + 30) - 10 * HOUR;
    const later: Weather & { firstMs: number } = { ...weather, irradianceWm2: (ms) => (ms < issuedAtMs ? weather.irradianceWm2(ms) : 0) };
    const a = new PriceInformedPvForecast(weather, { minFitDays: 6 });
    const b = new PriceInformedPvForecast(later, { minFitDays: 6 });
    for (const f of [a, b]) f.observePrices(prices(DAY0, 31));
    const request = { issuedAtMs, fromMs: issuedAtMs, slotMs: HOUR, slotCount: 48 };
    assert.deepEqual(a.forecastAvailableW(system, request), b.forecastAvailableW(system, request));
    // Without the day's prices it is the persistence forecast (with its own default blend time of 6 h).
    const unseen = new PriceInformedPvForecast(weather, { minFitDays: 6 });
    unseen.observePrices(prices(DAY0, 30));
    assert.deepEqual(unseen.forecastAvailableW(system, { ...request, fromMs: dayStart(DAY0 + 30), slotCount: 24 }), new PersistencePvForecast(weather, { blendTimeMs: 6 * HOUR }).forecastAvailableW(system, { ...request, fromMs: dayStart(DAY0 + 30), slotCount: 24 }));
  });

  void it('offers three scenarios around its point forecast, spread by its own past residuals (none without a spread)', () => {
    // The dip tells sunny from dull, but not exactly how sunny: ± up to 0.1 of index the prices do not show.
    const noisy: Weather & { firstMs: number } = { ...weather, irradianceWm2: (ms) => weather.irradianceWm2(ms) * (1 + (((toBrusselsTime(ms).localDayIndex * 7) % 5) - 2) * 0.1) };
    const f = new PriceInformedPvForecast(noisy, { minFitDays: 6 });
    f.observePrices(prices(DAY0, 31));
    const issuedAtMs = dayStart(DAY0 + 30) - 10 * HOUR;
    const request = { issuedAtMs, fromMs: Math.floor(issuedAtMs / HOUR) * HOUR, slotMs: HOUR, slotCount: 34 };
    const scenarios = f.forecastScenarios(system, request);
    assert.deepEqual(scenarios.map((sc) => sc.weight), [0.25, 0.5, 0.25]);
    assert.deepEqual(scenarios[1]?.availableW, f.forecastAvailableW(system, request));
    const kwh = scenarios.map((sc) => sc.availableW.reduce((a, w) => a + w, 0) / 1000);
    assert.ok((kwh[0] ?? 0) < (kwh[1] ?? 0) - 1 && (kwh[1] ?? 0) < (kwh[2] ?? 0) - 1, `low < mid < high: ${kwh.join(', ')}`);
    // A perfectly predictable history has no spread: one scenario, the point forecast.
    const exact = new PriceInformedPvForecast(weather, { minFitDays: 6 });
    exact.observePrices(prices(DAY0, 31));
    assert.equal(exact.forecastScenarios(system, request).length, 1);
  });

  void it('without enough history it is the persistence forecast', () => {
    const f = new PriceInformedPvForecast(weather);
    f.observePrices(prices(DAY0, 5));
    const request = { issuedAtMs: dayStart(DAY0 + 4) - 10 * HOUR, fromMs: dayStart(DAY0 + 4), slotMs: HOUR, slotCount: 24 };
    assert.equal(f.lineAt(request.issuedAtMs), null);
    assert.deepEqual(f.forecastAvailableW(system, request), new PersistencePvForecast(weather, { blendTimeMs: 6 * HOUR }).forecastAvailableW(system, request));
  });
});

void describe('CostService → PV forecast', () => {
  void it('shows the forecast the prices it read before each plan: only what is published by then', async () => {
    const site = loadSiteConfigFile(new URL('../../data/reference-site.yaml', import.meta.url).pathname);
    const nowMs = dayStart(DAY0 + 10) + 8 * HOUR;
    const clock = new FakeClock(nowMs);
    const highs = await loadSolver();
    const seen: PriceSeries[] = [];
    const pvForecast = new PriceInformedPvForecast(weather);
    const spy = { forecastAvailableW: pvForecast.forecastAvailableW.bind(pvForecast), observePrices: (s: PriceSeries) => seen.push(s) };
    const service = new CostService({ site, clock, prices: new StaticPriceProvider(prices(DAY0, 20), { clock }), planner: syncPlanner((p) => solvePlan(highs, p)), pvForecast: spy });
    service.start();
    await service.idle();
    await service.stop();
    assert.equal(seen.length, 1);
    assert.ok(priceSeriesEndMs(seen[0] as PriceSeries) <= dayAheadKnownUntilMs(nowMs), 'nothing beyond the published prices');
  });
});
