import type { EvCharger, EvChargerReading } from '../../capabilities.ts';
import { decodeRaw } from './codec.ts';
import type { EvChargerMap, PhasesPoint, SetpointPoint } from './map-schema.ts';
import type { PointIo, WriteMemo } from './point-io.ts';
import type { ReadRequest } from './read-plan.ts';
import { boolOf, labelled, numbersOf, sumOf, threePhases, type Labelled } from './semantics.ts';
import { onOffRaw } from './modbus-switch.ts';

/** The device ratings the charger logic needs (from the site config's variable_power_load). */
export interface EvChargerRatings {
  /** Phases wired. */
  phases: 1 | 3;
  canSwitchPhases: boolean;
  /** A, written for `setCurrentA(null)` when the map has no releaseValue. */
  maxCurrentA: number;
  /** V per phase, for power ↔ current when the map lacks one of them. */
  voltageV: number;
}

/**
 * A Modbus EV charger through a `kind: ev_charger` map.
 * - `setCurrentA(a > 0)` writes a / scale to currentSetpointA (and `enable` on, when mapped).
 * - `setCurrentA(0)` pauses: 0 A, or `enable` off when the map says `pause: enable`.
 * - `setCurrentA(null)` hands control back: writes releaseValue, else maxCurrentA (and `enable` on).
 * - phases are written only when the map's `phases` is a holding register and the device canSwitchPhases.
 * Unchanged values are not rewritten (WriteMemo), except every watchdogS / 2 when the map has one.
 * isRequiringCharge: connected, and, when `charging` is mapped, charging or paused by us (a car
 * offered current that does not draw it is taken as full).
 */
export class ModbusEvCharger implements EvCharger {
  private readonly plan: ReadRequest[];
  private readonly setpoint: SetpointPoint;
  private offeredCurrentA: number | null = null;
  private lastPhases: 1 | 3;

  constructor(
    private readonly io: PointIo,
    private readonly memo: WriteMemo,
    private readonly map: EvChargerMap,
    private readonly ratings: EvChargerRatings,
    private readonly where: string,
  ) {
    const r = map.registers;
    if (!r.currentSetpointA || !r.connected) throw new Error(`${where}: the map needs connected and currentSetpointA`);
    this.setpoint = r.currentSetpointA;
    this.lastPhases = ratings.phases;
    const points: Labelled = [
      ['connected', r.connected],
      ...(r.charging ? ([['charging', r.charging]] as const) : []),
      ...(r.phases ? ([['phases', r.phases]] as const) : []),
      ...labelled('powerW', r.powerW),
      ...labelled('currentsA', r.currentsA),
    ];
    this.plan = io.plan(points);
  }

  private get pauseMode(): 'zero' | 'enable' {
    return this.map.pause ?? (this.map.registers.enable ? 'enable' : 'zero');
  }

  async readState(signal: AbortSignal): Promise<EvChargerReading> {
    const r = this.map.registers;
    const values = await this.io.read(this.plan, signal);
    const isConnected = r.connected ? boolOf(values, 'connected', r.connected) : false;
    const charging = r.charging ? boolOf(values, 'charging', r.charging) : undefined;
    const phases = r.phases ? this.phasesOf(values.get('phases'), r.phases) : this.lastPhases;
    const measuredA = r.currentsA ? threePhases(numbersOf(values, 'currentsA', r.currentsA)) : null;
    const powerW = r.powerW ? sumOf(values, 'powerW', r.powerW) : (measuredA ?? [0, 0, 0]).reduce((a, b) => a + b, 0) * this.ratings.voltageV;
    const perPhaseA = powerW / this.ratings.voltageV / phases;
    const currentsA = measuredA ?? (phases === 1 ? [perPhaseA, 0, 0] : [perPhaseA, perPhaseA, perPhaseA]);
    const isPausedByUs = this.offeredCurrentA === 0;
    return {
      isConnected,
      isRequiringCharge: isConnected && (charging === undefined || charging || isPausedByUs),
      powerW: Math.max(0, powerW),
      currentsA,
      phases,
      offeredCurrentA: this.offeredCurrentA,
    };
  }

  async setCurrentA(currentA: number | null, phases: 1 | 3): Promise<void> {
    const r = this.map.registers;
    if (currentA !== null && (!Number.isFinite(currentA) || currentA < 0)) throw new Error(`${this.where}: current ${currentA} A is not ≥ 0`);
    if (r.phases && r.phases.function === 'holding' && this.ratings.canSwitchPhases && phases !== this.lastPhases) {
      await this.memo.write('phases', r.phases, phases === 1 ? r.phases.onePhaseValue : r.phases.threePhaseValue);
    }
    this.lastPhases = phases;
    if (currentA === 0) {
      if (this.pauseMode === 'enable' && r.enable) await this.memo.write('enable', r.enable, onOffRaw(r.enable, false));
      else await this.memo.write('currentSetpointA', this.setpoint, 0);
      this.offeredCurrentA = 0;
      return;
    }
    const raw = currentA === null ? (this.setpoint.releaseValue ?? this.rawOf(this.ratings.maxCurrentA)) : this.rawOf(currentA);
    await this.memo.write('currentSetpointA', this.setpoint, raw);
    if (r.enable) await this.memo.write('enable', r.enable, onOffRaw(r.enable, true));
    this.offeredCurrentA = currentA;
  }

  close(): Promise<void> {
    this.memo.close();
    return Promise.resolve();
  }

  private rawOf(currentA: number): number {
    const raw = currentA / this.setpoint.scale;
    return this.setpoint.type === 'float32' ? raw : Math.round(raw);
  }

  private phasesOf(v: number[] | boolean | undefined, p: PhasesPoint): 1 | 3 {
    if (!Array.isArray(v)) throw new Error('internal: phases was not read');
    const raw = decodeRaw(v, p.type ?? 'uint16', p.wordOrder);
    if (raw === p.onePhaseValue) return 1;
    if (raw === p.threePhaseValue) return 3;
    throw new Error(`${this.where}: phases (${p.function} ${p.address}) reads ${raw}, neither onePhaseValue ${p.onePhaseValue} nor threePhaseValue ${p.threePhaseValue}`);
  }
}
