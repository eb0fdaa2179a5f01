import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { priceProviderFor } from '../../src/optimizer/cost-wiring.ts';
import { OverlayPriceProvider } from '../../src/optimizer/prices/overlay-price-provider.ts';
import { StaticPriceProvider, PushedPriceProvider } from '../../src/optimizer/prices/price-provider.ts';
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
});
