import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../src/core/clock.ts';
import { SimBattery, type SimBatteryConfig } from '../../../src/devices/simulated/sim-battery.ts';
import { SimWorld } from '../../../src/devices/simulated/sim-world.ts';
import { clearSkyWeather } from '../../../src/environment/weather.ts';

const HOUR = 3_600_000;
const signal = new AbortController().signal;

function setup(overrides: Partial<SimBatteryConfig> = {}) {
  const clock = new FakeClock();
  const world = new SimWorld(clock, { weather: clearSkyWeather });
  const config: SimBatteryConfig = {
    nodeId: 'bat',
    capacityWh: 10_000,
    maxChargeW: 5000,
    maxDischargeW: 5000,
    minSocPct: 5,
    maxSocPct: 100,
    efficiency: 0.95,
    initialSocPct: 50,
    ...overrides,
  };
  return { clock, battery: new SimBattery(world, config) };
}

const near = (actual: number, expected: number, tolerance = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

void describe('simulated battery', () => {
  void it('charging 2 kW for an hour stores 2 kWh × efficiency', async () => {
    const { clock, battery } = setup();
    await battery.setPowerW(2000);
    clock.advance(HOUR);
    const state = battery.snapshot();
    near(state.socPct, 50 + (2000 * 0.95 * 100) / 10_000);
    near(state.chargedWh, 2000);
    assert.equal(state.powerW, 2000);
  });

  void it('discharging 2 kW for an hour drains 2 kWh ÷ efficiency', async () => {
    const { clock, battery } = setup();
    await battery.setPowerW(-2000);
    clock.advance(HOUR);
    const state = await battery.readState(signal);
    near(state.socPct, 50 - (2000 / 0.95) * (100 / 10_000));
    assert.equal(state.powerW, -2000);
    near(battery.snapshot().dischargedWh, 2000);
  });

  void it('gives the same SoC whether read every second or once (lazy integration is exact)', async () => {
    const often = setup({ initialSocPct: 85 });
    const once = setup({ initialSocPct: 85 });
    await often.battery.setPowerW(4000);
    await once.battery.setPowerW(4000);
    for (let s = 0; s < 7200; s++) {
      often.clock.advance(1000);
      often.battery.snapshot();
    }
    once.clock.advance(2 * HOUR);
    near(often.battery.snapshot().socPct, once.battery.snapshot().socPct, 1e-6);
    near(often.battery.snapshot().chargedWh, once.battery.snapshot().chargedWh, 1e-4);
  });

  void it('tapers the charge power over the last 10 % below max SoC and the discharge power above min SoC', () => {
    const { battery } = setup({ minSocPct: 20, maxSocPct: 90 });
    const cases: Array<[socPct: number, maxChargeW: number, maxDischargeW: number]> = [
      [50, 5000, 5000],
      [80, 5000, 5000],
      [85, 2750, 5000],
      [89.9, 545, 5000],
      [90, 0, 5000],
      [95, 0, 5000],
      [30, 5000, 5000],
      [25, 5000, 2750],
      [20, 5000, 0],
      [10, 5000, 0],
    ];
    for (const [socPct, maxChargeW, maxDischargeW] of cases) {
      battery.setSocPct(socPct);
      const state = battery.snapshot();
      near(state.maxChargeW, maxChargeW, 1e-6);
      near(state.maxDischargeW, maxDischargeW, 1e-6);
    }
  });

  void it('clips the setpoint to what is available now', async () => {
    const { battery } = setup({ initialSocPct: 95 });
    await battery.setPowerW(5000);
    const state = battery.snapshot();
    near(state.powerW, 2750);
    assert.equal(state.requestedPowerW, 5000);
    await battery.setPowerW(9000);
    near(battery.snapshot().powerW, 2750);
  });

  void it('charges up to max SoC and then stops, reporting 0 W available', async () => {
    const { clock, battery } = setup({ initialSocPct: 70, maxSocPct: 95 });
    await battery.setPowerW(5000);
    clock.advance(HOUR / 3);
    const tapering = battery.snapshot();
    assert.ok(tapering.socPct > 85 && tapering.socPct < 95, `SoC ${tapering.socPct}`);
    assert.ok(tapering.powerW < 5000 && tapering.powerW > 500, `power ${tapering.powerW}`);
    clock.advance(3 * HOUR);
    const full = battery.snapshot();
    assert.equal(full.socPct, 95);
    assert.equal(full.powerW, 0);
    assert.equal(full.maxChargeW, 0);
    assert.equal(full.maxDischargeW, 5000);
    near(full.chargedWh, ((95 - 70) / 100) * 10_000 / 0.95, 1e-6);
  });

  void it('discharges down to min SoC and then stops', async () => {
    const { clock, battery } = setup({ initialSocPct: 30, minSocPct: 10 });
    await battery.setPowerW(-5000);
    clock.advance(5 * HOUR);
    const empty = battery.snapshot();
    assert.equal(empty.socPct, 10);
    assert.equal(empty.powerW, 0);
    assert.equal(empty.maxDischargeW, 0);
    near(empty.dischargedWh, ((30 - 10) / 100) * 10_000 * 0.95, 1e-6);
  });

  void it('idles at 0 W when released', async () => {
    const { clock, battery } = setup();
    await battery.setPowerW(3000);
    await battery.setPowerW(null);
    clock.advance(HOUR);
    const state = battery.snapshot();
    assert.equal(state.powerW, 0);
    assert.equal(state.socPct, 50);
    assert.equal(state.requestedPowerW, null);
  });

  void it('refuses a non-finite setpoint and keeps the old one', async () => {
    const { battery } = setup();
    await battery.setPowerW(1000);
    await assert.rejects(battery.setPowerW(Number.NaN), /bat: battery setpoint must be a finite number/);
    assert.equal(battery.snapshot().powerW, 1000);
  });

  void it('answers an aborted read with the abort reason', async () => {
    const { battery } = setup();
    const controller = new AbortController();
    controller.abort(new Error('cycle timeout'));
    await assert.rejects(battery.readState(controller.signal), /cycle timeout/);
  });
});
