import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { priceProviderFor } from '../../src/optimizer/cost-wiring.ts';
import { OverlayPriceProvider } from '../../src/optimizer/prices/overlay-price-provider.ts';
import { loadBundledPrices } from '../../src/optimizer/prices/price-file.ts';
import { StaticPriceProvider, PushedPriceProvider } from '../../src/optimizer/prices/price-provider.ts';
import { slicePriceSeries } from '../../src/optimizer/prices/price-series.ts';
import { resolveSiteConfig } from '../../src/site/site-config.ts';

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
