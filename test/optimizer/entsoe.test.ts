import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { GridpilotError } from '../../src/core/errors.ts';
import { fetchEntsoeDayAheadPrices, parseEntsoeDayAheadXml } from '../../src/optimizer/prices/entsoe.ts';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

void describe('ENTSO-E day-ahead prices (A44)', () => {
  void it('reads an hourly A01 document: 24 slots of 1 h from the period start, negative prices kept', () => {
    const s = parseEntsoeDayAheadXml(fixture('entsoe-a44-hourly-a01.xml'));
    assert.equal(s.startMs, Date.parse('2024-06-01T22:00Z'));
    assert.equal(s.slotMs, 3_600_000);
    assert.equal(s.pricesEurPerMwh.length, 24);
    assert.equal(s.pricesEurPerMwh[0], 95.1);
    assert.equal(s.pricesEurPerMwh[12], -12.34);
  });

  void it('repeats the previous price for positions an A03 curve leaves out, up to the period end', () => {
    const s = parseEntsoeDayAheadXml(fixture('entsoe-a44-15min-a03.xml'));
    assert.equal(s.slotMs, 900_000);
    assert.equal(s.pricesEurPerMwh.length, 96);
    const p = s.pricesEurPerMwh;
    assert.deepEqual([p[1], p[2], p[3]], [p[0], p[0], p[0]], 'positions 2–4 repeat position 1');
    assert.equal(p[49], p[48]);
    assert.equal(p[50], p[48]);
    assert.equal(p[95], p[94], 'the last position is missing too');
    assert.notEqual(p[4], p[0]);
  });

  void it('joins several TimeSeries into one contiguous series', () => {
    const s = parseEntsoeDayAheadXml(fixture('entsoe-a44-two-days.xml'));
    assert.equal(s.pricesEurPerMwh.length, 48);
    assert.deepEqual(s.pricesEurPerMwh.slice(0, 6), [50, 50, 50, 50, 60, 60]);
    assert.equal(s.pricesEurPerMwh[22], 60);
    assert.equal(s.pricesEurPerMwh[23], 70);
    assert.equal(s.pricesEurPerMwh[24], 10);
  });

  void it('turns an acknowledgement ("no matching data") into an error with its reason', () => {
    assert.throws(() => parseEntsoeDayAheadXml(fixture('entsoe-acknowledgement.xml')), /acknowledgement.*999 No matching data found/);
  });

  void it('refuses malformed documents with the place of the problem', () => {
    const hourly = fixture('entsoe-a44-hourly-a01.xml');
    const cases: Array<[string, RegExp]> = [
      [hourly.replace('<position>5</position>', '<position>25</position>'), /TimeSeries\[0\]\.Period\[0\].*position 25 is outside 1…24/],
      [hourly.replace('<position>5</position>', '<position>4</position>'), /position 4 appears twice/],
      [hourly.replace('<price.amount>79.9</price.amount>', '<price.amount>n/a</price.amount>'), /price\.amount n\/a is not a number/],
      [hourly.replace('PT60M', 'P1Y'), /resolution must be PT15M, PT30M or PT60M/],
      [hourly.replace('<currency_Unit.name>EUR', '<currency_Unit.name>PLN'), /currency PLN is not EUR/],
      [hourly.replace(/<Point>\s*<position>7<\/position>\s*<price\.amount>92\.7<\/price\.amount>\s*<\/Point>/, ''), /position 7 is missing \(curve type A01/],
      [hourly.replace('</Period>', ''), /not well-formed XML/],
    ];
    for (const [xml, message] of cases) assert.throws(() => parseEntsoeDayAheadXml(xml), (err: unknown) => err instanceof GridpilotError && message.test(err.message), String(message));
  });

  void it('fetches with the injected fetch: A44 for the zone and span, and keeps the token out of errors', async () => {
    const urls: string[] = [];
    const okFetch = (url: string) => {
      urls.push(url);
      return Promise.resolve({ ok: true, status: 200, text: () => Promise.resolve(fixture('entsoe-a44-hourly-a01.xml')) });
    };
    const s = await fetchEntsoeDayAheadPrices({ fetch: okFetch, securityToken: 'SECRET-TOKEN', fromMs: Date.parse('2024-06-01T22:00Z'), toMs: Date.parse('2024-06-02T22:00Z') });
    assert.equal(s.pricesEurPerMwh.length, 24);
    const url = new URL(urls[0] ?? '');
    assert.equal(url.searchParams.get('documentType'), 'A44');
    assert.equal(url.searchParams.get('in_Domain'), '10YBE----------2');
    assert.equal(url.searchParams.get('out_Domain'), '10YBE----------2');
    assert.equal(url.searchParams.get('periodStart'), '202406012200');
    assert.equal(url.searchParams.get('periodEnd'), '202406022200');
    assert.equal(url.searchParams.get('securityToken'), 'SECRET-TOKEN');

    const denied = () => Promise.resolve({ ok: false, status: 401, text: () => Promise.resolve('<html>Unauthorized</html>') });
    await assert.rejects(fetchEntsoeDayAheadPrices({ fetch: denied, securityToken: 'SECRET-TOKEN', fromMs: 0, toMs: 3_600_000 }), (err: unknown) => {
      assert.ok(err instanceof GridpilotError);
      assert.match(err.message, /HTTP 401/);
      assert.doesNotMatch(err.message, /SECRET-TOKEN/);
      return true;
    });
    const empty = () => Promise.resolve({ ok: true, status: 200, text: () => Promise.resolve(fixture('entsoe-acknowledgement.xml')) });
    await assert.rejects(fetchEntsoeDayAheadPrices({ fetch: empty, securityToken: 'SECRET-TOKEN', fromMs: 0, toMs: 3_600_000 }), /No matching data found/);
  });
});
