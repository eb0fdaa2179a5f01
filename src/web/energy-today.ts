import type { TelemetrySeries } from '../store/queries.ts';

/**
 * Today's energy from the stored telemetry: the 1-minute averages since local midnight (the site's
 * time zone) plus the cycles of the minute still being averaged. Wh; wire signs split into their
 * two directions (grid import/export, battery charge/discharge).
 *
 * Within one minute an average nets import against export (and charge against discharge): a
 * minute that imported 2 kW for 30 s and exported 2 kW for 30 s counts as zero both ways. The
 * controller's own `today_*` counters (feedback) integrate every cycle and do not net; the two
 * agree when the flow keeps its direction over each minute, as it mostly does.
 */
export interface EnergyToday {
  /** The site's local date, YYYY-MM-DD. */
  day: string;
  /** The site's IANA time zone. */
  timeZone: string;
  /** Local midnight, Unix ms. */
  fromMs: number;
  /** Now (controller clock), Unix ms. */
  toMs: number;
  /** How much of [fromMs, toMs) has telemetry, ms (less after a late start or an outage). */
  coveredMs: number;
  gridImportedWh: number;
  gridExportedWh: number;
  solarWh: number;
  batteryChargedWh: number;
  batteryDischargedWh: number;
  evWh: number;
  heatPumpWh: number;
  switchedLoadWh: number;
  /** Household consumption the controller does not steer (estimated from the meter). */
  baseLoadWh: number;
}

type Totals = Omit<EnergyToday, 'day' | 'timeZone' | 'fromMs' | 'toMs'>;

const MINUTE_MS = 60_000;
const MS_PER_H = 3_600_000;

/**
 * Integrates `minutes` (1-minute buckets: a stored minute covers the whole minute — the controller
 * ran in it; a minute it was off has no row) and `cycles` (each cycle sample holds until the next
 * one, at most `cycleMs`), clipped to [fromMs, toMs). A minute the controller started or stopped in
 * counts whole: at most a minute too much per start.
 */
export function integrateEnergy(minutes: TelemetrySeries, cycles: TelemetrySeries, range: { fromMs: number; toMs: number; cycleMs: number }): Totals {
  const t: Totals = { coveredMs: 0, gridImportedWh: 0, gridExportedWh: 0, solarWh: 0, batteryChargedWh: 0, batteryDischargedWh: 0, evWh: 0, heatPumpWh: 0, switchedLoadWh: 0, baseLoadWh: 0 };
  const add = (s: TelemetrySeries, i: number, ms: number): void => {
    if (!(ms > 0)) return;
    const h = ms / MS_PER_H;
    const v = (col: keyof TelemetrySeries['values']): number => s.values[col][i] ?? 0;
    const grid = v('grid_w');
    const storage = v('storage_w');
    t.coveredMs += ms;
    t.gridImportedWh += Math.max(0, grid) * h;
    t.gridExportedWh += Math.max(0, -grid) * h;
    t.solarWh += Math.max(0, v('solar_w')) * h;
    t.batteryChargedWh += Math.max(0, storage) * h;
    t.batteryDischargedWh += Math.max(0, -storage) * h;
    t.evWh += Math.max(0, v('ev_w')) * h;
    t.heatPumpWh += Math.max(0, v('heat_pump_w')) * h;
    t.switchedLoadWh += Math.max(0, v('switched_load_w')) * h;
    t.baseLoadWh += Math.max(0, v('base_load_w')) * h;
  };
  const clip = (start: number, ms: number): number => Math.max(0, Math.min(start + ms, range.toMs) - Math.max(start, range.fromMs));
  minutes.atMs.forEach((at, i) => add(minutes, i, (minutes.samples[i] ?? 0) > 0 ? clip(at, MINUTE_MS) : 0));
  const lastMinuteEnd = minutes.atMs.length ? (minutes.atMs[minutes.atMs.length - 1] as number) + MINUTE_MS : -Infinity;
  cycles.atMs.forEach((at, i) => {
    if (at < lastMinuteEnd) return; // already in a stored minute
    const next = cycles.atMs[i + 1] ?? range.toMs;
    add(cycles, i, clip(at, Math.min(range.cycleMs, next - at)));
  });
  return t;
}
