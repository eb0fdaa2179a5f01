import type { GridMeter } from '../../capabilities.ts';
import type { DeviceLifecycle } from '../../driver.ts';
import type { SunSpecSession } from './sunspec-session.ts';

/** Meter models, preferred first: 203 (wye 3-phase), 204 (delta), 202 (split phase), 201 (single phase). */
export const METER_MODELS = [203, 204, 202, 201] as const;

/**
 * The grid meter as a SunSpec meter [SunSpec 201–204 W]: total real power, W, + import (power
 * flowing from the grid into the site), as the SunSpec meter models define it — the same sign as
 * gridpilot's grid convention. A meter installed the other way round reads with the wrong sign:
 * check it at commissioning and set the driver's `invertPower` (docs/sunspec.md).
 */
export class SunSpecMeter implements GridMeter, DeviceLifecycle {
  constructor(
    private readonly session: SunSpecSession,
    /** The meter reads + export: its W is negated (driver `invertPower`). */
    private readonly isInverted = false,
  ) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async readPowerW(signal: AbortSignal): Promise<number> {
    const m = await this.session.find(METER_MODELS, signal);
    if (!m) throw new Error(`${this.session.where}: no meter model (${METER_MODELS.join(', ')})`);
    const w = (await this.session.readModel(m, signal)).value('W');
    if (w === null) throw new Error(`${this.session.where}: model ${m.id} W is not implemented`);
    return this.isInverted ? -w : w;
  }
}
