import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scenarioSite, startScenario } from '../helpers/scenario.ts';

/**
 * feed_in_limitation: the export never exceeds the limit for more than one cycle after a step
 * change in PV (cloud edge) or load (kettle off). Batteries are `off` (not driven), so solar alone
 * must hold the limit.
 */
for (const exportLimitW of [0, 2000]) {
  describe(`feed_in_limitation with an export limit of ${exportLimitW} W`, () => {
    it('holds the export limit from the first cycle after every step in PV or load', async () => {
      const s = startScenario(
        scenarioSite({
          grid: { importLimitW: 17_000, exportLimitW, safetyMarginW: 50 },
          defaults: { solar: 'feed_in_limitation', storage: 'off' },
        }),
        Date.UTC(2024, 5, 3, 10, 0, 0),
      );
      const world = s.sim.world;
      let rng = 12345;
      const random = (): number => ((rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      let steps = 0;
      let worstAfterCycleW = 0;
      let overshootCycles = 0;
      for (let i = 0; i < 1800; i += 1) {
        // Between cycles: a random step now and then (cloud edge up/down, kettle on/off).
        if (random() < 0.15) {
          steps += 1;
          if (random() < 0.5) world.setIrradianceOverride(random() < 0.5 ? 150 : 950);
          else world.setExtraLoadW(random() < 0.5 ? 0 : 2200);
        }
        await s.cycle();
        const exportW = -s.gridW();
        worstAfterCycleW = Math.max(worstAfterCycleW, exportW);
        if (exportW > exportLimitW + 0.5) overshootCycles += 1;
      }
      assert.ok(steps > 200, `${steps} steps`);
      assert.equal(overshootCycles, 0, `export above ${exportLimitW} W after ${overshootCycles} cycles (worst ${worstAfterCycleW.toFixed(0)} W)`);
      const f = await s.send({});
      assert.equal(f.data.state.solar.executed_policy, 'feed_in_limitation');
    });
  });
}
