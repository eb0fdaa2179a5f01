import { MS_PER_H } from './units.ts';

/**
 * Wall-clock time in any IANA time zone (`Europe/Brussels`, `Europe/Lisbon`, `Asia/Kolkata`), from
 * the platform's time-zone database (`Intl.DateTimeFormat`), fast enough to be called per 15-min
 * slot of a year-long backtest: the zone's UTC offset is computed once per UTC day with
 * `formatToParts` (~10 µs) and cached (a day whose end has another offset than its start has its
 * transition located to the millisecond by bisection, once); the last interval found answers again
 * without a lookup. Assumes a zone changes its offset at most once per UTC day (true of every zone
 * in the tz database since 1900). bench/optimizer-local-time.ts measures it.
 *
 * DST (and any other offset change):
 * - {@link toLocalTime} is exact: the wall clock the zone shows at the instant.
 * - {@link wallTimeToUtcMs} follows the "compatible" rule of RFC 9557 / Temporal: a wall time that
 *   occurs twice (the autumn overlap) maps to the earlier instant (summer time); one that does not
 *   occur (the spring gap) maps to the instant the wall clock would show with the offset before the
 *   change, i.e. as many minutes later as the gap is long (02:30 on the EU spring day → 03:30).
 */

/** Milliseconds per minute. */
export const MS_PER_MIN = 60_000;
/** Milliseconds per (24-hour) day. */
export const MS_PER_DAY = 86_400_000;

/** An instant seen on the site's wall clock. */
export interface LocalTime {
  /** Local calendar day, counted in days since 1970-01-01 (local): the same day number the UTC date would have. */
  localDayIndex: number;
  /** Local hour of the day, fractional, 0 ≤ h < 24 (the wall clock's hour, also on 23- and 25-hour days). */
  hourOfDay: number;
  /** Local weekday, 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

/** One UTC day of a zone: its offset at the start, and where (if anywhere) it changes within the day. */
interface DayOffsets {
  startOffsetMs: number;
  /** Instant the offset changes within the day, Unix ms; Infinity = it does not. */
  changeAtMs: number;
  endOffsetMs: number;
}

/** Cached days per zone before the cache is emptied (a live controller runs for years). */
const MAX_CACHED_DAYS = 20_000;

/** Offsets of one zone, cached per UTC day. */
class ZoneOffsets {
  private readonly format: Intl.DateTimeFormat;
  private readonly days = new Map<number, DayOffsets>();
  // The last interval answered: [fromMs, toMs) has offset `offsetMs`.
  private fromMs = 0;
  private toMs = -1;
  private offsetMs = 0;

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** UTC offset of the zone's wall clock at `ms`, ms (+ east of Greenwich). */
  offsetAt(ms: number): number {
    if (ms >= this.fromMs && ms < this.toMs) return this.offsetMs;
    const day = Math.floor(ms / MS_PER_DAY);
    let d = this.days.get(day);
    if (d === undefined) {
      d = this.computeDay(day);
      if (this.days.size >= MAX_CACHED_DAYS) this.days.clear();
      this.days.set(day, d);
    }
    const dayStartMs = day * MS_PER_DAY;
    if (ms < d.changeAtMs) {
      this.fromMs = dayStartMs;
      this.toMs = Math.min(d.changeAtMs, dayStartMs + MS_PER_DAY);
      this.offsetMs = d.startOffsetMs;
    } else {
      this.fromMs = d.changeAtMs;
      this.toMs = dayStartMs + MS_PER_DAY;
      this.offsetMs = d.endOffsetMs;
    }
    return this.offsetMs;
  }

  private computeDay(day: number): DayOffsets {
    const startMs = day * MS_PER_DAY;
    const endMs = startMs + MS_PER_DAY;
    const startOffsetMs = this.exactOffset(startMs);
    const endOffsetMs = this.exactOffset(endMs);
    if (startOffsetMs === endOffsetMs) return { startOffsetMs, changeAtMs: Infinity, endOffsetMs };
    // The offset changes within the day (at its end at the latest): find the first ms with the new offset.
    let lo = startMs; // has startOffsetMs
    let hi = endMs; // has endOffsetMs
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.exactOffset(mid) === startOffsetMs) lo = mid;
      else hi = mid;
    }
    return { startOffsetMs, changeAtMs: hi, endOffsetMs };
  }

  /** The offset at `ms` from the time-zone database (one formatToParts call). */
  private exactOffset(ms: number): number {
    const wholeSecondMs = Math.floor(ms / 1000) * 1000;
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    for (const part of this.format.formatToParts(wholeSecondMs)) {
      const v = Number(part.value);
      switch (part.type) {
        case 'year':
          year = v;
          break;
        case 'month':
          month = v;
          break;
        case 'day':
          day = v;
          break;
        case 'hour':
          hour = v;
          break;
        case 'minute':
          minute = v;
          break;
        case 'second':
          second = v;
          break;
        default:
          break;
      }
    }
    // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
    const wall = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
    wall.setUTCFullYear(year);
    return wall.getTime() - wholeSecondMs;
  }
}

const zones = new Map<string, ZoneOffsets>();

function zoneOffsets(timeZone: string): ZoneOffsets {
  let z = zones.get(timeZone);
  if (z === undefined) {
    try {
      z = new ZoneOffsets(timeZone);
    } catch {
      throw new RangeError(`unknown time zone "${timeZone}": must be an IANA time zone such as Europe/Brussels`);
    }
    zones.set(timeZone, z);
  }
  return z;
}

/** Offset of `timeZone`'s wall clock from UTC at instant `ms`, ms (Europe/Brussels: 3 600 000 in winter, 7 200 000 in summer). Throws a RangeError for an unknown zone. */
export function utcOffsetMs(ms: number, timeZone: string): number {
  return zoneOffsets(timeZone).offsetAt(ms);
}

/** Instant `ms` (Unix ms) on the wall clock of `timeZone` (IANA name). Throws a RangeError for an unknown zone. */
export function toLocalTime(ms: number, timeZone: string): LocalTime {
  const localMs = ms + zoneOffsets(timeZone).offsetAt(ms);
  const localDayIndex = Math.floor(localMs / MS_PER_DAY);
  const hourOfDay = (localMs - localDayIndex * MS_PER_DAY) / MS_PER_H;
  // 1970-01-01 was a Thursday (4).
  const weekday = (((localDayIndex + 4) % 7) + 7) % 7;
  return { localDayIndex, hourOfDay, weekday };
}

/** The local calendar day of instant `ms` in `timeZone` (as {@link LocalTime.localDayIndex}). */
export function localDayIndexOf(ms: number, timeZone: string): number {
  return Math.floor((ms + zoneOffsets(timeZone).offsetAt(ms)) / MS_PER_DAY);
}

/**
 * The UTC instant (Unix ms) of a wall time in `timeZone`: local day `localDayIndex` (as in
 * {@link LocalTime}) at `minuteOfDay` (0–1440, fractional allowed; 1440 = the next day's midnight).
 * Overlap → the earlier instant; gap → shifted later by the gap (see the module comment).
 */
export function wallTimeToUtcMs(localDayIndex: number, minuteOfDay: number, timeZone: string): number {
  const z = zoneOffsets(timeZone);
  const wallMs = localDayIndex * MS_PER_DAY + minuteOfDay * MS_PER_MIN;
  // The offsets a day either side bound the candidates (no zone changes its offset twice within two days).
  const before = z.offsetAt(wallMs - MS_PER_DAY);
  const after = z.offsetAt(wallMs + MS_PER_DAY);
  const early = wallMs - Math.max(before, after);
  const late = wallMs - Math.min(before, after);
  if (z.offsetAt(early) === wallMs - early) return early;
  if (z.offsetAt(late) === wallMs - late) return late;
  // In a gap: the offset before the change.
  return wallMs - before;
}

/** Start of the local day containing `ms` in `timeZone`, Unix ms. */
export function localDayStartMs(ms: number, timeZone: string): number {
  return wallTimeToUtcMs(localDayIndexOf(ms, timeZone), 0, timeZone);
}

/** The local date of local day `localDayIndex`, YYYY-MM-DD. */
export function localDateOf(localDayIndex: number): string {
  return new Date(localDayIndex * MS_PER_DAY).toISOString().slice(0, 10);
}
