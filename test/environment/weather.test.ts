import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clearSkyIrradianceWm2, solarElevationDeg } from '../../src/environment/clear-sky.ts';
import { typicalTemperatureC } from '../../src/environment/typical-temperature.ts';
import { HourlyWeather, clearSkyWeather, loadWeather, parseHourlyWeatherCsv } from '../../src/environment/weather.ts';

const at = (iso: string) => Date.parse(iso);

void describe('bundled Belgian weather', () => {
  const weather = loadWeather('bundled');

  void it('is read once and cached', () => {
    assert.equal(loadWeather('bundled'), weather);
  });

  void it('places each hourly radiation mean at the middle of the hour it covers', () => {
    // Rows 2024-06-21 12:00 → 239 W/m² (mean of 11:00–12:00) and 13:00 → 211 (12:00–13:00).
    assert.equal(weather.irradianceWm2(at('2024-06-21T11:30:00Z')), 239);
    assert.equal(weather.irradianceWm2(at('2024-06-21T12:30:00Z')), 211);
  });

  void it('interpolates linearly between hours', () => {
    assert.equal(weather.irradianceWm2(at('2024-06-21T12:00:00Z')), 225);
    assert.equal(weather.irradianceWm2(at('2024-06-21T11:45:00Z')), 232);
  });

  void it('is dark at midnight and bright on a clear summer day', () => {
    assert.equal(weather.irradianceWm2(at('2024-06-21T00:00:00Z')), 0);
    const clearNoon = weather.irradianceWm2(at('2024-07-29T11:50:00Z'));
    assert.ok(clearNoon > 750 && clearNoon < 950, `clear July noon ${clearNoon}`);
  });

  void it('gives the temperature of the hour it is stamped with', () => {
    assert.equal(weather.temperatureC(at('2024-06-21T12:00:00Z')), 18.708);
  });

  void it('replays the same date of a year the data covers outside its range', () => {
    // 2026-06-21 is after the data: the weather of 2025-06-21 (the latest year holding that date).
    assert.equal(weather.irradianceWm2(at('2026-06-21T12:00:00Z')), weather.irradianceWm2(at('2025-06-21T12:00:00Z')));
    assert.equal(weather.temperatureC(at('2026-06-21T12:00:00Z')), weather.temperatureC(at('2025-06-21T12:00:00Z')));
    // 2026-12-01 is after the 2025 data ends: 2024-12-01.
    assert.equal(weather.irradianceWm2(at('2026-12-01T12:00:00Z')), weather.irradianceWm2(at('2024-12-01T12:00:00Z')));
    // 29 February of a year without it falls on the 28th.
    assert.equal(weather.irradianceWm2(at('2023-02-28T12:00:00Z')), weather.irradianceWm2(at('2025-02-28T12:00:00Z')));
    assert.notEqual(weather.irradianceWm2(at('2026-06-21T12:00:00Z')), clearSkyIrradianceWm2(at('2026-06-21T12:00:00Z')));
  });

  void it('falls back to the clear-sky model where no year of the data holds the date', () => {
    const tiny = new HourlyWeather(parseHourlyWeatherCsv('date,temperature_2m,shortwave_radiation\n2024-06-01 00:00:00+00:00,10,0\n2024-06-01 01:00:00+00:00,10,0\n', 'tiny.csv'));
    const t = at('2026-01-15T12:00:00Z');
    assert.equal(tiny.irradianceWm2(t), clearSkyIrradianceWm2(t));
    assert.equal(tiny.temperatureC(t), typicalTemperatureC(t));
  });
});

void describe('clear-sky model over Brussels', () => {
  void it('puts the sun at 90° − latitude + tilt at the June solstice noon', () => {
    const elevation = solarElevationDeg(at('2024-06-21T11:48:00Z'));
    assert.ok(Math.abs(elevation - (90 - 50.85 + 23.44)) < 0.5, `elevation ${elevation}`);
  });

  void it('gives plausible Belgian clear-sky irradiance', () => {
    const june = clearSkyIrradianceWm2(at('2024-06-21T11:48:00Z'));
    const december = clearSkyIrradianceWm2(at('2024-12-21T11:45:00Z'));
    assert.ok(june > 850 && june < 950, `June noon ${june}`);
    assert.ok(december > 180 && december < 320, `December noon ${december}`);
    assert.equal(clearSkyIrradianceWm2(at('2024-06-21T23:00:00Z')), 0);
  });

  void it("is the whole weather under 'clear-sky'", () => {
    assert.equal(loadWeather('clear-sky'), clearSkyWeather);
    const ms = at('2024-06-21T12:00:00Z');
    assert.equal(clearSkyWeather.irradianceWm2(ms), clearSkyIrradianceWm2(ms));
  });

  void it('is colder in January than in July', () => {
    assert.ok(typicalTemperatureC(at('2024-01-20T06:00:00Z')) < 3);
    assert.ok(typicalTemperatureC(at('2024-07-20T13:30:00Z')) > 20);
  });
});

void describe('parsing an hourly weather CSV', () => {
  void it('reads dates without an offset as UTC and fills missing hours and empty cells linearly', () => {
    const csv = ['date,temperature_2m,shortwave_radiation', '2024-03-01 10:00:00,4,100', '2024-03-01 11:00:00,,', '2024-03-01 13:00:00,10,400', ''].join('\n');
    const series = parseHourlyWeatherCsv(csv, 'test.csv');
    assert.equal(series.firstHourMs, at('2024-03-01T10:00:00Z'));
    assert.deepEqual([...series.radiationWm2], [100, 200, 300, 400]);
    assert.deepEqual([...(series.temperatureC ?? [])], [4, 6, 8, 10]);
  });

  void it('works without a temperature column (temperature from the model)', () => {
    const weather = new HourlyWeather(parseHourlyWeatherCsv('date,shortwave_radiation\n2024-03-01T10:00:00Z,100\n2024-03-01T11:00:00Z,300\n', 'x.csv'));
    const ms = at('2024-03-01T10:00:00Z');
    assert.equal(weather.irradianceWm2(ms), 200);
    assert.equal(weather.temperatureC(ms), typicalTemperatureC(ms));
  });

  void it('names the file and line of bad input', () => {
    assert.throws(() => parseHourlyWeatherCsv('date,temp\n', 'a.csv'), /a\.csv: .*shortwave_radiation/);
    assert.throws(() => parseHourlyWeatherCsv('date,shortwave_radiation\n2024-03-01 11:00,1\n2024-03-01 10:00,1\n', 'b.csv'), /b\.csv:3: .*ascending/);
    assert.throws(() => parseHourlyWeatherCsv('date,shortwave_radiation\nyesterday,1\n', 'c.csv'), /c\.csv:2: not a date/);
    assert.throws(() => loadWeather('/nonexistent/weather.csv'), /cannot read weather CSV/);
  });
});
