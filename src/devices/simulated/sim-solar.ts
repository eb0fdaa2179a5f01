import { GridpilotError } from '../../core/errors.ts';
import { PV_PERFORMANCE_RATIO } from '../../environment/pv-model.ts';
import type { DeviceOf } from '../../site/site-config.ts';
import type { SolarInverter, SolarReading } from '../capabilities.ts';
import { integrateEnergyWh } from './energy-integral.ts';
import type { SimWorld } from './sim-world.ts';

/** DC-to-AC performance ratio (src/environment/pv-model.ts; re-exported for the simulator's users). */
export { PV_PERFORMANCE_RATIO };

/** The config a simulated inverter needs (a solar device of the site config). */
export type SimSolarConfig = Pick<DeviceOf<'solar'>, 'nodeId' | 'ratedPowerW' | 'peakPowerW'>;

export interface SimSolarSnapshot extends SolarReading {
  /** Irradiance on the panels now, W/m² ≥ 0. */
  irradianceWm2: number;
  /** AC energy produced since creation, Wh ≥ 0. */
  producedWh: number;
  /** Inverter AC rating, W > 0. */
  ratedPowerW: number;
}

/**
 * A simulated PV inverter: available power = peak × irradiance/1000 × {@link PV_PERFORMANCE_RATIO},
 * at most the AC rating; production = min(available, limit). No state but the limit and an energy
 * counter, integrated lazily up to the clock's now on every read and write.
 */
export class SimSolar implements SolarInverter {
  readonly nodeId: string;
  /** Inverter AC rating, W. */
  readonly ratedPowerW: number;
  /** DC peak power of the panels, W (default: the AC rating). */
  readonly peakPowerW: number;
  private limitW: number | null = null;
  private producedWh = 0;
  private lastMs: number;

  constructor(
    private readonly world: SimWorld,
    config: SimSolarConfig,
  ) {
    this.nodeId = config.nodeId;
    this.ratedPowerW = config.ratedPowerW;
    this.peakPowerW = config.peakPowerW ?? config.ratedPowerW;
    this.lastMs = world.nowMs();
    world.onBeforeChange(() => this.settle());
  }

  async readState(signal: AbortSignal): Promise<SolarReading> {
    signal.throwIfAborted();
    this.world.assertAnswers(this.nodeId, 'read');
    const { powerW, availablePowerW, limitW } = this.snapshot();
    return { powerW, availablePowerW, limitW };
  }

  /** Caps production at `limitW` (W ≥ 0; above the rating acts as the rating); null lifts the cap. */
  async setLimitW(limitW: number | null): Promise<void> {
    this.world.assertAnswers(this.nodeId, 'write');
    if (limitW !== null && !(Number.isFinite(limitW) && limitW >= 0)) {
      throw new GridpilotError(`solar limit must be a finite number ≥ 0 W or null, got ${limitW}`, this.nodeId);
    }
    this.settle();
    this.limitW = limitW === null ? null : Math.min(limitW, this.ratedPowerW);
  }

  snapshot(): SimSolarSnapshot {
    this.settle();
    const nowMs = this.lastMs;
    const availablePowerW = this.availablePowerW(nowMs);
    return {
      powerW: this.producedPowerW(availablePowerW),
      availablePowerW,
      limitW: this.limitW,
      irradianceWm2: this.world.irradianceWm2(nowMs),
      producedWh: this.producedWh,
      ratedPowerW: this.ratedPowerW,
    };
  }

  private availablePowerW(ms: number): number {
    const uncappedW = (this.peakPowerW * this.world.irradianceWm2(ms) * PV_PERFORMANCE_RATIO) / 1000;
    return Math.min(this.ratedPowerW, uncappedW);
  }

  private producedPowerW(availablePowerW: number): number {
    return this.limitW === null ? availablePowerW : Math.min(availablePowerW, this.limitW);
  }

  private settle(): void {
    const nowMs = this.world.nowMs();
    if (nowMs <= this.lastMs) return;
    this.producedWh += integrateEnergyWh(this.lastMs, nowMs, (ms) => this.producedPowerW(this.availablePowerW(ms)));
    this.lastMs = nowMs;
  }
}
