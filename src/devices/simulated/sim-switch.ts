import { GridpilotError } from '../../core/errors.ts';
import { energyWh } from '../../core/units.ts';
import type { DeviceOf } from '../../site/site-config.ts';
import type { Switchable, SwitchReading } from '../capabilities.ts';
import { integrateEnergyWh } from './energy-integral.ts';
import type { SimWorld } from './sim-world.ts';

/** The config a simulated switch needs (a heat_pump or switched_load device of the site config). */
export type SimSwitchConfig = Pick<DeviceOf<'heat_pump'> | DeviceOf<'switched_load'>, 'nodeId' | 'group' | 'ratedPowerW'>;

/** Heat pump electric power swing with outdoor temperature, fraction of rated: ±10 %. */
export const HEAT_PUMP_MODULATION = 0.1;
/** Outdoor temperature at which a heat pump draws exactly its rating, °C (the EN 14511 A7 point). */
const RATING_TEMPERATURE_C = 7;
/** Temperature distance from the rating point at which the full swing is reached, °C. */
const MODULATION_SPAN_C = 15;

export interface SimSwitchSnapshot extends SwitchReading {
  /** Which kind of switch: heat pump (temperature-modulated) or plain relay load. */
  group: 'heat_pump' | 'switched_load';
  /** Electric energy consumed since creation, Wh ≥ 0. */
  consumedWh: number;
  /** Off→on transitions since creation. */
  starts: number;
  /** Clock time of the last on/off change, Unix ms; null = never switched. */
  lastSwitchMs: number | null;
}

/**
 * A simulated relay load (rated W when on) or on/off heat pump (rated W ± 10 % with outdoor
 * temperature: more in the cold, less in the warmth; 0 when off). Run-time rules (min on/off,
 * starts per hour) are the controller's job: the sim obeys every command at once.
 */
export class SimSwitch implements Switchable {
  readonly nodeId: string;
  readonly group: 'heat_pump' | 'switched_load';
  /** W when on (heat pump: at 7 °C outdoors). */
  readonly ratedPowerW: number;
  private isOn = false;
  private consumedWh = 0;
  private starts = 0;
  private lastSwitchMs: number | null = null;
  private lastMs: number;

  constructor(
    private readonly world: SimWorld,
    config: SimSwitchConfig,
  ) {
    this.nodeId = config.nodeId;
    this.group = config.group;
    this.ratedPowerW = config.ratedPowerW;
    this.lastMs = world.nowMs();
    if (this.group === 'heat_pump') world.onBeforeChange(() => this.settle());
  }

  async readState(signal: AbortSignal): Promise<SwitchReading> {
    signal.throwIfAborted();
    this.world.assertAnswers(this.nodeId, 'read');
    const { isOn, powerW } = this.snapshot();
    return { isOn, powerW };
  }

  async setOn(isOn: boolean): Promise<void> {
    this.world.assertAnswers(this.nodeId, 'write');
    if (typeof isOn !== 'boolean') throw new GridpilotError(`setOn needs true or false, got ${String(isOn)}`, this.nodeId);
    this.settle();
    if (isOn === this.isOn) return;
    this.isOn = isOn;
    this.lastSwitchMs = this.lastMs;
    if (isOn) this.starts++;
  }

  snapshot(): SimSwitchSnapshot {
    this.settle();
    return {
      group: this.group,
      isOn: this.isOn,
      powerW: this.powerW(this.lastMs),
      consumedWh: this.consumedWh,
      starts: this.starts,
      lastSwitchMs: this.lastSwitchMs,
    };
  }

  private powerW(ms: number): number {
    if (!this.isOn) return 0;
    if (this.group !== 'heat_pump') return this.ratedPowerW;
    const swing = Math.max(-1, Math.min(1, (RATING_TEMPERATURE_C - this.world.temperatureC(ms)) / MODULATION_SPAN_C));
    return this.ratedPowerW * (1 + HEAT_PUMP_MODULATION * swing);
  }

  private settle(): void {
    const nowMs = this.world.nowMs();
    if (nowMs <= this.lastMs) return;
    if (this.isOn) {
      this.consumedWh += this.group === 'heat_pump' ? integrateEnergyWh(this.lastMs, nowMs, (ms) => this.powerW(ms)) : energyWh(this.ratedPowerW, nowMs - this.lastMs);
    }
    this.lastMs = nowMs;
  }
}
