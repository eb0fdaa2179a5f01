import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scenarioSite, startScenario } from '../helpers/scenario.ts';

const FUSE_W = 25 * 230 * 3; // 17 250 W

function fusedSite() {
  const s = startScenario(
    scenarioSite({
      grid: { importLimitW: 30_000, exportLimitW: 10_000, mainFuseA: 25, phases: 3, voltageV: 230, safetyMarginW: 150 },
      devices: [
        { group: 'storage', capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 5000, initialSocPct: 60 },
        { group: 'heat_pump', ratedPowerW: 3000, minOnS: 600, minOffS: 300 },
        { group: 'switched_load', ratedPowerW: 2000 },
        { group: 'switched_load', ratedPowerW: 2000 },
        { group: 'variable_power_load', phases: 3, minCurrentA: 6, maxCurrentA: 16 },
      ],
      defaults: { storage: 'self_consumption', heat_pump: 'power_off', switched_load: 'power_off', variable_power_load: 'passive' },
    }),
    Date.UTC(2024, 0, 15, 19, 0, 0),
  );
  s.sim.world.setIrradianceOverride(0);
  s.sim.world.setBaseLoadOverride(1500);
  for (const c of s.sim.evChargers.values()) c.plugIn({ energyNeededWh: 60_000 });
  return s;
}

describe('import limit protection (peak shaving)', () => {
  it('turning on every load at once never imports above the fuse limit after one cycle', async () => {
    const s = fusedSite();
    const f = await s.send({
      storage_policy: 'setpoint',
      storage_power_setpoint_w: 5000,
      heat_pump_policy: 'power_on',
      switched_load_policy: 'power_on',
      variable_power_load_policy: 'setpoint',
      variable_power_load_power_setpoint_w: 11_000,
    });
    assert.equal(f.data.response_code, 0);
    assert.ok(s.gridW() <= FUSE_W, `import ${s.gridW()} W ≤ fuse ${FUSE_W} W`);
    assert.equal(f.data.state.grid.import_limit_W, FUSE_W);
    assert.ok(f.data.state.storage.executed_power_W < 5000, 'battery charging was cut first');
    assert.ok((f.data.state.grid.constraints ?? []).some((c) => c.includes('import limit')));
    await s.run(60_000, () => {
      assert.ok(s.gridW() <= FUSE_W, `import ${s.gridW()} W`);
    });
  });

  it('a load step on running loads: EV down to its minimum, then paused, then the battery discharges — within one cycle', async () => {
    const s = fusedSite();
    await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 0, heat_pump_policy: 'power_on', variable_power_load_policy: 'setpoint', variable_power_load_power_setpoint_w: 11_000 });
    await s.run(5000);
    const evBefore = [...s.sim.evChargers.values()][0]?.snapshot().powerW ?? 0;
    assert.ok(evBefore > 10_000);
    for (const extraW of [3000, 8000, 14_000]) {
      s.sim.world.setExtraLoadW(extraW); // oven, sauna, welder…
      const r = await s.cycle();
      assert.ok(s.gridW() <= FUSE_W + 0.5, `extra ${extraW} W: import ${s.gridW()} W after one cycle; ${r.plan.constraints.map((c) => c.message).join('; ')}`);
    }
    const ev = [...s.sim.evChargers.values()][0]?.snapshot();
    const bat = [...s.sim.storage.values()][0]?.snapshot();
    assert.equal(ev?.powerW, 0, 'EV paused');
    assert.ok((bat?.powerW ?? 0) < -1000, 'battery discharges to shave the peak');
    assert.equal([...s.sim.heatPumps.values()][0]?.snapshot().isOn, true, 'the heat pump keeps its minimum on-time');
  });
});
