// The planner's worker (a thread, or a child process): HiGHS solves block, so they run here, never on
// the controller's event loop. Messages: { id, problem, options } in → { id, ok: true, plan } | { id, ok: false, error } out.
// Requests are solved one at a time in arrival order.
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { loadSolver } from './planner/highs-runner.ts';
import { PLANNER_NICE } from './planner-priority.ts';
import type { PlanProblem } from './planner/plan-problem.ts';
import { solvePlan, type SolveOptions } from './planner/solve-plan.ts';
import type { SitePlan } from './planner/site-plan.ts';

export interface PlannerRequest {
  id: number;
  problem: PlanProblem;
  options: Omit<SolveOptions, 'nowMs'>;
}

export type PlannerResponse = { id: number; ok: true; plan: SitePlan } | { id: number; ok: false; error: string };

/** Where requests come from: the parent thread (worker thread) or the parent process (child process). */
const port: { on(event: 'message', fn: (r: PlannerRequest) => void): void; post(r: PlannerResponse): void } | null = parentPort
  ? { on: (event, fn) => parentPort?.on(event, fn), post: (r) => parentPort?.postMessage(r) }
  : process.send
    ? { on: (event, fn) => process.on(event, fn), post: (r) => process.send?.(r) }
    : null;
// A child process ends with its parent (the IPC channel closes).
if (!parentPort && process.send) process.on('disconnect', () => process.exit(0));
// A plan can wait, the control cycle and the commands cannot: on a small box (2 cores) the solver
// yields the CPU to them. On Linux this lowers this thread alone (threads have their own nice value;
// a child process lowers itself); where the platform refuses, it runs at normal priority.
try {
  setPriority(PLANNER_NICE);
} catch {
  // not permitted here: normal priority
}
// Load the solver at once, so the first plan does not pay for it.
void loadSolver().catch(() => undefined);
if (port) {
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (request: PlannerRequest) => {
    queue = queue.then(async () => {
      let response: PlannerResponse;
      try {
        const highs = await loadSolver();
        response = { id: request.id, ok: true, plan: solvePlan(highs, request.problem, request.options) };
      } catch (err) {
        response = { id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      port.post(response);
    });
  });
}
