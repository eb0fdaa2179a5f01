import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scenarioSite, startScenario } from '../helpers/scenario.ts';

describe('heat pump run-time rules against remote commands', () => {
  it('commanded on/off every 30 s for an hour: no run shorter than 15 min, no pause shorter than 10 min, and feedback says why it waits', async () => {
    const s = startScenario(
      scenarioSite({
        devices: [
          { group: 'solar', ratedPowerW: 5000 },
          { group: 'heat_pump', ratedPowerW: 2500, minOnS: 900, minOffS: 600 },
        ],
        defaults: { heat_pump: 'power_off' },
      }),
      Date.UTC(2024, 0, 10, 6, 0, 0),
    );
    const hp = [...s.sim.heatPumps.values()][0];
    assert.ok(hp);
    const transitions: Array<{ atMs: number; isOn: boolean }> = [];
    let last = hp.snapshot().isOn;
    let sawWaiting = false;
    const start = s.clock.now();
    for (let k = 0; k < 120; k += 1) {
      const f = await s.send({ heat_pump_policy: k % 2 === 0 ? 'power_on' : 'power_off' });
      assert.equal(f.data.response_code, 0);
      if (hp.snapshot().isOn !== last) transitions.push({ atMs: s.clock.now(), isOn: hp.snapshot().isOn });
      last = hp.snapshot().isOn;
      if (f.data.state.heat_pump.constraints?.some((c) => /minimum (on|off)-time/.test(c))) sawWaiting = true;
      for (let c = 0; c < 30; c += 1) {
        await s.cycle();
        const isOn = hp.snapshot().isOn;
        if (isOn !== last) transitions.push({ atMs: s.clock.now(), isOn });
        last = isOn;
      }
    }
    assert.ok(transitions.length >= 4, `it did switch (${transitions.length} times)`);
    for (let i = 1; i < transitions.length; i += 1) {
      const prev = transitions[i - 1];
      const cur = transitions[i];
      assert.ok(prev && cur);
      const heldS = (cur.atMs - prev.atMs) / 1000;
      if (prev.isOn) assert.ok(heldS >= 900, `a run of ${heldS} s`);
      else assert.ok(heldS >= 600, `a pause of ${heldS} s`);
    }
    assert.ok(sawWaiting, 'feedback showed the command waiting on a run-time rule');
    assert.ok(s.clock.now() - start >= 3_600_000);
  });

  it('never more starts per hour than allowed, and never longer than the maximum run', async () => {
    const s = startScenario(
      scenarioSite({
        devices: [{ group: 'switched_load', ratedPowerW: 1000, minOnS: 60, minOffS: 60, maxOnS: 600, maxStartsPerHour: 3 }],
        defaults: { switched_load: 'power_on' },
      }),
      Date.UTC(2024, 0, 10, 6, 0, 0),
    );
    const relay = [...s.sim.switchedLoads.values()][0];
    assert.ok(relay);
    const starts: number[] = [];
    let last = relay.snapshot().isOn;
    let onSinceMs = last ? s.clock.now() : null;
    await s.run(3 * 3_600_000, () => {
      const isOn = relay.snapshot().isOn;
      if (isOn && !last) {
        starts.push(s.clock.now());
        onSinceMs = s.clock.now();
      }
      if (isOn && onSinceMs !== null) assert.ok(s.clock.now() - onSinceMs <= 600_000 + 1000, 'maximum on-time');
      last = isOn;
    });
    for (let i = 3; i < starts.length; i += 1) {
      const a = starts[i - 3];
      const b = starts[i];
      assert.ok(a !== undefined && b !== undefined && b - a >= 3_600_000, 'at most 3 starts in any hour');
    }
    assert.ok(starts.length >= 6);
  });
});
