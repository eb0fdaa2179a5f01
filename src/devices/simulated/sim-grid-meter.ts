import type { GridMeter } from '../capabilities.ts';
import type { SimWorld } from './sim-world.ts';

/** Any simulated device whose snapshot carries its power, W (sign per its group). */
export interface SimPowerSource {
  snapshot(): { powerW: number };
}

/** The devices behind the meter, by sign convention. */
export interface SimGridMeterParts {
  /** PV inverters, W + production. */
  solar: readonly SimPowerSource[];
  /** Batteries, W + charge / − discharge. */
  storage: readonly SimPowerSource[];
  /** Heat pumps, relay loads, EV chargers, W + consumption. */
  loads: readonly SimPowerSource[];
}

/** The terms of the balance at one instant, W. powerW = baseLoadW + extraLoadW + loadsW + storageW − solarW exactly. */
export interface SimGridMeterSnapshot {
  /** Grid exchange, W, + import / − export. */
  powerW: number;
  /** Household base load, W ≥ 0. */
  baseLoadW: number;
  /** Extra test/demo load, W, + consumption. */
  extraLoadW: number;
  /** Σ steerable loads, W ≥ 0. */
  loadsW: number;
  /** Σ battery power, W, + charge. */
  storageW: number;
  /** Σ PV production, W ≥ 0. */
  solarW: number;
}

/**
 * The simulated grid connection point: the exact power balance of the site at the clock's now,
 * grid = base load + extra load + Σ loads + Σ storage − Σ solar [design §Principles 3].
 */
export class SimGridMeter implements GridMeter {
  constructor(
    private readonly world: SimWorld,
    private readonly parts: SimGridMeterParts,
  ) {}

  async readPowerW(signal: AbortSignal): Promise<number> {
    signal.throwIfAborted();
    return this.snapshot().powerW;
  }

  snapshot(): SimGridMeterSnapshot {
    const sum = (sources: readonly SimPowerSource[]) => sources.reduce((total, s) => total + s.snapshot().powerW, 0);
    const baseLoadW = this.world.baseLoadW();
    const extraLoadW = this.world.extraLoadW();
    const loadsW = sum(this.parts.loads);
    const storageW = sum(this.parts.storage);
    const solarW = sum(this.parts.solar);
    return { powerW: baseLoadW + extraLoadW + loadsW + storageW - solarW, baseLoadW, extraLoadW, loadsW, storageW, solarW };
  }
}
