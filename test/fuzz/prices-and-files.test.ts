import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { GridpilotError } from '../../src/core/errors.ts';
import { handlePriceMessage } from '../../src/optimizer/price-push.ts';
import { parseEntsoeDayAheadXml } from '../../src/optimizer/prices/entsoe.ts';
import { parsePriceCsv, parsePriceJson } from '../../src/optimizer/prices/price-file.ts';
import { PushedPriceProvider } from '../../src/optimizer/prices/price-provider.ts';
import { assertPriceSeries, type PriceSeries } from '../../src/optimizer/prices/price-series.ts';
import { RESPONSE_CODES } from '../../src/protocol/response-codes.ts';
import { startTestSite } from '../helpers/control-site.ts';
import { nastyNumberText, objectText, randomPayloadArb, renderTime, timeSpecArb, valueText, wrap, wrappingArb } from './arbitraries.ts';
import { assertWellAnswered, runs, watchProcessErrors, fuzzOptions } from './invariants.ts';

/**
 * Property-based fuzzing of the price inputs [issue 14, fuzz]: price messages pushed over MQTT
 * (through handlePriceMessage, what the app calls for the prices topic, with the real controller
 * answering), price files (CSV and JSON, `optimizer.prices: <file>`) and ENTSO-E A44 XML documents.
 * A message is answered with a documented code and a refused one leaves the prices held as they
 * were; a file or document gives a well-formed series or a GridpilotError saying where — never
 * another exception, a hang or a series with a non-finite price.
 */

const SLOT_S = [600, 7200, 1, 0, -900, 86_400];

/** A price series as slots: a start (relative to now, s), a slot length, prices (texts), and damage. */
const slotsArb = fc.record({
  startOffsetS: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -3 * 86_400, max: 2 * 86_400 }) }, { weight: 1, arbitrary: fc.integer({ min: -200 * 86_400, max: 30 * 86_400 }) }),
  isAligned: fc.boolean(),
  slotS: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(900, 3600, 300, 1800) }, { weight: 1, arbitrary: fc.constantFrom(...SLOT_S) }),
  prices: fc.oneof(
    { weight: 3, arbitrary: fc.array(fc.double({ min: -600, max: 5000, noNaN: true }).map(String), { maxLength: 100 }) },
    { weight: 1, arbitrary: fc.array(fc.oneof({ weight: 20, arbitrary: fc.double({ min: -600, max: 5000, noNaN: true }).map(String) }, { weight: 1, arbitrary: nastyNumberText }, { weight: 1, arbitrary: valueText }), { maxLength: 100 }) },
  ),
  gapAt: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
  mixedLengthAt: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
});
type Slots = typeof slotsArb extends fc.Arbitrary<infer T> ? T : never;

function slotBounds(s: Slots, nowMs: number): Array<[number, number, string]> {
  const slot = s.slotS;
  let start = Math.floor(nowMs / 1000) + s.startOffsetS;
  if (s.isAligned && slot > 0) start -= ((start % slot) + slot) % slot;
  return s.prices.map((p, i) => {
    const len = s.mixedLengthAt !== null && i === s.mixedLengthAt % Math.max(1, s.prices.length) ? slot * 2 : slot;
    const a = start + (s.gapAt !== null && i === s.gapAt % Math.max(1, s.prices.length) ? slot : 0);
    start = a + len;
    return [a, a + len, p];
  });
}

const priceMessageArb = fc.record({
  time: timeSpecArb,
  currency: fc.oneof({ weight: 8, arbitrary: fc.constant('"EUR"') }, { weight: 1, arbitrary: valueText }),
  slots: slotsArb,
  extraSlotKey: fc.oneof({ weight: 10, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'note', 'price') }),
  extraTop: fc.oneof({ weight: 10, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'extraTags', 'currency') }),
  wrapping: wrappingArb,
  cut: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
});

function renderPriceMessage(m: typeof priceMessageArb extends fc.Arbitrary<infer T> ? T : never, nowMs: number): Buffer {
  const entries: Array<[string, string]> = [];
  const time = renderTime(m.time, nowMs);
  if (time !== undefined) entries.push(['time', time]);
  entries.push(['currency', m.currency]);
  const slots = slotBounds(m.slots, nowMs).map(([a, b, p]) => objectText([['start', String(a)], ['end', String(b)], ['price_eur_mwh', p], ...(m.extraSlotKey ? [[m.extraSlotKey, '1'] as [string, string]] : [])]));
  entries.push(['prices', `[${slots.join(',')}]`]);
  if (m.extraTop) entries.push([m.extraTop, '{}']);
  return wrap(objectText(entries), m.wrapping, m.cut);
}

/** A parser of a file either returns a well-formed series or throws a GridpilotError; anything else fails the property. */
function assertSeriesOrClearError(parse: () => PriceSeries, what: string): 'ok' | 'refused' {
  let series: PriceSeries;
  try {
    series = parse();
  } catch (err) {
    assert.ok(err instanceof GridpilotError, `${what}: threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} instead of a GridpilotError`);
    assert.ok(err.message.length > 0 && err.message.length < 2000, `${what}: error message of ${err.message.length} characters`);
    return 'refused';
  }
  assert.doesNotThrow(() => assertPriceSeries(series), `${what}: returned a malformed series`);
  assert.ok(series.pricesEurPerMwh.length > 0, `${what}: an empty series`);
  return 'ok';
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

describe('fuzz: price inputs', () => {
  it('answers every generated price message with a documented code; a refused one leaves the prices held unchanged', async () => {
    const watch = watchProcessErrors();
    const t = await startTestSite();
    const prices = new PushedPriceProvider();
    const codes = new Map<number, number>();
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.oneof({ weight: 10, arbitrary: priceMessageArb.map((m) => (now: number) => renderPriceMessage(m, now)) }, { weight: 1, arbitrary: randomPayloadArb.map((b) => () => b) }), async (payloadAt) => {
          n++;
          if (n % 50 === 0) t.clock.advance(60_000);
          const payload = payloadAt(t.clock.now());
          const before = JSON.stringify(prices.current());
          const outcome = await handlePriceMessage(payload, { controller: t.controller, prices, onAccepted: () => undefined, nowMs: t.clock.now() });
          const what = `price message ${JSON.stringify(payload.toString('utf8').slice(0, 300))}`;
          assert.equal(outcome.code, outcome.feedback.data.response_code, what);
          assertWellAnswered(outcome.feedback, what);
          if (!outcome.accepted) assert.equal(JSON.stringify(prices.current()), before, `${what}: refused (${outcome.code}) but the prices held changed`);
          else assert.doesNotThrow(() => assertPriceSeries(prices.current() as PriceSeries), what);
          codes.set(outcome.code, (codes.get(outcome.code) ?? 0) + 1);
        }),
        fuzzOptions(runs(4000)),
      );
    } finally {
      await t.controller.stop();
      watch.stop();
    }
    watch.assertNone();
    for (const code of [RESPONSE_CODES.OK, RESPONSE_CODES.NOT_JSON, RESPONSE_CODES.BAD_SHAPE, RESPONSE_CODES.UNKNOWN_FIELD, RESPONSE_CODES.BAD_TIME]) assert.ok(codes.has(code), `code ${code} never produced; got ${[...codes.keys()].join(', ')}`);
    console.log(`# price messages by response_code: ${[...codes].sort(([a], [b]) => a - b).map(([c, k]) => `${c}: ${k}`).join(', ')}`);
  });

  it('a CSV or JSON price file gives a well-formed series or a GridpilotError naming where', () => {
    const nowMs = Date.UTC(2025, 0, 15, 0, 0, 0);
    const csvArb = fc.record({
      slots: slotsArb,
      header: fc.oneof({ weight: 8, arbitrary: fc.constant('datetime_utc,date,hour,minute,price_eur_mwh') }, { weight: 1, arbitrary: fc.constantFrom('\uFEFFdatetime_utc,price_eur_mwh', 'price_eur_mwh,datetime_utc', 'datetime_utc', '', 'a,b,c') }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) }),
      damage: fc.array(fc.tuple(fc.nat(), fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(',', ',,', '\r', '"', '2024-13-01 00:00:00', '2024-02-30 25:61:00', 'NaN', '1e400', '-0'))), { maxLength: 3 }),
      lineEnding: fc.constantFrom('\n', '\r\n'),
    });
    let ok = 0;
    fc.assert(
      fc.property(csvArb, (c) => {
        const hasDerived = c.header.startsWith('datetime_utc,date');
        const lines = slotBounds(c.slots, nowMs).map(([a, , p]) => {
          const ms = a * 1000;
          const d = new Date(ms);
          return hasDerived ? `${stamp(ms)},${stamp(ms).slice(0, 10)},${d.getUTCHours()},${d.getUTCMinutes()},${p}` : `${stamp(ms)},${p}`;
        });
        for (const [at, text] of c.damage) if (lines.length > 0) lines[at % lines.length] = `${lines[at % lines.length] ?? ''}${text}`;
        const csv = [c.header, ...lines].join(c.lineEnding);
        if (assertSeriesOrClearError(() => parsePriceCsv(csv, 'prices.csv'), `CSV ${JSON.stringify(csv.slice(0, 300))}`) === 'ok') ok++;
        const rows = JSON.stringify(slotBounds(c.slots, nowMs).map(([a, , p]) => ({ datetime_utc: stamp(a * 1000), price_eur_mwh: Number(p) })));
        assertSeriesOrClearError(() => parsePriceJson(rows, 'prices.json'), `JSON ${rows.slice(0, 300)}`);
      }),
      fuzzOptions(runs(5000)),
    );
    assert.ok(ok > 0, 'some generated files are valid');
  });

  it('an ENTSO-E A44 document gives a well-formed series or a GridpilotError naming where', () => {
    const el = (name: string, body: string): string => `<${name}>${body}</${name}>`;
    const timeText = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: Date.UTC(2023, 0, 1) / 900_000, max: Date.UTC(2026, 0, 1) / 900_000 }).map((q) => new Date(q * 900_000).toISOString().slice(0, 16) + 'Z') },
      { weight: 1, arbitrary: fc.constantFrom('2025-01-01T00:00Z', '0000-01-01T00:00Z', '9999-12-31T23:45Z', '2025-13-40T25:61Z', '2025-01-01', '', 'now') },
      { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    );
    const periodArb = fc.record({
      start: timeText,
      lengthSlots: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.constantFrom(0, -4, 96, 100)),
      resolution: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('PT15M', 'PT60M', 'PT30M') }, { weight: 1, arbitrary: fc.constantFrom('PT1M', 'PT7M', 'PT0M', 'PT1H', 'P1D', '', 'PT15') }),
      endText: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: timeText }),
      points: fc.array(fc.tuple(fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer(), fc.constantFrom('x', '', '1.5')), fc.oneof(fc.double({ min: -500, max: 4000, noNaN: true }).map(String), fc.constantFrom('NaN', '', '1e999', 'abc', '-0'))), { maxLength: 120 }),
    });
    const docArb = fc.record({
      root: fc.oneof({ weight: 10, arbitrary: fc.constant('Publication_MarketDocument') }, { weight: 1, arbitrary: fc.constantFrom('Acknowledgement_MarketDocument', 'Other', 'Publication_MarketDocument xmlns:a="b"') }),
      type: fc.constantFrom('A44', 'A44', 'A65', null),
      curve: fc.constantFrom('A01', 'A03', 'A03', 'A02', null),
      currency: fc.constantFrom('EUR', 'EUR', 'USD', null),
      series: fc.array(fc.array(periodArb, { maxLength: 3 }), { maxLength: 3 }),
      damage: fc.oneof({ weight: 10, arbitrary: fc.constant('none') }, { weight: 1, arbitrary: fc.constantFrom('truncate', 'doctype', 'two-roots', 'entity', 'deep') }),
      cut: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    });
    fc.assert(
      fc.property(docArb, (d) => {
        const slotMsOf = (r: string): number => (r === 'PT60M' || r === 'PT1H' ? 3_600_000 : r === 'PT30M' ? 1_800_000 : 900_000);
        const series = d.series.map((periods) =>
          el(
            'TimeSeries',
            [d.currency ? el('currency_Unit.name', d.currency) : '', el('price_Measure_Unit.name', 'MWH'), d.curve ? el('curveType', d.curve) : '']
              .concat(
                periods.map((p) => {
                  const startMs = Date.parse(p.start.replace('Z', ':00Z'));
                  const end = p.endText ?? (Number.isFinite(startMs) ? new Date(startMs + p.lengthSlots * slotMsOf(p.resolution)).toISOString().slice(0, 16) + 'Z' : p.start);
                  return el('Period', el('timeInterval', el('start', p.start) + el('end', end)) + el('resolution', p.resolution) + p.points.map(([pos, price]) => el('Point', el('position', String(pos)) + el('price.amount', price))).join(''));
                }),
              )
              .join(''),
          ),
        );
        let xml = `<?xml version="1.0" encoding="utf-8"?><${d.root}>${d.type ? el('type', d.type) : ''}${series.join('')}</${d.root.split(' ')[0] ?? ''}>`;
        if (d.damage === 'truncate') xml = xml.slice(0, Math.floor(xml.length * d.cut));
        if (d.damage === 'doctype') xml = `<!DOCTYPE lol [<!ENTITY a "aaaa">]>${xml}`;
        if (d.damage === 'two-roots') xml = `${xml}<Other/>`;
        if (d.damage === 'entity') xml = xml.replace('<type>', '<type>&a;&#x41;&amp;');
        if (d.damage === 'deep') xml = xml.replace('<type>', `${'<x>'.repeat(2000)}${'</x>'.repeat(2000)}<type>`);
        assertSeriesOrClearError(() => parseEntsoeDayAheadXml(xml, 'entsoe.xml'), `XML ${JSON.stringify(xml.slice(0, 400))}`);
      }),
      fuzzOptions(runs(5000)),
    );
  });
});
