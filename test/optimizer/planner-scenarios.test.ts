import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlanProblem } from '../../src/optimizer/planner/plan-problem.ts';
import { battery, onOff, plan, problem } from './planner-helpers.ts';

const HOUR_MS = 3_600_000;
const N = 24;
/** Hourly slots: slot 0 (the night) is cheap, every later hour dear; exporting earns nothing; 500 W of load. */
const night = (overrides: Partial<PlanProblem> = {}): PlanProblem =>
  problem({
    slotMs: HOUR_MS,
    importPriceEurPerKwh: Array.from({ length: N }, (_, t) => (t === 0 ? 0.1 : 0.3)),
    exportPriceEurPerKwh: new Array<number>(N).fill(0),
    baseLoadW: new Array<number>(N).fill(500),
    storage: [battery({ socPct: 10, minSocPct: 10, terminalTiers: [{ energyWh: Infinity, eurPerKwh: 0 }] })],
    solar: [{ nodeId: 'pv', availableW: pvMid }],
    ...overrides,
  });
/** Tomorrow sunny: 3 kW from slot 1 on. Cloudy: nothing until slot 4, then 3 kW. The point forecast: their mean. */
const pvSunny = Array.from({ length: N }, (_, t) => (t >= 1 ? 3000 : 0));
const pvCloudy = Array.from({ length: N }, (_, t) => (t >= 4 ? 3000 : 0));
const pvMid = pvSunny.map((w, t) => (w + (pvCloudy[t] ?? 0)) / 2);
const slot0W = (p: Awaited<ReturnType<typeof plan>>): number => p.slots[0]?.storage[0]?.powerW ?? NaN;
/** Grid energy the cloudy morning needs from the battery (slots 1–3 at 500 W), bought through η² . */
const cloudyNeedW = (3 * 500) / 0.95 / 0.95;

void describe('planner: PV scenarios (two-stage stochastic plan)', () => {
  void it('the point forecast alone does not grid-charge: the mean sun covers the morning', async () => {
    const result = await plan(night());
    assert.ok(Math.abs(slot0W(result)) < 50, `slot 0 charges ${slot0W(result)} W`);
  });

  void it('hedges the night charge against a cloudy morning: charges what the cloudy case needs, not the full battery', async () => {
    const p = night({ pvScenarios: [{ weight: 0.5, solarAvailableW: [pvSunny] }, { weight: 0.5, solarAvailableW: [pvCloudy] }] });
    const result = await plan(p);
    assert.equal(result.status, 'optimal');
    const w = slot0W(result);
    assert.ok(Math.abs(w - cloudyNeedW) < 50, `slot 0 charges ${w} W, expected ≈ ${cloudyNeedW.toFixed(0)} W (partial: the battery could take 5000 W)`);
  });

  void it('does not charge when the cloudy morning is unlikely (the weights count)', async () => {
    const p = night({ pvScenarios: [{ weight: 0.9, solarAvailableW: [pvSunny] }, { weight: 0.1, solarAvailableW: [pvCloudy] }] });
    assert.ok(Math.abs(slot0W(await plan(p))) < 50);
  });

  void it('shares slot 0 across scenarios: the same first decision whichever scenario the plan reports', async () => {
    const scenarios = [
      { weight: 0.5, solarAvailableW: [pvSunny] },
      { weight: 0.5, solarAvailableW: [pvCloudy] },
    ];
    // The plan reported is the scenario equal to the point forecast (`solar`).
    const reportsSunny = await plan(night({ solar: [{ nodeId: 'pv', availableW: pvSunny }], pvScenarios: scenarios }));
    const reportsCloudy = await plan(night({ solar: [{ nodeId: 'pv', availableW: pvCloudy }], pvScenarios: scenarios }));
    assert.ok(Math.abs(slot0W(reportsSunny) - slot0W(reportsCloudy)) < 1, `slot 0: ${slot0W(reportsSunny)} W vs ${slot0W(reportsCloudy)} W`);
    assert.ok(slot0W(reportsSunny) > 1000);
    // After slot 0 each adapts to its own sun: the cloudy morning draws on the battery, the sunny one does not need to.
    const morningDischargeWh = (r: typeof reportsSunny): number => r.slots.slice(1, 4).reduce((sum, s) => sum + Math.max(0, -(s.storage[0]?.powerW ?? 0)), 0);
    assert.ok(morningDischargeWh(reportsCloudy) > 1400, `cloudy discharges ${morningDischargeWh(reportsCloudy)} Wh in slots 1–3`);
    assert.ok(reportsCloudy.slots.slice(1, 4).every((s) => s.gridW <= 1), 'cloudy: the morning load comes from the battery');
  });

  void it('is ignored for sites with on/off assets (a MIP): the point-forecast plan', async () => {
    const scenarios = [{ weight: 0.5, solarAvailableW: [pvSunny] }, { weight: 0.5, solarAvailableW: [pvCloudy] }];
    const asset = onOff({ needs: [] });
    const withScenarios = await plan(night({ onOff: [asset], pvScenarios: scenarios }));
    const without = await plan(night({ onOff: [asset] }));
    assert.equal(slot0W(withScenarios), slot0W(without));
  });

  void it('shares every night slot: nothing observed before sunrise tells the scenarios apart, so the cheap hours are decided once', async () => {
    // Two cheap night hours (the second cheaper), then dear; the sun starts at slot 2 (sunny) or 5 (cloudy).
    const sunny = Array.from({ length: N }, (_, t) => (t >= 2 ? 3000 : 0));
    const cloudy = Array.from({ length: N }, (_, t) => (t >= 5 ? 3000 : 0));
    const scenarios = [
      { weight: 0.5, solarAvailableW: [sunny] },
      { weight: 0.5, solarAvailableW: [cloudy] },
    ];
    const prices = Array.from({ length: N }, (_, t) => (t === 0 ? 0.11 : t === 1 ? 0.1 : 0.3));
    const reports = await Promise.all(
      [sunny, cloudy].map((pv) => plan(night({ importPriceEurPerKwh: prices, solar: [{ nodeId: 'pv', availableW: pv }], pvScenarios: scenarios }))),
    );
    const nightW = (r: (typeof reports)[number]): number[] => r.slots.slice(0, 2).map((s) => s.storage[0]?.powerW ?? NaN);
    const [sunnyPlan, cloudyPlan] = reports.map(nightW) as [number[], number[]];
    // Were only slot 0 shared, the cloudy copy would buy at slot 1 and the sunny one not: a plan that waits for news the night never brings.
    sunnyPlan.forEach((w, t) => assert.ok(Math.abs(w - (cloudyPlan[t] ?? NaN)) < 1, `slot ${t}: ${w} W (sunny) vs ${cloudyPlan[t]} W (cloudy)`));
    // The hedge is bought in the cheaper hour: what the cloudy morning (slots 2–4) needs.
    const need = (3 * 500) / 0.95 / 0.95;
    assert.ok(Math.abs((sunnyPlan[1] ?? 0) - need) < 50 && Math.abs(sunnyPlan[0] ?? 0) < 50, `night: ${sunnyPlan.join(', ')} W`);
  });

  void it('rejects malformed scenarios', async () => {
    await assert.rejects(plan(night({ pvScenarios: [{ weight: 0, solarAvailableW: [pvSunny] }, { weight: 1, solarAvailableW: [pvCloudy] }] })), /weight/);
    await assert.rejects(plan(night({ pvScenarios: [{ weight: 1, solarAvailableW: [] }, { weight: 1, solarAvailableW: [pvCloudy] }] })), /arrays/);
  });
});
