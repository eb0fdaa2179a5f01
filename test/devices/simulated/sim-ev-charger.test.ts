import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../src/core/clock.ts';
import { DEFAULT_CAR_PATTERN, type CarPattern } from '../../../src/devices/simulated/car-pattern.ts';
import { SimEvCharger, type SimEvChargerConfig } from '../../../src/devices/simulated/sim-ev-charger.ts';
import { SimWorld } from '../../../src/devices/simulated/sim-world.ts';
import { clearSkyWeather } from '../../../src/environment/weather.ts';

const HOUR = 3_600_000;
const signal = new AbortController().signal;

const THREE_PHASE: SimEvChargerConfig = {
  nodeId: 'ev',
  phases: 3,
  canSwitchPhases: true,
  minCurrentA: 6,
  maxCurrentA: 16,
  allowZeroCurrent: true,
  voltageV: 230,
};

function setup(config: Partial<SimEvChargerConfig> = {}, carPattern: CarPattern | null = null, startIso = '2024-05-02T12:00:00Z') {
  const clock = new FakeClock(Date.parse(startIso));
  const world = new SimWorld(clock, { weather: clearSkyWeather });
  return { clock, charger: new SimEvCharger(world, { ...THREE_PHASE, ...config }, { carPattern }) };
}

void describe('simulated EV charger', () => {
  void it('draws offered current × phases × voltage while the car wants energy', async () => {
    const { charger } = setup();
    charger.plugIn({ energyNeededWh: 20_000 });
    await charger.setCurrentA(10, 3);
    assert.deepEqual(await charger.readState(signal), {
      isConnected: true,
      isRequiringCharge: true,
      powerW: 6900,
      currentsA: [10, 10, 10],
      phases: 3,
      offeredCurrentA: 10,
    });
  });

  void it('uses L1 only on one phase, and a one-phase car uses one phase of a three-phase charger', async () => {
    const { charger } = setup();
    charger.plugIn({ energyNeededWh: 20_000 });
    await charger.setCurrentA(16, 1);
    let state = await charger.readState(signal);
    assert.deepEqual([state.powerW, state.currentsA, state.phases], [3680, [16, 0, 0], 1]);
    charger.plugIn({ energyNeededWh: 20_000, maxPhases: 1 });
    await charger.setCurrentA(16, 3);
    state = await charger.readState(signal);
    assert.deepEqual([state.powerW, state.currentsA, state.phases], [3680, [16, 0, 0], 1]);
  });

  void it('charges at the charger maximum when uncontrolled', async () => {
    const { charger } = setup();
    charger.plugIn({ energyNeededWh: 20_000 });
    await charger.setCurrentA(null, 3);
    const state = await charger.readState(signal);
    assert.equal(state.powerW, 16 * 3 * 230);
    assert.equal(state.offeredCurrentA, null);
  });

  void it('pauses below the minimum current and at 0 A', async () => {
    const { clock, charger } = setup();
    charger.plugIn({ energyNeededWh: 20_000 });
    for (const currentA of [5.9, 0]) {
      await charger.setCurrentA(currentA, 3);
      clock.advance(HOUR);
      const state = charger.snapshot();
      assert.equal(state.powerW, 0);
      assert.deepEqual(state.currentsA, [0, 0, 0]);
      assert.equal(state.isRequiringCharge, true);
      assert.equal(state.offeredCurrentA, currentA);
    }
    assert.equal(charger.snapshot().deliveredWh, 0);
  });

  void it('stops drawing when the car is full', async () => {
    const { clock, charger } = setup();
    charger.plugIn({ energyNeededWh: 6900 });
    await charger.setCurrentA(10, 3);
    clock.advance(HOUR / 2);
    assert.equal(charger.snapshot().car?.energyNeededWh, 3450);
    clock.advance(2 * HOUR);
    const state = charger.snapshot();
    assert.equal(state.isConnected, true);
    assert.equal(state.isRequiringCharge, false);
    assert.equal(state.powerW, 0);
    assert.equal(state.car?.chargedWh, 6900);
  });

  void it('leaves at its departure time, mid-charge', async () => {
    const { clock, charger } = setup();
    charger.plugIn({ energyNeededWh: 50_000, departureMs: clock.now() + 2 * HOUR });
    await charger.setCurrentA(null, 3);
    clock.advance(3 * HOUR);
    const state = charger.snapshot();
    assert.equal(state.isConnected, false);
    assert.equal(state.powerW, 0);
    assert.equal(state.deliveredWh, 11_040 * 2);
  });

  void it('refuses what the hardware cannot do and changes nothing', async () => {
    const onePhase = setup({ phases: 1, canSwitchPhases: false }).charger;
    await assert.rejects(onePhase.setCurrentA(10, 3), /ev: the charger is wired for 1 phase/);
    const fixed = setup({ canSwitchPhases: false }).charger;
    await fixed.setCurrentA(8, 3);
    await assert.rejects(fixed.setCurrentA(10, 1), /cannot switch phases/);
    await assert.rejects(fixed.setCurrentA(-1, 3), /finite number ≥ 0 A/);
    assert.equal(fixed.snapshot().offeredCurrentA, 8);
    assert.equal(fixed.snapshot().selectedPhases, 3);
    await fixed.setCurrentA(40, 3);
    assert.equal(fixed.snapshot().offeredCurrentA, 16);
  });

  void it('follows the default routine: weekday evening 15 kWh until 07:30, weekend 11:00–17:00 (Brussels time)', async () => {
    // Thursday 2 May 2024, 14:00 CEST: nobody home.
    const { clock, charger } = setup({}, DEFAULT_CAR_PATTERN, '2024-05-02T12:00:00Z');
    await charger.setCurrentA(null, 3);
    assert.equal(charger.snapshot().isConnected, false);
    clock.setNow(Date.parse('2024-05-02T16:00:00Z')); // 18:00 CEST
    let state = charger.snapshot();
    assert.equal(state.isConnected, true);
    assert.equal(state.car?.energyNeededWh, 15_000);
    assert.equal(state.car?.source, 'pattern');
    clock.setNow(Date.parse('2024-05-03T05:29:00Z')); // Friday 07:29 CEST: full, still home
    state = charger.snapshot();
    assert.deepEqual([state.isConnected, state.isRequiringCharge, state.car?.chargedWh], [true, false, 15_000]);
    clock.setNow(Date.parse('2024-05-03T05:30:00Z'));
    assert.equal(charger.snapshot().isConnected, false);
    clock.setNow(Date.parse('2024-05-04T09:00:00Z')); // Saturday 11:00 CEST
    state = charger.snapshot();
    assert.deepEqual([state.isConnected, state.car?.energyNeededWh, state.car?.departureMs], [true, 6000, Date.parse('2024-05-04T15:00:00Z')]);
  });

  void it('plays a whole week of visits in one lazy step', async () => {
    const { clock, charger } = setup({}, DEFAULT_CAR_PATTERN, '2024-05-02T12:00:00Z');
    await charger.setCurrentA(null, 3);
    clock.advance(7 * 24 * HOUR);
    const state = charger.snapshot();
    // Thu, Fri, Mon, Tue, Wed evenings (15 kWh) and Sat, Sun middays (6 kWh).
    assert.equal(state.sessions, 7);
    assert.equal(state.deliveredWh, 5 * 15_000 + 2 * 6000);
  });

  void it('finds a car already home when created mid-visit, and a manual car pre-empts the routine', () => {
    const { charger } = setup({}, DEFAULT_CAR_PATTERN, '2024-05-02T20:00:00Z'); // Thursday 22:00 CEST
    let state = charger.snapshot();
    assert.equal(state.isConnected, true);
    assert.equal(state.car?.departureMs, Date.parse('2024-05-03T05:30:00Z'));
    charger.plugIn({ energyNeededWh: 1000 });
    state = charger.snapshot();
    assert.deepEqual([state.car?.source, state.car?.departureMs, state.sessions], ['manual', null, 2]);
    charger.unplug();
    assert.equal(charger.snapshot().isConnected, false);
  });
});
