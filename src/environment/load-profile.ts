import { MS_PER_DAY, toLocalTime } from '../core/local-time.ts';
import { uniformAt } from './prng.ts';

/** Options of {@link LoadProfile}. */
export interface LoadProfileOptions {
  /** Household consumption per year, kWh, ≥ 0. Default 4000 (a Belgian family). */
  annualLoadKWh?: number;
  /** Seed of the noise (integer); same seed, same load at every instant. Default 1. */
  seed?: number;
  /** Noise amplitude as a fraction of the expected load, 0–1: each slot is scaled by a uniform 1 ± this. Default 0.3. */
  noiseFraction?: number;
  /** Length of a slot, ms, > 0: the load is constant within one and steps at its edges. Default 300 000 (5 min). */
  noiseSlotMs?: number;
  /** IANA time zone whose wall clock the daily shape follows (the evening peak at 19:00 local). Default Europe/Brussels. */
  timeZone?: string;
}

const HOURS_PER_YEAR = 365.25 * 24;

/**
 * Relative household load per local hour (00–01 … 23–24), after the shape of the Belgian residential
 * synthetic load profile (Synergrid SLP S21): low at night, a morning peak, a flat day, a high evening peak.
 */
const HOURLY_SHAPE = [
  0.6, 0.5, 0.45, 0.43, 0.43, 0.48, 0.7, 1.05, 1.1, 0.95, 0.9, 0.95, 1.05, 0.95, 0.85, 0.85, 0.95, 1.3, 1.7, 1.85, 1.75, 1.5, 1.15, 0.85,
];
const SHAPE_MEAN = HOURLY_SHAPE.reduce((sum, w) => sum + w, 0) / HOURLY_SHAPE.length;
/** Winter-over-summer swing: +15 % in mid-January, −15 % in mid-July. */
const SEASONAL_AMPLITUDE = 0.15;
const PEAK_DAY_OF_YEAR = 14;

/**
 * Household base load (everything the controller does not steer), W ≥ 0, as a pure function of time:
 * annual energy × daily shape (the site's local time) × season × seeded noise. Its mean over a year is
 * `annualLoadKWh` / 8766 h.
 */
export class LoadProfile {
  /** Mean power over a year, W. */
  readonly meanPowerW: number;
  private readonly seed: number;
  private readonly noiseFraction: number;
  private readonly noiseSlotMs: number;
  private readonly timeZone: string;

  constructor(options: LoadProfileOptions = {}) {
    const annualLoadKWh = options.annualLoadKWh ?? 4000;
    this.noiseFraction = options.noiseFraction ?? 0.3;
    this.noiseSlotMs = options.noiseSlotMs ?? 300_000;
    if (!(annualLoadKWh >= 0) || !Number.isFinite(annualLoadKWh)) throw new RangeError(`annualLoadKWh must be ≥ 0, got ${annualLoadKWh}`);
    if (!(this.noiseFraction >= 0 && this.noiseFraction <= 1)) throw new RangeError(`noiseFraction must be 0–1, got ${this.noiseFraction}`);
    if (!(this.noiseSlotMs > 0)) throw new RangeError(`noiseSlotMs must be > 0, got ${this.noiseSlotMs}`);
    this.meanPowerW = (annualLoadKWh * 1000) / HOURS_PER_YEAR;
    this.seed = options.seed ?? 1;
    this.timeZone = options.timeZone ?? 'Europe/Brussels';
    toLocalTime(0, this.timeZone); // an unknown zone fails here, not at the first cycle
  }

  /** Expected load at instant `ms` (Unix ms), W, without noise. */
  expectedBaseLoadW(ms: number): number {
    const { hourOfDay } = toLocalTime(ms, this.timeZone);
    // Piecewise linear between hour centres (keeps the daily mean of the table).
    const u = hourOfDay - 0.5;
    const i = Math.floor(u);
    const a = HOURLY_SHAPE[(i + 24) % 24] ?? 1;
    const b = HOURLY_SHAPE[(i + 25) % 24] ?? 1;
    const shape = (a + (u - i) * (b - a)) / SHAPE_MEAN;
    const dayOfYear = (ms - Date.UTC(new Date(ms).getUTCFullYear(), 0, 1)) / MS_PER_DAY;
    const season = 1 + SEASONAL_AMPLITUDE * Math.cos((2 * Math.PI * (dayOfYear - PEAK_DAY_OF_YEAR)) / 365.25);
    return this.meanPowerW * shape * season;
  }

  /**
   * Load at instant `ms` (Unix ms), W ≥ 0: the expected load at the middle of its noise slot × (1 ± noise).
   * Constant within a slot, stepping at slot edges like a real household.
   */
  baseLoadW(ms: number): number {
    const slot = Math.floor(ms / this.noiseSlotMs);
    const noise = 1 + this.noiseFraction * (2 * uniformAt(this.seed, slot) - 1);
    return this.expectedBaseLoadW((slot + 0.5) * this.noiseSlotMs) * noise;
  }
}
