// A schedule turned into a SitePlan: explained, costed against the local default regime. No solver
// here (the controller's process builds fallback plans without loading HiGHS).
import { explainPlan } from './explain.ts';
import { terminalValueEurPerKwh, terminalValueOfEur, type PlanProblem } from './plan-problem.ts';
import { ruleBasedSchedule } from './rule-based-plan.ts';
import { evaluateSchedule, type Schedule, type ScheduleOutcome } from './schedule.ts';
import type { SitePlan } from './site-plan.ts';

/** The rule-based plan (self-consumption), explained, with status 'fallback'. */
export function fallbackPlan(problem: PlanProblem, reason: string, solveMs = 0): SitePlan {
  return assemblePlan(problem, ruleBasedSchedule(problem), { status: 'fallback', fallbackReason: reason, strategy: 'rule-based', mipGap: null, mipGapEur: null, solveMs });
}

export type PlanHead = Pick<SitePlan, 'status' | 'strategy' | 'mipGap' | 'mipGapEur' | 'solveMs'> & { fallbackReason?: string };

export function assemblePlan(problem: PlanProblem, schedule: Schedule, head: PlanHead): SitePlan {
  const outcome = evaluateSchedule(problem, schedule);
  const baseline = evaluateSchedule(problem, ruleBasedSchedule(problem));
  const efficiency = problem.storage[0]?.efficiency ?? 1;
  const savings = slotSavingsEur(problem, outcome, baseline);
  return {
    ...head,
    startMs: problem.startMs,
    slotMs: problem.slotMs,
    slots: explainPlan(problem, schedule, outcome).map((slot, t) => ({
      ...slot,
      savingEur: savings[t] ?? 0,
      ...(problem.knownPricesUntilMs !== undefined && slot.startMs >= problem.knownPricesUntilMs ? { priceIsForecast: true as const } : {}),
    })),
    expectedCostEur: outcome.costEur,
    baselineCostEur: baseline.costEur,
    expectedSavingEur: baseline.costEur - baseline.terminalValueEur - (outcome.costEur - outcome.terminalValueEur),
    terminalValueEurPerKwh: terminalValueEurPerKwh(problem, efficiency),
    violations: outcome.violations,
  };
}

/**
 * Saving of each slot over the baseline, EUR: the baseline's slot cost − the plan's, plus the change
 * in stored energy of the plan minus that of the baseline valued at the terminal value (energy bought
 * now for later counts as worth what it will replace). Σ over the horizon = expectedSavingEur.
 */
function slotSavingsEur(p: PlanProblem, plan: ScheduleOutcome, baseline: ScheduleOutcome): number[] {
  const n = plan.slotCostEur.length;
  // Stored energy changes are valued at the flat terminal value slot by slot; the last slot gets the
  // difference to the (possibly tiered) terminal value, so the slots add up to expectedSavingEur.
  let lastSlotCorrectionEur = 0;
  p.storage.forEach((b, i) => {
    const minWh = (b.minSocPct / 100) * b.capacityWh;
    const flat = (o: ScheduleOutcome): number => (terminalValueEurPerKwh(p, b.efficiency) * Math.max(0, (o.storageEnergyWh[i]?.[n - 1] ?? minWh) - minWh)) / 1000;
    const tiered = (o: ScheduleOutcome): number => terminalValueOfEur(p, b, (o.storageEnergyWh[i]?.[n - 1] ?? minWh) - minWh);
    lastSlotCorrectionEur += tiered(plan) - flat(plan) - (tiered(baseline) - flat(baseline));
  });
  return plan.slotCostEur.map((cost, t) => {
    let storedValueEur = 0;
    p.storage.forEach((b, i) => {
      const e0 = (b.socPct / 100) * b.capacityWh;
      const delta = (o: ScheduleOutcome): number => (o.storageEnergyWh[i]?.[t] ?? e0) - (t > 0 ? (o.storageEnergyWh[i]?.[t - 1] ?? e0) : e0);
      storedValueEur += (terminalValueEurPerKwh(p, b.efficiency) * (delta(plan) - delta(baseline))) / 1000;
    });
    return (baseline.slotCostEur[t] ?? 0) - cost + storedValueEur + (t === n - 1 ? lastSlotCorrectionEur : 0);
  });
}
