import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clearSkyIrradianceWm2 } from '../../src/environment/clear-sky.ts';
import { toLocalTime, wallTimeToUtcMs } from '../../src/core/local-time.ts';
import type { Weather } from '../../src/environment/weather.ts';
import { BLEND_LEADS_H, blendAt, fitIntradayBlend, type BlendObservation } from '../../src/optimizer/forecast/intraday-blend.ts';
import { PersistencePvForecast } from '../../src/optimizer/forecast/pv-forecast.ts';

const toBrusselsTime = (ms: number) => toLocalTime(ms, 'Europe/Brussels');
const brusselsWallTimeToUtcMs = (day: number, minute: number) => wallTimeToUtcMs(day, minute, 'Europe/Brussels');

const HOUR = 3_600_000;
const near = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

void describe('learned intraday blend', () => {
  void it('recovers the weights of prior and nowcast per lead by weighted least squares', () => {
    const observations: BlendObservation[][] = BLEND_LEADS_H.map((leadH) =>
      Array.from({ length: 80 }, (_, i) => {
        const prior = 0.1 + ((i * 37) % 80) / 100;
        const recent = 0.05 + ((i * 53) % 90) / 100;
        // The nowcast matters less the further ahead: r = 0.8 − 0.1 × lead.
        const r = 0.8 - 0.1 * leadH;
        return { prior, recent, actual: 0.05 + (1 - r) * prior + r * recent, weight: 1 + (i % 5) };
      }),
    );
    const fit = fitIntradayBlend(observations);
    assert.ok(fit);
    BLEND_LEADS_H.forEach((leadH, k) => {
      const [c, p, r] = fit[k] ?? [NaN, NaN, NaN];
      near(c, 0.05, 1e-4, `c at ${leadH} h`);
      near(r, 0.8 - 0.1 * leadH, 1e-4, `r at ${leadH} h`);
      near(p, 0.2 + 0.1 * leadH, 1e-4, `p at ${leadH} h`);
    });
    assert.equal(fitIntradayBlend(observations.map((o, k) => (k === 3 ? o.slice(0, 59) : o))), null, 'too few cases at one lead: no fit');
  });

  void it('interpolates between the leads (each stands for the middle of its hour) and ends after the last hour', () => {
    const fit = BLEND_LEADS_H.map((leadH) => [leadH, 0, 0] as const);
    assert.deepEqual(blendAt(fit, 0), [0, 0, 0]);
    assert.deepEqual(blendAt(fit, 0.5 * HOUR), [0, 0, 0]);
    assert.deepEqual(blendAt(fit, 1 * HOUR), [0.5, 0, 0]);
    assert.deepEqual(blendAt(fit, 5.5 * HOUR), [5, 0, 0], 'between 4 h and 6 h');
    assert.deepEqual(blendAt(fit, 8.5 * HOUR), [8, 0, 0]);
    assert.deepEqual(blendAt(fit, 9 * HOUR), [8, 0, 0]);
    assert.equal(blendAt(fit, 9 * HOUR + 1), null);
  });

  void it('in the forecast: learns that a day keeps its sky, where the fixed blend drifts to the climate; reads nothing after the issue time', () => {
    // Each local day has one clear-sky index, pseudo-random in 0.2–0.9: the 30-min nowcast is the truth for the rest of the day.
    const indexOf = (day: number): number => 0.2 + (((day * 7919) % 101) / 100) * 0.7;
    const firstDay = toBrusselsTime(Date.parse('2024-04-01T12:00Z')).localDayIndex;
    const weather: Weather & { firstMs: number } = {
      firstMs: brusselsWallTimeToUtcMs(firstDay, 0),
      irradianceWm2: (ms) => clearSkyIrradianceWm2(ms) * indexOf(toBrusselsTime(ms).localDayIndex),
      temperatureC: () => 15,
    };
    const day = firstDay + 70;
    const issuedAtMs = brusselsWallTimeToUtcMs(day, 10 * 60);
    const request = { issuedAtMs, fromMs: issuedAtMs, slotMs: HOUR, slotCount: 8 };
    const system = { ratedPowerW: 1e6, peakPowerW: 10_000 };
    const truth = request.slotCount;
    const learned = new PersistencePvForecast(weather, { intradayBlend: 'learned' }).forecastAvailableW(system, request);
    const fixed = new PersistencePvForecast(weather).forecastAvailableW(system, request);
    const actual = Array.from({ length: truth }, (_, i) => (system.peakPowerW * 0.8 * weather.irradianceWm2(issuedAtMs + (i + 0.5) * HOUR)) / 1000);
    const error = (w: number[]): number => w.reduce((s, x, i) => s + Math.abs(x - (actual[i] ?? 0)), 0);
    assert.ok(error(learned) < 0.03 * actual.reduce((s, x) => s + x, 0), `learned within 3 %: ${error(learned).toFixed(0)} W`);
    assert.ok(error(learned) < error(fixed) / 3, `learned ${error(learned).toFixed(0)} W vs fixed ${error(fixed).toFixed(0)} W`);

    // Another future after the issue time changes nothing.
    const otherFuture: Weather & { firstMs: number } = { ...weather, irradianceWm2: (ms) => (ms < issuedAtMs ? weather.irradianceWm2(ms) : clearSkyIrradianceWm2(ms) * 0.1) };
    assert.deepEqual(new PersistencePvForecast(otherFuture, { intradayBlend: 'learned' }).forecastAvailableW(system, request), learned);
  });
});
