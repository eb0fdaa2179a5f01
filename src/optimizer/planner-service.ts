import { Worker } from 'node:worker_threads';
import { systemClock, type Clock } from '../core/clock.ts';
import { assertPlanProblem, type PlanProblem } from './planner/plan-problem.ts';
import type { SitePlan } from './planner/site-plan.ts';
import { fallbackPlan, type SolveOptions } from './planner/solve-plan.ts';
import type { PlannerRequest, PlannerResponse } from './planner-worker.ts';

/** Options of {@link PlannerService}. */
export interface PlannerServiceOptions {
  /** Worker script (tests pass a stand-in). Default: ./planner-worker.ts beside this file. */
  workerUrl?: URL;
  /** Timer source for the timeout. Default: the system clock (solver time is wall time). */
  clock?: Clock;
}

/** Options of one {@link PlannerService.plan} call. */
export interface PlanCallOptions {
  /** Longest wait for the solver, ms > 0: after it the worker is stopped and the fallback plan returned. Default 5000. */
  timeoutMs?: number;
  /** Solve strategy. Default 'decomposed'. */
  strategy?: SolveOptions['strategy'];
  /** Relative gap target, default 0.005. */
  mipRelGap?: number;
}

/** Time kept between the solver's own limit and the hard timeout, for the answer to travel back, ms. */
const ANSWER_MARGIN_MS = 200;

interface Pending {
  id: number;
  resolve: (plan: SitePlan) => void;
  problem: PlanProblem;
  cancelTimer: () => void;
}

/**
 * Plans in a worker thread, so the caller's event loop never blocks. `plan()` always resolves with a
 * plan: the solver's (status 'optimal' or 'time_limit'), or the rule-based fallback (status
 * 'fallback', with the reason) when the solver fails, the worker dies, or `timeoutMs` passes — then
 * the worker is terminated and a fresh one starts with the next call. It rejects only for a
 * malformed problem (GridpilotError, before any work).
 */
export class PlannerService {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private isClosed = false;

  constructor(private readonly options: PlannerServiceOptions = {}) {}

  plan(problem: PlanProblem, call: PlanCallOptions = {}): Promise<SitePlan> {
    try {
      assertPlanProblem(problem);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    if (this.isClosed) return Promise.resolve(fallbackPlan(problem, 'the planner service is closed'));
    const timeoutMs = call.timeoutMs ?? 5000;
    const id = this.nextId++;
    const request: PlannerRequest = {
      id,
      problem,
      options: {
        timeLimitMs: Math.max(1, timeoutMs - ANSWER_MARGIN_MS),
        ...(call.strategy ? { strategy: call.strategy } : {}),
        ...(call.mipRelGap !== undefined ? { mipRelGap: call.mipRelGap } : {}),
      },
    };
    return new Promise<SitePlan>((resolve) => {
      const clock = this.options.clock ?? systemClock;
      const cancelTimer = clock.setTimer(timeoutMs, () => {
        // The solver did not answer in time: stop it (its answer would be stale) and fall back.
        this.restartWorker(`no plan within ${timeoutMs} ms`);
      });
      this.pending.set(id, { id, resolve, problem, cancelTimer });
      const worker = this.ensureWorker();
      worker.ref();
      worker.postMessage(request);
    });
  }

  /** Stops the worker; pending calls resolve with the fallback plan. */
  async close(): Promise<void> {
    this.isClosed = true;
    const worker = this.worker;
    this.worker = null;
    this.failAll('the planner service is closed');
    if (worker) await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker(this.options.workerUrl ?? new URL('./planner-worker.ts', import.meta.url));
    worker.on('message', (response: PlannerResponse) => this.settle(response));
    worker.on('error', (err) => {
      if (this.worker === worker) this.restartWorker(`the planner worker failed: ${err.message}`);
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.restartWorker(`the planner worker exited (code ${code})`);
    });
    this.worker = worker;
    return worker;
  }

  private settle(response: PlannerResponse): void {
    const pending = this.pending.get(response.id);
    if (!pending) return; // answered after its timeout: ignored
    this.pending.delete(response.id);
    pending.cancelTimer();
    pending.resolve(response.ok ? response.plan : fallbackPlan(pending.problem, `the planner failed: ${response.error}`));
    if (this.pending.size === 0) this.worker?.unref();
  }

  private restartWorker(reason: string): void {
    const worker = this.worker;
    this.worker = null;
    this.failAll(reason);
    if (worker) void worker.terminate();
  }

  private failAll(reason: string): void {
    for (const pending of this.pending.values()) {
      pending.cancelTimer();
      pending.resolve(fallbackPlan(pending.problem, reason));
    }
    this.pending.clear();
  }
}

/**
 * Starts a worker on `url`. A TypeScript worker needs tsx inside the worker thread too, and Node 20
 * resolves a worker's entry before any inherited `--import` hook runs; so a .ts entry is started by a
 * two-line bootstrap that registers tsx first. A .js entry (a compiled build) starts directly.
 */
function startWorker(url: URL): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}
