import { localDayIndexOf, MS_PER_MIN, wallTimeToUtcMs } from '../../core/local-time.ts';

/** One recurring visit of the simulated car (local time of the site's zone). */
export interface CarVisit {
  /** Local weekdays the car arrives on, 0 = Sunday … 6 = Saturday. */
  weekdays: readonly number[];
  /** Arrival, minutes after local midnight, 0–1439. */
  arriveMin: number;
  /** Time plugged in, minutes of elapsed time, 1–1440 (may run past midnight). */
  stayMin: number;
  /** AC energy the car wants on arrival, Wh ≥ 0. */
  energyNeededWh: number;
  /** Phases the car's on-board charger can use. Default 3. */
  maxPhases?: 1 | 3;
}

/** A weekly routine of visits; visits must not overlap. */
export type CarPattern = readonly CarVisit[];

/** Commuter car: weekdays home at 18:00 needing 15 kWh, gone at 07:30; weekends home 11:00–17:00 needing 6 kWh. */
export const DEFAULT_CAR_PATTERN: CarPattern = [
  { weekdays: [1, 2, 3, 4, 5], arriveMin: 18 * 60, stayMin: 13.5 * 60, energyNeededWh: 15_000, maxPhases: 3 },
  { weekdays: [0, 6], arriveMin: 11 * 60, stayMin: 6 * 60, energyNeededWh: 6_000, maxPhases: 3 },
];

/** One concrete visit. */
export interface CarStay {
  /** Unix ms. */
  arrivalMs: number;
  /** Unix ms, > arrivalMs. */
  departureMs: number;
  /** Wh ≥ 0 wanted on arrival. */
  energyNeededWh: number;
  /** Phases the car's on-board charger can use. */
  maxPhases: 1 | 3;
}

/** Throws a RangeError naming the first impossible visit. */
export function validateCarPattern(pattern: CarPattern): void {
  pattern.forEach((v, i) => {
    const bad = (why: string) => new RangeError(`car pattern [${i}]: ${why}`);
    if (v.weekdays.some((d) => !Number.isInteger(d) || d < 0 || d > 6)) throw bad('weekdays must be integers 0–6');
    if (!(v.arriveMin >= 0 && v.arriveMin < 1440)) throw bad('arriveMin must be 0–1439');
    if (!(v.stayMin > 0 && v.stayMin <= 1440)) throw bad('stayMin must be 1–1440');
    if (!(v.energyNeededWh >= 0 && Number.isFinite(v.energyNeededWh))) throw bad('energyNeededWh must be ≥ 0');
  });
}

/** The first visit arriving in (`afterMs`, `untilMs`], or null. O(days spanned) at worst. */
export function findNextArrival(pattern: CarPattern, afterMs: number, untilMs: number, timeZone = 'Europe/Brussels'): CarStay | null {
  if (pattern.length === 0 || untilMs <= afterMs) return null;
  const lastDay = localDayIndexOf(untilMs, timeZone);
  for (let day = localDayIndexOf(afterMs, timeZone); day <= lastDay; day++) {
    let best: CarStay | null = null;
    for (const stay of staysOfDay(pattern, day, timeZone)) {
      if (stay.arrivalMs > afterMs && stay.arrivalMs <= untilMs && (best === null || stay.arrivalMs < best.arrivalMs)) best = stay;
    }
    if (best) return best;
  }
  return null;
}

/** The visit in progress at `ms` (arrival ≤ ms < departure), or null. */
export function findStayAt(pattern: CarPattern, ms: number, timeZone = 'Europe/Brussels'): CarStay | null {
  const today = localDayIndexOf(ms, timeZone);
  let found: CarStay | null = null;
  for (const day of [today - 1, today]) {
    for (const stay of staysOfDay(pattern, day, timeZone)) {
      if (stay.arrivalMs <= ms && ms < stay.departureMs && (found === null || stay.arrivalMs > found.arrivalMs)) found = stay;
    }
  }
  return found;
}

function staysOfDay(pattern: CarPattern, localDayIndex: number, timeZone: string): CarStay[] {
  const weekday = (((localDayIndex + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  return pattern
    .filter((v) => v.weekdays.includes(weekday))
    .map((v) => {
      const arrivalMs = wallTimeToUtcMs(localDayIndex, v.arriveMin, timeZone);
      return { arrivalMs, departureMs: arrivalMs + v.stayMin * MS_PER_MIN, energyNeededWh: v.energyNeededWh, maxPhases: v.maxPhases ?? 3 };
    });
}
