// The optimiser's public API: prices, forecasts and the day-ahead planner (see docs/optimizer.md).
export * from './prices/price-series.ts';
export * from './prices/price-file.ts';
export * from './prices/price-message.ts';
export * from './prices/price-provider.ts';
export * from './prices/entsoe.ts';
export * from './prices/tariff.ts';
export * from './forecast/forecast-request.ts';
export * from './forecast/pv-forecast.ts';
export * from './forecast/load-forecast.ts';
export * from './forecast/price-informed-pv-forecast.ts';
export * from './planner/plan-problem.ts';
export * from './planner/site-plan.ts';
export * from './planner/problem-from-site.ts';
export { solvePlan, fallbackPlan, type SolveOptions } from './planner/solve-plan.ts';
export { ruleBasedSchedule } from './planner/rule-based-plan.ts';
export { evaluateSchedule, type Schedule, type ScheduleOutcome } from './planner/schedule.ts';
export { loadSolver } from './planner/highs-runner.ts';
export { PlannerService, type PlannerServiceOptions, type PlanCallOptions } from './planner-service.ts';
