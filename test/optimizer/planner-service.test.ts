import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { GridpilotError } from '../../src/core/errors.ts';
import { PlannerService } from '../../src/optimizer/planner-service.ts';
import { PLANNER_NICE } from '../../src/optimizer/planner-priority.ts';
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

  void it('runs the solver at a lower priority than the control loop (Linux: its own thread at nice PLANNER_NICE)', { skip: process.platform !== 'linux' && 'per-thread nice values are Linux' }, async () => {
    const niceOfThreads = (): number[] =>
      readdirSync('/proc/self/task').map((t) => {
        const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      });
    const mainNice = getPriority();
    assert.ok(!niceOfThreads().includes(PLANNER_NICE) || mainNice === PLANNER_NICE, 'no thread at the planner nice before the worker starts');
    const service = new PlannerService();
    try {
      const plan = await service.plan(problem({ importPriceEurPerKwh: prices, storage: [battery()] }), { timeoutMs: 20_000 });
      assert.notEqual(plan.status, 'fallback', plan.fallbackReason);
      assert.ok(niceOfThreads().includes(PLANNER_NICE), `one thread at nice ${PLANNER_NICE}: ${niceOfThreads().join(' ')}`);
      assert.equal(getPriority(), mainNice, 'the main thread keeps its priority');
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

  for (const isolation of ['thread', 'process'] as const) {
    void it(`a planner ${isolation} that crashes is contained: that call gets the fallback plan and the next call a fresh worker that plans`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gp-crash-'));
      process.env['GP_TEST_CRASH_MARKER'] = join(dir, 'crashed');
      const service = new PlannerService({ isolation, workerUrl: new URL('./fixtures/crash-once-worker.ts', import.meta.url) });
      try {
        const input = problem({ importPriceEurPerKwh: prices, storage: [battery()] });
        const crashed = await service.plan(input, { timeoutMs: 20_000 });
        assert.equal(crashed.status, 'fallback');
        assert.match(crashed.fallbackReason ?? '', isolation === 'thread' ? /the planner worker failed: a bug in the planner/ : /the planner worker exited \(code 1\)/);
        assert.equal(service.hasWorker, false, 'the dead worker is dropped');
        const next = await service.plan(input, { timeoutMs: 20_000 });
        assert.notEqual(next.status, 'fallback', next.fallbackReason);
        assert.equal(next.slots.length, 96);
      } finally {
        await service.close();
        delete process.env['GP_TEST_CRASH_MARKER'];
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  void it('rejects a malformed problem with a clear error and does no work', async () => {
    const service = new PlannerService();
    try {
      const bad = problem({ importPriceEurPerKwh: prices, baseLoadW: [1, 2, 3] });
      await assert.rejects(service.plan(bad), (err: unknown) => err instanceof GridpilotError && /baseLoadW.*has 3 slots, prices have 96/.test(err.message));
    } finally {
      await service.close();
    }
  });

  for (const isolation of ['thread', 'process'] as const) {
  void it(`with idleTimeoutMs stops its worker (${isolation}) after a plan and starts a fresh one for the next`, async () => {
    const service = new PlannerService({ idleTimeoutMs: 50, isolation });
    try {
      const first = await service.plan(problem({ importPriceEurPerKwh: prices, storage: [battery()] }), { timeoutMs: 20_000 });
      assert.notEqual(first.status, 'fallback', first.fallbackReason);
      assert.equal(service.hasWorker, true, 'the worker is kept right after answering');
      const deadline = Date.now() + 5000;
      while (service.hasWorker && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(service.hasWorker, false, 'stopped once idle');
      const second = await service.plan(problem({ importPriceEurPerKwh: prices, storage: [battery()] }), { timeoutMs: 20_000 });
      assert.notEqual(second.status, 'fallback', second.fallbackReason);
      assert.deepEqual(second.slots.map((x) => x.storage[0]?.powerW), first.slots.map((x) => x.storage[0]?.powerW), 'same plan from the fresh worker');
    } finally {
      await service.close();
    }
  });
  }

  void it('answers with the fallback once closed', async () => {
    const service = new PlannerService();
    await service.close();
    const plan = await service.plan(problem({ importPriceEurPerKwh: prices }));
    assert.equal(plan.status, 'fallback');
    assert.match(plan.fallbackReason ?? '', /closed/);
  });
});
