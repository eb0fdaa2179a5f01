import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { GridpilotError } from '../../src/core/errors.ts';
import { loadBundledPrices, parsePriceCsv, parsePriceJson } from '../../src/optimizer/prices/price-file.ts';
import { priceMessageFromSeries, validatePriceMessage } from '../../src/optimizer/prices/price-message.ts';
import { dayAheadKnownUntilMs, PushedPriceProvider, StaticPriceProvider } from '../../src/optimizer/prices/price-provider.ts';
import { mergePriceSeries, priceAtEurPerMwh, resamplePriceSeries, slicePriceSeries } from '../../src/optimizer/prices/price-series.ts';
import { applyTariff, BELGIAN_DYNAMIC_TARIFF, exportPriceEurPerKwh, importPriceEurPerKwh, makeTariff } from '../../src/optimizer/prices/tariff.ts';

const HEADER = 'datetime_utc,date,hour,minute,price_eur_mwh';
const csv = (...rows: string[]): string => [HEADER, ...rows].join('\n');

void describe('price files (bundled CSV format)', () => {
  void it('loads the bundled Belgian prices: hourly repeated ×4, then real quarter hours from 2025-10-01', () => {
    const s = loadBundledPrices();
    assert.equal(s.slotMs, 900_000);
    assert.equal(s.startMs, Date.parse('2023-12-31T23:00:00Z'));
    const at = (iso: string) => priceAtEurPerMwh(s, Date.parse(iso)) ?? NaN;
    assert.equal(at('2024-06-02T12:00:00Z'), at('2024-06-02T12:45:00Z'), 'an hourly price holds for its four quarters');
    assert.ok(s.pricesEurPerMwh.some((p) => p < 0), 'negative prices are kept');
    // The file misses two hours on three DST days; those gaps are filled by holding the last price.
    assert.equal(s.filledGaps.length, 3);
    assert.equal(at('2024-03-31T00:30:00Z'), at('2024-03-30T23:45:00Z'));
  });

  void it('names the file and line of the first bad row, and loads nothing', () => {
    const cases: Array<[string, RegExp]> = [
      [csv('2024-01-01 00:00:00,2024-01-01,0,0,10', '2024-01-01 00:15:00,2024-01-01,0,15,abc'), /prices\.csv:3: price_eur_mwh is not a number: "abc"/],
      [csv('2024-01-01 00:00:00,2024-01-01,0,0,10', '2024-01-01 00:15:00,2024-01-01,1,15,11'), /prices\.csv:3: hour "1" does not match/],
      [csv('2024-01-01 00:00:00,2024-01-01,0,0,10', '2024-01-01 00:15:00,2024-01-02,0,15,11'), /prices\.csv:3: date "2024-01-02" does not match/],
      [csv('2024-01-01 00:00:00,2024-01-01,0,0,10', '2024-01-01 00:15:00,2024-01-01,0,15,11', '2024-01-01 00:15:00,2024-01-01,0,15,12'), /prices\.csv:4: row repeats or goes back in time/],
      [csv('2024-01-01 00:00:00,2024-01-01,0,0,10', '2024-01-01 00:15:00,2024-01-01,0,15,11', '2024-01-01 05:00:00,2024-01-01,5,0,12'), /prices\.csv:4: row leaves a gap of 270 min/],
      [csv('2024-01-01 00:00:00,2024-01-01,0,0,10', '2024-13-01 00:15:00,2024-01-01,0,15,11'), /prices\.csv:3: datetime_utc is not a UTC date-time/],
      [csv('2024-01-01 00:00:00,2024-01-01,0,0'), /prices\.csv:2: expected 5 cells, got 4/],
      ['when,price\n2024-01-01 00:00,1', /prices\.csv:1: header must name the columns datetime_utc and price_eur_mwh/],
    ];
    for (const [text, message] of cases) assert.throws(() => parsePriceCsv(text, 'prices.csv'), (err: unknown) => err instanceof GridpilotError && message.test(err.message), String(message));
  });

  void it('reads JSON rows and JSON price messages', () => {
    const rows = parsePriceJson(JSON.stringify([{ datetime_utc: '2024-01-01 00:00:00', price_eur_mwh: 10 }, { datetime_utc: '2024-01-01 01:00:00', price_eur_mwh: -5 }]), 'p.json');
    assert.deepEqual({ startMs: rows.startMs, slotMs: rows.slotMs, prices: rows.pricesEurPerMwh }, { startMs: Date.UTC(2024, 0, 1), slotMs: 3_600_000, prices: [10, -5] });
    assert.throws(() => parsePriceJson('[{"datetime_utc":"2024-01-01 00:00:00","price_eur_mwh":"10"}]', 'p.json'), /p\.json:\[0\]: price_eur_mwh is not a finite number/);
    const message = priceMessageFromSeries({ startMs: Date.UTC(2024, 0, 1), slotMs: 900_000, pricesEurPerMwh: [1, 2] }, Date.UTC(2024, 0, 1));
    assert.deepEqual(parsePriceJson(JSON.stringify(message), 'm.json').pricesEurPerMwh, [1, 2]);
  });
});

void describe('price series helpers', () => {
  const hourly = { startMs: Date.UTC(2024, 0, 1), slotMs: 3_600_000, pricesEurPerMwh: [10, 20, 30] };
  void it('resamples hourly to quarter hours (repeat) and back (mean)', () => {
    const q = resamplePriceSeries(hourly, 900_000);
    assert.deepEqual(q.pricesEurPerMwh, [10, 10, 10, 10, 20, 20, 20, 20, 30, 30, 30, 30]);
    assert.deepEqual(resamplePriceSeries({ ...q, pricesEurPerMwh: [1, 2, 3, 4, 5, 6, 7, 8] }, 3_600_000).pricesEurPerMwh, [2.5, 6.5]);
  });
  void it('slices whole slots and merges with the later series winning', () => {
    assert.deepEqual(slicePriceSeries(hourly, hourly.startMs + 1_800_000, hourly.startMs + 7_200_000).pricesEurPerMwh, [10, 20]);
    const merged = mergePriceSeries([hourly, { startMs: hourly.startMs + 7_200_000, slotMs: 900_000, pricesEurPerMwh: [31, 32, 33, 34, 35] }]);
    assert.equal(merged?.slotMs, 900_000);
    assert.deepEqual(merged?.pricesEurPerMwh.slice(7), [20, 31, 32, 33, 34, 35]);
  });
});

void describe('prices pushed over MQTT', () => {
  const good = { time: 1_735_732_800, currency: 'EUR', prices: [{ start: 1_735_772_400, end: 1_735_773_300, price_eur_mwh: 84.1 }, { start: 1_735_773_300, end: 1_735_774_200, price_eur_mwh: -3 }] };
  void it('accepts a valid message (object or JSON text) and gives its series', () => {
    for (const input of [good, JSON.stringify(good)]) {
      const r = validatePriceMessage(input);
      assert.ok(r.ok);
      assert.deepEqual(r.series, { startMs: 1_735_772_400_000, slotMs: 900_000, pricesEurPerMwh: [84.1, -3] });
    }
  });
  void it('lists every problem with its path, and never throws', () => {
    const check = (input: unknown): string[] => {
      const r = validatePriceMessage(input);
      return r.ok ? [] : r.errors;
    };
    assert.deepEqual(check('{nope'), [check('{nope')[0] ?? '']);
    assert.match(check('{nope')[0] ?? '', /^\(root\): not valid JSON/);
    assert.match(check({ ...good, currency: 'USD' }).join(), /currency: /);
    assert.match(check({ ...good, extra: 1 }).join(), /Unrecognized key.*extra|extra/);
    assert.match(check({ ...good, prices: [] }).join(), /prices: /);
    assert.match(check({ ...good, prices: [{ start: 1.5, end: 2, price_eur_mwh: 1 }] }).join(), /prices\[0\]\.start: must be whole seconds/);
    const gap = { ...good, prices: [good.prices[0], { start: 1_735_774_200, end: 1_735_775_100, price_eur_mwh: 1 }] };
    assert.match(check(gap).join(), /prices\[1\]\.start: must equal the previous slot's end \(1735773300\), got 1735774200 \(gap\)/);
    const backwards = { ...good, prices: [{ start: 1_735_773_300, end: 1_735_772_400, price_eur_mwh: 1 }] };
    assert.match(check(backwards).join(), /prices\[0\]\.end: must be after start/);
    const offGrid = { ...good, prices: [{ start: 1_735_772_460, end: 1_735_773_360, price_eur_mwh: 1 }] };
    assert.match(check(offGrid).join(), /prices\[0\]\.start: 1735772460 is not on a 15-minute boundary/);
  });
  void it('a pushed provider keeps the newest prices for each slot', async () => {
    const provider = new PushedPriceProvider();
    const first = validatePriceMessage(good);
    const update = validatePriceMessage({ ...good, prices: [{ start: 1_735_773_300, end: 1_735_774_200, price_eur_mwh: 7 }] });
    assert.ok(first.ok && update.ok);
    provider.accept(first.series);
    provider.accept(update.series);
    const s = await provider.readPrices(1_735_772_400_000, 1_735_774_200_000);
    assert.deepEqual(s?.pricesEurPerMwh, [84.1, 7]);
    // Slots that ended more than 2 days before a new message's first slot are dropped, whatever the sender's clock says.
    const later = validatePriceMessage({ ...good, time: 1, prices: [{ start: 1_735_772_400 + 3 * 86_400, end: 1_735_773_300 + 3 * 86_400, price_eur_mwh: 5 }] });
    assert.ok(later.ok);
    provider.accept(later.series);
    assert.equal(await provider.readPrices(1_735_772_400_000, 1_735_774_200_000), null);
    assert.deepEqual((await provider.readPrices(1_735_772_400_000 + 3 * 86_400_000, 1_735_774_200_000 + 3 * 86_400_000))?.pricesEurPerMwh, [5]);
  });
});

void describe('tariff and day-ahead availability', () => {
  void it('turns spot into offtake a×spot+b and injection c×spot−d, EUR/kWh (Belgian defaults)', () => {
    assert.equal(BELGIAN_DYNAMIC_TARIFF.offtakeAdderEurPerKwh, 0.12);
    assert.ok(Math.abs(importPriceEurPerKwh(100) - 0.22) < 1e-12);
    assert.ok(Math.abs(exportPriceEurPerKwh(100) - 0.09) < 1e-12);
    assert.ok(exportPriceEurPerKwh(-20) < 0 && importPriceEurPerKwh(-200) < 0);
    const t = makeTariff({ offtakeSpotFactor: 1.06, offtakeAdderEurPerKwh: 0.15, injectionSpotFactor: 0.9, injectionFeeEurPerKwh: 0.02 });
    const p = applyTariff({ startMs: 0, slotMs: 900_000, pricesEurPerMwh: [50] }, t);
    assert.ok(Math.abs((p.importEurPerKwh[0] ?? 0) - (1.06 * 0.05 + 0.15)) < 1e-12);
    assert.ok(Math.abs((p.exportEurPerKwh[0] ?? 0) - (0.9 * 0.05 - 0.02)) < 1e-12);
  });

  void it('knows tomorrow’s prices only from 13:00 Brussels time (no peeking in backtests)', async () => {
    // 2024-06-03: CEST (UTC+2). 12:59 local = 10:59Z.
    assert.equal(dayAheadKnownUntilMs(Date.parse('2024-06-03T10:59:00Z')), Date.parse('2024-06-03T22:00:00Z'));
    assert.equal(dayAheadKnownUntilMs(Date.parse('2024-06-03T11:00:00Z')), Date.parse('2024-06-04T22:00:00Z'));
    const clock = new FakeClock(Date.parse('2024-06-03T08:00:00Z'));
    const provider = new StaticPriceProvider(loadBundledPrices(), { clock });
    const morning = await provider.readPrices(clock.now(), clock.now() + 48 * 3_600_000);
    assert.equal((morning?.startMs ?? 0) + (morning?.pricesEurPerMwh.length ?? 0) * 900_000, Date.parse('2024-06-03T22:00:00Z'));
    clock.setNow(Date.parse('2024-06-03T12:00:00Z'));
    const afternoon = await provider.readPrices(clock.now(), clock.now() + 48 * 3_600_000);
    assert.equal((afternoon?.startMs ?? 0) + (afternoon?.pricesEurPerMwh.length ?? 0) * 900_000, Date.parse('2024-06-04T22:00:00Z'));
  });
});
