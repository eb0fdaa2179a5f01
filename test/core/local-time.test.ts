import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localDateOf, localDayIndexOf, localDayStartMs, MS_PER_DAY, toLocalTime, utcOffsetMs, wallTimeToUtcMs } from '../../src/core/local-time.ts';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

/** The wall clock of `timeZone` at `ms` straight from Intl (the reference). */
const formats = new Map<string, Intl.DateTimeFormat>();
function intlWall(ms: number, timeZone: string): { date: string; minuteOfDay: number; weekday: number } {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short' });
    formats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday ?? '');
  return { date: `${parts.year}-${parts.month}-${parts.day}`, minuteOfDay: Number(parts.hour) * 60 + Number(parts.minute) + Number(parts.second) / 60, weekday };
}

const ZONES = ['Europe/Brussels', 'Europe/Lisbon', 'Europe/Helsinki', 'Asia/Kolkata', 'Australia/Adelaide', 'America/New_York', 'Australia/Lord_Howe', 'UTC'];

void describe('local time in an IANA time zone', () => {
  void it('agrees with Intl on a sweep of instants over two years in zones with whole, half-hour and 30-min-DST offsets', () => {
    for (const tz of ZONES) {
      // Every 97 min 13 s from 2024 to 2026: lands on all times of day; the transitions are checked to the ms below.
      for (let ms = at('2024-01-01T00:00:00Z'); ms < at('2026-01-01T00:00:00Z'); ms += 97 * 60_000 + 13_000) {
        const mine = toLocalTime(ms, tz);
        const ref = intlWall(ms, tz);
        assert.equal(localDateOf(mine.localDayIndex), ref.date, `${tz} ${new Date(ms).toISOString()} date`);
        assert.ok(Math.abs(mine.hourOfDay * 60 - ref.minuteOfDay) < 1e-6, `${tz} ${new Date(ms).toISOString()}: ${mine.hourOfDay} h vs ${ref.minuteOfDay} min`);
        assert.equal(mine.weekday, ref.weekday, `${tz} weekday`);
      }
    }
  });

  void it('finds each transition to the millisecond (Brussels, Lisbon, Helsinki, Adelaide, Lord Howe)', () => {
    assert.equal(utcOffsetMs(at('2024-03-31T00:59:59.999Z'), 'Europe/Brussels'), HOUR);
    assert.equal(utcOffsetMs(at('2024-03-31T01:00:00Z'), 'Europe/Brussels'), 2 * HOUR);
    assert.equal(utcOffsetMs(at('2024-10-27T00:59:59.999Z'), 'Europe/Brussels'), 2 * HOUR);
    assert.equal(utcOffsetMs(at('2024-10-27T01:00:00Z'), 'Europe/Brussels'), HOUR);
    assert.equal(utcOffsetMs(at('2024-03-31T00:59:59.999Z'), 'Europe/Lisbon'), 0);
    assert.equal(utcOffsetMs(at('2024-03-31T01:00:00Z'), 'Europe/Lisbon'), HOUR);
    assert.equal(utcOffsetMs(at('2024-03-31T01:00:00Z'), 'Europe/Helsinki'), 3 * HOUR);
    assert.equal(utcOffsetMs(at('2024-03-31T00:59:59.999Z'), 'Europe/Helsinki'), 2 * HOUR);
    assert.equal(utcOffsetMs(at('2024-06-01T00:00:00Z'), 'Asia/Kolkata'), 5.5 * HOUR);
    // Adelaide leaves summer time (+10:30 → +9:30) at 03:00 local on the first Sunday of April: 2024-04-06T16:30Z.
    assert.equal(utcOffsetMs(at('2024-04-06T16:29:59.999Z'), 'Australia/Adelaide'), 10.5 * HOUR);
    assert.equal(utcOffsetMs(at('2024-04-06T16:30:00Z'), 'Australia/Adelaide'), 9.5 * HOUR);
    // Lord Howe moves by 30 min (+11 → +10:30) at 02:00 local: 2024-04-06T15:00Z.
    assert.equal(utcOffsetMs(at('2024-04-06T14:59:59.999Z'), 'Australia/Lord_Howe'), 11 * HOUR);
    assert.equal(utcOffsetMs(at('2024-04-06T15:00:00Z'), 'Australia/Lord_Howe'), 10.5 * HOUR);
  });

  void it('turns wall times back into UTC: round trip on every quarter hour of two years, and Intl agrees', () => {
    for (const tz of ZONES) {
      const first = localDayIndexOf(at('2024-01-01T12:00:00Z'), tz);
      for (let day = first; day < first + 731; day += 1) {
        for (let minute = 0; minute < 1440; minute += 15) {
          const ms = wallTimeToUtcMs(day, minute, tz);
          const back = toLocalTime(ms, tz);
          const inGap = back.localDayIndex !== day || Math.abs(back.hourOfDay * 60 - minute) > 1e-6;
          if (!inGap) continue;
          // Only a wall time in a spring-forward gap may not come back; it comes back later by the gap.
          const gapMin = (utcOffsetMs(ms, tz) - utcOffsetMs(ms - 2 * HOUR, tz)) / 60_000;
          assert.ok(gapMin > 0, `${tz} day ${localDateOf(day)} ${minute} min did not round-trip and is not in a gap`);
          assert.equal(back.localDayIndex * 1440 + back.hourOfDay * 60, day * 1440 + minute + gapMin, `${tz} gap shift`);
        }
      }
    }
  });

  void it('has 23-hour and 25-hour days, with the overlap mapped to the earlier instant and the gap shifted later', () => {
    for (const [tz, spring, autumn] of [
      ['Europe/Lisbon', '2024-03-31', '2024-10-27'],
      ['Europe/Helsinki', '2024-03-31', '2024-10-27'],
      ['Europe/Brussels', '2024-03-31', '2024-10-27'],
    ] as const) {
      const dayOf = (date: string) => Math.floor(Date.parse(`${date}T00:00:00Z`) / MS_PER_DAY);
      const s = dayOf(spring);
      const a = dayOf(autumn);
      assert.equal(wallTimeToUtcMs(s + 1, 0, tz) - wallTimeToUtcMs(s, 0, tz), 23 * HOUR, `${tz} spring day`);
      assert.equal(wallTimeToUtcMs(a + 1, 0, tz) - wallTimeToUtcMs(a, 0, tz), 25 * HOUR, `${tz} autumn day`);
    }
    // Lisbon: 01:30 on 2024-03-31 does not exist (01:00 WET → 02:00 WEST): it is 02:30 WEST = 01:30Z.
    const lisbonSpring = Math.floor(at('2024-03-31T12:00:00Z') / MS_PER_DAY);
    assert.equal(wallTimeToUtcMs(lisbonSpring, 90, 'Europe/Lisbon'), at('2024-03-31T01:30:00Z'));
    // Helsinki: 03:30 on 2024-10-27 happens twice (EEST 00:30Z, EET 01:30Z): the earlier.
    const helsinkiAutumn = Math.floor(at('2024-10-27T12:00:00Z') / MS_PER_DAY);
    assert.equal(wallTimeToUtcMs(helsinkiAutumn, 210, 'Europe/Helsinki'), at('2024-10-27T00:30:00Z'));
    // The hour after the overlap counts 25 hours into the day at midnight.
    assert.equal(toLocalTime(at('2024-10-27T21:59:00Z'), 'Europe/Helsinki').hourOfDay, 23 + 59 / 60);
  });

  void it('gives local midnights, dates and weekdays', () => {
    assert.equal(localDayStartMs(at('2024-06-03T10:00:00Z'), 'Europe/Helsinki'), at('2024-06-02T21:00:00Z'));
    assert.equal(localDayStartMs(at('2024-06-03T10:00:00Z'), 'Europe/Lisbon'), at('2024-06-02T23:00:00Z'));
    assert.equal(localDayStartMs(at('2024-06-03T10:00:00Z'), 'Asia/Kolkata'), at('2024-06-02T18:30:00Z'));
    assert.equal(localDateOf(localDayIndexOf(at('2024-06-02T21:30:00Z'), 'Europe/Helsinki')), '2024-06-03');
    assert.equal(toLocalTime(at('2024-01-06T23:30:00Z'), 'Europe/Brussels').weekday, 0); // Sunday 00:30 local
    assert.equal(toLocalTime(at('2024-01-06T23:30:00Z'), 'Europe/Lisbon').weekday, 6); // still Saturday
  });

  void it('refuses an unknown zone with a clear error', () => {
    assert.throws(() => toLocalTime(0, 'Europe/Atlantis'), /unknown time zone "Europe\/Atlantis"/);
    assert.throws(() => wallTimeToUtcMs(0, 0, 'nope'), RangeError);
  });
});
