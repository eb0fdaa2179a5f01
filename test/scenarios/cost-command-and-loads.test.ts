import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlanFeedback } from '../../src/control/feedback-builder.ts';
import type { EvSession, PlanProblem } from '../../src/optimizer/planner/plan-problem.ts';
import { fallbackPlan } from '../../src/optimizer/planner/solve-plan.ts';
import { resolveSiteConfig } from '../../src/site/site-config.ts';
import { DAY0, HOUR_MS, NO_SUN, costSiteConfig, hourlySpot, startCostSite, sunnyDay } from '../helpers/cost-site.ts';

const planOf = (fb: { data: unknown }): PlanFeedback | undefined => (fb.data as { plan?: PlanFeedback }).plan;
/** Spot EUR/MWh: 90, cheap 03:00–05:00 (10 then 20), dear 17:00–21:00 (300). */
const SPOT = Array.from({ length: 24 }, (_, h) => (h === 3 ? 10 : h === 4 ? 20 : h >= 17 && h < 21 ? 300 : 90));

describe('cost over the command path', () => {
  it('is accepted with response_code 0, executed, and the plan is visible in feedback; fallback returns to the default', async () => {
    const s = await startCostSite({
      config: costSiteConfig({ defaults: { solar: 'feed_in_limitation', storage: 'self_consumption' } }),
      prices: hourlySpot(SPOT),
      weather: NO_SUN,
      baseLoadW: 600,
      startMs: DAY0 + 3 * HOUR_MS,
    });
    await s.cycle();
    assert.equal(planOf(await s.send({})), undefined, 'no data.plan while nothing executes cost');
    const fb = await s.send({ storage_policy: 'cost', solar_policy: 'Cost-Optimisation' });
    assert.equal(fb.data.response_code, 0);
    assert.deepEqual(fb.fields, { storage_policy: 'cost', solar_policy: 'cost' });
    assert.equal(fb.data.state.storage.executed_policy, 'cost');
    assert.equal(fb.data.state.storage.active_signal, 'remote');
    assert.ok(fb.data.state.storage.executed_power_W > 4000, `charges in the cheap hour: ${fb.data.state.storage.executed_power_W} W`);
    const plan = planOf(fb);
    assert.ok(plan);
    assert.equal(plan.status, 'optimal');
    assert.match(plan.slot?.reasons['storage'] ?? '', /charge from the grid/);
    assert.match(plan.slot?.reasons['solar'] ?? '', /produce/);
    const back = await s.send({ storage_policy: 'fallback', solar_policy: 'fallback' });
    assert.equal(back.data.state.storage.executed_policy, 'self_consumption');
    await s.stop();
  });

  it('`cost` is a valid local default in the site config', () => {
    const site = resolveSiteConfig(costSiteConfig());
    assert.equal(site.defaults.storage, 'cost');
    assert.equal(site.optimizer.replanIntervalS, 900);
    assert.equal(site.optimizer.tariff.offtakeAdderEurPerKwh, 0.12);
  });
});

describe('cost without a plan', () => {
  it('runs self_consumption (documented), says so in constraints and data.plan, and follows the plan once there is one', async () => {
    // Prices start at 06:00: before that there is nothing to plan with.
    const prices = hourlySpot(SPOT);
    const late = { ...prices, startMs: prices.startMs + 6 * HOUR_MS, pricesEurPerMwh: prices.pricesEurPerMwh.slice(24) };
    const s = await startCostSite({ config: costSiteConfig(), prices: late, weather: NO_SUN, baseLoadW: 600, startMs: DAY0 + 5 * HOUR_MS });
    s.sim.storage.get('bat')?.setSocPct(60);
    await s.run(10 * 60_000);
    const fb = await s.send({});
    assert.equal(fb.data.response_code, 0);
    const plan = planOf(fb);
    assert.equal(plan?.status, 'none');
    assert.match(plan?.message ?? '', /no day-ahead prices known/);
    assert.ok((fb.data.state.storage.constraints ?? []).some((c) => /cost: no plan .*self_consumption/.test(c)), JSON.stringify(fb.data.state.storage.constraints));
    assert.ok(Math.abs(s.gridW()) < 60, `self_consumption holds the grid at 0: ${s.gridW()} W`);
    assert.ok(s.storageW() < -500, 'the battery covers the load');
    await s.run(HOUR_MS);
    const later = planOf(await s.send({}));
    assert.equal(later?.status, 'optimal', 'a plan is made once prices exist (the 15-minute re-plan)');
    await s.stop();
  });

  it('a planner failure gives the rule-based plan (status fallback) and says why', async () => {
    // A planner that always times out: the PlannerService then answers with the rule-based plan.
    const planner = { plan: (p: PlanProblem) => Promise.resolve(fallbackPlan(p, 'no plan within 5000 ms')) };
    const s = await startCostSite({ config: costSiteConfig(), prices: hourlySpot(SPOT), weather: NO_SUN, baseLoadW: 600, startMs: DAY0 + 3 * HOUR_MS, service: { planner } });
    await s.run(5 * 60_000);
    const fb = await s.send({});
    const plan = planOf(fb);
    assert.equal(plan?.status, 'fallback');
    assert.match(plan?.message ?? '', /no plan within 5000 ms/);
    assert.ok((fb.data.state.storage.constraints ?? []).some((c) => /cost: rule-based plan \(no plan within 5000 ms\); the batteries do self_consumption/.test(c)), JSON.stringify(fb.data.state.storage.constraints));
    assert.ok(s.storageW() <= 0 && Math.abs(s.gridW()) < 60, `self-consumption, no grid charging in the cheap hour: battery ${s.storageW()} W, grid ${s.gridW()} W`);
    await s.stop();
  });
});

describe('cost for heat pumps, relay loads and EV chargers', () => {
  it('runs a relay in the cheapest hours through the run-time guard', async () => {
    const s = await startCostSite({
      config: costSiteConfig({ devices: [{ group: 'switched_load', nodeId: 'boiler', ratedPowerW: 2000, minOnS: 1800, minOffS: 900 }] }),
      prices: hourlySpot(SPOT),
      weather: NO_SUN,
      baseLoadW: 400,
      service: { planInputs: { relayRunPerDayS: { boiler: 2 * 3600 } } },
    });
    const onHours = new Set<number>();
    let switches = 0;
    let wasOn = false;
    await s.run(23 * HOUR_MS, (r) => {
      const o = r.plan.switchedLoads[0];
      if (o?.isOn) onHours.add(Math.floor((s.clock.now() - DAY0) / HOUR_MS));
      if (o && o.isOn !== wasOn) switches++;
      wasOn = o?.isOn ?? false;
    });
    assert.deepEqual([...onHours].sort((a, b) => a - b), [3, 4], 'on exactly in the two cheap hours');
    assert.ok(switches <= 2, `one run, not chopped up (${switches} switches)`);
    await s.stop();
  });

  it('holds a heat pump on for its minimum on-time even when the plan would switch it off sooner', async () => {
    const s = await startCostSite({
      config: costSiteConfig({ devices: [{ group: 'heat_pump', nodeId: 'hp', ratedPowerW: 2000, minOnS: 3600, minOffS: 1800 }] }),
      prices: hourlySpot(SPOT),
      weather: NO_SUN,
      baseLoadW: 400,
      startMs: DAY0 + 3 * HOUR_MS,
      service: { planInputs: { heatPumpEnergyPerDayWh: { hp: 4000 } } },
    });
    await s.run(10 * 60_000);
    assert.equal(s.sim.heatPumps.get('hp')?.snapshot().isOn, true, 'on in the cheap hours');
    // A remote power_off now must wait for the minimum on-time.
    const fb = await s.send({ heat_pump_policy: 'power_off' });
    assert.deepEqual(fb.data.state.heat_pump.operation_modes, ['on']);
    assert.ok((fb.data.state.heat_pump.constraints ?? []).some((c) => /minimum on-time/.test(c)));
    await s.stop();
  });

  it('charges an EV at the planned power in the cheap hours before departure', async () => {
    const sessions = (nowMs: number): EvSession[] => [{ fromMs: Math.min(nowMs, DAY0), untilMs: DAY0 + 7 * HOUR_MS, energyWh: 11_000 }];
    const s = await startCostSite({
      config: costSiteConfig({ devices: [{ group: 'variable_power_load', nodeId: 'ev', phases: 3, minCurrentA: 6, maxCurrentA: 16 }] }),
      prices: hourlySpot(SPOT),
      weather: sunnyDay(0),
      baseLoadW: 400,
      service: { evSessions: ({ nodeId, nowMs }) => (nodeId === 'ev' ? sessions(nowMs) : []) },
    });
    s.sim.evChargers.get('ev')?.plugIn({ energyNeededWh: 11_000, departureMs: DAY0 + 7 * HOUR_MS });
    const whByHour = new Map<number, number>();
    await s.run(7 * HOUR_MS - 60_000, (r) => {
      const h = Math.floor((s.clock.now() - DAY0) / HOUR_MS);
      whByHour.set(h, (whByHour.get(h) ?? 0) + (r.plan.evChargers[0]?.predictedW ?? 0) / 60);
    });
    const cheap = (whByHour.get(3) ?? 0) + (whByHour.get(4) ?? 0);
    const other = [0, 1, 2, 5, 6].reduce((sum, h) => sum + (whByHour.get(h) ?? 0), 0);
    assert.ok(cheap > 9000, `charged in the cheap hours: ${Math.round(cheap)} Wh`);
    assert.ok(other < 2500, `little outside them: ${Math.round(other)} Wh`);
    assert.ok((s.sim.evChargers.get('ev')?.snapshot().car?.energyNeededWh ?? 1) < 500, 'the car is (nearly) full by departure');
    await s.stop();
  });
});
