import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import type { EvChargerReading, EvSessionNeed } from '../../src/devices/capabilities.ts';
import { SimEvCharger } from '../../src/devices/simulated/sim-ev-charger.ts';
import { SimWorld } from '../../src/devices/simulated/sim-world.ts';
import { clearSkyWeather } from '../../src/environment/weather.ts';
import { evSessionEstimator, nextDepartureMs } from '../../src/optimizer/ev-sessions.ts';
import { devicesOf, resolveSiteConfig } from '../../src/site/site-config.ts';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

const reading = (isConnected: boolean, isRequiringCharge = isConnected): EvChargerReading => ({
  isConnected,
  isRequiringCharge,
  powerW: 0,
  currentsA: [0, 0, 0],
  phases: 3,
  offeredCurrentA: null,
});

function siteWith(session?: { departureTime?: string; energyWh?: number }, timeZone = 'Europe/Brussels') {
  return resolveSiteConfig({
    serial: 'EV1',
    location: { timeZone },
    devices: [{ group: 'variable_power_load', nodeId: 'ev', ...(session ? { session } : {}) }],
  });
}

const charger = (need: EvSessionNeed | null) => new Map([['ev', { sessionNeed: () => need }]]);

void describe('EV sessions: the charger capability, else the configured defaults, else none', () => {
  const nowMs = at('2024-06-03T18:00:00Z'); // 20:00 Brussels, 21:00 Helsinki

  void it('takes what the charger knows: plug-in, departure and energy', () => {
    const estimate = evSessionEstimator({ site: siteWith({ departureTime: '07:00', energyWh: 10_000 }), chargers: charger({ pluggedInAtMs: nowMs - HOUR, departureMs: nowMs + 5 * HOUR, energyNeededWh: 12_000 }) });
    assert.deepEqual(estimate({ nodeId: 'ev', reading: reading(true), nowMs, chargedThisSessionWh: 3000 }), [{ fromMs: nowMs - HOUR, untilMs: nowMs + 5 * HOUR, energyWh: 12_000 }]);
    // A full car (0 Wh) and "no car" (null) give no session, whatever the reading or the config says.
    const full = evSessionEstimator({ site: siteWith({ departureTime: '07:00', energyWh: 10_000 }), chargers: charger({ pluggedInAtMs: nowMs - HOUR, departureMs: null, energyNeededWh: 0 }) });
    assert.deepEqual(full({ nodeId: 'ev', reading: reading(true), nowMs, chargedThisSessionWh: 0 }), []);
    const none = evSessionEstimator({ site: siteWith({ departureTime: '07:00', energyWh: 10_000 }), chargers: charger(null) });
    assert.deepEqual(none({ nodeId: 'ev', reading: reading(true), nowMs, chargedThisSessionWh: 0 }), []);
  });

  void it('fills what the charger does not know (an OCPP charger: the plug-in time only) from the config, in local time', () => {
    const need = { pluggedInAtMs: nowMs - 2 * HOUR, departureMs: null, energyNeededWh: null };
    const brussels = evSessionEstimator({ site: siteWith({ departureTime: '07:30', energyWh: 15_000 }), chargers: charger(need) });
    assert.deepEqual(brussels({ nodeId: 'ev', reading: reading(true), nowMs, chargedThisSessionWh: 4000 }), [
      { fromMs: nowMs - 2 * HOUR, untilMs: at('2024-06-04T05:30:00Z'), energyWh: 11_000 },
    ]);
    const helsinki = evSessionEstimator({ site: siteWith({ departureTime: '07:30', energyWh: 15_000 }, 'Europe/Helsinki'), chargers: charger(need) });
    assert.equal(helsinki({ nodeId: 'ev', reading: reading(true), nowMs, chargedThisSessionWh: 0 })[0]?.untilMs, at('2024-06-04T04:30:00Z'));
    // The charger's own departure wins over the configured one; the configured energy fills in.
    const known = evSessionEstimator({ site: siteWith({ departureTime: '07:30', energyWh: 15_000 }), chargers: charger({ ...need, departureMs: nowMs + HOUR }) });
    assert.deepEqual(known({ nodeId: 'ev', reading: reading(true), nowMs, chargedThisSessionWh: 0 }), [{ fromMs: nowMs - 2 * HOUR, untilMs: nowMs + HOUR, energyWh: 15_000 }]);
    // It took all it usually wants: nothing left to plan.
    assert.deepEqual(brussels({ nodeId: 'ev', reading: reading(true), nowMs, chargedThisSessionWh: 15_000 }), []);
  });

  void it('without the capability, a connected car that wants energy is planned from the config', () => {
    const estimate = evSessionEstimator({ site: siteWith({ departureTime: '07:00', energyWh: 8000 }) });
    assert.deepEqual(estimate({ nodeId: 'ev', reading: reading(true), nowMs, chargedThisSessionWh: 1000 }), [
      { fromMs: nowMs - 60_000, untilMs: at('2024-06-04T05:00:00Z'), energyWh: 7000 },
    ]);
    assert.deepEqual(estimate({ nodeId: 'ev', reading: reading(false), nowMs, chargedThisSessionWh: 0 }), []);
    assert.deepEqual(estimate({ nodeId: 'ev', reading: reading(true, false), nowMs, chargedThisSessionWh: 0 }), []);
    assert.deepEqual(estimate({ nodeId: 'ev', reading: undefined, nowMs, chargedThisSessionWh: 0 }), []);
  });

  void it('with neither the capability nor the config (or only half of it), plans no session', () => {
    const bare = evSessionEstimator({ site: siteWith() });
    assert.deepEqual(bare({ nodeId: 'ev', reading: reading(true), nowMs, chargedThisSessionWh: 0 }), []);
    const noEnergy = evSessionEstimator({ site: siteWith({ departureTime: '07:00' }), chargers: charger({ pluggedInAtMs: nowMs, departureMs: null, energyNeededWh: null }) });
    assert.deepEqual(noEnergy({ nodeId: 'ev', reading: reading(true), nowMs, chargedThisSessionWh: 0 }), []);
    const noDeparture = evSessionEstimator({ site: siteWith({ energyWh: 5000 }), chargers: charger({ pluggedInAtMs: nowMs, departureMs: null, energyNeededWh: 3000 }) });
    assert.deepEqual(noDeparture({ nodeId: 'ev', reading: reading(true), nowMs, chargedThisSessionWh: 0 }), []);
    // A charger whose sessionNeed throws counts as one without it.
    const broken = evSessionEstimator({ site: siteWith({ departureTime: '07:00', energyWh: 8000 }), chargers: new Map([['ev', { sessionNeed: (): EvSessionNeed | null => { throw new Error('offline'); } }]]) });
    assert.equal(broken({ nodeId: 'ev', reading: reading(true), nowMs, chargedThisSessionWh: 0 }).length, 1);
  });

  void it('the next departure is the first one after plug-in still ahead (a car past its usual departure: the next day)', () => {
    const tz = 'Europe/Brussels';
    // Plugged in 18:00 local, usual departure 07:30: the next morning.
    assert.equal(nextDepartureMs(450, at('2024-06-03T16:00:00Z'), at('2024-06-03T18:00:00Z'), tz), at('2024-06-04T05:30:00Z'));
    // At 06:30 the next morning it is still that morning's 07:30.
    assert.equal(nextDepartureMs(450, at('2024-06-03T16:00:00Z'), at('2024-06-04T04:30:00Z'), tz), at('2024-06-04T05:30:00Z'));
    // Still there at 09:00 (a weekend): the morning after.
    assert.equal(nextDepartureMs(450, at('2024-06-03T16:00:00Z'), at('2024-06-04T07:00:00Z'), tz), at('2024-06-05T05:30:00Z'));
  });

  void it('the simulated charger tells its car through sessionNeed', () => {
    const clock = new FakeClock(nowMs);
    const world = new SimWorld(clock, { weather: clearSkyWeather });
    const site = siteWith();
    const d = devicesOf(site, 'variable_power_load')[0];
    assert.ok(d);
    const sim = new SimEvCharger(world, d, { carPattern: null });
    assert.equal(sim.sessionNeed(), null);
    sim.plugIn({ energyNeededWh: 30_000, departureMs: nowMs + 10 * HOUR });
    clock.advance(HOUR);
    const need = sim.sessionNeed();
    assert.equal(need?.pluggedInAtMs, nowMs);
    assert.equal(need?.departureMs, nowMs + 10 * HOUR);
    assert.ok((need?.energyNeededWh ?? 0) < 30_000 && (need?.energyNeededWh ?? 0) > 0, 'it charged meanwhile (uncontrolled = full current)');
    const estimate = evSessionEstimator({ site, chargers: new Map([['ev', sim]]) });
    assert.deepEqual(estimate({ nodeId: 'ev', reading: undefined, nowMs: clock.now(), chargedThisSessionWh: 0 }), [{ fromMs: nowMs, untilMs: nowMs + 10 * HOUR, energyWh: need?.energyNeededWh }]);
  });

  void it('the config refuses a departure that is not HH:MM and an energy that is not positive, with the path', () => {
    assert.throws(() => siteWith({ departureTime: '7:30' }), /devices\[0\]\.session\.departureTime: must be a local time HH:MM/);
    assert.throws(() => siteWith({ departureTime: '24:00' }), /session\.departureTime/);
    assert.throws(() => siteWith({ energyWh: 0 }), /devices\[0\]\.session\.energyWh/);
  });
});
