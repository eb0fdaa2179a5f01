import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoadProfile } from '../../src/environment/load-profile.ts';
import { clearSkyIrradianceWm2 } from '../../src/environment/clear-sky.ts';
import type { Weather } from '../../src/environment/weather.ts';
import { HistoryLoadForecast, ProfileLoadForecast, RecordedLoadHistory } from '../../src/optimizer/forecast/load-forecast.ts';
import { ClearSkyPvForecast, PersistencePvForecast, WeatherPvForecast } from '../../src/optimizer/forecast/pv-forecast.ts';

const HOUR = 3_600_000;
const ISSUED = Date.parse('2024-06-03T10:00:00Z');
const request = { issuedAtMs: ISSUED, fromMs: ISSUED, slotMs: 900_000, slotCount: 96 };
const system = { ratedPowerW: 5000, peakPowerW: 6000 };

/** Weather with a given irradiance before and after an instant. */
const weather = (beforeWm2: number, afterWm2: number, atMs = ISSUED): Weather => ({ irradianceWm2: (ms) => (ms < atMs ? beforeWm2 : afterWm2), temperatureC: () => 15 });

void describe('PV forecasts', () => {
  void it('clear-sky: nothing at night, most at midday, never above the inverter rating', () => {
    const w = new ClearSkyPvForecast().forecastAvailableW(system, { ...request, fromMs: Date.parse('2024-06-03T00:00:00Z') });
    assert.equal(w[0], 0);
    assert.ok((w[46] ?? 0) > 3000, `midday ${w[46]}`);
    assert.ok(w.every((x) => x >= 0 && x <= 5000));
  });

  void it('persistence does not peek: the weather after the issue time changes nothing', () => {
    const sunnyAfter = new PersistencePvForecast(weather(100, 900)).forecastAvailableW(system, request);
    const darkAfter = new PersistencePvForecast(weather(100, 0)).forecastAvailableW(system, request);
    assert.deepEqual(sunnyAfter, darkAfter);
  });

  void it('persistence: a sunnier yesterday gives a sunnier forecast, fading to the climate with lead time', () => {
    const f = new PersistencePvForecast(weather(2000, 0));
    assert.ok(f.clearSkyIndexAt(ISSUED) > 1, 'clear-sky index persisted (capped at 1.2)');
    const sunny = f.forecastAvailableW({ ...system, ratedPowerW: 1e6 }, request);
    const dull = new PersistencePvForecast(weather(50, 0)).forecastAvailableW({ ...system, ratedPowerW: 1e6 }, request);
    assert.ok((sunny[8] ?? 0) > 2 * (dull[8] ?? 0), 'two hours ahead, the persisted sky dominates');
  });

  void it('persistence relaxes to the climate measured over the last 30 days, and reads nothing before the weather begins', () => {
    const clearSky = new ClearSkyPvForecast();
    const far = { ...request, fromMs: ISSUED + 48 * HOUR, slotCount: 8 };
    const ratio = (f: PersistencePvForecast): number => (f.forecastAvailableW({ ...system, ratedPowerW: 1e6 }, far)[0] ?? 0) / (clearSky.forecastAvailableW({ ...system, ratedPowerW: 1e6 }, far)[0] ?? 1);
    // A dull month (index 0.2): 48 h ahead the forecast is near 0.2 of clear sky, not the fixed 0.55.
    const dull = (ms: number): number => clearSkyIrradianceWm2(ms) * 0.2;
    const w: Weather & { firstMs: number } = { firstMs: ISSUED - 40 * 24 * HOUR, irradianceWm2: (ms) => (ms < ISSUED ? dull(ms) : 1000), temperatureC: () => 15 };
    assert.ok(Math.abs(ratio(new PersistencePvForecast(w)) - 0.2) < 0.02, `${ratio(new PersistencePvForecast(w))}`);
    assert.ok(Math.abs(ratio(new PersistencePvForecast(w, { climatologyDays: 0 })) - 0.55) < 0.05);
    // Weather data that begins 2 days ago: too little for a climate; before it nothing is read (a replayed weather would answer from a later year).
    const young: Weather & { firstMs: number } = { ...w, firstMs: ISSUED - 2 * 24 * HOUR, irradianceWm2: (ms) => (ms < ISSUED - 2 * 24 * HOUR ? 5000 : dull(ms)) };
    const f = new PersistencePvForecast(young);
    assert.equal(f.climatologicalIndexAt(ISSUED), 0.55);
    assert.ok(f.clearSkyIndexAt(ISSUED, 5 * 24 * HOUR) < 0.25, 'the look-back stops where the weather begins');
  });

  void it('the weather forecast (perfect) follows the given irradiance', () => {
    const w = new WeatherPvForecast(weather(0, 500)).forecastAvailableW(system, request);
    assert.ok(w.every((x) => Math.abs(x - 6000 * 0.5 * 0.8) < 1e-9));
  });
});

void describe('load forecasts', () => {
  const profile = new ProfileLoadForecast(new LoadProfile({ annualLoadKWh: 4000 }));

  void it('averages the same weekday and time over the last weeks of the site’s own history', () => {
    const history = new RecordedLoadHistory();
    // Two weeks of history: 1000 W one week ago, 3000 W two weeks ago, at the forecast's slots.
    for (let t = 0; t < 96; t++) {
      history.record(ISSUED - 7 * 24 * HOUR + t * 900_000, 1000);
      history.record(ISSUED - 14 * 24 * HOUR + t * 900_000, 3000);
    }
    const f = new HistoryLoadForecast(history, profile, { weeks: 4 }).forecastBaseLoadW(request);
    assert.ok(f.every((w) => Math.abs(w - 2000) < 1e-9), `${f[0]}`);
  });

  void it('falls back to the standard profile where there is no history, and never uses data after the issue time', () => {
    const history = new RecordedLoadHistory();
    // Recorded "one week before" slots that lie after the issue time (a request far in the future).
    const late = { ...request, fromMs: ISSUED + 8 * 24 * HOUR };
    for (let t = 0; t < 96; t++) history.record(late.fromMs - 7 * 24 * HOUR + t * 900_000, 9999);
    const f = new HistoryLoadForecast(history, profile).forecastBaseLoadW(late);
    assert.deepEqual(f, profile.forecastBaseLoadW(late));
  });
});
