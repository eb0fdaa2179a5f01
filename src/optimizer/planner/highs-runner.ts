import highsModule from 'highs';
import type { Highs, ModelData } from 'highs';
import type { LpData } from './lp-builder.ts';

/** The HiGHS WebAssembly module, loaded once per thread (≈ 50 ms). */
let loading: Promise<Highs> | null = null;

export function loadSolver(): Promise<Highs> {
  // highs ships ESM and CJS builds with one CJS-style declaration file: under NodeNext the default
  // import is typed as the CJS namespace, while at run time the ESM build's default is the loader itself.
  const mod: unknown = highsModule;
  const loader = (typeof mod === 'function' ? mod : highsModule.default) as typeof highsModule.default;
  loading ??= loader();
  return loading;
}

export type { Highs };

/** One HiGHS run's outcome, in the model's own units. */
export interface RunOutcome {
  /** 'optimal' (within the gap target), 'limit' (time limit, best solution found kept), 'none' (no solution: error or infeasible). */
  status: 'optimal' | 'limit' | 'none';
  colValue: Float64Array;
  /** Row duals (LP only): marginal objective change per unit of row bound. */
  rowDual: Float64Array | null;
  objective: number;
  /** Best proven lower bound on the objective (MIP: dual bound; LP: the objective); for 'none' the MIP's dual bound so far. */
  bound: number;
  /** With `objectiveBound`: HiGHS proved that nothing costs less than it (status infeasible or objective bound reached). */
  noneBelowCutoff?: boolean;
  message: string;
}

export interface RunOptions {
  /** Solver time limit, s > 0. */
  timeLimitS: number;
  /** Stop a MIP once within this relative gap. Default 0.005. */
  mipRelGap?: number;
  /** A MIP's cutoff: solutions that cost this much or more (in the model's units) are pruned (a known plan's objective). */
  objectiveBound?: number;
  /** A start for a MIP: values of some columns (typically the integers); HiGHS completes the rest. */
  start?: { indices: Int32Array; values: Float64Array };
}

/** Solves an LP/MIP synchronously (blocks the thread: run it in the planner worker). */
export function runHighs(highs: Highs, lp: LpData, options: RunOptions): RunOutcome {
  // LpData is ModelData without the branded objective sense (omitted = minimise), hence the cast.
  const model = highs.createModel(lp as unknown as ModelData);
  try {
    model.options.set({
      output_flag: false,
      time_limit: Math.max(0.001, options.timeLimitS),
      mip_rel_gap: options.mipRelGap ?? 0.005,
      ...(options.objectiveBound !== undefined && Number.isFinite(options.objectiveBound) ? { objective_bound: options.objectiveBound } : {}),
    });
    if (options.start) model.setSolution(options.start);
    model.run();
    const code = model.getModelStatus();
    const c = highs.constants.modelStatus;
    const isMip = lp.integrality !== undefined;
    const primalOk = Number(model.info.get('primal_solution_status')) === 2;
    if (!primalOk || (code !== c.optimal && code !== c.timeLimit && code !== c.interrupted && code !== c.iterationLimit && code !== c.solutionLimit)) {
      const dualBound = isMip ? Number(model.info.get('mip_dual_bound')) : NaN;
      const cutoffProved = options.objectiveBound !== undefined && (code === c.infeasible || code === c.objectiveBound);
      return {
        status: 'none',
        colValue: new Float64Array(0),
        rowDual: null,
        objective: NaN,
        bound: Number.isFinite(dualBound) ? dualBound : -Infinity,
        ...(cutoffProved ? { noneBelowCutoff: true } : {}),
        message: `HiGHS model status ${code}`,
      };
    }
    const solution = model.getSolution();
    const objective = model.getObjectiveValue();
    const bound = isMip ? Number(model.info.get('mip_dual_bound')) : objective;
    return {
      status: code === c.optimal ? 'optimal' : 'limit',
      colValue: Float64Array.from(solution.colValue),
      rowDual: isMip ? null : Float64Array.from(solution.rowDual),
      objective,
      bound: Number.isFinite(bound) ? bound : -Infinity,
      message: `HiGHS model status ${code}`,
    };
  } finally {
    model.dispose();
  }
}
