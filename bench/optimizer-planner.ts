// Benchmark: the day-ahead planner's solve time and plan quality on real Belgian prices and weather.
//
// Each problem is a house planned at local midnight over the next 48 h (192 × 15 min; both days'
// prices taken as known) or 24 h (96 × 15 min), for dates spread over 2024–2025 (see
// bench/optimizer-fixtures.ts). Every strategy solves the same problems in this process, in turn,
// synchronously (solver time only; the worker round trip is measured separately below):
//
//   milp-naive   one MILP, textbook aggregated big-M min up/down rows   ← the baseline
//   milp-tight   one MILP, start/stop (Rajan–Takriti) rows: the convex hull of the run-time rules
//   decomposed   LP relaxation → DP per on/off asset on the slot prices → fixed LP (the fast plan)
//   decomposed + proof   the same, then the tight MILP cut off at its cost proves it or finds a
//                cheaper plan within 3 s (what the CostService asks for after an unproven fast plan)
//
// Gap = (plan objective − best lower bound) / |objective|; the lower bound is HiGHS's dual bound
// (MILPs) or the LP relaxation (decomposed). "cost vs best" compares the plan's expected energy cost
// with the cheapest plan any strategy found for the same problem.
//
// Run: npx tsx bench/optimizer-planner.ts   (BENCH_DAYS=6 for a quick look; BENCH_TIME_LIMIT_MS for the MILPs)
import { benchDates, benchProblem, type BenchSite } from './optimizer-fixtures.ts';
import { fmt, printHeader, printTable, quantile, ratio } from './lib/report.ts';
import { loadSolver } from '../src/optimizer/planner/highs-runner.ts';
import { solvePlan } from '../src/optimizer/planner/solve-plan.ts';
import type { PlanStrategy, SitePlan } from '../src/optimizer/planner/site-plan.ts';
import { PlannerService } from '../src/optimizer/planner-service.ts';

const DAYS = Number(process.env['BENCH_DAYS'] ?? 16);
const TIME_LIMIT_MS = Number(process.env['BENCH_TIME_LIMIT_MS'] ?? 30_000);
const STRATEGIES: Array<{ name: string; strategy: Exclude<PlanStrategy, 'rule-based'>; proveMs?: number }> = [
  { name: 'milp-naive', strategy: 'milp-naive' },
  { name: 'milp-tight', strategy: 'milp-tight' },
  { name: 'decomposed', strategy: 'decomposed' },
  { name: 'decomposed + proof (3 s)', strategy: 'decomposed', proveMs: 3000 },
];
const solveWith = (s: (typeof STRATEGIES)[number], problem: Parameters<typeof solvePlan>[1]): SitePlan =>
  solvePlan(highs, problem, { strategy: s.strategy, timeLimitMs: TIME_LIMIT_MS, ...(s.proveMs ? { proveMs: s.proveMs } : {}) });

interface Scenario {
  name: string;
  site: BenchSite;
  slots: number;
}
const SCENARIOS: Scenario[] = [
  { name: 'full site, 192 × 15 min', site: 'full', slots: 192 },
  { name: 'battery only, 96 × 15 min', site: 'battery-only', slots: 96 },
];

printHeader(
  'Day-ahead planner: solve time and gap',
  `Full site = 8 kW PV, 10 kWh / 5 kW battery, 2.5 kW heat pump (min on 60 min, min off 30 min, max on 4 h, ≤ 2 starts/h, degree-day need), 11 kW EV (min 4.1 kW; two sessions), 2 relays (2 kW × 3 h/day, 1 kW × 6 h/day); ${DAYS} dates from 2024-01-02 every 29 days; MILP time limit ${TIME_LIMIT_MS} ms.`,
);

const highs = await loadSolver();
const dates = benchDates(DAYS);
const rows: string[][] = [];
for (const scenario of SCENARIOS) {
  const problems = dates.map((d) => benchProblem(scenario.site, d, scenario.slots));
  // Warm up the JIT and the solver on one problem.
  for (const s of STRATEGIES) solveWith(s, problems[0] ?? benchProblem(scenario.site, dates[0] ?? '2024-01-02', scenario.slots));
  const results = new Map<string, SitePlan[]>(STRATEGIES.map((s) => [s.name, []]));
  for (const problem of problems) {
    for (const s of STRATEGIES) results.get(s.name)?.push(solveWith(s, problem));
  }
  const bestCost = problems.map((_, i) => Math.min(...STRATEGIES.map((s) => results.get(s.name)?.[i]?.expectedCostEur ?? Infinity)));
  const naiveP50 = quantile((results.get('milp-naive') ?? []).map((p) => p.solveMs), 0.5);
  for (const { name: strategy } of STRATEGIES) {
    const plans = results.get(strategy) ?? [];
    const ms = plans.map((p) => p.solveMs);
    const gaps = plans.map((p) => p.mipGap ?? NaN).filter(Number.isFinite);
    const overBest = plans.map((p, i) => (p.expectedCostEur - (bestCost[i] ?? 0)) / Math.abs(bestCost[i] ?? 1));
    const atLimit = plans.filter((p) => p.status === 'time_limit').length;
    const unprovenGaps = plans.filter((p) => p.status === 'time_limit').map((p) => p.mipGap ?? NaN).filter(Number.isFinite);
    const savings = plans.map((p) => p.expectedSavingEur);
    rows.push([
      scenario.name,
      strategy,
      fmt(quantile(ms, 0.5), 0),
      fmt(quantile(ms, 0.9), 0),
      ratio(naiveP50 / quantile(ms, 0.5)),
      `${fmt(quantile(gaps, 0.5) * 100, 2)} %`,
      `${fmt(quantile(gaps, 0.9) * 100, 2)} %`,
      `${fmt(quantile(overBest, 0.5) * 100, 2)} %`,
      `${fmt(Math.max(...overBest) * 100, 2)} %`,
      fmt(quantile(savings, 0.5), 2),
      `${atLimit}/${plans.length}`,
      unprovenGaps.length ? `${fmt(quantile(unprovenGaps, 0.5) * 100, 2)} %` : '–',
    ]);
  }
}
printTable(['problem', 'strategy', 'p50 ms', 'p90 ms', 'speed-up vs naive (p50)', 'gap p50', 'gap p90', 'cost vs best p50', 'cost vs best max', 'saving vs self-consumption p50, EUR', 'not proven (time limit / heuristic)', 'gap of those p50'], rows);

// Forecast-robust plans (PlanProblem.pvScenarios, the `persistence` forecast's default): battery only,
// three PV scenarios (the forecast × 0.6, × 1, × 1.4: equal at night, so the night is shared) against
// the point forecast alone, the same problems in this process.
{
  const base = dates.map((d) => benchProblem('battery-only', d, 96));
  const withScenarios = base.map((p) => ({ ...p, pvScenarios: [0.6, 1, 1.4].map((k, i) => ({ weight: i === 1 ? 0.5 : 0.25, solarAvailableW: p.solar.map((s) => s.availableW.map((w) => w * k)) })) }));
  for (const p of [base[0], withScenarios[0]]) if (p) solvePlan(highs, p);
  const point = base.map((p) => solvePlan(highs, p).solveMs);
  const robust = withScenarios.map((p) => solvePlan(highs, p).solveMs);
  console.log('');
  printTable(
    ['problem', 'plans', 'point forecast p50 ms', 'p90 ms', '3 PV scenarios p50 ms', 'p90 ms', 'scenarios / point (p50)'],
    [['battery only, 96 × 15 min', String(base.length), fmt(quantile(point, 0.5), 1), fmt(quantile(point, 0.9), 1), fmt(quantile(robust, 0.5), 1), fmt(quantile(robust, 0.9), 1), ratio(quantile(robust, 0.5) / quantile(point, 0.5))]],
  );
}

// The worker round trip the controller pays (PlannerService: post, solve, answer), default strategy.
const service = new PlannerService();
try {
  const problem = benchProblem('full', dates[1] ?? '2024-01-31', 192);
  await service.plan(problem, { timeoutMs: 30_000 });
  const trips: number[] = [];
  for (const date of dates) {
    const p = benchProblem('full', date, 192);
    const t0 = performance.now();
    await service.plan(p, { timeoutMs: 30_000 });
    trips.push(performance.now() - t0);
  }
  console.log(`\nPlannerService round trip (worker thread, full site, decomposed): p50 ${fmt(quantile(trips, 0.5), 0)} ms, p90 ${fmt(quantile(trips, 0.9), 0)} ms over ${trips.length} plans.`);
} finally {
  await service.close();
}
