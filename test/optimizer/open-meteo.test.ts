import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { GridpilotError } from '../../src/core/errors.ts';
import { CostService, syncPlanner } from '../../src/optimizer/cost-service.ts';
import { openMeteoPlace } from '../../src/optimizer/site-location.ts';
import { pvForecastFor } from '../../src/optimizer/cost-wiring.ts';
import { fetchOpenMeteoForecast, forecastIrradianceOver, parseOpenMeteoForecast } from '../../src/optimizer/forecast/open-meteo.ts';
import { ClearSkyPvForecast, pvPowerFromIrradianceW } from '../../src/optimizer/forecast/pv-forecast.ts';
import { WeatherServicePvForecast } from '../../src/optimizer/forecast/weather-service-pv-forecast.ts';
import { loadSolver } from '../../src/optimizer/planner/highs-runner.ts';
import { solvePlan } from '../../src/optimizer/planner/solve-plan.ts';
import { loadBundledPrices } from '../../src/optimizer/prices/price-file.ts';
import { StaticPriceProvider } from '../../src/optimizer/prices/price-provider.ts';
import { devicesOf, loadSiteConfigFile, resolveSiteConfig } from '../../src/site/site-config.ts';

const HOUR = 3_600_000;
const Q = 900_000;
/** Open-Meteo's answer for Brussels, 2024-05-31…06-03 hourly: the bundled measured GHI in the API's format. */
const fixtureText = readFileSync(new URL('./fixtures/open-meteo-forecast-hourly.json', import.meta.url), 'utf8');
const fixture = (): { hourly: { time: number[]; shortwave_radiation: Array<number | null> }; [k: string]: unknown } => JSON.parse(fixtureText);
const valueStampedAt = (iso: string): number => {
  const f = fixture();
  const i = f.hourly.time.indexOf(Date.parse(iso) / 1000);
  assert.ok(i >= 0, iso);
  return f.hourly.shortwave_radiation[i] as number;
};
const system = { ratedPowerW: 10_000, peakPowerW: 10_000 };

/** A real HTTP server on loopback that answers as the test says and records the requests. */
interface FakeService {
  url: string;
  requests: URL[];
  answer: { status: number; body: string };
}
async function startService(): Promise<{ service: FakeService; server: Server }> {
  const service: FakeService = { url: '', requests: [], answer: { status: 200, body: fixtureText } };
  const server = createServer((req, res) => {
    service.requests.push(new URL(req.url ?? '/', service.url));
    res.writeHead(service.answer.status, { 'content-type': 'application/json' });
    res.end(service.answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  service.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/forecast`;
  return { service, server };
}

void describe('Open-Meteo forecast: parsing', () => {
  void it('reads hourly GHI as the mean of the hour before each timestamp', () => {
    const f = parseOpenMeteoForecast(fixture());
    assert.equal(f.series.length, 1);
    const s = f.series[0]!;
    assert.equal(s.stepMs, HOUR);
    assert.equal(s.startMs, Date.parse('2024-05-31T00:00Z') - HOUR);
    assert.equal(s.valuesWm2.length, 96);
    const noon = valueStampedAt('2024-06-01T12:00Z');
    assert.ok(noon > 100, 'a day with sun');
    // [11:00, 12:00) is the hour stamped 12:00; a 15-min slot inside it has the same mean.
    assert.equal(forecastIrradianceOver(f, Date.parse('2024-06-01T11:00Z'), Date.parse('2024-06-01T12:00Z')), noon);
    assert.equal(forecastIrradianceOver(f, Date.parse('2024-06-01T11:15Z'), Date.parse('2024-06-01T11:30Z')), noon);
    // Across two hours: the time-weighted mean.
    const next = valueStampedAt('2024-06-01T13:00Z');
    assert.ok(Math.abs((forecastIrradianceOver(f, Date.parse('2024-06-01T11:30Z'), Date.parse('2024-06-01T12:30Z')) ?? NaN) - (noon + next) / 2) < 1e-9);
    // Outside the forecast: unknown.
    assert.equal(forecastIrradianceOver(f, Date.parse('2024-06-04T00:00Z'), Date.parse('2024-06-04T00:15Z')), undefined);
  });

  void it('uses the 15-minute series where it has values and the hourly one elsewhere', () => {
    const t0 = Date.parse('2024-06-01T11:15Z') / 1000;
    const body = { ...fixture(), minutely_15: { time: [t0, t0 + 900, t0 + 1800, t0 + 2700], shortwave_radiation: [700, 100, null, 650] } };
    const f = parseOpenMeteoForecast(body);
    assert.deepEqual(
      f.series.map((s) => s.stepMs),
      [Q, HOUR],
    );
    // Stamped 11:30 = [11:15, 11:30): the passing cloud the hourly mean smooths away.
    assert.equal(forecastIrradianceOver(f, Date.parse('2024-06-01T11:15Z'), Date.parse('2024-06-01T11:30Z')), 100);
    // A null value: the hourly series answers.
    assert.equal(forecastIrradianceOver(f, Date.parse('2024-06-01T11:30Z'), Date.parse('2024-06-01T11:45Z')), valueStampedAt('2024-06-01T12:00Z'));
  });

  void it('refuses malformed answers and says what is wrong', () => {
    const f = fixture();
    const cases: Array<[unknown, RegExp]> = [
      [{ error: true, reason: 'Latitude must be in range of -90 to 90°. Given: 91.0.' }, /refused the request: Latitude must be in range/],
      [{ ...f, hourly: { ...f.hourly, shortwave_radiation: f.hourly.shortwave_radiation.slice(1) } }, /hourly: shortwave_radiation has 95 values for 96 times/],
      [{ ...f, hourly: { ...f.hourly, time: f.hourly.time.map((t, i) => (i === 5 ? t + 60 : t)) } }, /hourly: time\[5\] is not 60 min after time\[4\]/],
      [{ ...f, hourly: { ...f.hourly, shortwave_radiation: f.hourly.shortwave_radiation.map((v, i) => (i === 3 ? -4 : v)) } }, /shortwave_radiation\[3\] = -4 W\/m² is outside 0…1500/],
      [{ ...f, hourly: { ...f.hourly, time: f.hourly.time.map((t) => new Date(t * 1000).toISOString()) } }, /hourly\.time\.0: .*number/],
      [{ ...f, hourly_units: { time: 'iso8601' } }, /hourly_units\.time is "iso8601"; ask with timeformat=unixtime/],
      [{ latitude: 50 }, /neither hourly nor minutely_15/],
      ['[]', /body|expected object/],
    ];
    for (const [body, message] of cases) assert.throws(() => parseOpenMeteoForecast(body), (err: unknown) => err instanceof GridpilotError && message.test(err.message), String(message));
  });
});

void describe('Open-Meteo forecast: over HTTP', () => {
  let server: Server;
  let service: FakeService;
  before(async () => ({ service, server } = await startService()));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  void it('asks for GHI at the place, hourly and per 15 min, in Unix seconds, and reads the answer', async () => {
    service.answer = { status: 200, body: fixtureText };
    const f = await fetchOpenMeteoForecast({ fetch, latitudeDeg: 50.85, longitudeDeg: 4.35, baseUrl: service.url });
    assert.equal(f.series[0]?.valuesWm2.length, 96);
    const url = service.requests.at(-1)!;
    assert.equal(url.pathname, '/v1/forecast');
    assert.equal(url.searchParams.get('latitude'), '50.85');
    assert.equal(url.searchParams.get('longitude'), '4.35');
    assert.equal(url.searchParams.get('hourly'), 'shortwave_radiation');
    assert.equal(url.searchParams.get('minutely_15'), 'shortwave_radiation');
    assert.equal(url.searchParams.get('timeformat'), 'unixtime');
  });

  void it('with the panels\' tilt and azimuth it asks for (and reads) the irradiance on their plane', async () => {
    const f = fixture();
    service.answer = { status: 200, body: JSON.stringify({ ...f, hourly: { time: f.hourly.time, global_tilted_irradiance: f.hourly.shortwave_radiation.map((v) => (v === null ? null : v * 1.1)) } }) };
    const forecast = await fetchOpenMeteoForecast({ fetch, latitudeDeg: 50.85, longitudeDeg: 4.35, baseUrl: service.url, panels: { tiltDeg: 35, azimuthDeg: -20 } });
    const url = service.requests.at(-1)!;
    assert.equal(url.searchParams.get('hourly'), 'global_tilted_irradiance');
    assert.equal(url.searchParams.get('minutely_15'), 'global_tilted_irradiance');
    assert.equal(url.searchParams.get('tilt'), '35');
    assert.equal(url.searchParams.get('azimuth'), '-20');
    const noon = Date.parse('2024-06-01T11:00Z');
    assert.ok(Math.abs((forecastIrradianceOver(forecast, noon, noon + HOUR) ?? NaN) - valueStampedAt('2024-06-01T12:00Z') * 1.1) < 1e-9);
    // An answer without the variable asked for is refused.
    service.answer = { status: 200, body: fixtureText };
    await assert.rejects(fetchOpenMeteoForecast({ fetch, latitudeDeg: 50.85, longitudeDeg: 4.35, baseUrl: service.url, panels: { tiltDeg: 35, azimuthDeg: -20 } }), /hourly: global_tilted_irradiance is missing/);
  });

  void it('turns an HTTP error into a message with the status and the API reason', async () => {
    service.answer = { status: 400, body: JSON.stringify({ error: true, reason: 'Cannot initialize WeatherVariable from invalid String value shortwave' }) };
    await assert.rejects(fetchOpenMeteoForecast({ fetch, latitudeDeg: 50.85, longitudeDeg: 4.35, baseUrl: service.url }), /Open-Meteo 127\.0\.0\.1:\d+: HTTP 400: Cannot initialize/);
    service.answer = { status: 502, body: '<html>Bad Gateway</html>' };
    await assert.rejects(fetchOpenMeteoForecast({ fetch, latitudeDeg: 50.85, longitudeDeg: 4.35, baseUrl: service.url }), /HTTP 502$/);
    service.answer = { status: 200, body: '{"hourly": ' };
    await assert.rejects(fetchOpenMeteoForecast({ fetch, latitudeDeg: 50.85, longitudeDeg: 4.35, baseUrl: service.url }), /the answer is not JSON/);
  });

  void it('forecasts PV from the service where it covers, the fallback elsewhere; refreshes when due; keeps the last forecast when the service fails', async () => {
    service.answer = { status: 200, body: fixtureText };
    const warnings: string[] = [];
    const fallback = new ClearSkyPvForecast(0.55);
    const pv = new WeatherServicePvForecast({
      fetchForecast: (signal) => fetchOpenMeteoForecast({ fetch, latitudeDeg: 50.85, longitudeDeg: 4.35, baseUrl: service.url, signal }),
      fallback,
      refreshIntervalMs: HOUR,
      retryIntervalMs: 10 * 60_000,
      logger: { info: () => {}, warn: (o: unknown, msg: string) => warnings.push(`${msg} ${JSON.stringify(o)}`) },
    });
    const now = Date.parse('2024-06-01T06:00Z');
    // Today 06:00 to the day after tomorrow 06:00: the service covers up to 2024-06-03T23:00Z.
    const request = { issuedAtMs: now, fromMs: now, slotMs: Q, slotCount: 4 * 72 };
    assert.deepEqual(pv.forecastAvailableW(system, request), fallback.forecastAvailableW(system, request), 'nothing fetched yet: the fallback');

    const before = service.requests.length;
    assert.equal(await pv.update(now), true);
    const covered = pv.forecastAvailableW(system, request);
    const noonSlot = (Date.parse('2024-06-01T11:00Z') - now) / Q;
    assert.equal(covered[noonSlot], pvPowerFromIrradianceW(system, valueStampedAt('2024-06-01T12:00Z')));
    const lastCovered = (Date.parse('2024-06-03T23:00Z') - now) / Q;
    const fallbackW = fallback.forecastAvailableW(system, request);
    assert.deepEqual(covered.slice(lastCovered), fallbackW.slice(lastCovered), 'beyond the service: the fallback');
    assert.notDeepEqual(covered.slice(0, lastCovered), fallbackW.slice(0, lastCovered));

    assert.equal(await pv.update(now + 30 * 60_000), false, 'not due yet');
    assert.equal(service.requests.length, before + 1);

    service.answer = { status: 500, body: '{"error":true,"reason":"overloaded"}' };
    assert.equal(await pv.update(now + HOUR), false);
    assert.equal(service.requests.length, before + 2);
    assert.match(warnings.join('\n'), /weather service failed.*HTTP 500: overloaded/);
    assert.deepEqual(pv.forecastAvailableW(system, { ...request, issuedAtMs: now + HOUR }), covered, 'the last good forecast stays');
    assert.match(pv.status().lastError ?? '', /HTTP 500/);
    assert.equal(await pv.update(now + HOUR + 5 * 60_000), false, 'retry not due');
    assert.equal(service.requests.length, before + 2);

    service.answer = { status: 200, body: fixtureText };
    assert.equal(await pv.update(now + HOUR + 10 * 60_000), true, 'retried after retryIntervalMs');
    assert.equal(pv.status().lastError, null);
    assert.equal(pv.status().fetchedAtMs, now + HOUR + 10 * 60_000);
    // A forecast older than maxAgeMs (24 h) is no longer used.
    const late = { ...request, issuedAtMs: now + HOUR + 10 * 60_000 + 25 * HOUR };
    assert.deepEqual(pv.forecastAvailableW(system, late), fallback.forecastAvailableW(system, late));
  });

  void it('the CostService fetches the forecast before it plans and plans the PV the service forecasts', async () => {
    service.answer = { status: 200, body: fixtureText };
    const site = loadSiteConfigFile(new URL('../../data/reference-site.yaml', import.meta.url).pathname, (cfg) => {
      cfg.optimizer = { ...(cfg.optimizer as object), pvForecast: 'open-meteo', openMeteo: { latitude: 50.85, longitude: 4.35, baseUrl: service.url } };
    });
    const pvForecast = pvForecastFor(site, {});
    assert.ok(pvForecast instanceof WeatherServicePvForecast);
    const nowMs = Date.parse('2024-06-01T04:00Z');
    const clock = new FakeClock(nowMs);
    const highs = await loadSolver();
    const before = service.requests.length;
    const cost = new CostService({ site, clock, prices: new StaticPriceProvider(loadBundledPrices(), { clock }), planner: syncPlanner((p) => solvePlan(highs, p)), pvForecast });
    cost.start();
    await cost.idle();
    await cost.stop();
    assert.equal(service.requests.length, before + 1);
    assert.deepEqual(cost.explanation().pvForecast, { source: 'Open-Meteo', fetchedAtMs: nowMs, lastError: null }, 'the plan API says where the PV forecast comes from');
    const plan = cost.currentPlan();
    assert.ok(plan && plan.status !== 'fallback', plan?.fallbackReason);
    const slot = plan.slots.find((s) => s.startMs === Date.parse('2024-06-01T11:00Z'));
    const ratedPowerW = devicesOf(site, 'solar')[0]?.ratedPowerW ?? 0;
    const expected = pvPowerFromIrradianceW({ ratedPowerW, peakPowerW: ratedPowerW }, valueStampedAt('2024-06-01T12:00Z'));
    assert.ok(Math.abs((slot?.solar[0]?.availableW ?? NaN) - expected) < 1, `${slot?.solar[0]?.availableW} vs ${expected}`);
  });
});

void describe('Open-Meteo forecast: configuration', () => {
  void it('takes the place from location unless told another; refuses a bad one with its path', () => {
    const lisbon = resolveSiteConfig({ serial: 'X1', location: { latitude: 38.72, longitude: -9.14, timeZone: 'Europe/Lisbon' }, optimizer: { pvForecast: 'open-meteo' } });
    assert.deepEqual(openMeteoPlace(lisbon), { latitude: 38.72, longitude: -9.14 });
    assert.ok(pvForecastFor(lisbon, {}) instanceof WeatherServicePvForecast);
    const panelsElsewhere = resolveSiteConfig({ serial: 'X1', location: { latitude: 38.72, longitude: -9.14, timeZone: 'Europe/Lisbon' }, optimizer: { openMeteo: { latitude: 38.8 } } });
    assert.deepEqual(openMeteoPlace(panelsElsewhere), { latitude: 38.8, longitude: -9.14 });
    assert.throws(() => resolveSiteConfig({ serial: 'X1', optimizer: { pvForecast: 'open-meteo', openMeteo: { latitude: 91, longitude: 4 } } }), /optimizer\.openMeteo\.latitude/);
    assert.throws(() => resolveSiteConfig({ serial: 'X1', optimizer: { pvForecast: 'open-meteo', openMeteo: { latitude: 50, longitude: 4, refreshMin: 1 } } }), /optimizer\.openMeteo\.refreshMin/);
    assert.throws(() => resolveSiteConfig({ serial: 'X1', optimizer: { pvForecast: 'open-meteo', openMeteo: { latitude: 50, longitude: 4, baseUrl: 'ftp://x' } } }), /optimizer\.openMeteo\.baseUrl/);
    assert.throws(() => resolveSiteConfig({ serial: 'X1', optimizer: { pvForecast: 'open-meteo', openMeteo: { latitude: 50, longitude: 4, panels: { tiltDeg: 95, azimuthDeg: 0 } } } }), /optimizer\.openMeteo\.panels\.tiltDeg/);
    const ok = resolveSiteConfig({ serial: 'X1', optimizer: { pvForecast: 'open-meteo', openMeteo: { latitude: 50.85, longitude: 4.35 } } });
    assert.equal(ok.optimizer.openMeteo?.refreshMin, 60);
  });
});
