import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { priceProviderFor } from '../../src/optimizer/cost-wiring.ts';
import { OverlayPriceProvider } from '../../src/optimizer/prices/overlay-price-provider.ts';
import { loadBundledPrices } from '../../src/optimizer/prices/price-file.ts';
import { StaticPriceProvider, PushedPriceProvider } from '../../src/optimizer/prices/price-provider.ts';
import { slicePriceSeries } from '../../src/optimizer/prices/price-series.ts';
import { resolveSiteConfig } from '../../src/site/site-config.ts';
import { handlePriceMessage } from '../../src/optimizer/price-push.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import type { FieldError, ResponseCode } from '../../src/protocol/response-codes.ts';

const H = 3_600_000;
const T0 = Date.UTC(2024, 5, 3, 0, 0, 0);

describe('price sources: the configured one with pushed prices over it', () => {
  it('pushed slots win where they exist; the base answers elsewhere; a base with a gap stops the answer there', async () => {
    const base = new StaticPriceProvider({ startMs: T0, slotMs: H, pricesEurPerMwh: [10, 20, 30, 40] });
    const pushed = new PushedPriceProvider();
    pushed.accept({ startMs: T0 + H, slotMs: 900_000, pricesEurPerMwh: [-5, -6, -7, -8] });
    const overlay = new OverlayPriceProvider(base, pushed);
    const s = await overlay.readPrices(T0, T0 + 4 * H);
    assert.ok(s);
    assert.equal(s.slotMs, 900_000);
    assert.deepEqual(s.pricesEurPerMwh, [10, 10, 10, 10, -5, -6, -7, -8, 30, 30, 30, 30, 40, 40, 40, 40]);
    assert.equal(await new OverlayPriceProvider(new PushedPriceProvider(), new PushedPriceProvider()).readPrices(T0, T0 + H), null);
  });

  it('builds the provider the config names, and refuses entsoe without a token at config time', async () => {
    const clock = new FakeClock(Date.UTC(2024, 5, 3, 9, 0, 0)); // 11:00 in Brussels
    const bundled = priceProviderFor(resolveSiteConfig({ serial: 'X1' }), clock);
    const midnight = Date.UTC(2024, 5, 2, 22); // 2024-06-03 00:00 in Brussels
    const today = await bundled.provider.readPrices(midnight, midnight + 48 * H);
    assert.ok(today && today.pricesEurPerMwh.length === 96, 'bundled: today only before 13:00 (day-ahead not yet published)');
    bundled.pushed.accept({ startMs: midnight + 24 * H, slotMs: 900_000, pricesEurPerMwh: [1, 2, 3, 4] });
    const withPushed = await bundled.provider.readPrices(midnight, midnight + 48 * H);
    assert.equal(withPushed?.pricesEurPerMwh.length, 100, 'pushed prices extend the known horizon');
    assert.throws(() => resolveSiteConfig({ serial: 'X1', optimizer: { prices: 'entsoe' } }), /optimizer\.entsoe: prices "entsoe" needs optimizer\.entsoe\.securityToken/);
    assert.throws(() => resolveSiteConfig({ serial: 'X1', optimizer: { prices: 'entsoe', entsoe: { securityToken: 'abcdefgh-1234', biddingZoneEic: 'BE' } } }), /biddingZoneEic: must be a 16-character EIC/);
    const entsoe = priceProviderFor(resolveSiteConfig({ serial: 'X1', optimizer: { prices: 'entsoe', entsoe: { securityToken: 'abcdefgh-1234' } } }), clock);
    assert.ok(entsoe.provider instanceof OverlayPriceProvider);
    assert.throws(() => priceProviderFor(resolveSiteConfig({ serial: 'X1', optimizer: { prices: '/nonexistent/prices.csv' } }), clock), /nonexistent/);
  });

  it('the bundled prices replayed onto a date past their span say which recorded days they are, and pushed prices are never a replay', async () => {
    const site = resolveSiteConfig({ serial: 'X1' }); // prices: bundled, Europe/Brussels
    const morning = new FakeClock(Date.parse('2026-12-04T09:00:00Z')); // Friday 10:00 in Brussels, 728 days (104 weeks) after Friday 2024-12-06
    const { provider, pushed } = priceProviderFor(site, morning);
    const now = morning.now();
    const replay = await provider.replayOf?.(now, now + 48 * H);
    assert.deepEqual(replay, {
      source: 'the bundled Belgian day-ahead prices',
      days: [{ day: '2026-12-04', fromMs: Date.parse('2026-12-03T23:00:00Z'), sourceDay: '2024-12-06', sourceFromMs: Date.parse('2024-12-05T23:00:00Z') }],
    });
    // What it answers is that day's recorded prices.
    const answer = await provider.readPrices(Date.parse('2026-12-03T23:00:00Z'), Date.parse('2026-12-04T23:00:00Z'));
    const recorded = slicePriceSeries(loadBundledPrices(), Date.parse('2024-12-05T23:00:00Z'), Date.parse('2024-12-06T23:00:00Z'));
    assert.deepEqual(answer?.pricesEurPerMwh, recorded.pricesEurPerMwh);
    // From 13:00 tomorrow is known too: two replayed days.
    morning.setNow(Date.parse('2026-12-04T12:30:00Z'));
    const both = await provider.replayOf?.(morning.now(), morning.now() + 48 * H);
    assert.deepEqual(both?.days.map((d) => [d.day, d.sourceDay]), [['2026-12-04', '2024-12-06'], ['2026-12-05', '2024-12-07']]);
    // Pushed prices for today: only tomorrow is a replay; pushed prices for both days: none is.
    pushed.accept({ startMs: Date.parse('2026-12-03T23:00:00Z'), slotMs: 900_000, pricesEurPerMwh: new Array<number>(96).fill(80) });
    assert.deepEqual((await provider.replayOf?.(morning.now(), morning.now() + 48 * H))?.days.map((d) => d.day), ['2026-12-05']);
    pushed.accept({ startMs: Date.parse('2026-12-04T23:00:00Z'), slotMs: 900_000, pricesEurPerMwh: new Array<number>(96).fill(90) });
    assert.equal(await provider.replayOf?.(morning.now(), morning.now() + 48 * H), null);
    // Inside the recorded span the prices are their own dates': no replay.
    const inSpan = priceProviderFor(site, new FakeClock(Date.parse('2024-06-03T09:00:00Z')));
    assert.equal(await inSpan.provider.replayOf?.(Date.parse('2024-06-03T09:00:00Z'), Date.parse('2024-06-05T09:00:00Z')), null);
    // Only pushed prices: never a replay.
    const onlyPushed = priceProviderFor(resolveSiteConfig({ serial: 'X1', optimizer: { prices: 'pushed' } }), morning);
    assert.equal(onlyPushed.provider.replayOf, undefined);
  });
});

describe('the price channel: every message answered, bad ones change nothing [docs/protocol.md § Price messages]', () => {
  const NOW = Date.UTC(2025, 5, 2, 10, 0, 0);
  const nowS = NOW / 1000;
  /** A controller stand-in that records every answer (the app answers through Controller.answer). */
  const answers: Array<{ requestTime: unknown; code: ResponseCode; errors: FieldError[] }> = [];
  const controller = {
    answer(req: { requestTime: unknown; code: ResponseCode; errors?: FieldError[] }): Promise<Feedback> {
      answers.push({ requestTime: req.requestTime, code: req.code, errors: req.errors ?? [] });
      return Promise.resolve({ requestTime: req.requestTime, data: { response_code: req.code, ...(req.errors?.length ? { errors: req.errors } : {}) } } as unknown as Feedback);
    },
  };
  const series = (startS: number, slotS: number, prices: number[]) => ({ time: nowS, currency: 'EUR', prices: prices.map((p, i) => ({ start: startS + i * slotS, end: startS + (i + 1) * slotS, price_eur_mwh: p })) });
  const hourStartS = Math.floor(nowS / 3600) * 3600;
  const push = async (prices: PushedPriceProvider, message: unknown) => {
    let replans = 0;
    const out = await handlePriceMessage(typeof message === 'string' ? message : JSON.stringify(message), { controller, prices, onAccepted: () => (replans += 1), nowMs: NOW });
    return { ...out, replans, errors: out.feedback.data.errors ?? [] };
  };

  it('a 10-minute series is refused with 11, and a good 15-minute one after it is applied and answered', async () => {
    const prices = new PushedPriceProvider();
    const bad = await push(prices, series(hourStartS, 600, [1, 2, 3, 4, 5, 6]));
    assert.equal(bad.code, 11);
    assert.match(bad.errors[0]?.message ?? '', /slot length 600 s \(10 min\) is not accepted; use 15 or 60 min/);
    assert.equal(bad.replans, 0);
    assert.equal(prices.current(), null, 'nothing stored');
    const good = await push(prices, series(hourStartS, 900, [10, 20, 30, 40]));
    assert.equal(good.code, 0);
    assert.equal(good.replans, 1);
    assert.deepEqual(prices.current(), { startMs: hourStartS * 1000, slotMs: 900_000, pricesEurPerMwh: [10, 20, 30, 40] });
    assert.deepEqual(good.stored, { fromMs: hourStartS * 1000, toMs: (hourStartS + 3600) * 1000, slots: 4 });
    // 5, 30 and 60 minutes combine with what is held.
    for (const slotS of [300, 1800, 3600]) assert.equal((await push(prices, series(hourStartS + 3600, slotS, [7]))).code, 0, `${slotS / 60} min`);
  });

  it('10-minute prices held from before the rule no longer wedge later messages', async () => {
    const prices = new PushedPriceProvider();
    prices.accept({ startMs: hourStartS * 1000, slotMs: 600_000, pricesEurPerMwh: [1, 2, 3, 4, 5, 6] });
    const good = await push(prices, series(hourStartS + 1800, 900, [10, 20]));
    assert.equal(good.code, 0, JSON.stringify(good.errors));
    assert.deepEqual(prices.current(), { startMs: (hourStartS + 1800) * 1000, slotMs: 900_000, pricesEurPerMwh: [10, 20] });
  });

  it('refuses prices that ended more than 48 h ago or start more than 7 days ahead (15), and |price| > 10,000 or ±1e308 (11), naming where', async () => {
    const prices = new PushedPriceProvider();
    assert.equal((await push(prices, series(hourStartS, 3600, [50, 60]))).code, 0);
    const held = prices.current();
    const old = await push(prices, series(hourStartS - 115 * 86_400, 3600, [1, 2]));
    assert.equal(old.code, 15);
    assert.equal(old.errors[0]?.field, 'prices[1].end');
    assert.match(old.errors[0]?.message ?? '', /the last slot ended 2025-02-\d\dT\d\d:00:00Z, 114 days before the controller's now .*more than 48 h ago are refused/);
    assert.equal((await push(prices, series(hourStartS - 47 * 3600, 3600, [1]))).code, 0, 'ended 46 h ago: accepted');
    assert.equal((await push(prices, series(hourStartS - 50 * 3600, 3600, [1]))).code, 15, 'ended 49 h ago');
    const ahead = await push(prices, series(hourStartS + 8 * 86_400, 3600, [1]));
    assert.equal(ahead.code, 15);
    assert.match(ahead.errors[0]?.message ?? '', /more than 7 days after the controller's now/);
    const huge = await push(prices, `{"time":${nowS},"currency":"EUR","prices":[{"start":${hourStartS},"end":${hourStartS + 3600},"price_eur_mwh":1e308},{"start":${hourStartS + 3600},"end":${hourStartS + 7200},"price_eur_mwh":-1e308}]}`);
    assert.equal(huge.code, 11);
    assert.deepEqual(huge.errors.map((e) => e.field), ['prices[0].price_eur_mwh', 'prices[1].price_eur_mwh']);
    assert.match(huge.errors[0]?.message ?? '', /must be within ±10,000 EUR\/MWh .*got 1e\+308/);
    assert.equal((await push(prices, series(hourStartS, 3600, [10_001]))).code, 11);
    assert.equal((await push(prices, series(hourStartS, 3600, [-10_000, 10_000]))).code, 0, 'the bounds themselves are accepted');
    // Only the accepted ones changed the series: the last one replaced its two hours.
    assert.deepEqual(prices.current()?.pricesEurPerMwh.slice(-2), [-10_000, 10_000]);
    assert.notEqual(prices.current(), held);
  });

  it('decodes like commands: a BOM is tolerated, a key given twice (11) or __proto__ (12) is refused; internal failures answer 20', async () => {
    const prices = new PushedPriceProvider();
    const text = JSON.stringify(series(hourStartS, 3600, [5]));
    assert.equal((await push(prices, `\uFEFF${text}`)).code, 0);
    const twice = await push(prices, text.replace('"currency":"EUR"', '"currency":"EUR","currency":"EUR"'));
    assert.equal(twice.code, 11);
    assert.equal(twice.errors[0]?.field, 'currency');
    assert.equal(twice.feedback.requestTime, nowS, 'still echoes its time');
    assert.equal((await push(prices, text.replace('"currency":"EUR"', '"currency":"EUR","__proto__":{}'))).code, 12);
    const broken = { accept: () => { throw new Error('disk on fire'); }, current: () => null } as unknown as PushedPriceProvider;
    const failed = await push(broken, text);
    assert.equal(failed.code, 20);
    assert.match(failed.errors[0]?.message ?? '', /disk on fire; the prices held are unchanged/);
    assert.equal(failed.replans, 0);
  });
});

