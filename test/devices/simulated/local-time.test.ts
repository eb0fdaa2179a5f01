import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brusselsOffsetMs, brusselsWallTimeToUtcMs, toBrusselsTime } from '../../../src/devices/simulated/local-time.ts';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

void describe('Brussels wall time', () => {
  void it('switches to summer time on the last Sunday of March and back on the last Sunday of October, at 01:00 UTC', () => {
    assert.equal(brusselsOffsetMs(at('2024-03-31T00:59:59Z')), HOUR);
    assert.equal(brusselsOffsetMs(at('2024-03-31T01:00:00Z')), 2 * HOUR);
    assert.equal(brusselsOffsetMs(at('2024-10-27T00:59:59Z')), 2 * HOUR);
    assert.equal(brusselsOffsetMs(at('2024-10-27T01:00:00Z')), HOUR);
    assert.equal(brusselsOffsetMs(at('2025-03-30T01:00:00Z')), 2 * HOUR);
  });

  void it('gives the local hour and weekday', () => {
    const summer = toBrusselsTime(at('2024-05-02T16:00:00Z'));
    assert.equal(summer.hourOfDay, 18);
    assert.equal(summer.weekday, 4); // Thursday
    const winterMidnight = toBrusselsTime(at('2024-01-06T23:30:00Z'));
    assert.equal(winterMidnight.hourOfDay, 0.5);
    assert.equal(winterMidnight.weekday, 0); // Sunday 00:30 local
  });

  void it('turns a local wall time back into UTC, in winter and in summer', () => {
    const thursday = toBrusselsTime(at('2024-05-02T12:00:00Z')).localDayIndex;
    assert.equal(brusselsWallTimeToUtcMs(thursday, 18 * 60), at('2024-05-02T16:00:00Z'));
    const january = toBrusselsTime(at('2024-01-10T12:00:00Z')).localDayIndex;
    assert.equal(brusselsWallTimeToUtcMs(january, 7.5 * 60), at('2024-01-10T06:30:00Z'));
  });
});
