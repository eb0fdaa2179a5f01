import { GridpilotError } from '../../core/errors.ts';
import type { Clock } from '../../core/clock.ts';
import { LoadProfile } from '../../environment/load-profile.ts';
import { loadWeather, type Weather } from '../../environment/weather.ts';
import type { SiteEnvironment } from '../capabilities.ts';

/** Options of {@link SimWorld}. */
export interface SimWorldOptions {
  /** Weather, or a `simulation.weatherCsv` value: 'bundled' | 'clear-sky' | CSV path. Default 'bundled'. */
  weather?: Weather | string;
  /** Household consumption per year, kWh, ≥ 0. Default 4000. */
  annualLoadKWh?: number;
  /** Seed of the load noise (integer). Default 1. */
  seed?: number;
  /** IANA time zone of the household's daily rhythm (the load profile). Default Europe/Brussels. */
  timeZone?: string;
}

/** What the world looks like now (for tests, the demo and logs). */
export interface SimWorldSnapshot {
  /** Unix ms. */
  nowMs: number;
  /** Irradiance the panels see, W/m² ≥ 0 (after override and PV factor). */
  irradianceWm2: number;
  /** Outdoor temperature, °C. */
  temperatureC: number;
  /** Household base load, W, + consumption. */
  baseLoadW: number;
  /** Extra test/demo load, W, + consumption. */
  extraLoadW: number;
  /** Scale on the irradiance, ≥ 0 (1 = as the weather says). */
  pvFactor: number;
}

/**
 * The environment the simulated devices live in: the clock, the weather, the household load,
 * plus overrides tests and the demo use to make step changes (a cloud, a kettle).
 * Devices that integrate world-dependent energy subscribe with {@link onBeforeChange} so they settle
 * up to the instant of a change with the old values.
 */
/** An injected device fault: reads fail, writes fail, or both. */
export type SimFault = 'read' | 'write' | 'both';

export class SimWorld implements SiteEnvironment {
  readonly weather: Weather;
  readonly loadProfile: LoadProfile;
  private irradianceOverrideWm2: number | null = null;
  private temperatureOverrideC: number | null = null;
  private baseLoadOverrideW: number | null = null;
  private pvFactor = 1;
  private extraW = 0;
  private readonly changeListeners = new Set<() => void>();
  private readonly faults = new Map<string, SimFault>();

  constructor(
    readonly clock: Clock,
    options: SimWorldOptions = {},
  ) {
    const weather = options.weather ?? 'bundled';
    this.weather = typeof weather === 'string' ? loadWeather(weather) : weather;
    this.loadProfile = new LoadProfile({ annualLoadKWh: options.annualLoadKWh ?? 4000, seed: options.seed ?? 1, ...(options.timeZone ? { timeZone: options.timeZone } : {}) });
  }

  /**
   * Fault injection (tests, the soak, the demo): from now on the device `nodeId` does not answer
   * reads (`read`), refuses writes (`write`), or both; null heals it. A faulted call rejects with a
   * GridpilotError naming the device, as a real driver's timeout would; the device's physics go on
   * (a refused write leaves its last setpoint in force, as a real device's would).
   */
  setFault(nodeId: string, fault: SimFault | null): void {
    if (fault === null) this.faults.delete(nodeId);
    else this.faults.set(nodeId, fault);
  }

  /** The fault in force on `nodeId`, or null. */
  faultOf(nodeId: string): SimFault | null {
    return this.faults.get(nodeId) ?? null;
  }

  /** Throws the injected fault of `nodeId` for a read or a write, if any (called first by every sim device's I/O). */
  assertAnswers(nodeId: string, op: 'read' | 'write'): void {
    const fault = this.faults.get(nodeId);
    if (fault === 'both' || fault === op) throw new GridpilotError(`simulated fault: the device does not ${op === 'read' ? 'answer reads' : 'take writes'} (SimWorld.setFault)`, nodeId);
  }

  /** Clock time, Unix ms. */
  nowMs(): number {
    return this.clock.now();
  }

  /** Irradiance on the panels at `ms` (default now), W/m² ≥ 0: override or weather, × PV factor. */
  irradianceWm2(ms: number = this.clock.now()): number {
    return (this.irradianceOverrideWm2 ?? this.weather.irradianceWm2(ms)) * this.pvFactor;
  }

  /** Outdoor temperature at `ms` (default now), °C: override or weather. */
  temperatureC(ms: number = this.clock.now()): number {
    return this.temperatureOverrideC ?? this.weather.temperatureC(ms);
  }

  /** Household base load at `ms` (default now), W ≥ 0: override or load profile. */
  baseLoadW(ms: number = this.clock.now()): number {
    return this.baseLoadOverrideW ?? this.loadProfile.baseLoadW(ms);
  }

  /** Extra test/demo load now, W, + consumption. Default 0. */
  extraLoadW(): number {
    return this.extraW;
  }

  /** Replaces the weather's irradiance by a constant, W/m² ≥ 0; null returns to the weather. */
  setIrradianceOverride(wm2: number | null): void {
    if (wm2 !== null) requireFinite('irradiance override', wm2, 0);
    this.change(() => (this.irradianceOverrideWm2 = wm2));
  }

  /** Scales the irradiance (e.g. 0.3 for a passing cloud), ≥ 0. Default 1. */
  setPvFactor(factor: number): void {
    requireFinite('PV factor', factor, 0);
    this.change(() => (this.pvFactor = factor));
  }

  /** Adds a load the controller does not steer (a kettle), W, + consumption, any finite value. Default 0. */
  setExtraLoadW(powerW: number): void {
    requireFinite('extra load', powerW, -Infinity);
    this.change(() => (this.extraW = powerW));
  }

  /** Replaces the load profile by a constant base load, W ≥ 0; null returns to the profile. */
  setBaseLoadOverride(powerW: number | null): void {
    if (powerW !== null) requireFinite('base load override', powerW, 0);
    this.change(() => (this.baseLoadOverrideW = powerW));
  }

  /** Replaces the weather's temperature by a constant, °C; null returns to the weather. */
  setTemperatureOverride(temperatureC: number | null): void {
    if (temperatureC !== null) requireFinite('temperature override', temperatureC, -Infinity);
    this.change(() => (this.temperatureOverrideC = temperatureC));
  }

  /** Calls `listener` just before any override changes; returns an unsubscribe function. */
  onBeforeChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  snapshot(): SimWorldSnapshot {
    return {
      nowMs: this.clock.now(),
      irradianceWm2: this.irradianceWm2(),
      temperatureC: this.temperatureC(),
      baseLoadW: this.baseLoadW(),
      extraLoadW: this.extraW,
      pvFactor: this.pvFactor,
    };
  }

  private change(apply: () => void): void {
    for (const listener of this.changeListeners) listener();
    apply();
  }
}

function requireFinite(what: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) throw new RangeError(`${what} must be a finite number${min > -Infinity ? ` ≥ ${min}` : ''}, got ${value}`);
}
