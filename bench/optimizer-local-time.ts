// Benchmark: local time in the site's IANA zone (src/core/local-time.ts, from Intl with an offset
// cache per UTC day) against the hand-made Europe/Brussels rules it replaced (the EU DST rule coded
// by hand, no Intl; copied below as the baseline), in the same process.
//
// Workloads, each over a full year of 15-min slots (35 136 instants), as a backtest or a 192-slot
// plan calls them: toLocalTime (day, hour, weekday of an instant) and wallTimeToUtcMs (local
// midnight of a day), sequential (a backtest's order) and shuffled (no last-interval hits); plus a
// cold start (fresh zone: the first year costs one formatToParts per UTC day). Median of 15 runs.
//
// Run: npx tsx bench/optimizer-local-time.ts
import { printHeader, printTable, quantile, fmt, seededRandom } from './lib/report.ts';
import { toLocalTime, wallTimeToUtcMs } from '../src/core/local-time.ts';

const MS_PER_H = 3_600_000;
const MS_PER_MIN = 60_000;
const MS_PER_DAY = 86_400_000;

// The old hand-made Brussels version (src/devices/simulated/local-time.ts before issue 12), verbatim in behaviour.
function lastSundayAt0100UtcMs(year: number, month: number): number {
  const lastDayMs = Date.UTC(year, month, 0);
  const weekday = new Date(lastDayMs).getUTCDay();
  return lastDayMs - weekday * MS_PER_DAY + MS_PER_H;
}
function brusselsOffsetMs(ms: number): number {
  const year = new Date(ms).getUTCFullYear();
  const isSummer = ms >= lastSundayAt0100UtcMs(year, 3) && ms < lastSundayAt0100UtcMs(year, 10);
  return isSummer ? 2 * MS_PER_H : MS_PER_H;
}
function toBrusselsTime(ms: number): { localDayIndex: number; hourOfDay: number; weekday: number } {
  const localMs = ms + brusselsOffsetMs(ms);
  const localDayIndex = Math.floor(localMs / MS_PER_DAY);
  const hourOfDay = (localMs - localDayIndex * MS_PER_DAY) / MS_PER_H;
  const weekday = (((localDayIndex + 4) % 7) + 7) % 7;
  return { localDayIndex, hourOfDay, weekday };
}
function brusselsWallTimeToUtcMs(localDayIndex: number, minuteOfDay: number): number {
  const wallMs = localDayIndex * MS_PER_DAY + minuteOfDay * MS_PER_MIN;
  const guessMs = wallMs - brusselsOffsetMs(wallMs - MS_PER_H);
  return wallMs - brusselsOffsetMs(guessMs);
}

const RUNS = 15;
const from = Date.UTC(2024, 0, 1);
const sequential = Array.from({ length: 366 * 96 }, (_, i) => from + i * 900_000);
const random = seededRandom(7);
const shuffled = [...sequential].sort(() => random() - 0.5);
const days = Array.from({ length: 366 }, (_, i) => Math.floor(from / MS_PER_DAY) + i);

let sink = 0;
/** Median wall time of `fn` over RUNS runs, ms (one warm-up run first). */
function median(fn: () => void): number {
  fn();
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return quantile(times, 0.5);
}

const zones = ['Europe/Brussels', 'Europe/Helsinki', 'Asia/Kolkata'];
const rows: string[][] = [];
const add = (workload: string, calls: number, oldMs: number, rowsFor: Array<[string, number]>): void => {
  for (const [zone, ms] of rowsFor) rows.push([workload, zone, fmt(oldMs, 2), fmt(ms, 2), fmt((ms * 1e6) / calls, 0), `${fmt(ms / oldMs, 2)}×`]);
};

const seqOld = median(() => {
  for (const ms of sequential) sink += toBrusselsTime(ms).hourOfDay;
});
add('toLocalTime, 35 136 slots in order', sequential.length, seqOld, zones.map((tz) => [tz, median(() => {
  for (const ms of sequential) sink += toLocalTime(ms, tz).hourOfDay;
})]));
const shufOld = median(() => {
  for (const ms of shuffled) sink += toBrusselsTime(ms).hourOfDay;
});
add('toLocalTime, 35 136 slots shuffled', shuffled.length, shufOld, zones.map((tz) => [tz, median(() => {
  for (const ms of shuffled) sink += toLocalTime(ms, tz).hourOfDay;
})]));
const wallOld = median(() => {
  for (const d of days) for (let m = 0; m < 1440; m += 15) sink += brusselsWallTimeToUtcMs(d, m);
});
add('wallTimeToUtcMs, 366 days × 96 quarter hours', days.length * 96, wallOld, zones.map((tz) => [tz, median(() => {
  for (const d of days) for (let m = 0; m < 1440; m += 15) sink += wallTimeToUtcMs(d, m, tz);
})]));

// Cold: a zone never asked before (each run another year, so its cache starts empty for that year).
let year = 1990;
const coldOld = median(() => {
  const start = Date.UTC(year, 0, 1);
  for (let i = 0; i < 366 * 96; i++) sink += toBrusselsTime(start + i * 900_000).hourOfDay;
});
add('toLocalTime, cold year (empty cache)', 366 * 96, coldOld, [['Europe/Lisbon', median(() => {
  const start = Date.UTC(year++, 0, 1);
  for (let i = 0; i < 366 * 96; i++) sink += toLocalTime(start + i * 900_000, 'Europe/Lisbon').hourOfDay;
})]]);

printHeader(
  'Local time: Intl with an offset cache vs the hand-made Brussels rules',
  `Median of ${RUNS} runs, Node ${process.version}; "old" = the hand-made Europe/Brussels functions (no Intl), "new" = src/core/local-time.ts in the zone named; ratio = new / old.`,
);
printTable(['workload', 'zone', 'old ms', 'new ms', 'new ns/call', 'ratio'], rows);
if (sink === 42) console.log('');
