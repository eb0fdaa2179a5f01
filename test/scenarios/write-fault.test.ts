import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scenarioSite, startScenario, type Scenario } from '../helpers/scenario.ts';

/**
 * A device that refuses writes keeps doing what it did [issue 14, soak]: the next cycle holds it
 * where it is, counts it at what it measures, and keeps the grid inside its limits with the other
 * assets (src/control/write-hold.ts).
 */
const batteryOf = (s: Scenario) => {
  const b = [...s.sim.storage.values()][0];
  assert.ok(b);
  return b;
};

const IMPORT_LIMIT_W = 12_000;

/** A winter evening: a battery, two 2 kW relays on, 1.5 kW of household load, a 12 kW import limit. */
function chargingSite(): Scenario {
  const s = startScenario(
    scenarioSite({
      grid: { importLimitW: IMPORT_LIMIT_W, exportLimitW: 10_000, safetyMarginW: 100 },
      devices: [
        { group: 'storage', capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 5000, initialSocPct: 20 },
        { group: 'switched_load', ratedPowerW: 2000 },
        { group: 'switched_load', ratedPowerW: 2000 },
      ],
      defaults: { switched_load: 'power_on' },
    }),
    Date.UTC(2024, 0, 15, 20, 0, 0),
  );
  s.sim.world.setIrradianceOverride(0);
  s.sim.world.setBaseLoadOverride(1500);
  return s;
}

describe('a device whose writes fail', () => {
  it('export: a battery stuck discharging when the sun comes out — the inverter is curtailed from the next cycle on', async () => {
    const EXPORT_LIMIT_W = 3000;
    const s = startScenario(
      scenarioSite({
        grid: { importLimitW: 17_000, exportLimitW: EXPORT_LIMIT_W, safetyMarginW: 100 },
        devices: [
          { group: 'solar', ratedPowerW: 8000, peakPowerW: 8800 },
          { group: 'storage', capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 5000, initialSocPct: 80 },
        ],
      }),
      Date.UTC(2024, 5, 21, 11, 0, 0),
    );
    s.sim.world.setIrradianceOverride(0);
    s.sim.world.setBaseLoadOverride(2500);
    await s.run(10_000);
    const battery = batteryOf(s);
    assert.ok(battery.snapshot().powerW < -2000, `self_consumption discharges the battery: ${battery.snapshot().powerW} W`);
    s.sim.world.setFault(battery.nodeId, 'write');
    const refused = await s.cycle();
    assert.ok(refused.plan.constraints.some((c) => c.nodeId === battery.nodeId && /write failed/.test(c.message)));
    // The load goes, the sun comes: the battery keeps discharging whatever it is told.
    s.sim.world.setBaseLoadOverride(300);
    s.sim.world.setIrradianceOverride(900);
    const r = await s.cycle();
    assert.ok(battery.snapshot().powerW < -2000, 'the battery still discharges (write fault)');
    assert.ok(
      r.plan.constraints.some((c) => c.nodeId === battery.nodeId && /held at its measured/.test(c.message)),
      r.plan.constraints.map((c) => c.message).join('; '),
    );
    assert.ok(s.gridW() >= -EXPORT_LIMIT_W, `export ${-s.gridW()} W ≤ ${EXPORT_LIMIT_W} W after the cycle; ${r.plan.constraints.map((c) => c.message).join('; ')}`);
    await s.run(60_000, () => assert.ok(s.gridW() >= -EXPORT_LIMIT_W, `export ${-s.gridW()} W`));
    // Healed: the hold ends with the first write that goes through, and the battery charges again.
    s.sim.world.setFault(battery.nodeId, null);
    await s.run(5000, () => assert.ok(s.gridW() >= -EXPORT_LIMIT_W, `export ${-s.gridW()} W`));
    const healed = await s.cycle();
    assert.ok(!healed.plan.constraints.some((c) => /held at its measured/.test(c.message)));
    assert.ok(battery.snapshot().powerW > 0, `the battery charges from the surplus again: ${battery.snapshot().powerW} W`);
  });

  it('import: a battery stuck charging under a load step — relays are shed instead of counting on less charge', async () => {
    const s = chargingSite();
    const f = await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 5000 });
    assert.equal(f.data.response_code, 0);
    await s.run(3000);
    const battery = batteryOf(s);
    assert.ok(battery.snapshot().powerW > 4900);
    s.sim.world.setFault(battery.nodeId, 'write');
    await s.cycle();
    s.sim.world.setExtraLoadW(4000);
    const r = await s.cycle();
    assert.ok(battery.snapshot().powerW > 4900, 'the battery still charges (write fault)');
    assert.ok(s.gridW() <= IMPORT_LIMIT_W, `import ${s.gridW()} W ≤ ${IMPORT_LIMIT_W} W; ${r.plan.constraints.map((c) => c.message).join('; ')}`);
    assert.ok(r.plan.constraints.some((c) => /import limit: relay .* switched off/.test(c.message)));
    await s.run(30_000, () => assert.ok(s.gridW() <= IMPORT_LIMIT_W, `import ${s.gridW()} W`));
  });

  it('a fault that starts with the step costs at most the one cycle that learns of it', async () => {
    const s = chargingSite();
    await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 5000 });
    await s.run(3000);
    s.sim.world.setFault(batteryOf(s).nodeId, 'write');
    s.sim.world.setExtraLoadW(4000);
    await s.cycle();
    let over = 0;
    await s.run(30_000, () => {
      if (s.gridW() > IMPORT_LIMIT_W) over++;
    });
    assert.equal(over, 0, 'inside the limit from the second cycle on');
  });
});
