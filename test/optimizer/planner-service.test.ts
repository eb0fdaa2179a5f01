import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { GridpilotError } from '../../src/core/errors.ts';
import { PlannerService } from '../../src/optimizer/planner-service.ts';
import { battery, hourly, problem } from './planner-helpers.ts';

const prices = hourly(Array.from({ length: 24 }, (_, h) => (h < 6 ? 0.05 : h >= 17 && h < 21 ? 0.35 : 0.25)));

void describe('PlannerService (worker thread)', () => {
  void it('plans in a worker while the caller’s event loop keeps turning', async () => {
    const service = new PlannerService();
    try {
      let turns = 0;
      let running = true;
      const spin = (): void => {
        turns++;
        if (running) setImmediate(spin);
      };
      setImmediate(spin);
      const plan = await service.plan(problem({ importPriceEurPerKwh: prices, storage: [battery()] }), { timeoutMs: 20_000 });
      running = false;
      assert.notEqual(plan.status, 'fallback', plan.fallbackReason);
      assert.equal(plan.slots.length, 96);
      assert.ok(turns > 1, 'the event loop was not blocked by the solve');
    } finally {
      await service.close();
    }
  });

  void it('returns the fallback plan when the solver does not answer in time, and stops the worker', async () => {
    const clock = new FakeClock();
    const service = new PlannerService({ clock, workerUrl: new URL('./fixtures/silent-worker.ts', import.meta.url) });
    try {
      const pending = service.plan(problem({ importPriceEurPerKwh: prices, storage: [battery()] }), { timeoutMs: 1000 });
      clock.advance(999);
      let settled = false;
      void pending.then(() => (settled = true));
      await new Promise((r) => setImmediate(r));
      assert.equal(settled, false, 'still waiting before the timeout');
      clock.advance(1);
      const plan = await pending;
      assert.equal(plan.status, 'fallback');
      assert.equal(plan.strategy, 'rule-based');
      assert.match(plan.fallbackReason ?? '', /no plan within 1000 ms/);
      assert.equal(plan.slots.length, 96);
    } finally {
      await service.close();
    }
  });

  void it('rejects a malformed problem with a clear error and does no work', async () => {
    const service = new PlannerService();
    try {
      const bad = problem({ importPriceEurPerKwh: prices, baseLoadW: [1, 2, 3] });
      await assert.rejects(service.plan(bad), (err: unknown) => err instanceof GridpilotError && /baseLoadW.*has 3 slots, prices have 96/.test(err.message));
    } finally {
      await service.close();
    }
  });

  void it('answers with the fallback once closed', async () => {
    const service = new PlannerService();
    await service.close();
    const plan = await service.plan(problem({ importPriceEurPerKwh: prices }));
    assert.equal(plan.status, 'fallback');
    assert.match(plan.fallbackReason ?? '', /closed/);
  });
});
