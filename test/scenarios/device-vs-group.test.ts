import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scenarioSite, startScenario } from '../helpers/scenario.ts';

const SN = 'GP0000000000000001';
const id = (group: string, n: number): string => `${SN}_${group}_${n}`;

function twoOfEach() {
  const s = startScenario(
    scenarioSite({
      grid: { importLimitW: 60_000, exportLimitW: 60_000, safetyMarginW: 0 },
      devices: [
        { group: 'solar', ratedPowerW: 5000 },
        { group: 'solar', ratedPowerW: 5000 },
        { group: 'storage', capacityWh: 10_000, maxChargeW: 4000, maxDischargeW: 4000, initialSocPct: 50 },
        { group: 'storage', capacityWh: 10_000, maxChargeW: 4000, maxDischargeW: 4000, initialSocPct: 50 },
        { group: 'heat_pump', ratedPowerW: 2000 },
        { group: 'heat_pump', ratedPowerW: 2000 },
        { group: 'switched_load', ratedPowerW: 1000 },
        { group: 'switched_load', ratedPowerW: 1000 },
        { group: 'variable_power_load', phases: 1, minCurrentA: 6, maxCurrentA: 32 },
        { group: 'variable_power_load', phases: 1, minCurrentA: 6, maxCurrentA: 32 },
      ],
      defaults: { heat_pump: 'power_off', switched_load: 'power_off', variable_power_load: 'passive' },
    }),
    Date.UTC(2024, 5, 3, 11, 0, 0),
  );
  s.sim.world.setIrradianceOverride(1000);
  s.sim.world.setBaseLoadOverride(400);
  for (const c of s.sim.evChargers.values()) c.plugIn({ energyNeededWh: 80_000 });
  return s;
}

describe('device-level commands beat group commands, in every group', () => {
  it('the addressed device follows its own command; the rest of the group follows the group', async () => {
    const s = twoOfEach();
    const f = await s.send({
      solar_policy: 'setpoint',
      solar_power_setpoint_w: 2000,
      [`${id('solar', 1)}_policy`]: 'off',
      storage_policy: 'setpoint',
      storage_power_setpoint_w: 3000,
      [`${id('storage', 1)}_policy`]: 'setpoint',
      [`${id('storage', 1)}_power_setpoint_w`]: -1500,
      heat_pump_policy: 'power_on',
      [`${id('heat_pump', 1)}_policy`]: 'power_off',
      switched_load_policy: 'power_off',
      [`${id('switched_load', 0)}_policy`]: 'on',
      variable_power_load_policy: 'setpoint',
      variable_power_load_power_setpoint_w: 2300,
      [`${id('variable_power_load', 1)}_policy`]: 'setpoint',
      [`${id('variable_power_load', 1)}_power_setpoint_w`]: 4600,
    });
    assert.equal(f.data.response_code, 0, JSON.stringify(f.data.errors));
    const solar = (n: number) => s.sim.solar.get(id('solar', n))?.snapshot();
    const bat = (n: number) => s.sim.storage.get(id('storage', n))?.snapshot();
    const hp = (n: number) => s.sim.heatPumps.get(id('heat_pump', n))?.snapshot();
    const relay = (n: number) => s.sim.switchedLoads.get(id('switched_load', n))?.snapshot();
    const ev = (n: number) => s.sim.evChargers.get(id('variable_power_load', n))?.snapshot();

    assert.equal(solar(0)?.limitW, 2000, 'the group cap goes to the other inverter');
    assert.equal(solar(1)?.limitW, null, 'solar_1 is off: not capped');
    assert.equal(Math.round(bat(0)?.powerW ?? NaN), 3000);
    assert.equal(Math.round(bat(1)?.powerW ?? NaN), -1500);
    assert.equal(hp(0)?.isOn, true);
    assert.equal(hp(1)?.isOn, false);
    assert.equal(relay(0)?.isOn, true);
    assert.equal(relay(1)?.isOn, false);
    assert.equal(ev(0)?.offeredCurrentA, 10);
    assert.equal(ev(1)?.offeredCurrentA, 20);

    for (const n of [id('solar', 1), id('storage', 1), id('heat_pump', 1), id('switched_load', 0), id('variable_power_load', 1)]) {
      const dev = f.data.state[n] as { active_signal: string } | undefined;
      assert.equal(dev?.active_signal, 'remote', `${n} reported in feedback`);
    }
    assert.equal(f.data.state.heat_pump.executed_policy, 'power_on', 'the group keeps reporting its own policy');
    assert.deepEqual(f.data.state.heat_pump.operation_modes, ['on', 'off']);
    assert.equal(f.data.state.switched_load.devices_on, 1);
    assert.equal(f.data.state.switched_load.devices_off, 1);
  });

  it('a device left out of the remote signal ignores group commands and cannot be addressed', async () => {
    const s = startScenario(
      scenarioSite({
        devices: [
          { group: 'storage', capacityWh: 10_000, maxChargeW: 4000, maxDischargeW: 4000 },
          { group: 'storage', capacityWh: 10_000, maxChargeW: 4000, maxDischargeW: 4000 },
        ],
        remoteSignal: { includedDevices: [id('storage', 0)] },
        defaults: { storage: 'off' },
      }),
      Date.UTC(2024, 5, 3, 11, 0, 0),
    );
    const f = await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 2000 });
    assert.equal(f.data.response_code, 0);
    assert.equal(Math.round(s.sim.storage.get(id('storage', 0))?.snapshot().powerW ?? NaN), 2000);
    assert.equal(s.sim.storage.get(id('storage', 1))?.snapshot().powerW, 0);
    const g = await s.send({ [`${id('storage', 1)}_policy`]: 'off' });
    assert.equal(g.data.response_code, 16);
  });
});
