import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../src/core/clock.ts';
import { SimSolar } from '../../../src/devices/simulated/sim-solar.ts';
import { SimWorld } from '../../../src/devices/simulated/sim-world.ts';

const HOUR = 3_600_000;
const signal = new AbortController().signal;

function setup(startIso: string, weather: 'bundled' | 'clear-sky' = 'bundled') {
  const clock = new FakeClock(Date.parse(startIso));
  const world = new SimWorld(clock, { weather });
  const solar = new SimSolar(world, { nodeId: 'pv', ratedPowerW: 8000, peakPowerW: 8800 });
  return { clock, world, solar };
}

const near = (actual: number, expected: number, tolerance = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

void describe('simulated PV inverter', () => {
  void it('follows the real irradiance: 2024-06-21 noon produces, midnight does not', async () => {
    const { clock, solar } = setup('2024-06-21T00:00:00Z');
    assert.equal((await solar.readState(signal)).powerW, 0);
    clock.setNow(Date.parse('2024-06-21T12:00:00Z'));
    const noon = await solar.readState(signal);
    // 225 W/m² (an overcast solstice) × 8.8 kWp × 0.8
    near(noon.powerW, 8800 * 0.225 * 0.8);
    assert.equal(noon.availablePowerW, noon.powerW);
    assert.equal(noon.limitW, null);
  });

  void it('produces most of its peak at a clear July noon, capped at the AC rating', async () => {
    const { world, solar } = setup('2024-07-29T11:50:00Z');
    const state = solar.snapshot();
    assert.ok(state.powerW > 5000 && state.powerW < 6500, `power ${state.powerW}`);
    world.setIrradianceOverride(1200);
    assert.equal(solar.snapshot().powerW, 8000);
  });

  void it('uses the clear-sky model under weatherCsv clear-sky', () => {
    const model = setup('2024-06-21T11:48:00Z', 'clear-sky');
    const powerW = model.solar.snapshot().powerW;
    assert.ok(powerW > 6000 && powerW < 6700, `clear-sky solstice noon ${powerW}`);
  });

  void it('curtails to the limit and lifts it with null', async () => {
    const { world, solar } = setup('2024-07-29T11:50:00Z');
    world.setIrradianceOverride(1000);
    await solar.setLimitW(3000);
    let state = await solar.readState(signal);
    assert.deepEqual(state, { powerW: 3000, availablePowerW: 7040, limitW: 3000 });
    await solar.setLimitW(20_000);
    assert.equal(solar.snapshot().limitW, 8000);
    await solar.setLimitW(null);
    state = await solar.readState(signal);
    assert.equal(state.powerW, 7040);
    await assert.rejects(solar.setLimitW(-1), /pv: solar limit must be/);
    assert.equal(solar.snapshot().limitW, null);
  });

  void it('scales with the PV factor (a passing cloud)', () => {
    const { world, solar } = setup('2024-07-29T11:50:00Z');
    world.setIrradianceOverride(500);
    world.setPvFactor(0.5);
    near(solar.snapshot().powerW, 8800 * 0.25 * 0.8);
  });

  void it('counts produced energy across world step changes without being read in between', async () => {
    const { clock, world, solar } = setup('2024-07-29T11:00:00Z');
    world.setIrradianceOverride(500);
    await solar.setLimitW(2000);
    clock.advance(HOUR);
    world.setIrradianceOverride(0);
    clock.advance(HOUR);
    near(solar.snapshot().producedWh, 2000);
  });

  void it('integrates a real day to a plausible yield', () => {
    const { clock, solar } = setup('2024-07-29T00:00:00Z');
    clock.advance(24 * HOUR);
    const producedKWh = solar.snapshot().producedWh / 1000;
    // A clear late-July day: about 6–7 kWh per kWp on the horizontal × 0.8.
    assert.ok(producedKWh > 35 && producedKWh < 55, `yield ${producedKWh} kWh`);
  });
});
