import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { wallTimeToUtcMs, localDayIndexOf } from '../../src/core/local-time.ts';
import { pvForecastFor } from '../../src/optimizer/cost-wiring.ts';
import { BUNDLED_ELIA_CSV_URL, eliaForecastUrl, eliaPublishedAtMs, isEliaCsv, parseEliaCsv } from '../../src/optimizer/forecast/elia-data.ts';
import { resolveSiteConfig } from '../../src/site/site-config.ts';
import { EliaPvForecast } from '../../src/optimizer/forecast/elia-pv-forecast.ts';
import { PriceInformedPvForecast } from '../../src/optimizer/forecast/price-informed-pv-forecast.ts';
import type { MeasuredIrradiance } from '../../src/optimizer/forecast/pv-forecast.ts';

const Q = 900_000;
const DAY = 86_400_000;
const TZ = 'Europe/Brussels';
const lines = readFileSync(BUNDLED_ELIA_CSV_URL, 'utf8').split('\n');
const HEADER = lines[0] ?? '';
/** The bundled archive's rows of [fromIso, toIso) (UTC), with the header: a slice of the real file. */
function slice(fromIso: string, toIso: string, edit?: (cells: string[]) => string[]): string {
  const from = Date.parse(fromIso);
  const to = Date.parse(toIso);
  const rows = lines.slice(1).filter((l) => {
    const t = Date.parse(l.slice(0, 20));
    return t >= from && t < to;
  });
  return [HEADER, ...rows.map((l) => (edit ? edit(l.split(',')).join(',') : l))].join('\n');
}
/** The file's cell of column `name` at `iso`. */
function cell(iso: string, name: string): number {
  const col = HEADER.split(',').indexOf(name);
  const line = lines.find((l) => l.startsWith(iso));
  assert.ok(line && col >= 0, `${iso} ${name}`);
  return Number(line.split(',')[col]);
}
const system = { ratedPowerW: 10_000, peakPowerW: 10_000 };
/** A local wall time in Brussels. */
const at = (date: string, hhmm: string): number => wallTimeToUtcMs(localDayIndexOf(Date.parse(`${date}T12:00Z`), TZ), Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)), TZ);
/** A site whose PV is `share` × Elia's measured national load factor (in the PV model's irradiance: LF × 1000 / 0.8). */
function siteSky(text: string, share: number): MeasuredIrradiance {
  const byMs = new Map<number, number>();
  for (const l of text.split('\n').slice(1)) {
    const c = l.split(',');
    const measured = c[1] === '' ? 0 : Number(c[1]);
    byMs.set(Date.parse(c[0] ?? ''), ((share * measured) / Number(c[8])) * 1250);
  }
  const firstMs = Math.min(...byMs.keys());
  return { firstMs, irradianceWm2: (ms) => byMs.get(Math.floor(ms / Q) * Q) ?? Number.NaN };
}

void describe('Elia PV forecasts (ods032 archive)', () => {
  const june = slice('2024-05-20T00:00:00Z', '2024-06-12T00:00:00Z');

  void it('reads the archive as load factors, recognises it by its header and names the line of a bad row', () => {
    assert.ok(isEliaCsv(june));
    assert.ok(!isEliaCsv('time,shortwave_radiation_previous_day1\n'));
    const table = parseEliaCsv(june, 'june');
    const iso = '2024-06-01T11:00:00Z';
    const e = table.at(Date.parse(iso), Date.parse(iso));
    assert.ok(e);
    assert.equal(e.run, '18h');
    assert.ok(Math.abs(e.loadFactor - cell(iso, 'dayahead18h_mw') / cell(iso, 'monitored_capacity_mw')) < 1e-12);
    assert.ok(Math.abs(e.p10 - cell(iso, 'dayahead11h_p10_mw') / cell(iso, 'monitored_capacity_mw')) < 1e-12);
    const bad = june.split('\n');
    bad[5] = (bad[5] ?? '').replace(/,[^,]*$/, ',0');
    assert.throws(() => parseEliaCsv(bad.join('\n'), 'f.csv'), /f\.csv:6: monitored_capacity_mw "0"/);
    bad[5] = (bad[5] ?? '').replace(/^[^,]*/, '2024-05-20T01:10:00Z');
    assert.throws(() => parseEliaCsv(bad.join('\n'), 'f.csv'), /f\.csv:6: datetime_utc .* not on a quarter hour/);
    assert.throws(() => parseEliaCsv('datetime_utc,measured_mw\n', 'g.csv'), /g\.csv:1: not an Elia PV forecast file/);
    const negative = june.split('\n');
    negative[40] = (negative[40] ?? '').split(',').map((c, i) => (i === 2 ? '-5' : c)).join(',');
    assert.throws(() => parseEliaCsv(negative.join('\n'), 'n.csv'), /n\.csv:41: dayahead11h_mw "-5" is not a power/);
  });

  void it('publication times: day D from 11:00 Brussels on D−1 (the 11h run), from 18:00 the 18h run; nothing before', () => {
    const table = parseEliaCsv(june, 'june');
    const noon = at('2024-06-05', '12:00');
    assert.equal(eliaPublishedAtMs(noon, 'da11'), at('2024-06-04', '11:00'));
    assert.equal(table.at(noon, at('2024-06-04', '10:59')), undefined, 'at 10:59 on D−1 nothing of D is published');
    assert.equal(table.at(noon, at('2024-06-04', '11:00'))?.run, '11h');
    assert.equal(table.at(noon, at('2024-06-04', '17:59'))?.run, '11h');
    assert.equal(table.at(noon, at('2024-06-04', '18:00'))?.run, '18h');
    // Winter: the same local hours (UTC+1).
    const jan = parseEliaCsv(slice('2024-01-09T00:00:00Z', '2024-01-12T00:00:00Z'), 'jan');
    assert.equal(jan.at(Date.parse('2024-01-10T23:00:00Z'), Date.parse('2024-01-10T09:59:59Z')), undefined, 'the 11th (Brussels) at 09:59 UTC on the 10th');
    assert.equal(jan.at(Date.parse('2024-01-10T23:00:00Z'), Date.parse('2024-01-10T10:00:00Z'))?.run, '11h');
  });

  void it('a plan of day D made at 10:59 on D−1 cannot see the 11h run: changing it changes nothing then, and changes the plan at 11:00', () => {
    const sky = siteSky(june, 0.9);
    const changed = slice('2024-05-20T00:00:00Z', '2024-06-12T00:00:00Z', (c) => {
      const t = Date.parse(c[0] ?? '');
      // Day D = 2024-06-05 (Brussels): its day-ahead runs say 50 % more.
      return t >= at('2024-06-05', '00:00') && t < at('2024-06-06', '00:00') ? c.map((x, i) => (i >= 2 && i <= 5 && x !== '' ? String(Number(x) * 1.5) : x)) : c;
    });
    const request = (issuedAtMs: number) => ({ issuedAtMs, fromMs: Math.ceil(issuedAtMs / Q) * Q, slotMs: Q, slotCount: 144 });
    const f = (text: string) => new EliaPvForecast(sky, { table: parseEliaCsv(text, 'x') });
    const before = request(at('2024-06-04', '10:59'));
    assert.deepEqual(f(june).forecastAvailableW(system, before), f(changed).forecastAvailableW(system, before));
    const after = request(at('2024-06-04', '11:00'));
    assert.notDeepEqual(f(june).forecastAvailableW(system, after), f(changed).forecastAvailableW(system, after));
  });

  void it('never reads measured_mw, mostrecent_mw or weekahead_mw', () => {
    const sky = siteSky(june, 0.9);
    const scrambled = slice('2024-05-20T00:00:00Z', '2024-06-12T00:00:00Z', (c) => c.map((x, i) => (i === 1 || i === 6 || i === 7 ? String(Number(x || 0) * 3 + 100) : x)));
    const request = { issuedAtMs: at('2024-06-05', '09:00'), fromMs: at('2024-06-05', '09:00'), slotMs: Q, slotCount: 160 };
    const a = new EliaPvForecast(sky, { table: parseEliaCsv(june, 'a') });
    const b = new EliaPvForecast(sky, { table: parseEliaCsv(scrambled, 'b') });
    assert.deepEqual(a.forecastAvailableW(system, request), b.forecastAvailableW(system, request));
    assert.deepEqual(a.forecastScenarios(system, request), b.forecastScenarios(system, request));
  });

  void it('a day Elia did not publish falls back to the price-informed prior (then the climatology)', () => {
    const sky = siteSky(june, 0.9);
    const dayD = [at('2024-06-06', '00:00'), at('2024-06-07', '00:00')] as const;
    const missing = [HEADER, ...june.split('\n').slice(1).filter((l) => {
      const t = Date.parse(l.slice(0, 20));
      return t < dayD[0] || t >= dayD[1];
    })].join('\n');
    // 22:00 on D−1: the sun is down (no nowcast); the slots of D are the prior alone.
    const request = { issuedAtMs: at('2024-06-05', '22:00'), fromMs: dayD[0], slotMs: Q, slotCount: 96 };
    const elia = new EliaPvForecast(sky, { table: parseEliaCsv(missing, 'missing') });
    const fallback = new PriceInformedPvForecast(sky, { blendTimeMs: 1, intradayBlend: 'learned' });
    assert.deepEqual(elia.forecastAvailableW(system, request), fallback.forecastAvailableW(system, request));
    const withDay = new EliaPvForecast(sky, { table: parseEliaCsv(june, 'june') });
    assert.notDeepEqual(withDay.forecastAvailableW(system, request), fallback.forecastAvailableW(system, request));
  });

  void it('the site calibration converges on a site whose PV is 80 % of the national load factor', () => {
    const text = slice('2024-05-01T00:00:00Z', '2024-06-12T00:00:00Z');
    const sky = siteSky(text, 0.8);
    const forecast = new EliaPvForecast(sky, { table: parseEliaCsv(text, 'may') });
    const issuedAtMs = at('2024-06-10', '19:00');
    forecast.forecastAvailableW(system, { issuedAtMs, fromMs: issuedAtMs, slotMs: Q, slotCount: 4 });
    const calibration = forecast.status().calibration;
    assert.ok(calibration, 'calibrated after 14 days');
    // Expected: 0.8 × Σ measured / Σ forecast (the 18h run) over the same hours, computed here from the file.
    let measured = 0;
    let predicted = 0;
    for (let h = Math.floor(issuedAtMs / 3_600_000) * 3_600_000 - 14 * DAY; h + 3_600_000 <= issuedAtMs; h += 3_600_000) {
      const quarters = [0, 1, 2, 3].map((k) => new Date(h + k * Q).toISOString().replace('.000Z', 'Z'));
      const fc = quarters.map((iso) => cell(iso, 'dayahead18h_mw') / cell(iso, 'monitored_capacity_mw'));
      const mean = fc.reduce((s, x) => s + x, 0) / 4;
      if (mean * 1250 < 50) continue;
      predicted += mean;
      measured += quarters.map((iso) => (cell(iso, 'measured_mw') || 0) / cell(iso, 'monitored_capacity_mw')).reduce((s, x) => s + x, 0) / 4;
    }
    assert.ok(Math.abs(calibration.factor - (0.8 * measured) / predicted) < 1e-3, `${calibration.factor} vs ${(0.8 * measured) / predicted}`);
    assert.ok(Math.abs(calibration.factor - 0.8) < 0.08, `the national forecast is nearly unbiased, so the factor is about 0.8: ${calibration.factor}`);
    // Tomorrow's 13:00 (the 18h run is out): at that lead the forecast is the calibrated Elia forecast.
    const noon = at('2024-06-11', '13:00');
    const pv = forecast.forecastAvailableW(system, { issuedAtMs, fromMs: noon, slotMs: Q, slotCount: 1 })[0] ?? NaN;
    const lf = cell(new Date(noon).toISOString().replace('.000Z', 'Z'), 'dayahead18h_mw') / cell(new Date(noon).toISOString().replace('.000Z', 'Z'), 'monitored_capacity_mw');
    assert.ok(Math.abs(pv - calibration.factor * lf * 10_000) < 50, `${pv} W vs ${calibration.factor * lf * 10_000} W`);
  });

  void it("scenarios: from Elia's P10/P90 per slot (wider where Elia is less sure), or from the past errors", () => {
    const sky = siteSky(june, 0.9);
    const request = { issuedAtMs: at('2024-06-05', '20:00'), fromMs: at('2024-06-06', '00:00'), slotMs: Q, slotCount: 96 };
    const q = new EliaPvForecast(sky, { table: parseEliaCsv(june, 'q'), scenarios: 'quantiles' }).forecastScenarios(system, request);
    const p = new EliaPvForecast(sky, { table: parseEliaCsv(june, 'p'), scenarios: 'past-errors' }).forecastScenarios(system, request);
    for (const s of [q, p]) {
      assert.equal(s.length, 3);
      assert.deepEqual(s.map((x) => x.weight), [0.25, 0.5, 0.25]);
      s[0]?.availableW.forEach((low, i) => assert.ok(low <= (s[1]?.availableW[i] ?? 0) + 1e-9 && (s[1]?.availableW[i] ?? 0) <= (s[2]?.availableW[i] ?? 0) + 1e-9));
    }
    assert.deepEqual(q[1]?.availableW, p[1]?.availableW, 'the same point forecast');
    assert.notDeepEqual(q[0]?.availableW, p[0]?.availableW);
  });
});

void describe('Elia PV forecasts (live, opendata.elia.be through a local server)', () => {
  /** The records the portal would answer for [from, to), built from the archive (the live data set has the same values). */
  function records(fromMs: number, toMs: number): object[] {
    return lines
      .slice(1)
      .map((l) => l.split(','))
      .filter((c) => {
        const t = Date.parse(c[0] ?? '');
        return t >= fromMs && t < toMs;
      })
      .map((c) => ({
        datetime: (c[0] ?? '').replace('Z', '+00:00'),
        resolutioncode: 'PT15M',
        region: 'Belgium',
        measured: c[1] === '' ? null : Number(c[1]),
        dayahead11hforecast: Number(c[2]),
        dayahead11hconfidence10: Number(c[3]),
        dayahead11hconfidence90: Number(c[4]),
        dayaheadforecast: Number(c[5]),
        monitoredcapacity: Number(c[8]),
      }));
  }
  let answer: { status: number; body: string } | null = null;
  const requests: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url);
    const where = url.searchParams.get('where') ?? '';
    const m = /datetime >= date'([\d-]+)' and datetime < date'([\d-]+)'/.exec(where);
    const body = answer ?? { status: 200, body: JSON.stringify(m ? records(Date.parse(`${m[1]}T00:00Z`), Date.parse(`${m[2]}T00:00Z`)) : []) };
    res.writeHead(body.status, { 'content-type': 'application/json' }).end(body.body);
  });
  let baseUrl = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/explore/v2.1`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  void it('asks for the day-ahead columns of its region (never mostrecent, weekahead or measured), 15 days back at first and a day back after', async () => {
    const url = new URL(eliaForecastUrl({ fromMs: Date.parse('2024-06-01T00:00Z'), toMs: Date.parse('2024-06-03T00:00Z'), region: 'Flanders' }));
    assert.equal(url.pathname, '/api/explore/v2.1/catalog/datasets/ods087/exports/json');
    assert.equal(url.searchParams.get('refine'), 'region:"Flanders"');
    assert.doesNotMatch(url.searchParams.get('select') ?? '', /mostrecent|weekahead|measured/);
    const warnings: string[] = [];
    const site = resolveSiteConfig({ serial: 'X1', optimizer: { pvForecast: 'elia', elia: { baseUrl } } });
    const pv = pvForecastFor(site, { sky: siteSky(slice('2024-05-01T00:00:00Z', '2024-06-12T00:00:00Z'), 0.9) }, { info: () => {}, warn: (o: object, m: string) => warnings.push(`${m} ${JSON.stringify(o)}`) } as never);
    assert.ok(pv instanceof EliaPvForecast);
    const now = at('2024-06-05', '19:00');
    const request = { issuedAtMs: now, fromMs: at('2024-06-06', '00:00'), slotMs: Q, slotCount: 96 };
    const withoutElia = pv.forecastAvailableW(system, request);
    requests.length = 0;
    assert.equal(await pv.update(now), true);
    assert.match(requests[0]?.searchParams.get('where') ?? '', /date'2024-05-20'/, '15 days back (whole UTC days) for the calibration');
    const live = pv.forecastAvailableW(system, request);
    assert.notDeepEqual(live, withoutElia);
    // The same as the archive gives.
    const archive = new EliaPvForecast(siteSky(slice('2024-05-01T00:00:00Z', '2024-06-12T00:00:00Z'), 0.9), { table: parseEliaCsv(slice('2024-05-20T00:00:00Z', '2024-06-08T00:00:00Z'), 'a') });
    assert.deepEqual(live, archive.forecastAvailableW(system, request));
    assert.equal(pv.status().source, 'Elia');
    assert.equal(pv.status().fetchedAtMs, now);
    assert.ok(pv.status().calibration);

    assert.equal(await pv.update(now + 30 * 60_000), false, 'not due yet');
    const later = pv.forecastAvailableW(system, { ...request, issuedAtMs: now + 3_600_000 });
    answer = { status: 503, body: '{"error_code":"ODSQLError","message":"the portal is down"}' };
    assert.equal(await pv.update(now + 3_600_000), false);
    assert.match(warnings.join('\n'), /Elia failed.*HTTP 503: the portal is down/);
    assert.match(pv.status().lastError ?? '', /HTTP 503/);
    assert.deepEqual(pv.forecastAvailableW(system, { ...request, issuedAtMs: now + 3_600_000 }), later, 'what was fetched stays');
    answer = { status: 200, body: '[{"datetime":"2024-06-06T00:10:00+00:00","monitoredcapacity":9000}]' };
    assert.equal(await pv.update(now + 3_600_000 + 10 * 60_000), false);
    assert.match(pv.status().lastError ?? '', /record 0: datetime .* not a time on a quarter hour/);
    answer = null;
    requests.length = 0;
    assert.equal(await pv.update(now + 3_600_000 + 20 * 60_000), true);
    assert.match(requests[0]?.searchParams.get('where') ?? '', /date'2024-06-03'/, 'later: a day back (whole UTC days)');
    assert.equal(pv.status().lastError, null);
  });

  void it('refuses a bad elia config with its path', () => {
    assert.throws(() => resolveSiteConfig({ serial: 'X1', optimizer: { pvForecast: 'elia', elia: { dataset: 'x1' } } }), /optimizer\.elia\.dataset/);
    assert.throws(() => resolveSiteConfig({ serial: 'X1', optimizer: { pvForecast: 'elia', elia: { refreshMin: 5 } } }), /optimizer\.elia\.refreshMin/);
    assert.throws(() => resolveSiteConfig({ serial: 'X1', optimizer: { pvForecast: 'elia', elia: { region: 'Belgium', token: 'x' } } }), /optimizer\.elia.*token/);
    assert.equal(resolveSiteConfig({ serial: 'X1', optimizer: { pvForecast: 'elia', elia: {} } }).optimizer.elia?.region, 'Belgium');
  });
});
