import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import type { CostPlanExplanation } from '../../src/optimizer/cost-service.ts';
import { FeedbackSchema, type Feedback } from '../../src/protocol/feedback.ts';
import { publishForFeedback, startAppUnderTest, type AppUnderTest } from '../helpers/app-harness.ts';
import { adminCookie } from '../helpers/web-login.ts';
import { tempDir, until, writeDemoConfig } from '../helpers/schedule-peer.ts';

// The `cost` policy wired into the real app: prices pushed by the integrator over MQTT (the app's
// embedded broker), the planner in its worker thread, the plan over feedback and GET /api/plan.

const T0 = Date.UTC(2025, 0, 15, 9, 0, 0); // a winter morning, 10:00 in Brussels
const SLOT_S = 900;
let seq = 0;

/** 48 quarter-hour prices from now's slot: 100 EUR/MWh, `cheap` EUR/MWh in slots 8–15 (2 h from +2 h). */
function priceMessage(nowS: number, cheap: number): { time: number; currency: 'EUR'; prices: Array<{ start: number; end: number; price_eur_mwh: number }> } {
  const first = Math.floor(nowS / SLOT_S) * SLOT_S;
  seq += 1;
  return {
    time: nowS - seq, // unique, so the answer is matched exactly
    currency: 'EUR',
    prices: Array.from({ length: 48 }, (_, i) => ({ start: first + i * SLOT_S, end: first + (i + 1) * SLOT_S, price_eur_mwh: i >= 8 && i < 16 ? cheap : 100 })),
  };
}

function pushPrices(t: AppUnderTest, payload: string, requestTime: number | null): Promise<Feedback> {
  return publishForFeedback(t, t.app.info.topics.prices, payload, requestTime, 'price feedback');
}

describe('cost in the app: prices pushed over MQTT, plan in feedback and over HTTP', () => {
  const dir = tempDir('gp-cost-');
  let t: AppUnderTest;
  const clock = new FakeClock(T0);

  before(async () => {
    const configPath = writeDemoConfig(dir.path, { optimizer: { prices: 'pushed' }, defaults: { storage: 'cost' } });
    t = await startAppUnderTest({ clock, configPath, httpPort: 0 });
  });
  after(async () => {
    await t.stop();
    dir.remove();
  });

  const explanation = (): CostPlanExplanation => t.app.cost.service.explanation();

  it('without prices the cost policy runs its documented no-plan behaviour and says why', async () => {
    await until(() => explanation().status === 'none' && /no day-ahead prices/.test(explanation().message ?? ''), 'no-plan status');
    const fb = await t.command({});
    const plan = (fb.data as { plan?: { status: string; message?: string } }).plan;
    assert.equal(plan?.status, 'none');
    assert.match(plan?.message ?? '', /no day-ahead prices/);
    assert.equal(fb.data.state.storage.executed_policy, 'cost');
  });

  it('takes pushed prices (code 0), re-plans with them and shows the plan in feedback and GET /api/plan', async () => {
    const cookie = await adminCookie(t.app.info.httpUrl as string);
    const msg = priceMessage(t.nowS(), -50);
    const fb = await pushPrices(t, JSON.stringify(msg), msg.time);
    assert.equal(fb.data.response_code, 0);
    await until(() => explanation().status === 'optimal' || explanation().status === 'time_limit', 'a solved plan', 15_000);
    const x = explanation();
    assert.equal(x.plan?.slots.length, 48);
    const cheapSlot = x.plan?.slots[8];
    assert.ok(cheapSlot && cheapSlot.importPriceEurPerKwh < 0.1, `the pushed cheap price is in the plan: ${cheapSlot?.importPriceEurPerKwh}`);
    assert.ok((cheapSlot?.storage[0]?.powerW ?? 0) > 1000, 'the batteries are planned to charge in the cheap slots');
    const http = await fetch(`${t.app.info.httpUrl}/api/plan`, { headers: { cookie } });
    assert.equal(http.status, 200);
    const body = (await http.json()) as { status: string; nowMs: number; plan: { slots: Array<{ startMs: number; storage: Array<{ reason: string }> }> } };
    // The anytime proof may have finished in between (time_limit → optimal), never the other way.
    assert.ok(body.status === x.status || (x.status === 'time_limit' && body.status === 'optimal'), `${x.status} then ${body.status}`);
    assert.ok(body.plan.slots.length >= 47, 'slots from the current one on');
    assert.ok(body.plan.slots.every((s) => s.startMs + 900_000 > body.nowMs));
    assert.match(body.plan.slots[8]?.storage[0]?.reason ?? '', /charge/);
    // data.plan on the wire, as the SDK parses it (the schema keeps it).
    const wire = FeedbackSchema.parse(await t.command({}));
    assert.ok(wire.data.plan && wire.data.plan.status === x.status, 'data.plan survives the feedback schema');
    assert.equal(wire.data.plan.next_slots.length, 4);
    assert.match(wire.data.plan.slot?.reasons['storage'] ?? '', /\w/);
  });

  it('rejects a malformed price message with every problem named, and keeps the prices it had', async () => {
    const before = explanation().plan?.slots[8]?.importPriceEurPerKwh;
    const bad = priceMessage(t.nowS(), 500);
    const third = bad.prices[3];
    if (third) third.start += 60; // not contiguous
    const withExtra = { ...bad, prices: bad.prices.map((p, i) => (i === 5 ? { ...p, price_eur_mwh: 'cheap' } : p)) };
    const fb = await pushPrices(t, JSON.stringify(withExtra), bad.time);
    assert.equal(fb.data.response_code, 11);
    const fields = (fb.data.errors ?? []).map((e) => e.field);
    assert.ok(fields.includes('prices[5].price_eur_mwh'), `errors name the bad value: ${JSON.stringify(fb.data.errors)}`);
    const notJson = await pushPrices(t, '{"time": 1, "prices": [', null);
    assert.equal(notJson.data.response_code, 10);
    t.app.cost.service.onPricesUpdated();
    await t.app.cost.service.idle();
    assert.equal(explanation().plan?.slots[8]?.importPriceEurPerKwh, before, 'the earlier prices stay in force');
  });

  it('a later message replaces the slots it covers: the plan follows the new prices', async () => {
    const msg = priceMessage(t.nowS(), 300);
    const fb = await pushPrices(t, JSON.stringify(msg), msg.time);
    assert.equal(fb.data.response_code, 0);
    await until(() => (explanation().plan?.slots[8]?.importPriceEurPerKwh ?? 0) > 0.3, 'a plan with the new prices', 15_000);
    const slot = explanation().plan?.slots[8];
    assert.ok((slot?.storage[0]?.powerW ?? 0) <= 0, 'no charging in what is now the most expensive window');
  });
});
