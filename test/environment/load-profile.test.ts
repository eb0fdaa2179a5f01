import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoadProfile } from '../../src/environment/load-profile.ts';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

void describe('household load profile', () => {
  void it('gives the same load at the same instant for the same seed, whatever the call order', () => {
    const instants = Array.from({ length: 50 }, (_, i) => at('2024-05-02T00:00:00Z') + i * 1_234_567);
    const forward = new LoadProfile({ seed: 7 });
    const backward = new LoadProfile({ seed: 7 });
    const first = instants.map((ms) => forward.baseLoadW(ms));
    const second = [...instants].reverse().map((ms) => backward.baseLoadW(ms)).reverse();
    assert.deepEqual(second, first);
    assert.deepEqual(instants.map((ms) => forward.baseLoadW(ms)), first);
  });

  void it('gives another load with another seed', () => {
    const ms = at('2024-05-02T19:00:00Z');
    assert.notEqual(new LoadProfile({ seed: 1 }).baseLoadW(ms), new LoadProfile({ seed: 2 }).baseLoadW(ms));
  });

  void it('holds the load constant within a 5-minute slot and keeps the noise within ±30 %', () => {
    const profile = new LoadProfile();
    const slotStart = at('2024-05-02T19:05:00Z');
    assert.equal(profile.baseLoadW(slotStart + 299_999), profile.baseLoadW(slotStart));
    for (let ms = slotStart; ms < slotStart + 24 * HOUR; ms += 300_000) {
      const ratio = profile.baseLoadW(ms) / profile.expectedBaseLoadW(ms + 150_000);
      assert.ok(ratio >= 0.7 && ratio <= 1.3, `ratio ${ratio}`);
    }
  });

  void it('adds up to the annual consumption over a simulated year (within 10 %)', () => {
    const profile = new LoadProfile({ annualLoadKWh: 4000, seed: 3 });
    const startMs = at('2025-01-01T00:00:00Z');
    const stepMs = 300_000;
    let energyWh = 0;
    for (let ms = startMs; ms < at('2026-01-01T00:00:00Z'); ms += stepMs) energyWh += (profile.baseLoadW(ms) * stepMs) / HOUR;
    const expectedWh = (4000_000 * 365) / 365.25;
    assert.ok(Math.abs(energyWh - expectedWh) / expectedWh < 0.1, `simulated ${(energyWh / 1000).toFixed(0)} kWh`);
  });

  void it('has a low night, an evening peak, and more in winter than in summer (Brussels time)', () => {
    const profile = new LoadProfile();
    // 19:30 local in summer is 17:30 UTC; 03:30 local is 01:30 UTC.
    assert.ok(profile.expectedBaseLoadW(at('2024-07-10T17:30:00Z')) > 3 * profile.expectedBaseLoadW(at('2024-07-10T01:30:00Z')));
    assert.ok(profile.expectedBaseLoadW(at('2024-01-10T18:30:00Z')) > profile.expectedBaseLoadW(at('2024-07-10T17:30:00Z')));
  });

  void it('is zero for a site without household consumption', () => {
    assert.equal(new LoadProfile({ annualLoadKWh: 0 }).baseLoadW(at('2024-05-02T19:00:00Z')), 0);
  });
});
