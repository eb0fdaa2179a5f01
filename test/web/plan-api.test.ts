import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import type { CostPlanExplanation } from '../../src/optimizer/cost-service.ts';
import type { SitePlan } from '../../src/optimizer/planner/site-plan.ts';
import { startWebServer, type WebServer } from '../../src/web/server.ts';
import { infoFor, PLAN_START_MS, REPLAYED_LABEL, startPlanSite, type PlanSiteUnderTest } from './plan-fixture.ts';

/** The body of GET /api/plan. */
type PlanAnswer = CostPlanExplanation & { nowMs: number; timeZone: string; plan: SitePlan | null };

async function get<T>(url: string): Promise<{ status: number; json: T; contentType: string }> {
  const res = await fetch(url);
  return { status: res.status, json: (await res.json()) as T, contentType: res.headers.get('content-type') ?? '' };
}

describe('GET /api/plan against a real CostService planned by HiGHS', () => {
  let p: PlanSiteUnderTest;
  const extra: WebServer[] = [];
  before(async () => {
    p = await startPlanSite();
  });
  after(async () => {
    for (const w of extra) await w.close();
    await p?.stop();
  });

  /** Another web server over the same controller and site, with `costPlan` (or none) and `clock`. */
  async function serverWith(costPlan: { explanation(nowMs?: number): CostPlanExplanation } | undefined, clock = p.cs.clock): Promise<WebServer> {
    const web = await startWebServer({ controller: p.cs.controller, site: p.cs.site, info: infoFor(p.cs), clock, port: 0, costPlan });
    extra.push(web);
    return web;
  }

  it('answers the explanation with nowMs and the plan from the current slot on, a reason per asset', async () => {
    const r = await get<PlanAnswer>(`${p.web.url}/api/plan`);
    assert.equal(r.status, 200);
    assert.match(r.contentType, /application\/json/);
    const x = r.json;
    assert.deepEqual(Object.keys(x).sort(), ['expectedSavingTodayEur', 'nextReplanAtMs', 'nowMs', 'plan', 'plannedAtMs', 'savingsByDay', 'status', 'timeZone']);
    assert.equal(x.nowMs, p.cs.clock.now());
    assert.equal(x.timeZone, 'Europe/Brussels', "the site's time zone, in which the page shows every time");
    assert.ok(x.status === 'optimal' || x.status === 'time_limit', `solved: ${x.status}`);
    assert.equal(x.plannedAtMs, PLAN_START_MS);
    assert.equal(x.nextReplanAtMs, PLAN_START_MS + 900_000);
    assert.equal(typeof x.expectedSavingTodayEur, 'number');
    assert.ok(x.savingsByDay.length >= 2, 'a 48 h horizon spans more than one local day');
    assert.equal(x.savingsByDay[0]?.day, '2024-06-03');
    const plan = x.plan;
    assert.ok(plan);
    assert.equal(plan.status, x.status);
    assert.equal(plan.slotMs, 900_000);
    assert.ok(plan.slots.length > 150);
    const first = plan.slots[0];
    assert.ok(first && first.startMs <= x.nowMs && x.nowMs < first.startMs + plan.slotMs, 'the first slot is the current one');
    assert.deepEqual(
      plan.slots.map((s) => s.startMs),
      plan.slots.map((_, i) => first.startMs + i * plan.slotMs),
      'contiguous 15-min slots',
    );
    for (const s of plan.slots) {
      assert.equal(typeof s.importPriceEurPerKwh, 'number');
      assert.equal(typeof s.exportPriceEurPerKwh, 'number');
      assert.equal(typeof s.gridW, 'number');
      assert.deepEqual(s.storage.map((b) => b.nodeId), ['bat']);
      assert.deepEqual(s.solar.map((b) => b.nodeId), ['pv']);
      assert.deepEqual(s.onOff.map((b) => [b.nodeId, b.kind]), [['boiler', 'switched_load']]);
      for (const a of [...s.storage, ...s.solar, ...s.onOff]) assert.ok(a.reason.length > 5, `a reason in words: ${JSON.stringify(a)}`);
    }
    assert.ok(plan.slots.some((s) => (s.storage[0]?.powerW ?? 0) > 1000), 'charges from the noon surplus');
    assert.ok(plan.slots.some((s) => (s.storage[0]?.powerW ?? 0) < -1000), 'discharges in the evening peak');
    assert.ok(Array.isArray(plan.violations));
  });

  it('drops the slots that have ended: only the current one on', async () => {
    const full = p.cs.service.explanation();
    assert.ok(full.plan);
    const later = new FakeClock(PLAN_START_MS + 40 * 60_000); // 10:40: the 10:00 and 10:15 slots have ended
    const web = await serverWith({ explanation: () => full }, later);
    const r = await get<PlanAnswer>(`${web.url}/api/plan`);
    assert.equal(r.status, 200);
    assert.equal(r.json.nowMs, later.now());
    assert.equal(r.json.plan?.slots.length, full.plan.slots.length - 2);
    assert.equal(r.json.plan?.slots[0]?.startMs, PLAN_START_MS + 30 * 60_000);
    assert.equal(r.json.plan?.startMs, full.plan.startMs, 'the rest of the plan is as planned');
  });

  it('answers status "none" with the reason and plan null before the first plan', async () => {
    const none: CostPlanExplanation = { status: 'none', message: 'no day-ahead prices known for now', plannedAtMs: null, nextReplanAtMs: PLAN_START_MS + 900_000, expectedSavingTodayEur: null, savingsByDay: [], plan: null };
    const web = await serverWith({ explanation: () => none });
    const r = await get<PlanAnswer>(`${web.url}/api/plan`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { ...none, nowMs: p.cs.clock.now(), timeZone: 'Europe/Brussels' });
  });

  it('answers 404 with an error when no optimiser runs in the process', async () => {
    const web = await serverWith(undefined);
    const r = await get<{ error: string }>(`${web.url}/api/plan`);
    assert.equal(r.status, 404);
    assert.match(r.json.error, /no optimiser/);
  });

  it('says which recorded days the prices are when they are replayed onto today, and nothing when they are pushed', async () => {
    const replayed = await startPlanSite({ prices: 'replayed', timeZone: 'Europe/Helsinki' });
    const pushed = await startPlanSite({ prices: 'pushed', timeZone: 'Europe/Helsinki' });
    try {
      const r = await get<PlanAnswer>(`${replayed.web.url}/api/plan`);
      assert.equal(r.json.timeZone, 'Europe/Helsinki');
      // 10:00 Brussels = 11:00 Helsinki on Monday 2024-06-03; before 13:00 only today is known: one day, from the Monday 52 weeks before.
      assert.deepEqual(r.json.priceReplay, {
        source: REPLAYED_LABEL,
        days: [{ day: '2024-06-03', fromMs: Date.UTC(2024, 5, 2, 21), sourceDay: '2023-06-05', sourceFromMs: Date.UTC(2023, 5, 4, 21) }],
      });
      const q = await get<PlanAnswer>(`${pushed.web.url}/api/plan`);
      assert.ok(q.json.plan, 'planned on the pushed prices');
      assert.equal('priceReplay' in q.json, false, 'pushed prices are the market\'s own');
    } finally {
      await replayed.stop();
      await pushed.stop();
    }
  });
});
