import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clearSkyIrradianceWm2 } from '../../src/environment/clear-sky.ts';
import { loadWeather } from '../../src/environment/weather.ts';
import { BucketMeans } from '../../src/optimizer/forecast/bucket-means.ts';
import { meanOver } from '../../src/optimizer/forecast/forecast-request.ts';
import { MeasuredSky } from '../../src/optimizer/forecast/measured-sky.ts';
import { PersistencePvForecast, pvPowerFromIrradianceW } from '../../src/optimizer/forecast/pv-forecast.ts';

// The sky the site's own PV measured (available power → irradiance) as the honest forecasts' past.

const DAY = 86_400_000;
const FROM = Date.parse('2024-06-01T00:00:00Z');
const ISSUED = Date.parse('2024-06-04T10:00:00Z');
const request = { issuedAtMs: ISSUED, fromMs: ISSUED, slotMs: 900_000, slotCount: 96 };
const PEAK_W = 10_000;
/** The panels as the inverters report them: available power of a 10 kWp array on an inverter that never clips. */
const panels = { ratedPowerW: 20_000, peakPowerW: PEAK_W };
const system = { ratedPowerW: 8000, peakPowerW: PEAK_W };

/** A sky fed once a minute over [fromMs, toMs) with the available power of `panels` under `irradiance`, except where `skip` says. */
function recordedSky(irradiance: (ms: number) => number, fromMs: number, toMs: number, skip: (ms: number) => boolean = () => false): MeasuredSky {
  const sky = new MeasuredSky({ maxAgeMs: 61 * DAY });
  for (let t = fromMs; t < toMs; t += 60_000) if (!skip(t)) sky.record(t, pvPowerFromIrradianceW(panels, irradiance(t)), PEAK_W);
  return sky;
}

void describe('MeasuredSky', () => {
  void it('gives the persistence forecast the sky the weather gave the panels', () => {
    const weather = loadWeather('bundled');
    const sky = recordedSky((ms) => weather.irradianceWm2(ms), FROM, ISSUED);
    assert.equal(sky.firstMs, FROM);
    const direct = new PersistencePvForecast({ irradianceWm2: (ms) => weather.irradianceWm2(ms), firstMs: FROM }, { climatologyDays: 0 }).forecastAvailableW(system, request);
    const measured = new PersistencePvForecast(sky, { climatologyDays: 0 }).forecastAvailableW(system, request);
    const peak = Math.max(...direct);
    assert.ok(peak > 1000, `a forecast with sun in it: ${peak} W`);
    // The sky is 15-min means of what the weather gave at each minute: the same forecast but for that averaging.
    measured.forEach((w, i) => assert.ok(Math.abs(w - (direct[i] ?? NaN)) < 0.02 * peak, `slot ${i}: ${w} vs ${direct[i]}`));
  });

  void it('skips what was not measured instead of reading it as darkness', () => {
    const index = 0.4;
    // The controller was off for six hours around noon the day before.
    const offFrom = ISSUED - DAY + 0.5 * 3_600_000;
    const sky = recordedSky((ms) => index * clearSkyIrradianceWm2(ms), FROM, ISSUED, (t) => t >= offFrom && t < offFrom + 6 * 3_600_000);
    assert.ok(Number.isNaN(sky.irradianceWm2(offFrom + 3_600_000)), 'not measured');
    const forecast = new PersistencePvForecast(sky, { climatologyDays: 0 });
    assert.ok(Math.abs(forecast.clearSkyIndexAt(ISSUED) - index) < 0.01, `${forecast.clearSkyIndexAt(ISSUED)}`);
  });

  void it("measures and forecasts against the clear sky of the site's place", () => {
    const madrid = { latDeg: 40.42, lonDeg: -3.7 };
    const sky = recordedSky((ms) => 0.5 * clearSkyIrradianceWm2(ms, madrid), FROM, ISSUED);
    const there = new PersistencePvForecast(sky, { climatologyDays: 0, climatologicalIndex: 0.5, location: madrid });
    assert.ok(Math.abs(there.clearSkyIndexAt(ISSUED) - 0.5) < 0.01, `${there.clearSkyIndexAt(ISSUED)}`);
    const forecast = there.forecastAvailableW(system, request);
    const expected = forecast.map((_, i) => meanOver((ms) => pvPowerFromIrradianceW(system, 0.5 * clearSkyIrradianceWm2(ms, madrid)), ISSUED + i * request.slotMs, request.slotMs));
    forecast.forEach((w, i) => assert.ok(Math.abs(w - (expected[i] ?? NaN)) < 0.02 * 4000, `slot ${i}: ${w} vs ${expected[i]}`));
    // With Brussels' clear sky the same readings give a day half an hour early.
    const brussels = new PersistencePvForecast(sky, { climatologyDays: 0, climatologicalIndex: 0.5 }).forecastAvailableW(system, request);
    assert.ok(Math.max(...brussels.map((w, i) => Math.abs(w - (expected[i] ?? NaN)))) > 0.1 * 4000);
  });

  void it('ignores readings it cannot turn into a sky, and forgets what is older than its age', () => {
    const sky = new MeasuredSky({ maxAgeMs: DAY });
    assert.equal(sky.firstMs, undefined);
    sky.record(FROM, Number.NaN, PEAK_W);
    sky.record(FROM, 1000, 0);
    assert.equal(sky.firstMs, undefined);
    sky.record(FROM, 4000, PEAK_W);
    assert.equal(sky.irradianceWm2(FROM + 60_000), (4000 * 1000) / (PEAK_W * 0.8));
    const buckets = new BucketMeans({ maxAgeMs: DAY });
    for (let t = FROM; t < FROM + 3 * DAY; t += 900_000) buckets.record(t, 1);
    assert.ok((buckets.firstMs() ?? 0) >= FROM + DAY, `pruned to the last day or two: ${new Date(buckets.firstMs() ?? 0).toISOString()}`);
    assert.equal(buckets.meanOver(FROM + 2 * DAY, FROM + 3 * DAY), 1);
    assert.equal(buckets.at(FROM), null);
  });
});
