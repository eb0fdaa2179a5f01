import { MS_PER_H } from '../../core/units.ts';

/**
 * Wall-clock time in Belgium (Europe/Brussels), computed without Intl so it is fast (the load
 * profile asks every cycle) and the same on every machine whatever its ICU data.
 * EU rule: CET (UTC+1), CEST (UTC+2) from the last Sunday of March 01:00 UTC to the last Sunday
 * of October 01:00 UTC [Directive 2000/84/EC art. 1–2].
 */

/** Milliseconds per minute. */
export const MS_PER_MIN = 60_000;
/** Milliseconds per (24-hour) day. */
export const MS_PER_DAY = 86_400_000;

/** Epoch ms of the last Sunday of `month` (1–12) of `year`, 01:00 UTC. */
function lastSundayAt0100UtcMs(year: number, month: number): number {
  const lastDayMs = Date.UTC(year, month, 0); // day 0 of the next month = last day of `month`
  const weekday = new Date(lastDayMs).getUTCDay();
  return lastDayMs - weekday * MS_PER_DAY + MS_PER_H;
}

/** Offset of Brussels wall time from UTC at instant `ms`, ms: 3 600 000 (winter) or 7 200 000 (summer). */
export function brusselsOffsetMs(ms: number): number {
  const year = new Date(ms).getUTCFullYear();
  const isSummer = ms >= lastSundayAt0100UtcMs(year, 3) && ms < lastSundayAt0100UtcMs(year, 10);
  return isSummer ? 2 * MS_PER_H : MS_PER_H;
}

/** An instant seen on a Brussels wall clock. */
export interface BrusselsTime {
  /** Local calendar day, counted in days since 1970-01-01 (local). */
  localDayIndex: number;
  /** Local hour of the day, fractional, 0 ≤ h < 24 (a DST day still maps into 0–24). */
  hourOfDay: number;
  /** Local weekday, 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

export function toBrusselsTime(ms: number): BrusselsTime {
  const localMs = ms + brusselsOffsetMs(ms);
  const localDayIndex = Math.floor(localMs / MS_PER_DAY);
  const hourOfDay = (localMs - localDayIndex * MS_PER_DAY) / MS_PER_H;
  // 1970-01-01 was a Thursday (4).
  const weekday = (((localDayIndex + 4) % 7) + 7) % 7;
  return { localDayIndex, hourOfDay, weekday };
}

/**
 * The UTC instant (epoch ms) of a Brussels wall time: local day `localDayIndex` (as in
 * {@link BrusselsTime}) at `minuteOfDay` (0–1440). In the spring-forward gap the result is an
 * hour late, in the autumn overlap it picks the summer-time instant; both are fine for a simulator.
 */
export function brusselsWallTimeToUtcMs(localDayIndex: number, minuteOfDay: number): number {
  const wallMs = localDayIndex * MS_PER_DAY + minuteOfDay * MS_PER_MIN;
  const guessMs = wallMs - brusselsOffsetMs(wallMs - MS_PER_H);
  return wallMs - brusselsOffsetMs(guessMs);
}
