import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import DatabaseConstructor from 'better-sqlite3';
import { runLog } from '../../src/cli/commands/log.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { FakeClock } from '../../src/core/clock.ts';
import type { CostPlanExplanation } from '../../src/optimizer/cost-service.ts';
import type { PriceSeries } from '../../src/optimizer/prices/price-series.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import type { CommandLogRow } from '../../src/store/command-log.ts';
import { HistoryReader } from '../../src/store/queries.ts';
import { publishForFeedback, startAppUnderTest, type AppUnderTest } from '../helpers/app-harness.ts';
import { tempDir, until, writeDemoConfig } from '../helpers/schedule-peer.ts';

// Pushed prices survive a restart: the real app (embedded broker, store worker, planner) takes a
// price message over MQTT, is stopped, and started again on the same data directory: it plans with
// the same prices without any new message. Every price message, accepted or rejected, is in the
// command log with its response_code (and `gridpilot log --kind prices` shows them); a rejected
// one stores nothing.

const T0 = Date.UTC(2025, 0, 15, 9, 0, 0); // a winter morning, 10:00 in Brussels
const SLOT_S = 900;

interface PriceMessage {
  time: number;
  currency: 'EUR';
  prices: Array<{ start: number; end: number; price_eur_mwh: number | string }>;
}

/** 48 quarter-hour prices from now's slot: 100 EUR/MWh, -50 in slots 8–15. `time` is unique. */
function priceMessage(nowS: number, time: number): PriceMessage {
  const first = Math.floor(nowS / SLOT_S) * SLOT_S;
  return {
    time,
    currency: 'EUR',
    prices: Array.from({ length: 48 }, (_, i) => ({ start: first + i * SLOT_S, end: first + (i + 1) * SLOT_S, price_eur_mwh: i >= 8 && i < 16 ? -50 : 100 + i })),
  };
}

function pushPrices(t: AppUnderTest, payload: string, requestTime: number | null): Promise<Feedback> {
  return publishForFeedback(t, t.app.info.topics.prices, payload, requestTime, 'price feedback');
}

const isSolved = (x: CostPlanExplanation): boolean => x.status === 'optimal' || x.status === 'time_limit';

/** Import price per slot start, from a plan. */
function pricesBySlot(x: CostPlanExplanation): Map<number, number> {
  return new Map((x.plan?.slots ?? []).map((s) => [s.startMs, s.importPriceEurPerKwh]));
}

function storedPrices(dataDir: string): ReturnType<HistoryReader['pushedPrices']> {
  const reader = new HistoryReader(dataDir);
  try {
    return reader.pushedPrices();
  } finally {
    reader.close();
  }
}

function priceLog(dataDir: string): CommandLogRow[] {
  const reader = new HistoryReader(dataDir);
  try {
    return reader.commands({ kind: 'prices', limit: 100 });
  } finally {
    reader.close();
  }
}

describe('pushed prices survive a restart and are in the command log', () => {
  const dir = tempDir('gp-prices-restart-');
  const dataDir = join(dir.path, 'data');
  const configPath = writeDemoConfig(dir.path, { optimizer: { prices: 'pushed' }, defaults: { storage: 'cost' } });
  let t: AppUnderTest | null = null;
  let firstPlan: Map<number, number>;
  let firstSeries: PriceSeries | null = null;
  let pricesTopic = '';
  const accepted = priceMessage(T0 / 1000, T0 / 1000 - 1);
  const badShape = { ...priceMessage(T0 / 1000, T0 / 1000 - 2), currency: 'EUR' as const };
  const rejectedFirst = priceMessage(T0 / 1000, T0 / 1000 - 3);

  after(async () => {
    await t?.stop();
    dir.remove();
  });

  it('first run: a rejected message is logged and stores nothing; an accepted one is planned with and saved', async () => {
    t = await startAppUnderTest({ clock: new FakeClock(T0), configPath, dataDir });
    const app = t.app;
    pricesTopic = app.info.topics.prices;

    // Rejected before anything was stored: logged with its code, nothing saved.
    const wrong = { ...rejectedFirst, prices: rejectedFirst.prices.map((p, i) => (i === 5 ? { ...p, price_eur_mwh: 'cheap' } : p)) };
    const fb0 = await pushPrices(t, JSON.stringify(wrong), wrong.time);
    assert.equal(fb0.data.response_code, 11);
    assert.equal(storedPrices(dataDir), null, 'a rejected message stores nothing');
    assert.equal(app.cost.pushedPrices.current(), null);

    const fb = await pushPrices(t, JSON.stringify(accepted), accepted.time);
    assert.equal(fb.data.response_code, 0);
    // Saved before the answer was published.
    const saved = storedPrices(dataDir);
    assert.ok(saved, 'the series is in the data directory once the answer is out');
    assert.deepEqual(saved.series, app.cost.pushedPrices.current());
    assert.equal(saved.series.pricesEurPerMwh.length, 48);
    assert.equal(saved.series.startMs, T0);
    firstSeries = saved.series;

    await until(() => isSolved(app.cost.service.explanation()), 'a solved plan', 15_000);
    const x = app.cost.service.explanation();
    assert.ok((x.plan?.slots[8]?.importPriceEurPerKwh ?? 1) < 0.1, 'the cheap pushed price is in the plan');
    firstPlan = pricesBySlot(x);

    // Rejected after: logged with its code; the stored series and the one in force are unchanged.
    const third = badShape.prices[3];
    if (third) third.start += 60; // not contiguous
    const fb2 = await pushPrices(t, JSON.stringify(badShape), badShape.time);
    assert.equal(fb2.data.response_code, 11);
    const fb3 = await pushPrices(t, '{"time": 7, "prices": [', null);
    assert.equal(fb3.data.response_code, 10);
    assert.deepEqual(storedPrices(dataDir), saved, 'rejected messages leave the stored prices alone');
    assert.deepEqual(app.cost.pushedPrices.current(), firstSeries);

    await t.stop();
    t = null;
  });

  it('the command log holds every price message with its response_code; `gridpilot log --kind prices` shows them', async () => {
    const log = priceLog(dataDir);
    assert.deepEqual(
      log.map((r) => [r.requestTime, r.responseCode]),
      [
        [null, 10],
        [badShape.time, 11],
        [accepted.time, 0],
        [rejectedFirst.time, 11],
      ],
    );
    const ok = log[2];
    assert.equal(ok?.kind, 'prices');
    assert.equal(ok?.topic, pricesTopic);
    assert.match(pricesTopic, /^gridpilot\/prices\//);
    assert.deepEqual(ok?.executed?.prices, { slots: 48, fromMs: T0, toMs: T0 + 48 * SLOT_S * 1000 });
    assert.ok(ok?.payloadBytes && ok.payloadBytes > 2000, 'the payload size is recorded');
    assert.ok(log[3]?.errors.some((e) => e.field === 'prices[5].price_eur_mwh'), JSON.stringify(log[3]?.errors));
    assert.equal(log[3]?.executed?.prices, undefined, 'a rejected message stored nothing');

    const io = memoryIo();
    assert.equal(await runLog({ dataDir, limit: 10, kind: 'prices' }, io), 0, io.stderr.join('\n'));
    const out = io.stdout.join('\n');
    const lines = out.split('\n').filter((l) => /^\d{4}-/.test(l));
    assert.equal(lines.length, 4, out);
    assert.match(lines[0] ?? '', /prices +10 NOT_JSON +payload "\{\\"time\\": 7/);
    assert.match(lines[1] ?? '', /prices +11 BAD_SHAPE +48 price slots, 2025-01-15 09:00 → 2025-01-15 21:00/);
    assert.match(lines[2] ?? '', /prices +0 OK +48 price slots, 2025-01-15 09:00 → 2025-01-15 21:00/);
    assert.match(out, /! prices\[5\]\.price_eur_mwh: /);

    const all = memoryIo();
    await runLog({ dataDir, limit: 10 }, all);
    assert.equal(all.stdout.join('\n').split('\n').filter((l) => /^\d{4}-.* prices /.test(l)).length, 4, 'without --kind they are listed too');
  });

  it('second run on the same data directory: the plan uses the saved prices without any new message', async () => {
    const clock = new FakeClock(T0 + 5 * 60_000); // same quarter hour, a few minutes on
    t = await startAppUnderTest({ clock, configPath, dataDir });
    const app = t.app;
    assert.deepEqual(app.cost.pushedPrices.current(), firstSeries, 'loaded from the store at start');
    await until(() => isSolved(app.cost.service.explanation()), 'a solved plan after the restart', 15_000);
    const x = app.cost.service.explanation();
    const again = pricesBySlot(x);
    assert.ok(again.size >= 40, `a plan over the saved prices: ${again.size} slots`);
    for (const [startMs, price] of again) assert.equal(price, firstPlan.get(startMs), `slot ${new Date(startMs).toISOString()}: same price as before the restart`);
    assert.ok((x.plan?.slots.find((s) => s.startMs === T0 + 8 * SLOT_S * 1000)?.storage[0]?.powerW ?? 0) > 1000, 'the batteries are planned to charge in the cheap slots');
    // No message was needed (nor sent) for that.
    assert.equal((await app.store?.queryCommands({ kind: 'prices' }))?.length, 4);
  });

  it('a corrupted stored series does not stop the start: it is ignored, and the next accepted message replaces it', async () => {
    await t?.stop();
    t = null;
    const db = new DatabaseConstructor(join(dataDir, 'gridpilot.db'));
    db.exec(`UPDATE pushed_prices SET prices_json = '[1, "two"'`);
    db.close();
    t = await startAppUnderTest({ clock: new FakeClock(T0), configPath, dataDir });
    assert.equal(t.app.cost.pushedPrices.current(), null, 'nothing unreadable reaches the planner');
    const msg = priceMessage(T0 / 1000, T0 / 1000 - 4);
    assert.equal((await pushPrices(t, JSON.stringify(msg), msg.time)).data.response_code, 0);
    assert.deepEqual(storedPrices(dataDir)?.series, t.app.cost.pushedPrices.current());
  });
});
