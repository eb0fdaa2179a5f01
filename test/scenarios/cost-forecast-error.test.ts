import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY0, HOUR_MS, NO_SUN, costSiteConfig, hourlySpot, startCostSite, sunnyDay } from '../helpers/cost-site.ts';

/**
 * The executor corrects the plan in real time when the forecast is wrong: the plan is made from one
 * sky, the panels see another. Flat prices, so the plan itself has no reason to move energy
 * through the grid: what happens comes from the corrections.
 */

const FLAT = hourlySpot(new Array<number>(24).fill(100));

describe('cost policy: forecast error corrected in real time', () => {
  it('PV above the forecast goes to the battery, not to the grid', async () => {
    // Forecast: no sun at all (the plan keeps the battery idle). Actual: a sunny day.
    const s = await startCostSite({ config: costSiteConfig(), prices: FLAT, weather: sunnyDay(800), forecastWeather: NO_SUN, baseLoadW: 500, startMs: DAY0 + 8 * HOUR_MS });
    let exportedWhWhileRoom = 0;
    let storedWh = 0;
    let plannedChargeWh = 0;
    await s.run(6 * HOUR_MS, (r) => {
      const grid = s.gridW();
      if (grid < 0 && s.socPct() < 94) exportedWhWhileRoom += -grid / 60;
      storedWh += Math.max(0, s.storageW()) / 60;
      plannedChargeWh += Math.max(0, r.cost?.slot?.storage[0]?.powerW ?? 0) / 60;
    });
    assert.ok(plannedChargeWh < 500, `the plan (no sun forecast) did not plan to charge: ${Math.round(plannedChargeWh)} Wh`);
    assert.ok(storedWh > 6000, `the unforecast PV surplus was stored: ${Math.round(storedWh)} Wh`);
    assert.ok(exportedWhWhileRoom < 200, `nothing exported while the battery had room: ${Math.round(exportedWhWhileRoom)} Wh`);
    await s.stop();
  });

  it('PV below the forecast is not made up from the grid: a charge planned from sun is not bought', async () => {
    // Forecast: a sunny day (the plan charges from PV at midday). Actual: no sun.
    const s = await startCostSite({ config: costSiteConfig(), prices: FLAT, weather: NO_SUN, forecastWeather: sunnyDay(800), baseLoadW: 500, startMs: DAY0 + 8 * HOUR_MS });
    let plannedChargeWh = 0;
    let gridChargeWh = 0;
    await s.run(12 * HOUR_MS, (r) => {
      plannedChargeWh += Math.max(0, r.cost?.slot?.storage[0]?.powerW ?? 0) / 60;
      if (s.storageW() > 0 && s.gridW() > 0) gridChargeWh += Math.min(s.storageW(), s.gridW()) / 60;
    });
    assert.ok(plannedChargeWh > 3000, `the plan expected to charge from the forecast sun: ${Math.round(plannedChargeWh)} Wh`);
    assert.ok(gridChargeWh < 100, `no charging from the grid instead: ${Math.round(gridChargeWh)} Wh`);
    await s.stop();
  });
});
