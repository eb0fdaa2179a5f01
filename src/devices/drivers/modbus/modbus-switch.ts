import type { Switchable, SwitchReading } from '../../capabilities.ts';
import { decodeRaw } from './codec.ts';
import type { SwitchMap, SwitchPoint } from './map-schema.ts';
import type { PointIo, ReadValues, WriteMemo } from './point-io.ts';
import type { ReadRequest } from './read-plan.ts';
import { labelled, sumOf } from './semantics.ts';

/** Reads an on/off point: a coil's bit, or a holding register that must hold onValue or offValue. */
export function readOnOff(values: ReadValues, label: string, p: SwitchPoint, where: string): boolean {
  const v = values.get(label);
  if (typeof v === 'boolean') return v;
  if (v === undefined) throw new Error(`internal: ${label} was not read`);
  const raw = decodeRaw(v, p.type ?? 'uint16', p.wordOrder);
  if (raw === (p.onValue ?? 1)) return true;
  if (raw === (p.offValue ?? 0)) return false;
  throw new Error(`${where}: ${label} (holding ${p.address}) reads ${raw}, neither onValue ${p.onValue ?? 1} nor offValue ${p.offValue ?? 0}`);
}

/** The raw value that switches a point on or off. */
export function onOffRaw(p: SwitchPoint, isOn: boolean): number | boolean {
  if (p.function === 'coil') return isOn;
  return isOn ? (p.onValue ?? 1) : (p.offValue ?? 0);
}

/** A relay or on/off heat pump through a `kind: switch` map. Without a powerW entry, it reports ratedPowerW while on. */
export class ModbusSwitch implements Switchable {
  private readonly plan: ReadRequest[];
  private readonly onOff: SwitchPoint;

  constructor(
    private readonly io: PointIo,
    private readonly memo: WriteMemo,
    private readonly map: SwitchMap,
    private readonly ratedPowerW: number,
    private readonly where: string,
  ) {
    const onOff = map.registers.onOff;
    if (!onOff) throw new Error(`${where}: the map has no onOff`);
    this.onOff = onOff;
    this.plan = io.plan([['onOff', onOff], ...labelled('powerW', map.registers.powerW)]);
  }

  async readState(signal: AbortSignal): Promise<SwitchReading> {
    const values = await this.io.read(this.plan, signal);
    const isOn = readOnOff(values, 'onOff', this.onOff, this.where);
    const power = this.map.registers.powerW;
    return { isOn, powerW: power ? sumOf(values, 'powerW', power) : isOn ? this.ratedPowerW : 0 };
  }

  async setOn(isOn: boolean): Promise<void> {
    await this.memo.write('onOff', this.onOff, onOffRaw(this.onOff, isOn));
  }

  close(): Promise<void> {
    this.memo.close();
    return Promise.resolve();
  }
}
