import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Highs } from '../../src/optimizer/planner/highs-runner.ts';
import { solvePlan } from '../../src/optimizer/planner/solve-plan.ts';
import { battery, ev, hourly, onOff, plan, problem, runLengths, slotsWhere, SLOT_MS, T0 } from './planner-helpers.ts';

const HOUR = 3_600_000;
/** Cheap 01–03 and 13–14 UTC, dear otherwise. */
const twoValleys = hourly(Array.from({ length: 24 }, (_, h) => (h >= 1 && h < 3 ? 0.08 : h >= 13 && h < 15 ? 0.1 : 0.3 + 0.01 * h)));

void describe('planner: heat pumps, relay loads and EVs', () => {
  void it('runs the heat pump in the cheapest windows, meets the daily energy and keeps min on/off times', async () => {
    const hp = onOff({ minOnS: 3600, minOffS: 3600, needs: [{ fromMs: T0, untilMs: T0 + 24 * HOUR, energyWh: 8000 }] });
    const result = await plan(problem({ importPriceEurPerKwh: twoValleys, onOff: [hp] }));
    assert.deepEqual(result.violations, []);
    const on = slotsWhere(result, (s) => s.onOff[0]?.isOn === true);
    assert.equal(on.length * 2000 * 0.25, 8000, 'exactly the need (4 h at 2 kW)');
    assert.ok(on.every((t) => (t >= 4 && t < 12) || (t >= 52 && t < 60)), `on only in the valleys, got ${on.join(',')}`);
    const runs = runLengths(result);
    assert.ok(runs.on.every((n) => n >= 4) && runs.off.every((n) => n >= 4), JSON.stringify(runs));
    assert.match(result.slots[on[0] ?? 0]?.onOff[0]?.reason ?? '', /cheaper slots for its 8\.0 kWh need/);
  });

  void it('holds a heat pump on that started 15 min ago until its minimum run time is over', async () => {
    const hp = onOff({ isOn: true, stateForS: 900, minOnS: 3600, needs: [{ fromMs: T0, untilMs: T0 + 24 * HOUR, energyWh: 2000 }] });
    const prices = hourly(Array.from({ length: 24 }, (_, h) => (h < 2 ? 0.5 : 0.1)));
    const result = await plan(problem({ importPriceEurPerKwh: prices, onOff: [hp] }));
    assert.deepEqual(result.slots.slice(0, 3).map((s) => s.onOff[0]?.isOn), [true, true, true], 'the 45 min left of its minimum run');
    assert.equal(result.slots[3]?.onOff[0]?.isOn, false, 'then off through the dear hours');
  });

  void it('gives a relay load its daily run time in the cheapest hours, within max on and starts per hour', async () => {
    const relay = onOff({ nodeId: 'boiler', kind: 'switched_load', ratedPowerW: 2000, minOnS: 1800, minOffS: 900, maxOnS: 3600, maxStartsPerHour: 1, needs: [{ fromMs: T0, untilMs: T0 + 24 * HOUR, energyWh: 6000, maxEnergyWh: 6000 }] });
    const result = await plan(problem({ importPriceEurPerKwh: twoValleys, onOff: [relay] }));
    assert.deepEqual(result.violations, []);
    const runs = runLengths(result);
    assert.ok(runs.on.every((n) => n >= 2 && n <= 4), `runs of 30–60 min: ${runs.on.join(',')}`);
    // One start per hour: on + off of each inner cycle ≥ 4 slots.
    const series = result.slots.map((s) => s.onOff[0]?.isOn ?? false);
    const starts = series.flatMap((on, t) => (on && !(series[t - 1] ?? false) ? [t] : []));
    for (let i = 1; i < starts.length; i++) assert.ok((starts[i] ?? 0) - (starts[i - 1] ?? 0) >= 4, `starts ${starts.join(',')}`);
  });

  void it('charges the EV by departure in the cheapest slots, never below its minimum power', async () => {
    const prices = hourly(Array.from({ length: 24 }, (_, h) => (h >= 2 && h < 4 ? 0.06 : h >= 18 ? 0.35 : 0.22)));
    const car = ev({ sessions: [{ fromMs: T0 - 6 * HOUR, untilMs: T0 + 7.5 * HOUR, energyWh: 15_000 }] });
    const result = await plan(problem({ importPriceEurPerKwh: prices, evs: [car] }));
    assert.deepEqual(result.violations, []);
    const powers = result.slots.map((s) => s.evs[0]?.powerW ?? 0);
    const deliveredWh = powers.reduce((sum, w) => sum + w * 0.25, 0);
    assert.ok(Math.abs(deliveredWh - 15_000) < 1, `delivered ${deliveredWh} Wh`);
    assert.ok(powers.every((w) => w === 0 || w >= 4140 - 1e-6), `every power 0 or ≥ 4140 W: ${powers.filter((w) => w > 0).join(',')}`);
    assert.ok(powers.slice(30).every((w) => w === 0), 'nothing after departure at 07:30');
    const cheapWh = powers.slice(8, 16).reduce((sum, w) => sum + w * 0.25, 0);
    assert.ok(Math.abs(cheapWh - 15_000) < 1, `all of it in the cheap 02–04 hours (${cheapWh} Wh)`);
    const first = powers.findIndex((w) => w > 0);
    assert.match(result.slots[first]?.evs[0]?.reason ?? '', /among the cheaper slots for its 15\.0 kWh by departure at 09:30 \(0\.06 €\/kWh vs/, 'departure in Brussels time');
  });

  void it('reports named violations instead of failing when demands cannot be met', async () => {
    const prices = new Array<number>(96).fill(0.2);
    const tooMuch = problem({
      importPriceEurPerKwh: prices,
      evs: [ev({ sessions: [{ fromMs: T0, untilMs: T0 + 2 * HOUR, energyWh: 100_000 }] })],
      onOff: [onOff({ needs: [{ fromMs: T0, untilMs: T0 + HOUR, energyWh: 9000 }] })],
    });
    const result = await plan(tooMuch);
    assert.notEqual(result.status, 'fallback');
    assert.deepEqual(result.violations.map((v) => v.name).sort(), ['ev_energy_shortfall', 'heat_pump_energy_shortfall']);
    const evShort = result.violations.find((v) => v.name === 'ev_energy_shortfall');
    assert.equal(evShort?.nodeId, 'ev');
    assert.ok(Math.abs((evShort?.amountWh ?? 0) - (100_000 - 2 * 11_040)) < 1, `short ${evShort?.amountWh} Wh: it gets all 2 h at full power`);
    assert.ok(Math.abs((result.violations.find((v) => v.name === 'heat_pump_energy_shortfall')?.amountWh ?? 0) - 7000) < 1, 'the heat pump runs its whole hour');

    // A house that alone needs more than the import limit: the breach is named, and no flexible load adds to it.
    const overLimit = await plan(problem({ importPriceEurPerKwh: prices, baseLoadW: new Array<number>(96).fill(2500), importLimitW: 2000, evs: [ev({ sessions: [{ fromMs: T0, untilMs: T0 + 2 * HOUR, energyWh: 5000 }] })] }));
    const breach = overLimit.violations.find((v) => v.name === 'import_limit_exceeded');
    assert.ok(breach && Math.abs(breach.amountWh - 500 * 24) < 1, `over by ${breach?.amountWh} Wh`);
    assert.ok(overLimit.violations.some((v) => v.name === 'ev_energy_shortfall'), 'limits beat needs');
  });

  void it('falls back to the rule-based plan, saying why, when the solver fails', () => {
    const broken = { createModel: () => { throw new Error('wasm out of memory'); } } as unknown as Highs;
    const p = problem({ importPriceEurPerKwh: twoValleys, storage: [battery()], onOff: [onOff({ needs: [{ fromMs: T0, untilMs: T0 + 24 * HOUR, energyWh: 4000 }] })] });
    const result = solvePlan(broken, p);
    assert.equal(result.status, 'fallback');
    assert.equal(result.strategy, 'rule-based');
    assert.match(result.fallbackReason ?? '', /wasm out of memory/);
    assert.equal(result.mipGap, null);
    assert.equal(result.expectedSavingEur, 0);
    assert.equal(result.slots.filter((s) => s.onOff[0]?.isOn).length * 2000 * 0.25, 4000, 'the fallback still meets the need');
  });

  void it('decomposition and the exact MILP agree on small sites (within the gap)', async () => {
    const p = problem({
      importPriceEurPerKwh: twoValleys,
      storage: [battery({ socPct: 40 })],
      onOff: [onOff({ needs: [{ fromMs: T0, untilMs: T0 + 24 * HOUR, energyWh: 6000 }] })],
      evs: [ev({ sessions: [{ fromMs: T0, untilMs: T0 + 8 * HOUR, energyWh: 10_000 }] })],
    });
    const fast = await plan(p, { strategy: 'decomposed' });
    const exact = await plan(p, { strategy: 'milp-tight' });
    assert.equal(exact.status, 'optimal');
    assert.ok(fast.expectedCostEur <= exact.expectedCostEur * 1.02 + 0.01, `decomposed ${fast.expectedCostEur} vs exact ${exact.expectedCostEur}`);
    assert.equal(fast.slotMs, SLOT_MS);
  });
});

void describe('planner: proving a heuristic plan (proveMs)', () => {
  void it('the tight MILP proves the decomposition within the gap, or finds a cheaper plan, and never a dearer one', async () => {
    // Three on/off loads with run-time rules and needs, an EV and a battery on two price valleys.
    const p = problem({
      importPriceEurPerKwh: twoValleys,
      storage: [battery({ socPct: 30 })],
      solar: [{ nodeId: 'pv', availableW: hourly(Array.from({ length: 24 }, (_, h) => (h >= 7 && h < 18 ? Math.round(5000 * Math.sin(((h + 0.5 - 7) / 11) * Math.PI)) : 0))) }],
      onOff: [
        onOff({ nodeId: 'hp', ratedPowerW: 2500, minOnS: 3600, minOffS: 1800, maxOnS: 4 * 3600, maxStartsPerHour: 2, needs: [{ fromMs: T0, untilMs: T0 + 24 * HOUR, energyWh: 14_000 }] }),
        onOff({ nodeId: 'boiler', ratedPowerW: 2000, minOnS: 1800, minOffS: 900, needs: [{ fromMs: T0, untilMs: T0 + 24 * HOUR, energyWh: 6000 }] }),
        onOff({ nodeId: 'pool', ratedPowerW: 1000, minOnS: 3600, minOffS: 1800, needs: [{ fromMs: T0, untilMs: T0 + 24 * HOUR, energyWh: 6000 }] }),
      ],
      evs: [ev({ sessions: [{ fromMs: T0 + 17 * HOUR, untilMs: T0 + 24 * HOUR, energyWh: 12_000 }] })],
    });
    const fast = await plan(p, { strategy: 'decomposed' });
    const proven = await plan(p, { strategy: 'decomposed', proveMs: 20_000, timeLimitMs: 30_000 });
    const exact = await plan(p, { strategy: 'milp-tight', timeLimitMs: 30_000 });
    assert.equal(fast.status, 'time_limit', `the heuristic alone is not proven here (gap ${fast.mipGap})`);
    assert.equal(proven.status, 'optimal', `gap ${proven.mipGap}`);
    assert.ok((proven.mipGap ?? 1) <= 0.005 + 1e-9);
    assert.ok(proven.expectedCostEur <= fast.expectedCostEur + 1e-6, `${proven.expectedCostEur} vs the heuristic's ${fast.expectedCostEur}`);
    assert.ok(proven.expectedCostEur <= exact.expectedCostEur + 0.005 * Math.abs(exact.expectedCostEur) + 1e-3, `${proven.expectedCostEur} vs exact ${exact.expectedCostEur}`);
    assert.equal(proven.strategy, 'decomposed');
  });
});
