import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY0, HOUR_MS, NO_SUN, costSiteConfig, hourlySpot, startCostSite, sunnyDay } from '../helpers/cost-site.ts';

/**
 * The `cost` policy through the real controller: crafted day-ahead prices, the real planner, the
 * simulated site on a fake clock, one cycle a minute. PV and load forecasts are exact here, so
 * what is tested is the executor following the plan and the price rules acting in real time.
 */

/** Local hour of the day from DAY0 (a Brussels midnight). */
const hourOf = (ms: number): number => Math.floor(((ms - DAY0) % 86_400_000) / HOUR_MS);

describe('cost policy: a single cheap night and an evening peak', () => {
  // Spot EUR/MWh: 90 all day, 20 from 03:00 to 05:00, 300 from 17:00 to 21:00. No sun (winter).
  const spot = Array.from({ length: 24 }, (_, h) => (h >= 3 && h < 5 ? 20 : h >= 17 && h < 21 ? 300 : 90));

  it('charges in the cheap night hours, holds through the day and discharges at the evening peak', async () => {
    const s = await startCostSite({ config: costSiteConfig(), prices: hourlySpot(spot), weather: NO_SUN, baseLoadW: 600 });
    const byHour = new Map<number, { storageWh: number; gridWh: number; n: number }>();
    await s.run(23 * HOUR_MS, () => {
      const h = hourOf(s.clock.now());
      const e = byHour.get(h) ?? { storageWh: 0, gridWh: 0, n: 0 };
      e.storageWh += s.storageW() / 60;
      e.gridWh += s.gridW() / 60;
      e.n++;
      byHour.set(h, e);
    });
    const charged = [3, 4].reduce((sum, h) => sum + (byHour.get(h)?.storageWh ?? 0), 0);
    const peak = [17, 18, 19, 20].reduce((sum, h) => sum + (byHour.get(h)?.storageWh ?? 0), 0);
    const day = [8, 9, 10, 11, 12, 13, 14, 15].reduce((sum, h) => sum + Math.abs(byHour.get(h)?.storageWh ?? 0), 0);
    assert.ok(charged > 7000, `charges ≥ 7 kWh in the cheap hours, got ${Math.round(charged)} Wh`);
    assert.ok(peak < -6000, `discharges ≥ 6 kWh at the peak, got ${Math.round(peak)} Wh`);
    assert.ok(day < 300, `holds through the day (no pointless cycling), moved ${Math.round(day)} Wh`);
    for (const h of [17, 18, 19, 20]) assert.ok((byHour.get(h)?.gridWh ?? 0) <= 10, `no import at ${h}:00 during the peak`);
    await s.stop();
  });

  it('explains the decision in feedback: data.plan with the status, the reasons and the next slots', async () => {
    const s = await startCostSite({ config: costSiteConfig(), prices: hourlySpot(spot), weather: NO_SUN, baseLoadW: 600 });
    await s.run(3.5 * HOUR_MS);
    const fb = await s.send({});
    const plan = (fb.data as unknown as { plan?: { status: string; slot: { reasons: Record<string, string>; import_eur_kwh: number; storage_W: number } | null; next_slots: unknown[]; expected_saving_eur_today: number | null } }).plan;
    assert.ok(plan, 'data.plan present while storage and solar execute cost');
    assert.equal(plan.status, 'optimal');
    assert.ok(plan.slot);
    assert.match(plan.slot.reasons['storage'] ?? '', /charge from the grid: 0\.14 €\/kWh/);
    assert.equal(plan.slot.import_eur_kwh, 0.14);
    assert.ok(plan.slot.storage_W > 4000);
    assert.equal(plan.next_slots.length, 4);
    assert.ok((plan.expected_saving_eur_today ?? 0) > 0.3, `a saving is expected today: ${plan.expected_saving_eur_today}`);
    await s.stop();
  });
});

describe('cost policy: flat prices', () => {
  it('does no pointless cycling: never charges from the grid nor discharges into it, and stores PV surplus', async () => {
    const s = await startCostSite({ config: costSiteConfig(), prices: hourlySpot(new Array<number>(24).fill(100)), weather: sunnyDay(600), baseLoadW: 500 });
    let gridCharging = 0;
    let dischargeExport = 0;
    let storedWh = 0;
    await s.run(22 * HOUR_MS, () => {
      if (s.storageW() > 200 && s.gridW() > 200) gridCharging++;
      if (s.storageW() < -200 && s.gridW() < -200) dischargeExport++;
      storedWh += Math.max(0, s.storageW()) / 60;
    });
    assert.equal(gridCharging, 0, 'no charging from the grid');
    assert.equal(dischargeExport, 0, 'no discharging into the grid');
    assert.ok(storedWh > 5000, `PV surplus is stored: ${Math.round(storedWh)} Wh`);
    await s.stop();
  });
});

describe('cost policy: negative prices', () => {
  // 11:00–13:00 both prices negative (spot −200: import −0.08, export −0.21 EUR/kWh);
  // 13:00–15:00 only the export price (spot −50: import 0.07, export −0.06).
  const spot = Array.from({ length: 24 }, (_, h) => (h >= 11 && h < 13 ? -200 : h >= 13 && h < 15 ? -50 : 100));

  it('switches all solar off and charges from the grid when both prices are negative', async () => {
    const s = await startCostSite({ config: costSiteConfig(), prices: hourlySpot(spot), weather: sunnyDay(800), baseLoadW: 500, startMs: DAY0 + 10 * HOUR_MS });
    await s.run(1 * HOUR_MS + 5 * 60_000);
    const r = await s.cycle();
    const pv = s.sim.solar.get('pv')?.snapshot();
    assert.equal(r.plan.solar[0]?.limitW, 0, 'solar capped at 0 W');
    assert.equal(pv?.powerW, 0);
    assert.ok((pv?.availablePowerW ?? 0) > 3000, 'the sun shines');
    // It keeps room for the free PV of 13:00–15:00, so it spreads this charge over the two hours.
    assert.ok(s.storageW() > 2000, `the battery charges from the grid: ${s.storageW()} W`);
    assert.ok(s.gridW() > 2000, 'the site imports (it is paid to)');
    await s.stop();
  });

  it('curtails solar to what the site uses when only the export price is negative', async () => {
    const s = await startCostSite({ config: costSiteConfig(), prices: hourlySpot(spot), weather: sunnyDay(900), baseLoadW: 500, startMs: DAY0 + 13 * HOUR_MS });
    let worstExportW = 0;
    let curtailed = 0;
    await s.run(2 * HOUR_MS - 2 * 60_000, (r) => {
      worstExportW = Math.max(worstExportW, -s.gridW());
      const o = r.plan.solar[0];
      if (o && o.limitW !== null && o.limitW < o.availableW - 100) curtailed++;
    });
    assert.ok(worstExportW <= 100, `no export at a negative export price (worst ${Math.round(worstExportW)} W)`);
    assert.ok(curtailed > 60, `solar was curtailed (${curtailed} cycles)`);
    await s.stop();
  });
});

describe('cost policy: limits still apply after the plan', () => {
  it('a planned grid charge is clipped by the import limit', async () => {
    const spot = Array.from({ length: 24 }, (_, h) => (h >= 3 && h < 5 ? 20 : h >= 17 && h < 21 ? 300 : 90));
    const s = await startCostSite({
      config: costSiteConfig({ grid: { importLimitW: 3000, exportLimitW: 10_000, safetyMarginW: 100 } }),
      prices: hourlySpot(spot),
      weather: NO_SUN,
      baseLoadW: 1500,
      startMs: DAY0 + 3 * HOUR_MS,
    });
    // The plan knows the limit and asks ≤ 1.4 kW; a kettle (extra 1 kW) pushes the site over it.
    s.sim.world.setExtraLoadW(1000);
    let worst = 0;
    await s.run(30 * 60_000, (r) => {
      worst = Math.max(worst, s.gridW());
      assert.ok(r.plan.predictedGridW <= 2900 + 1, `predicted grid within the limit: ${r.plan.predictedGridW}`);
    });
    assert.ok(worst <= 2901, `grid import never above limit − margin: ${Math.round(worst)} W`);
    const r = await s.cycle();
    assert.ok(r.plan.constraints.some((c) => /import limit 3000 W: storage charge clipped/.test(c.message)), JSON.stringify(r.plan.constraints));
    await s.stop();
  });
});
