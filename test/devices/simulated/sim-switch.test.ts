import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../src/core/clock.ts';
import { SimSwitch } from '../../../src/devices/simulated/sim-switch.ts';
import { SimWorld } from '../../../src/devices/simulated/sim-world.ts';
import { clearSkyWeather } from '../../../src/environment/weather.ts';

const HOUR = 3_600_000;
const signal = new AbortController().signal;

function setup() {
  const clock = new FakeClock();
  const world = new SimWorld(clock, { weather: clearSkyWeather });
  return {
    clock,
    world,
    relay: new SimSwitch(world, { nodeId: 'boiler', group: 'switched_load', ratedPowerW: 2000 }),
    heatPump: new SimSwitch(world, { nodeId: 'hp', group: 'heat_pump', ratedPowerW: 2500 }),
  };
}

void describe('simulated switches', () => {
  void it('a relay load draws its rating when on and nothing when off', async () => {
    const { clock, relay } = setup();
    assert.deepEqual(await relay.readState(signal), { isOn: false, powerW: 0 });
    await relay.setOn(true);
    assert.deepEqual(await relay.readState(signal), { isOn: true, powerW: 2000 });
    clock.advance(HOUR / 2);
    await relay.setOn(false);
    clock.advance(HOUR);
    const state = relay.snapshot();
    assert.equal(state.powerW, 0);
    assert.equal(state.consumedWh, 1000);
    assert.equal(state.starts, 1);
  });

  void it('a heat pump draws its rating at 7 °C, up to 10 % more in the cold and less in the warmth', async () => {
    const { world, heatPump } = setup();
    await heatPump.setOn(true);
    const cases: Array<[temperatureC: number, powerW: number]> = [
      [7, 2500],
      [-8, 2750],
      [-20, 2750],
      [22, 2250],
      [-0.5, 2625],
    ];
    for (const [temperatureC, powerW] of cases) {
      world.setTemperatureOverride(temperatureC);
      assert.ok(Math.abs(heatPump.snapshot().powerW - powerW) < 1e-9, `${temperatureC} °C → ${heatPump.snapshot().powerW} W`);
    }
  });

  void it('obeys every command at once: run-time rules are the controller’s job', async () => {
    const { clock, heatPump } = setup();
    for (let i = 0; i < 10; i++) {
      await heatPump.setOn(true);
      clock.advance(1000);
      await heatPump.setOn(false);
      clock.advance(1000);
    }
    const state = heatPump.snapshot();
    assert.equal(state.starts, 10);
    assert.equal(state.lastSwitchMs, clock.now() - 1000);
  });

  void it('counts heat-pump energy with the temperature in force at each moment', async () => {
    const { clock, world, heatPump } = setup();
    world.setTemperatureOverride(7);
    await heatPump.setOn(true);
    clock.advance(HOUR);
    world.setTemperatureOverride(-8);
    clock.advance(HOUR);
    assert.ok(Math.abs(heatPump.snapshot().consumedWh - (2500 + 2750)) < 1e-6);
  });
});
