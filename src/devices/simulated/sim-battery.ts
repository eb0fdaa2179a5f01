import { GridpilotError } from '../../core/errors.ts';
import type { DeviceOf } from '../../site/site-config.ts';
import type { Battery, BatteryReading } from '../capabilities.ts';
import { approachLimit, taperFactor } from './battery-physics.ts';
import type { SimWorld } from './sim-world.ts';

/** The config a simulated battery needs (a storage device of the site config). */
export type SimBatteryConfig = Pick<
  DeviceOf<'storage'>,
  'nodeId' | 'capacityWh' | 'maxChargeW' | 'maxDischargeW' | 'minSocPct' | 'maxSocPct' | 'efficiency' | 'initialSocPct'
>;

export interface SimBatterySnapshot extends BatteryReading {
  /** Setpoint last written, W, + charge; null = released (idle). */
  requestedPowerW: number | null;
  /** AC energy taken in since creation, Wh ≥ 0. */
  chargedWh: number;
  /** AC energy given out since creation, Wh ≥ 0. */
  dischargedWh: number;
}

/**
 * A simulated battery. SoC moves with one-way efficiency (charging P stores P·eff; discharging P
 * drains P/eff), stays within [minSocPct, maxSocPct], and the available power tapers over the last
 * 10 SoC points before each limit (see battery-physics.ts). The setpoint is clipped to what is
 * available at every instant; null = idle, 0 W. State is integrated exactly and lazily up to the
 * clock's now on every read and write.
 */
export class SimBattery implements Battery {
  readonly nodeId: string;
  private readonly config: SimBatteryConfig;
  private socPct: number;
  private requestedW: number | null = null;
  private chargedWh = 0;
  private dischargedWh = 0;
  private lastMs: number;

  constructor(
    private readonly world: SimWorld,
    config: SimBatteryConfig,
  ) {
    this.nodeId = config.nodeId;
    this.config = { ...config };
    this.socPct = config.initialSocPct;
    this.lastMs = world.nowMs();
  }

  async readState(signal: AbortSignal): Promise<BatteryReading> {
    signal.throwIfAborted();
    this.world.assertAnswers(this.nodeId, 'read');
    const { powerW, socPct, capacityWh, maxChargeW, maxDischargeW } = this.snapshot();
    return { powerW, socPct, capacityWh, maxChargeW, maxDischargeW };
  }

  /** Power setpoint, W, + charge / − discharge (clipped to what is available); null = release (idle, 0 W). */
  async setPowerW(powerW: number | null): Promise<void> {
    this.world.assertAnswers(this.nodeId, 'write');
    if (powerW !== null && !Number.isFinite(powerW)) throw new GridpilotError(`battery setpoint must be a finite number of W or null, got ${powerW}`, this.nodeId);
    this.settle();
    this.requestedW = powerW;
  }

  /** Test hook: sets the state of charge, % (0–100). */
  setSocPct(socPct: number): void {
    if (!(socPct >= 0 && socPct <= 100)) throw new RangeError(`socPct must be 0–100, got ${socPct}`);
    this.settle();
    this.socPct = socPct;
  }

  snapshot(): SimBatterySnapshot {
    this.settle();
    const maxChargeW = this.maxChargeNowW();
    const maxDischargeW = this.maxDischargeNowW();
    const requestedW = this.requestedW ?? 0;
    const powerW = requestedW > 0 ? Math.min(requestedW, maxChargeW) : requestedW < 0 && maxDischargeW > 0 ? -Math.min(-requestedW, maxDischargeW) : 0;
    return {
      powerW,
      socPct: this.socPct,
      capacityWh: this.config.capacityWh,
      maxChargeW,
      maxDischargeW,
      requestedPowerW: this.requestedW,
      chargedWh: this.chargedWh,
      dischargedWh: this.dischargedWh,
    };
  }

  private maxChargeNowW(): number {
    return this.config.maxChargeW * taperFactor(this.config.maxSocPct - this.socPct);
  }

  private maxDischargeNowW(): number {
    return this.config.maxDischargeW * taperFactor(this.socPct - this.config.minSocPct);
  }

  private settle(): void {
    const nowMs = this.world.nowMs();
    const durationMs = nowMs - this.lastMs;
    if (durationMs <= 0) return;
    this.lastMs = nowMs;
    const { capacityWh, efficiency, minSocPct, maxSocPct, maxChargeW, maxDischargeW } = this.config;
    const requestedW = this.requestedW ?? 0;
    if (requestedW > 0) {
      const step = approachLimit(maxSocPct - this.socPct, requestedW, maxChargeW, (efficiency * 100) / capacityWh, durationMs);
      if (step.energyWh > 0) this.socPct = maxSocPct - step.headroomPct;
      this.chargedWh += step.energyWh;
    } else if (requestedW < 0) {
      const step = approachLimit(this.socPct - minSocPct, -requestedW, maxDischargeW, 100 / (efficiency * capacityWh), durationMs);
      if (step.energyWh > 0) this.socPct = minSocPct + step.headroomPct;
      this.dischargedWh += step.energyWh;
    }
  }
}
