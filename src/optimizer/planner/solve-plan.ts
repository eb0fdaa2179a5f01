import { assemblePlan, fallbackPlan } from './assemble-plan.ts';
import type { LpData } from './lp-builder.ts';
import { runHighs, type Highs, type RunOutcome } from './highs-runner.ts';
import { cheapestOnOffSeries } from './on-off-dp.ts';
import { assertPlanProblem, slotCountOf, windowSlots, type PlanProblem, type PvScenario } from './plan-problem.ts';
import type { Schedule } from './schedule.ts';
import { buildSiteModel, scheduleFromSolution, type SiteModel, type SiteModelOptions } from './site-model.ts';
import type { PlanStrategy, SitePlan } from './site-plan.ts';

export { fallbackPlan } from './assemble-plan.ts';

/** Options of {@link solvePlan}. */
export interface SolveOptions {
  /** How to solve (see docs/optimizer.md). Default 'decomposed'. */
  strategy?: Exclude<PlanStrategy, 'rule-based'>;
  /** Solver time budget, ms > 0; past it the best plan found is returned with status 'time_limit'. Default 5000. */
  timeLimitMs?: number;
  /** 'decomposed': time spent improving the first plan (one asset at a time), ms from the start. Default 600. */
  improveMs?: number;
  /**
   * 'decomposed': when its plan is not proven within the gap, the tight MILP (cut off at that plan's
   * cost, so it searches only for better ones) gets up to this long, ms, to find a better plan and
   * prove one within the gap; the better plan and the stronger bound are kept. 0 = no proof (the
   * fast heuristic only). Default 0.
   */
  proveMs?: number;
  /** Relative gap at which a plan counts as optimal, ≥ 0. Default 0.005 (0.5 %). */
  mipRelGap?: number;
  /** Monotonic time source, ms (injected for tests; only measures solve time). Default performance.now. */
  nowMs?: () => number;
}

interface Solved {
  schedule: Schedule;
  status: 'optimal' | 'time_limit';
  objective: number;
  bound: number;
}

/**
 * Plans the site: solves the problem with HiGHS (synchronously: call it inside the planner worker,
 * or where blocking is fine, e.g. a backtest), explains every decision and prices the plan against
 * the local default regime. Never throws on a solvable-looking problem and is never "infeasible": needs
 * and limits are soft, and if the solver fails the rule-based plan is returned with status 'fallback'.
 * Throws a GridpilotError only for a malformed problem.
 */
export function solvePlan(highs: Highs, problem: PlanProblem, options: SolveOptions = {}): SitePlan {
  assertPlanProblem(problem);
  const now = options.nowMs ?? (() => performance.now());
  const t0 = now();
  const strategy = options.strategy ?? 'decomposed';
  const deadline = t0 + (options.timeLimitMs ?? 5000);
  let solved: Solved | null = null;
  let failure = '';
  try {
    const gap = options.mipRelGap ?? 0.005;
    solved = strategy === 'decomposed' ? solveDecomposed(highs, problem, deadline, now, gap, Math.min(deadline, t0 + (options.improveMs ?? 600))) : solveMilp(highs, problem, strategy, deadline, now, gap);
    const proveMs = options.proveMs ?? 0;
    if (solved && strategy === 'decomposed' && solved.status !== 'optimal' && proveMs > 0) solved = prove(highs, problem, solved, Math.min(deadline, now() + proveMs), now, gap);
    if (!solved) failure = 'the solver found no plan in time';
  } catch (err) {
    failure = `the solver failed: ${(err as Error).message}`;
  }
  const solveMs = now() - t0;
  if (!solved) return fallbackPlan(problem, failure, solveMs);
  const gapEur = Math.max(0, solved.objective - solved.bound);
  const gap = gapEur / Math.max(Math.abs(solved.objective), 1e-9);
  return assemblePlan(problem, solved.schedule, {
    status: solved.status,
    strategy,
    mipGap: Number.isFinite(gap) ? gap : null,
    mipGapEur: Number.isFinite(gapEur) ? gapEur : null,
    solveMs,
  });
}

const remainingS = (deadline: number, now: () => number): number => Math.max(0.001, (deadline - now()) / 1000);

/**
 * The proof of a heuristic plan: the tight MILP, cut off at the plan's cost, until `until`. Keeps the
 * cheaper plan and the stronger of the two bounds (HiGHS proving that nothing is cheaper than the
 * cutoff proves the heuristic optimal); 'optimal' when plan and bound are within the gap.
 */
function prove(highs: Highs, p: PlanProblem, heuristic: Solved, until: number, now: () => number, gap: number): Solved {
  if (now() >= until) return heuristic;
  const info = { bound: -Infinity, noneBelowCutoff: false };
  // Cut off a gap above the heuristic, so that HiGHS has incumbents to measure its gap on and stops within it.
  const milp = solveMilp(highs, p, 'milp-tight', until, now, gap, heuristic.objective + gap * Math.abs(heuristic.objective) + 1e-9, info);
  const best = milp && milp.objective < heuristic.objective - 1e-9 ? milp : heuristic;
  const bound = info.noneBelowCutoff ? heuristic.objective : Math.max(heuristic.bound, milp?.bound ?? info.bound);
  const isWithinGap = best.objective - bound <= gap * Math.abs(best.objective) + 1e-9;
  return { ...best, status: isWithinGap ? 'optimal' : 'time_limit', bound: Math.min(bound, best.objective) };
}

/**
 * One MILP over everything (the baseline formulations). `cutoff`: prune plans costing that much
 * (objective units, offset included); `info` then says the bound HiGHS reached when it found nothing.
 */
function solveMilp(highs: Highs, p: PlanProblem, strategy: 'milp-tight' | 'milp-naive', deadline: number, now: () => number, gap: number, cutoff?: number, info?: { bound: number; noneBelowCutoff: boolean }): Solved | null {
  const options: SiteModelOptions = { onOff: strategy === 'milp-tight' ? 'tight' : 'naive', ev: 'semicontinuous' };
  const model = buildSiteModel(p, options);
  const objectiveBound = cutoff === undefined ? {} : { objectiveBound: cutoff - model.offset };
  let run = runHighs(highs, model.lp, { timeLimitS: remainingS(deadline, now), mipRelGap: gap, ...objectiveBound });
  if (run.status === 'none') {
    if (info) {
      info.bound = run.bound + model.offset;
      info.noneBelowCutoff = run.noneBelowCutoff === true;
    }
    return null;
  }
  let schedule = scheduleFromSolution(p, model, run.colValue, options);
  const exclusive = simultaneousSlots(model, run.colValue);
  if (exclusive.some((s) => s.length)) {
    const options2 = { ...options, exclusiveSlots: exclusive };
    const model2 = buildSiteModel(p, options2);
    const run2 = runHighs(highs, model2.lp, { timeLimitS: remainingS(deadline, now), mipRelGap: gap });
    if (run2.status !== 'none') {
      run = run2;
      schedule = scheduleFromSolution(p, model2, run2.colValue, options2);
    }
  }
  return { schedule, status: run.status === 'optimal' ? 'optimal' : 'time_limit', objective: run.objective + model.offset, bound: run.bound + model.offset };
}

/**
 * Decomposition: (1) the LP relaxation (tight run-time rows, EV power continuous) gives a lower
 * bound and the marginal value of energy in every slot (the dual of the power balance); (2) each
 * on/off asset gets its cheapest run-time-feasible series against those values by dynamic
 * programming; (3) EV slots below the minimum power are repaired to 0 or the minimum; (4) an LP with
 * all of that fixed dispatches batteries, solar, EV power and the grid exactly. Then, while time
 * allows, each on/off asset is re-planned against the marginal values with the others fixed, and
 * kept when the fixed LP gets cheaper.
 */
function solveDecomposed(highs: Highs, p: PlanProblem, deadline: number, now: () => number, gap: number, improveUntil: number): Solved | null {
  if (p.onOff.length === 0 && p.evs.length === 0) {
    // Nothing discrete: the model is one LP (plus lazy exclusivity), solved exactly.
    if ((p.pvScenarios?.length ?? 0) >= 2) {
      const robust = solveScenarios(highs, p, deadline, now);
      if (robust) return robust;
    }
    const only = solveFixed(highs, p, [], [], deadline, now);
    return only ? { schedule: only.schedule, status: 'optimal', objective: only.objective, bound: only.objective } : null;
  }
  const relaxedOptions: SiteModelOptions = { onOff: 'relaxed', ev: 'relaxed' };
  const relaxed = buildSiteModel(p, relaxedOptions);
  const relaxedRun = runHighs(highs, relaxed.lp, { timeLimitS: remainingS(deadline, now) });
  if (relaxedRun.status !== 'optimal') return null;
  const bound = relaxedRun.objective + relaxed.offset;
  const lambda = balanceDuals(relaxed, relaxedRun);
  const evOnSlots = repairEvSlots(p, relaxed, relaxedRun.colValue, lambda);

  // Round 0: every asset against the relaxed solution, with each way of pricing its slots.
  let best: FixedSolution | null = null;
  const tried = new Set<string>();
  for (const pricing of SLOT_PRICINGS) {
    const fixedOnOff = p.onOff.map((a, k) => cheapestOnOffSeries(p, a, slotCosts(p, relaxed, relaxedRun, k, pricing)));
    const key = seriesKey(fixedOnOff);
    if (tried.has(key)) continue;
    tried.add(key);
    const candidate = solveFixed(highs, p, fixedOnOff, evOnSlots, deadline, now);
    if (candidate && (!best || candidate.objective < best.objective)) best = candidate;
    if (p.onOff.length === 0) break;
  }
  if (!best) return null;

  // Then one asset at a time against the best plan so far (the others fixed), while it pays and time allows.
  for (let round = 0; round < 4 && best.objective - bound > gap * Math.abs(best.objective); round++) {
    let improved = false;
    for (let k = 0; k < p.onOff.length && now() < improveUntil; k++) {
      const asset = p.onOff[k];
      const reference = best;
      if (!asset || !reference.run) continue;
      for (const pricing of SLOT_PRICINGS) {
        if (now() >= improveUntil) break;
        const series = cheapestOnOffSeries(p, asset, slotCosts(p, reference.model, reference.run, k, pricing, reference.fixedOnOff[k]));
        const fixedOnOff = reference.fixedOnOff.map((s, j) => (j === k ? series : s));
        const key = seriesKey(fixedOnOff);
        if (tried.has(key)) continue;
        tried.add(key);
        const candidate = solveFixed(highs, p, fixedOnOff, reference.evOnSlots, deadline, now);
        if (candidate && candidate.objective < best.objective - 1e-7) {
          best = candidate;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  // A heuristic proves nothing by itself: it counts as optimal only when within the gap of the LP bound.
  const isWithinGap = best.objective - bound <= gap * Math.abs(best.objective) + 1e-9;
  return { schedule: best.schedule, status: isWithinGap ? 'optimal' : 'time_limit', objective: best.objective, bound: Math.min(bound, best.objective) };
}

/**
 * Two-stage stochastic plan over `p.pvScenarios` (pure LP sites only): one copy of the site model per
 * PV scenario in one block-diagonal LP, the objective the probability-weighted sum of their costs,
 * and the battery decisions (charge and discharge of every battery) of slot 0, what the executor
 * applies, and of every slot before the scenarios' PV differs ({@link sharedSlotCount}) shared by
 * all copies (non-anticipativity). The rest of each copy adapts to its own sun. Returns the plan of
 * the scenario that follows the point forecast (`p.solar`, else the heaviest), with the shared
 * slots the shared decisions; null when the solver fails or slot 0 would charge and discharge at
 * once (then the caller plans the point forecast alone, with its exclusivity repair).
 */
function solveScenarios(highs: Highs, p: PlanProblem, deadline: number, now: () => number): Solved | null {
  const scenarios = p.pvScenarios ?? [];
  const total = scenarios.reduce((s, sc) => s + sc.weight, 0);
  if (!(total > 0)) return null;
  const options: SiteModelOptions = { onOff: 'relaxed', ev: 'relaxed' };
  const problems = scenarios.map((sc) => ({ ...p, solar: p.solar.map((s, i) => ({ ...s, availableW: sc.solarAvailableW[i] ?? s.availableW })) }));
  const models = problems.map((q) => buildSiteModel(q, options));
  const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, t) => Math.abs(x - (b[t] ?? 0)) < 1e-6);
  let report = scenarios.findIndex((sc) => sc.solarAvailableW.every((a, i) => same(a, p.solar[i]?.availableW ?? [])));
  if (report < 0) report = scenarios.reduce((best, sc, k) => (sc.weight > (scenarios[best]?.weight ?? 0) ? k : best), 0);
  // Block-diagonal merge, costs weighted by probability.
  const colOffsets: number[] = [];
  const rowOffsets: number[] = [];
  let numCols = 0;
  let numRows = 0;
  for (const m of models) {
    colOffsets.push(numCols);
    rowOffsets.push(numRows);
    numCols += m.lp.numCols;
    numRows += m.lp.numRows;
  }
  const first = models[0];
  if (!first) return null;
  const shared = sharedSlotCount(scenarios, slotCountOf(p));
  const links: Array<[number, number]> = []; // pairs of merged columns that must be equal
  models.forEach((m, k) => {
    if (k === 0) return;
    first.charge.forEach((ch, i) => {
      for (let t = 0; t < shared; t++) {
        links.push([(ch[t] ?? 0) + (colOffsets[0] ?? 0), (m.charge[i]?.[t] ?? 0) + (colOffsets[k] ?? 0)]);
        links.push([(first.discharge[i]?.[t] ?? 0) + (colOffsets[0] ?? 0), (m.discharge[i]?.[t] ?? 0) + (colOffsets[k] ?? 0)]);
      }
    });
  });
  const colCost = new Float64Array(numCols);
  const colLower = new Float64Array(numCols);
  const colUpper = new Float64Array(numCols);
  const rowLower = new Float64Array(numRows + links.length);
  const rowUpper = new Float64Array(numRows + links.length);
  const nnz = models.reduce((s, m) => s + m.lp.matrix.indices.length, 0) + 2 * links.length;
  const starts = new Int32Array(numRows + links.length + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let at = 0;
  let offset = 0;
  models.forEach((m, k) => {
    const w = (scenarios[k]?.weight ?? 0) / total;
    const c0 = colOffsets[k] ?? 0;
    const r0 = rowOffsets[k] ?? 0;
    const lp = m.lp;
    for (let j = 0; j < lp.numCols; j++) {
      colCost[c0 + j] = w * (lp.colCost[j] ?? 0);
      colLower[c0 + j] = lp.colLower[j] ?? 0;
      colUpper[c0 + j] = lp.colUpper[j] ?? 0;
    }
    for (let r = 0; r < lp.numRows; r++) {
      rowLower[r0 + r] = lp.rowLower[r] ?? 0;
      rowUpper[r0 + r] = lp.rowUpper[r] ?? 0;
      starts[r0 + r] = at;
      for (let e = lp.matrix.starts[r] ?? 0; e < (lp.matrix.starts[r + 1] ?? 0); e++) {
        indices[at] = c0 + (lp.matrix.indices[e] ?? 0);
        values[at] = lp.matrix.values[e] ?? 0;
        at++;
      }
    }
    offset += w * m.offset;
  });
  links.forEach(([a, b], l) => {
    starts[numRows + l] = at;
    indices[at] = a;
    values[at++] = 1;
    indices[at] = b;
    values[at++] = -1;
  });
  starts[numRows + links.length] = at;
  const merged: LpData = {
    numCols,
    numRows: numRows + links.length,
    colCost,
    colLower,
    colUpper,
    rowLower,
    rowUpper,
    matrix: { format: 'csr', numRows: numRows + links.length, numCols, starts, indices, values },
  };
  const run = runHighs(highs, merged, { timeLimitS: remainingS(deadline, now) });
  if (run.status === 'none') return null;
  const m = models[report];
  const q = problems[report];
  if (!m || !q) return null;
  const c0 = colOffsets[report] ?? 0;
  const x = run.colValue.subarray(c0, c0 + m.lp.numCols);
  if (simultaneousSlots(m, x).some((slots) => slots.includes(0))) return null;
  const schedule = scheduleFromSolution(q, m, x, options);
  const objective = run.objective + offset;
  return { schedule, status: run.status === 'optimal' ? 'optimal' : 'time_limit', objective, bound: objective };
}

/**
 * Slots whose battery decisions every scenario must share (non-anticipativity): slot 0, and every
 * slot before the scenarios' PV first differs (by more than 1 W), since until then nothing observed
 * tells them apart: at night the whole night, whose cheap hours pass before the sun says which day it is.
 */
function sharedSlotCount(scenarios: readonly PvScenario[], n: number): number {
  const first = scenarios[0];
  if (!first) return 1;
  for (let t = 0; t < n; t++) {
    const differs = scenarios.some((sc) => sc.solarAvailableW.some((a, i) => Math.abs((a[t] ?? 0) - (first.solarAvailableW[i]?.[t] ?? 0)) > 1));
    if (differs) return Math.max(1, t);
  }
  return Math.max(1, n);
}

/**
 * How the DP prices running an on/off asset in a slot, from a reference solution:
 * 'dual' = the power balance's dual × rated power (exact for small changes; the battery's response included);
 * 'secant' = the grid cost with the asset on minus with it off, everything else held (exact for the
 * grid's import/export kink, blind to the battery); 'mean' = their average.
 */
const SLOT_PRICINGS = ['dual', 'secant', 'mean'] as const;
type SlotPricing = (typeof SLOT_PRICINGS)[number];

function slotCosts(p: PlanProblem, model: SiteModel, run: RunOutcome, k: number, pricing: SlotPricing, fixed?: readonly boolean[]): number[] {
  const asset = p.onOff[k];
  if (!asset) return [];
  const h = p.slotMs / 3_600_000;
  const powerKw = asset.ratedPowerW / 1000;
  const x = run.colValue;
  return model.balanceRows.map((row, t) => {
    const dual = (run.rowDual?.[row] ?? 0) * powerKw;
    if (pricing === 'dual') return dual;
    const col = model.onOff[k]?.[t] ?? -1;
    const u = col >= 0 ? (x[col] ?? 0) : fixed?.[t] ? 1 : 0;
    const grid = (x[model.gridImport[t] ?? -1] ?? 0) + (x[model.importOver[t] ?? -1] ?? 0) - (x[model.gridExport[t] ?? -1] ?? 0) - (x[model.exportOver[t] ?? -1] ?? 0);
    const without = grid - powerKw * u;
    const pi = p.importPriceEurPerKwh[t] ?? 0;
    const pe = Math.min(p.exportPriceEurPerKwh[t] ?? 0, pi);
    const cost = (g: number): number => (g >= 0 ? pi * g : pe * g) * h;
    const secant = cost(without + powerKw) - cost(without);
    return pricing === 'secant' ? secant : (secant + dual) / 2;
  });
}

function seriesKey(series: ReadonlyArray<readonly boolean[]>): string {
  return series.map((s) => s.map((on) => (on ? '1' : '0')).join('')).join('|');
}

interface FixedSolution {
  schedule: Schedule;
  objective: number;
  model: SiteModel;
  run: RunOutcome | null;
  fixedOnOff: boolean[][];
  evOnSlots: boolean[][];
}

function solveFixed(highs: Highs, p: PlanProblem, fixedOnOff: boolean[][], evOnSlots: boolean[][], deadline: number, now: () => number): FixedSolution | null {
  let options: SiteModelOptions = { onOff: 'relaxed', fixedOnOff, ev: { onSlots: evOnSlots } };
  let model = buildSiteModel(p, options);
  let run = runHighs(highs, model.lp, { timeLimitS: remainingS(deadline, now) });
  if (run.status === 'none') return null;
  const exclusive = simultaneousSlots(model, run.colValue);
  if (exclusive.some((s) => s.length)) {
    options = { ...options, exclusiveSlots: exclusive };
    model = buildSiteModel(p, options);
    const run2 = runHighs(highs, model.lp, { timeLimitS: remainingS(deadline, now) });
    if (run2.status !== 'none') run = run2;
  }
  // Duals only come from an LP (not after the exclusivity MIP); then the reference has no run.
  return { schedule: scheduleFromSolution(p, model, run.colValue, options), objective: run.objective + model.offset, fixedOnOff, evOnSlots, model, run: run.rowDual ? run : null };
}

/** Marginal value of 1 kW more load in each slot, EUR per kW·slot: the balance rows' duals. */
function balanceDuals(model: SiteModel, run: RunOutcome): number[] {
  const duals = run.rowDual;
  return model.balanceRows.map((r) => duals?.[r] ?? 0);
}

/** Slots where a battery both charges and discharges in the solution (only worth it when energy has a negative value). */
function simultaneousSlots(model: SiteModel, x: ArrayLike<number>): number[][] {
  return model.charge.map((ch, i) =>
    ch.flatMap((c, t) => ((x[c] ?? 0) > 1e-4 && (x[model.discharge[i]?.[t] ?? -1] ?? 0) > 1e-4 ? [t] : [])),
  );
}

/**
 * EV slots to charge in, from the relaxed LP's power: slots at or above the minimum stay; slots with
 * a little power below the minimum are dropped when the other slots have room for that energy, else
 * the cheapest of them is raised to the minimum. At most need / (min power × slot) slots are kept.
 */
function repairEvSlots(p: PlanProblem, model: SiteModel, x: ArrayLike<number>, lambda: readonly number[]): boolean[][] {
  const n = slotCountOf(p);
  const h = p.slotMs / 3_600_000;
  return p.evs.map((e, k) => {
    const on = new Array<boolean>(n).fill(false);
    const minKw = e.minPowerW / 1000;
    const maxKw = e.maxPowerW / 1000;
    for (const session of e.sessions) {
      const { first, last } = windowSlots(p, session.fromMs, session.untilMs);
      const power = (t: number): number => {
        const col = model.ev[k]?.[t] ?? -1;
        return col < 0 ? 0 : (x[col] ?? 0);
      };
      const slots = Array.from({ length: last - first }, (_, i) => first + i);
      const partial = slots.filter((t) => power(t) > 1e-6 && power(t) < minKw - 1e-6).sort((a, b) => (lambda[a] ?? 0) - (lambda[b] ?? 0));
      for (const t of slots) if (power(t) >= minKw - 1e-6) on[t] = true;
      let partialKwh = partial.reduce((s, t) => s + power(t) * h, 0);
      let roomKwh = slots.filter((t) => on[t]).reduce((s, t) => s + (maxKw - power(t)) * h, 0);
      for (const t of partial) {
        if (partialKwh <= roomKwh + 1e-9) break;
        on[t] = true;
        partialKwh -= power(t) * h;
        roomKwh += (maxKw - power(t)) * h;
      }
      // Never more slots than the minimum power can fill without overfilling the car.
      const maxSlots = Math.floor(session.energyWh / 1000 / (minKw * h) + 1e-9);
      const chosen = slots.filter((t) => on[t]).sort((a, b) => (lambda[b] ?? 0) - (lambda[a] ?? 0));
      for (const t of chosen.slice(0, Math.max(0, chosen.length - maxSlots))) on[t] = false;
    }
    return on;
  });
}
