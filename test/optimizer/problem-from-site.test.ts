import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProfileLoadForecast } from '../../src/optimizer/forecast/load-forecast.ts';
import { ClearSkyPvForecast } from '../../src/optimizer/forecast/pv-forecast.ts';
import { buildPlanProblem, heatPumpEnergyPerDayWh } from '../../src/optimizer/planner/problem-from-site.ts';
import { resolveSiteConfig } from '../../src/site/site-config.ts';

const site = resolveSiteConfig({
  serial: 'T1',
  grid: { importLimitW: 9000, exportLimitW: 5000, safetyMarginW: 100 },
  devices: [
    { group: 'solar', nodeId: 'pv', ratedPowerW: 5000 },
    { group: 'storage', nodeId: 'bat', capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 5000, minSocPct: 10, reserveSocPct: 20 },
    { group: 'heat_pump', nodeId: 'hp', ratedPowerW: 2000, minOnS: 1800 },
    { group: 'switched_load', nodeId: 'boiler', ratedPowerW: 2000 },
    { group: 'variable_power_load', nodeId: 'ev', phases: 3, minCurrentA: 6, maxCurrentA: 16 },
  ],
});

void describe('building the planning problem from the site config', () => {
  void it('puts prices through the tariff on 15-minute slots up to where prices end, with ratings, state and daily needs', () => {
    // Prices known from 2024-06-02 22:00Z (00:00 CEST) for 48 hourly slots; now is 13:10 local.
    const startMs = Date.parse('2024-06-02T22:00:00Z');
    const nowMs = Date.parse('2024-06-03T11:10:00Z');
    const p = buildPlanProblem({
      site,
      nowMs,
      spotPrices: { startMs, slotMs: 3_600_000, pricesEurPerMwh: Array.from({ length: 48 }, (_, h) => h) },
      pvForecast: new ClearSkyPvForecast(),
      loadForecast: new ProfileLoadForecast({ expectedBaseLoadW: () => 400 }),
      temperatureC: () => 6,
      state: { storageSocPct: { bat: 55 }, onOff: { hp: { isOn: true, stateForS: 600, energyTodayWh: 3000 } } },
      relayRunPerDayS: { boiler: 2 * 3600 },
    });
    assert.equal(p.startMs, Date.parse('2024-06-03T11:00:00Z'));
    assert.equal(p.importPriceEurPerKwh.length, (48 - 13) * 4, 'to the end of tomorrow');
    assert.ok(Math.abs((p.importPriceEurPerKwh[0] ?? 0) - (13 / 1000 + 0.12)) < 1e-12);
    assert.ok(Math.abs((p.exportPriceEurPerKwh[0] ?? 0) - (13 / 1000 - 0.01)) < 1e-12);
    assert.equal(p.importLimitW, 8900);
    assert.equal(p.exportLimitW, 4900);
    assert.deepEqual(p.storage.map((b) => [b.socPct, b.minSocPct]), [[55, 20]], 'the backup reserve is the floor');
    const hp = p.onOff.find((a) => a.nodeId === 'hp');
    const dayNeed = heatPumpEnergyPerDayWh(2000, 6);
    assert.equal(hp?.needs.length, 2, 'today (rest of it) and tomorrow');
    assert.ok(Math.abs((hp?.needs[0]?.energyWh ?? 0) - (dayNeed - 3000)) < 1e-6, 'today minus what it already used');
    assert.equal(hp?.needs[1]?.fromMs, Date.parse('2024-06-03T22:00:00Z'), 'tomorrow starts at local midnight');
    assert.deepEqual(p.onOff.find((a) => a.nodeId === 'boiler')?.needs.map((n) => n.energyWh), [4000, 4000]);
    assert.deepEqual(p.evs.map((e) => [e.minPowerW, e.maxPowerW, e.canPause]), [[6 * 3 * 230, 16 * 3 * 230, true]]);
    assert.equal(p.solar[0]?.availableW.length, p.importPriceEurPerKwh.length);
  });

  void it('the degree-day model: none above 16 °C beyond hot water, all day at −8 °C', () => {
    assert.equal(heatPumpEnergyPerDayWh(2000, 20), 2000 * 24 * 0.1);
    assert.equal(heatPumpEnergyPerDayWh(2000, -10), 2000 * 24);
    assert.equal(heatPumpEnergyPerDayWh(2000, 4), 2000 * 24 * 0.5);
  });

  void it('refuses to plan without a price for the current slot', () => {
    assert.throws(
      () => buildPlanProblem({ site, nowMs: Date.UTC(2030, 0, 1), spotPrices: { startMs: 0, slotMs: 3_600_000, pricesEurPerMwh: [1] }, pvForecast: new ClearSkyPvForecast(), loadForecast: new ProfileLoadForecast({ expectedBaseLoadW: () => 1 }) }),
      /no price known for the slot starting 2030-01-01/,
    );
  });
});
