import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scenarioSite, startScenario } from '../helpers/scenario.ts';

describe('self_consumption for relay loads and heat pumps', () => {
  it('switches on with enough PV surplus (threshold), off when it would import (hysteresis), within run times', async () => {
    const s = startScenario(
      scenarioSite({
        devices: [
          { group: 'solar', ratedPowerW: 10_000 },
          { group: 'switched_load', ratedPowerW: 2000, surplusThresholdW: 500, hysteresisW: 300, minOnS: 120, minOffS: 60 },
          { group: 'heat_pump', ratedPowerW: 3000, surplusThresholdW: 0, hysteresisW: 200, minOnS: 600, minOffS: 300 },
        ],
        defaults: { switched_load: 'self_consumption', heat_pump: 'self_consumption', storage: 'off' },
      }),
      Date.UTC(2024, 5, 3, 11, 0, 0),
    );
    const relay = [...s.sim.switchedLoads.values()][0];
    const hp = [...s.sim.heatPumps.values()][0];
    assert.ok(relay && hp);
    s.sim.world.setBaseLoadOverride(500);
    const pvFor = (w: number): number => (w / 10_000 / 0.8) * 1000; // irradiance giving w of PV on 10 kWp

    s.sim.world.setIrradianceOverride(pvFor(2800)); // surplus 2300 < 2000 + 500
    await s.run(10_000);
    assert.equal(relay.snapshot().isOn, false, 'below rating + threshold: stays off');
    s.sim.world.setIrradianceOverride(pvFor(3100)); // surplus 2600 ≥ 2500
    await s.run(5000);
    assert.equal(relay.snapshot().isOn, true, 'surplus above rating + threshold: on');
    assert.equal(hp.snapshot().isOn, false, 'not enough left for the heat pump');

    s.sim.world.setIrradianceOverride(pvFor(6200)); // surplus 5700 - relay 2000 = 3700 ≥ 3000
    await s.run(5000);
    assert.equal(hp.snapshot().isOn, true, 'heat pump on with the rest of the surplus');

    s.sim.world.setIrradianceOverride(pvFor(5400)); // with both on: 5400 - 500 - 5000 = -100 > -200 (hysteresis): both stay
    await s.run(700_000);
    assert.equal(relay.snapshot().isOn, true);
    assert.equal(hp.snapshot().isOn, true, 'within hysteresis: keeps running');

    s.sim.world.setIrradianceOverride(pvFor(4000)); // would import 1500 W: shed
    await s.run(5000);
    assert.equal(relay.snapshot().isOn && hp.snapshot().isOn, false, 'one of them goes off when running would import beyond the hysteresis');
    s.sim.world.setIrradianceOverride(0);
    await s.run(5000);
    assert.equal(relay.snapshot().isOn, false);
    assert.equal(hp.snapshot().isOn, false);
  });
});
