import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadWeather } from '../../src/environment/weather.ts';
import { meanOver } from '../../src/optimizer/forecast/forecast-request.ts';
import { MeasuredSky } from '../../src/optimizer/forecast/measured-sky.ts';
import type { IrradianceForecast } from '../../src/optimizer/forecast/open-meteo.ts';
import { ClearSkyPvForecast, pvPowerFromIrradianceW } from '../../src/optimizer/forecast/pv-forecast.ts';
import { WeatherServicePvForecast } from '../../src/optimizer/forecast/weather-service-pv-forecast.ts';

// The weather service's forecast calibrated to the site by the sky its own PV measured.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FROM = Date.parse('2024-06-01T00:00:00Z');
const weather = loadWeather('bundled');
const PEAK_W = 10_000;
const system = { ratedPowerW: 20_000, peakPowerW: PEAK_W };

/** What the service answers at `nowMs`: the hourly means of the actual weather from a day back to three days ahead (a perfect model). */
function serviceAnswer(nowMs: number): IrradianceForecast {
  const startMs = Math.floor(nowMs / HOUR) * HOUR - DAY;
  return { series: [{ startMs, stepMs: HOUR, valuesWm2: Array.from({ length: 4 * 24 }, (_, i) => meanOver((ms) => weather.irradianceWm2(ms), startMs + i * HOUR, HOUR, 12)) }] };
}

/** A site whose panels give `share` of what the weather promises (shading, soiling), measured once a minute over [FROM, untilMs). */
function shadedSky(share: number, untilMs: number, after?: { fromMs: number; share: number }): MeasuredSky {
  const sky = new MeasuredSky({ maxAgeMs: 61 * DAY });
  for (let t = FROM; t < untilMs; t += 60_000) {
    const k = after && t >= after.fromMs ? after.share : share;
    sky.record(t, pvPowerFromIrradianceW(system, k * weather.irradianceWm2(t)), PEAK_W);
  }
  return sky;
}

/** The forecast driven hour by hour from FROM to `nowMs`, as the CostService drives it. */
async function drivenTo(nowMs: number, measured?: MeasuredSky): Promise<WeatherServicePvForecast> {
  let clockMs = FROM;
  const pv = new WeatherServicePvForecast({ fetchForecast: () => Promise.resolve(serviceAnswer(clockMs)), fallback: new ClearSkyPvForecast(0.55), ...(measured ? { measured } : {}) });
  for (; clockMs <= nowMs; clockMs += HOUR) assert.equal(await pv.update(clockMs), true);
  return pv;
}

void describe('WeatherServicePvForecast calibrated by the measured sky', () => {
  void it("learns the site's share of the forecast irradiance and forecasts that much PV", async () => {
    const now = FROM + 4 * DAY + 6 * HOUR;
    const sky = shadedSky(0.8, now);
    const pv = await drivenTo(now, sky);
    const calibration = pv.status().calibration;
    assert.ok(calibration, 'calibrated after four days');
    assert.equal(calibration.days, 14);
    assert.ok(Math.abs(calibration.factor - 0.8) < 0.02, `factor ${calibration.factor}`);
    const request = { issuedAtMs: now, fromMs: now, slotMs: 900_000, slotCount: 48 };
    const calibrated = pv.forecastAvailableW(system, request);
    const raw = (await drivenTo(now)).forecastAvailableW(system, request);
    assert.ok(Math.max(...raw) > 3000, 'a sunny forecast');
    raw.forEach((w, i) => assert.ok(Math.abs((calibrated[i] ?? NaN) - w * calibration.factor) < 1, `slot ${i}: ${calibrated[i]} vs ${w} × ${calibration.factor}`));
  });

  void it('is not calibrated before the forecast hours add up, nor by what is measured after now', async () => {
    const early = await drivenTo(FROM + 10 * HOUR, shadedSky(0.8, FROM + 10 * HOUR));
    assert.equal(early.status().calibration, undefined, 'half a morning is too little');
    const now = FROM + 3 * DAY + 12 * HOUR;
    const a = await drivenTo(now, shadedSky(0.8, now + 2 * DAY));
    const b = await drivenTo(now, shadedSky(0.8, now + 2 * DAY, { fromMs: now, share: 0.1 }));
    assert.deepEqual(a.status().calibration, b.status().calibration);
  });
});
