import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { systemClock, type Clock } from '../core/clock.ts';
import { assertPlanProblem, type PlanProblem } from './planner/plan-problem.ts';
import type { SitePlan } from './planner/site-plan.ts';
import { fallbackPlan } from './planner/assemble-plan.ts';
import type { SolveOptions } from './planner/solve-plan.ts';
import type { PlannerRequest, PlannerResponse } from './planner-worker.ts';

/** Options of {@link PlannerService}. */
export interface PlannerServiceOptions {
  /** Worker script (tests pass a stand-in). Default: ./planner-worker.ts beside this file. */
  workerUrl?: URL;
  /** Timer source for the timeout. Default: the system clock (solver time is wall time). */
  clock?: Clock;
  /**
   * Stop the worker this long after its last answer, ms (wall time): its memory (a V8 isolate and
   * HiGHS's heap, which only grows: ~150 MB after a full-site plan) is given back between plans, and
   * the next call starts a fresh worker (~0.3 s). Default: keep the worker.
   */
  idleTimeoutMs?: number;
  /**
   * Where the solver runs: a worker 'thread' (default), or a child 'process', whose memory the
   * operating system takes back entirely when it stops (a thread's leaves ~60 MB in the process's
   * allocator); with `idleTimeoutMs` that keeps an idle controller small.
   */
  isolation?: 'thread' | 'process';
}

/** A running worker, thread or process, as the service uses it. */
interface PlannerChannel {
  post(request: PlannerRequest): void;
  on(event: 'message', fn: (response: PlannerResponse) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  on(event: 'exit', fn: (code: number | null) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<void>;
}

/** Options of one {@link PlannerService.plan} call. */
export interface PlanCallOptions {
  /** Longest wait for the solver, ms > 0: after it the worker is stopped and the fallback plan returned. Default 5000. */
  timeoutMs?: number;
  /** Solve strategy. Default 'decomposed'. */
  strategy?: SolveOptions['strategy'];
  /** Relative gap target, default 0.005. */
  mipRelGap?: number;
  /** 'decomposed': time the tight MILP may spend proving (or bettering) a heuristic plan, ms (SolveOptions.proveMs). Default 0. */
  proveMs?: number;
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
  private worker: PlannerChannel | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private isClosed = false;
  private idleTimer: NodeJS.Timeout | null = null;

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
        ...(call.proveMs !== undefined ? { proveMs: call.proveMs } : {}),
      },
    };
    return new Promise<SitePlan>((resolve) => {
      const clock = this.options.clock ?? systemClock;
      const cancelTimer = clock.setTimer(timeoutMs, () => {
        // The solver did not answer in time: stop it (its answer would be stale) and fall back.
        this.restartWorker(`no plan within ${timeoutMs} ms`);
      });
      this.pending.set(id, { id, resolve, problem, cancelTimer });
      this.cancelIdleStop();
      const worker = this.ensureWorker();
      worker.ref();
      worker.post(request);
    });
  }

  /** Stops the worker; pending calls resolve with the fallback plan. */
  async close(): Promise<void> {
    this.isClosed = true;
    this.cancelIdleStop();
    const worker = this.worker;
    this.worker = null;
    this.failAll('the planner service is closed');
    if (worker) await worker.terminate();
  }

  private ensureWorker(): PlannerChannel {
    if (this.worker) return this.worker;
    const url = this.options.workerUrl ?? new URL('./planner-worker.ts', import.meta.url);
    const worker = this.options.isolation === 'process' ? startProcess(url) : startThread(url);
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
    if (this.pending.size === 0) {
      this.worker?.unref();
      this.scheduleIdleStop();
    }
  }

  /** Whether a worker thread is running now (for tests and diagnostics). */
  get hasWorker(): boolean {
    return this.worker !== null;
  }

  private scheduleIdleStop(): void {
    const ms = this.options.idleTimeoutMs;
    if (ms === undefined || !this.worker) return;
    this.cancelIdleStop();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.pending.size > 0 || !this.worker) return;
      const worker = this.worker;
      this.worker = null;
      void worker.terminate();
    }, ms);
    this.idleTimer.unref();
  }

  private cancelIdleStop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
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
function startThread(url: URL): PlannerChannel {
  let worker: Worker;
  if (!url.pathname.endsWith('.ts')) worker = new Worker(url);
  else {
    const tsxApi = import.meta.resolve('tsx/esm/api');
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
    worker = new Worker(bootstrap, { eval: true });
  }
  return {
    post: (request) => worker.postMessage(request),
    on: (event: string, fn: (...args: never[]) => void) => void worker.on(event, fn as (...args: unknown[]) => void),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/** The worker script in a child process (structured-clone IPC; a .ts script runs under tsx). */
function startProcess(url: URL): PlannerChannel {
  const child = fork(fileURLToPath(url), [], {
    // tsx by its resolved location: the child may start in any working directory.
    execArgv: url.pathname.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    post: (request) => child.send(request),
    on: (event: string, fn: (...args: never[]) => void) => void child.on(event, fn as (...args: unknown[]) => void),
    ref: () => {
      child.ref();
      child.channel?.ref();
    },
    unref: () => {
      child.unref();
      child.channel?.unref();
    },
    terminate: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.ref(); // keeps the event loop until the exit is seen
        child.kill();
      }
      await exited;
    },
  };
}
