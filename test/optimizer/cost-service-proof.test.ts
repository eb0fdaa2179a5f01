import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { CostService, type Planner } from '../../src/optimizer/cost-service.ts';
import { ClearSkyPvForecast } from '../../src/optimizer/forecast/pv-forecast.ts';
import { loadSolver } from '../../src/optimizer/planner/highs-runner.ts';
import { solvePlan } from '../../src/optimizer/planner/solve-plan.ts';
import type { SitePlan } from '../../src/optimizer/planner/site-plan.ts';
import type { PlanCallOptions } from '../../src/optimizer/planner-service.ts';
import { loadBundledPrices } from '../../src/optimizer/prices/price-file.ts';
import { StaticPriceProvider } from '../../src/optimizer/prices/price-provider.ts';
import { loadSiteConfigFile } from '../../src/site/site-config.ts';

const highs = await loadSolver();
const nowMs = Date.parse('2024-06-01T04:00Z');

/**
 * A planner around the real solver whose first answer (no proveMs) is reported unproven, as the
 * decomposition's heuristic is on sites with on/off loads; the proof call answers as `proof` says.
 */
function recordingPlanner(proof: 'optimal' | 'fallback' | 'dearer'): { planner: Planner; calls: PlanCallOptions[] } {
  const calls: PlanCallOptions[] = [];
  return {
    calls,
    planner: {
      plan: (problem, options = {}) => {
        calls.push(options);
        const plan = solvePlan(highs, problem);
        if (options.proveMs === undefined) return Promise.resolve({ ...plan, status: 'time_limit', mipGap: 0.03 } satisfies SitePlan);
        if (proof === 'fallback') return Promise.resolve({ ...plan, status: 'fallback', fallbackReason: 'no plan within 5000 ms' } satisfies SitePlan);
        if (proof === 'dearer') return Promise.resolve({ ...plan, status: 'time_limit', expectedCostEur: plan.expectedCostEur + 1 } satisfies SitePlan);
        return Promise.resolve({ ...plan, status: 'optimal', mipGap: 0.001 } satisfies SitePlan);
      },
    },
  };
}

async function planOnce(proof: 'optimal' | 'fallback' | 'dearer', planProofMs?: number): Promise<{ calls: PlanCallOptions[]; plan: SitePlan | null }> {
  const site = loadSiteConfigFile(new URL('../../data/reference-site.yaml', import.meta.url).pathname, (cfg) => {
    if (planProofMs !== undefined) cfg.optimizer = { ...(cfg.optimizer as object), planProofMs };
  });
  const clock = new FakeClock(nowMs);
  const { planner, calls } = recordingPlanner(proof);
  const cost = new CostService({ site, clock, prices: new StaticPriceProvider(loadBundledPrices(), { clock }), planner, pvForecast: new ClearSkyPvForecast(0.6) });
  cost.start();
  await cost.idle();
  await cost.stop();
  return { calls, plan: cost.currentPlan() };
}

void describe('CostService: anytime plans (a fast plan, then its proof)', () => {
  void it('plans fast, then asks the planner to prove an unproven plan within planProofMs and takes the proven one', async () => {
    const { calls, plan } = await planOnce('optimal');
    assert.deepEqual(calls, [{ timeoutMs: 5000 }, { timeoutMs: 5000, proveMs: 3000 }]);
    assert.equal(plan?.status, 'optimal');
  });

  void it('keeps the fast plan when the proof falls back or is dearer; planProofMs 0 turns the proof off', async () => {
    assert.equal((await planOnce('fallback')).plan?.status, 'time_limit');
    assert.equal((await planOnce('dearer')).plan?.status, 'time_limit');
    const off = await planOnce('optimal', 0);
    assert.deepEqual(off.calls, [{ timeoutMs: 5000 }]);
    assert.equal(off.plan?.status, 'time_limit');
  });
});
