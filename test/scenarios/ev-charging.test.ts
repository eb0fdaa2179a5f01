import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SimEvCharger } from '../../src/devices/simulated/sim-ev-charger.ts';
import { scenarioSite, startScenario, type Scenario } from '../helpers/scenario.ts';

function evSite(ev: Record<string, unknown>): Scenario {
  const s = startScenario(
    scenarioSite({
      grid: { importLimitW: 40_000, exportLimitW: 10_000, safetyMarginW: 0 },
      devices: [{ group: 'variable_power_load', ...ev }],
      defaults: { variable_power_load: 'passive' },
    }),
    Date.UTC(2024, 2, 5, 20, 0, 0),
  );
  charger(s).plugIn({ energyNeededWh: 200_000 });
  return s;
}
const charger = (s: Scenario): SimEvCharger => {
  const c = [...s.sim.evChargers.values()][0];
  assert.ok(c);
  return c;
};

for (const allowZeroCurrent of [true, false]) {
  describe(`EV charger, 1 phase, 6–16 A, allow_zero_current ${allowZeroCurrent}`, () => {
    it('offers the right current at every setpoint from 0 to 11 kW', async () => {
      const s = evSite({ phases: 1, minCurrentA: 6, maxCurrentA: 16, allowZeroCurrent });
      for (let w = 0; w <= 11_000; w += 250) {
        const f = await s.send({ variable_power_load_policy: 'setpoint', variable_power_load_power_setpoint_w: w });
        const raw = Math.floor((w / 230) * 10) / 10;
        const expected = raw >= 6 ? Math.min(raw, 16) : allowZeroCurrent ? 0 : 6;
        const snap = charger(s).snapshot();
        assert.equal(snap.offeredCurrentA, expected, `at ${w} W`);
        assert.equal(f.data.state.variable_load.executed_current_A, expected, `feedback at ${w} W`);
        assert.ok(Math.abs(snap.powerW - expected * 230) < 1, `draw at ${w} W: ${snap.powerW}`);
        assert.equal(f.data.state.variable_load.ev_requiring_charge, true);
        assert.equal(f.data.state.variable_load.allow_zero_current, allowZeroCurrent);
        // One reading per command: the feedback's currents were measured before the write; the charger draws the new one.
        assert.ok(Math.abs(snap.currentsA[0] - expected) < 0.05);
        assert.equal(snap.currentsA[1], 0);
        assert.equal(f.data.state.variable_load.currentL2_A, 0);
      }
    });

    it(allowZeroCurrent ? 'pauses below the minimum and resumes above it' : 'holds the minimum instead of pausing', async () => {
      const s = evSite({ phases: 1, minCurrentA: 6, maxCurrentA: 16, allowZeroCurrent });
      await s.send({ variable_power_load_policy: 'setpoint', variable_power_load_power_setpoint_w: 3000 });
      assert.ok(charger(s).snapshot().powerW > 2900);
      await s.send({ variable_power_load_policy: 'setpoint', variable_power_load_power_setpoint_w: 1000 });
      assert.equal(charger(s).snapshot().powerW, allowZeroCurrent ? 0 : 6 * 230);
      await s.send({ variable_power_load_policy: 'setpoint', variable_power_load_power_setpoint_w: 2000 });
      assert.equal(charger(s).snapshot().offeredCurrentA, 8.6);
    });
  });
}

describe('EV charger with 1↔3 phase switching', () => {
  it('switches phases with the power, never faster than its dwell time', async () => {
    const s = evSite({ phases: 3, canSwitchPhases: true, phaseSwitchDwellS: 300, minCurrentA: 6, maxCurrentA: 16 });
    const switches: number[] = [];
    let phases = charger(s).snapshot().selectedPhases;
    for (let k = 0; k < 120; k += 1) {
      await s.send({ variable_power_load_policy: 'setpoint', variable_power_load_power_setpoint_w: k % 2 === 0 ? 2000 : 9000 });
      for (let c = 0; c < 10; c += 1) {
        if (charger(s).snapshot().selectedPhases !== phases) {
          phases = charger(s).snapshot().selectedPhases;
          switches.push(s.clock.now());
        }
        await s.cycle();
      }
    }
    assert.ok(switches.length >= 3, `switched ${switches.length} times`);
    for (let i = 1; i < switches.length; i += 1) {
      assert.ok((switches[i] ?? 0) - (switches[i - 1] ?? 0) >= 300_000, 'dwell time respected');
    }
    // 2 kW runs on one phase, 9 kW on three.
    await s.run(301_000);
    let f = await s.send({ variable_power_load_policy: 'setpoint', variable_power_load_power_setpoint_w: 2000 });
    if (charger(s).snapshot().selectedPhases === 3) {
      await s.run(301_000);
      f = await s.send({ variable_power_load_policy: 'setpoint', variable_power_load_power_setpoint_w: 2000 });
    }
    assert.equal(charger(s).snapshot().selectedPhases, 1);
    assert.equal(f.data.state.variable_load.executed_current_A, 8.6);
  });

  it('self_consumption charges from PV surplus only; min_pv holds the minimum without sun', async () => {
    const s = startScenario(
      scenarioSite({
        devices: [
          { group: 'solar', ratedPowerW: 10_000 },
          { group: 'variable_power_load', phases: 1, minCurrentA: 6, maxCurrentA: 32 },
          { group: 'variable_power_load', phases: 1, minCurrentA: 6, maxCurrentA: 32, surplusMode: 'min_pv' },
        ],
        defaults: { variable_power_load: 'self_consumption' },
      }),
      Date.UTC(2024, 5, 3, 10, 0, 0),
    );
    const [pvOnly, minPv] = [...s.sim.evChargers.values()];
    assert.ok(pvOnly && minPv);
    pvOnly.plugIn({ energyNeededWh: 50_000 });
    s.sim.world.setBaseLoadOverride(500);
    s.sim.world.setIrradianceOverride(800); // ≈ 6.4 kW
    await s.run(10_000);
    const surplusDraw = pvOnly.snapshot().powerW;
    assert.ok(surplusDraw > 4000 && -s.gridW() < 300, `EV took the surplus (${surplusDraw} W, export ${-s.gridW()} W)`);
    s.sim.world.setIrradianceOverride(0);
    minPv.plugIn({ energyNeededWh: 50_000 });
    await s.run(5000);
    assert.equal(pvOnly.snapshot().powerW, 0, 'no sun: the pv-only charger pauses');
    assert.equal(minPv.snapshot().powerW, 6 * 230, 'no sun: min_pv holds the minimum');
  });
});

describe('a 1-phase car on a 3-phase charger', () => {
  it('is offered current for the phase it really draws on, so the export limit holds', async () => {
    const s = startScenario(
      scenarioSite({
        grid: { importLimitW: 40_000, exportLimitW: 2000, safetyMarginW: 0 },
        devices: [
          { group: 'solar', ratedPowerW: 15_000 },
          { group: 'variable_power_load', phases: 3, minCurrentA: 6, maxCurrentA: 16 },
        ],
        defaults: { solar: 'feed_in_limitation', variable_power_load: 'self_consumption' },
      }),
      Date.UTC(2024, 5, 3, 11, 0, 0),
    );
    charger(s).plugIn({ energyNeededWh: 40_000, maxPhases: 1 });
    s.sim.world.setBaseLoadOverride(500);
    s.sim.world.setIrradianceOverride(1000);
    await s.run(3000);
    for (let k = 0; k < 30; k += 1) {
      await s.cycle();
      assert.ok(-s.gridW() <= 2000 + 0.5, `export ${-s.gridW()} W`);
    }
    assert.equal(charger(s).snapshot().offeredCurrentA, 16, 'full current on its one phase');
    assert.ok(Math.abs(charger(s).snapshot().powerW - 16 * 230) < 1);
  });
});
