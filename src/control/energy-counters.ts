import { energyWh, utcDayStartMs } from '../core/units.ts';

/**
 * Energy counters integrated from measured power between cycles (left Riemann sum).
 * `today` counters reset at UTC midnight [live §4]; `total` counters never reset.
 * Keys are free-form, e.g. `grid.import`, `storage.charge`, `<nodeId>.charge`.
 */
export class EnergyCounters {
  private today = new Map<string, number>();
  private total = new Map<string, number>();
  private dayStartMs: number;
  private lastMs: number | null = null;
  private lastPowers = new Map<string, number>();

  constructor(nowMs: number) {
    this.dayStartMs = utcDayStartMs(nowMs);
  }

  /**
   * Integrates the previous powers up to `nowMs`, then remembers `powersW` (W ≥ 0 per key) for the
   * next interval. Gaps longer than `maxGapMs` (a stalled process) are not integrated.
   */
  update(nowMs: number, powersW: ReadonlyMap<string, number>, maxGapMs = 60_000): void {
    if (this.lastMs !== null && nowMs > this.lastMs) {
      const dt = Math.min(nowMs - this.lastMs, maxGapMs);
      const day = utcDayStartMs(nowMs);
      if (day !== this.dayStartMs) {
        this.today.clear();
        this.dayStartMs = day;
      }
      for (const [key, w] of this.lastPowers) {
        const wh = energyWh(Math.max(0, w), dt);
        this.today.set(key, (this.today.get(key) ?? 0) + wh);
        this.total.set(key, (this.total.get(key) ?? 0) + wh);
      }
    }
    this.lastMs = nowMs;
    this.lastPowers = new Map(powersW);
  }

  todayWh(key: string): number {
    return this.today.get(key) ?? 0;
  }

  totalWh(key: string): number {
    return this.total.get(key) ?? 0;
  }

  /** Restores totals (e.g. from the store after a restart). */
  restore(totals: ReadonlyMap<string, number>, today: ReadonlyMap<string, number>, dayStartMs: number): void {
    this.total = new Map(totals);
    if (dayStartMs === this.dayStartMs) this.today = new Map(today);
  }

  snapshot(): { dayStartMs: number; today: Map<string, number>; total: Map<string, number> } {
    return { dayStartMs: this.dayStartMs, today: new Map(this.today), total: new Map(this.total) };
  }
}
