import type { BuiltMeter } from '../../driver.ts';
import type { MeterMap } from './map-schema.ts';
import type { PointIo } from './point-io.ts';
import type { ReadRequest } from './read-plan.ts';
import { labelled, numbersOf, sumOf, threePhases, type NumericEntry } from './semantics.ts';

/** Everything a meter map can give; absent fields are not mapped. */
export interface MeterReading {
  /** W, + import / − export. */
  powerW: number;
  /** Wh imported, cumulative. */
  energyImportWh?: number;
  /** Wh exported, cumulative. */
  energyExportWh?: number;
  /** A per phase L1..L3 (0 for phases not mapped). */
  currentsA?: [number, number, number];
  /** V per phase L1..L3 as mapped (1–3 values). */
  voltageV?: number[];
}

/** A grid meter read through a `kind: meter` map. `readPowerW` reads only the powerW registers. */
export class ModbusMeter implements BuiltMeter {
  private readonly powerPlan: ReadRequest[];
  private readonly fullPlan: ReadRequest[];
  private readonly power: NumericEntry;

  constructor(
    private readonly io: PointIo,
    private readonly map: MeterMap,
  ) {
    const r = map.registers;
    if (!r.powerW) throw new Error('a meter map needs powerW');
    this.power = r.powerW;
    this.powerPlan = io.plan(labelled('powerW', r.powerW));
    this.fullPlan = io.plan([
      ...labelled('powerW', r.powerW),
      ...labelled('energyImportWh', r.energyImportWh),
      ...labelled('energyExportWh', r.energyExportWh),
      ...labelled('currentsA', r.currentsA),
      ...labelled('voltageV', r.voltageV),
    ]);
  }

  async readPowerW(signal: AbortSignal): Promise<number> {
    const values = await this.io.read(this.powerPlan, signal);
    return sumOf(values, 'powerW', this.power);
  }

  /** Every mapped measurement, in as few requests as the map allows. */
  async readMeasurements(signal: AbortSignal): Promise<MeterReading> {
    const r = this.map.registers;
    const values = await this.io.read(this.fullPlan, signal);
    const out: MeterReading = { powerW: sumOf(values, 'powerW', this.power) };
    if (r.energyImportWh) out.energyImportWh = sumOf(values, 'energyImportWh', r.energyImportWh);
    if (r.energyExportWh) out.energyExportWh = sumOf(values, 'energyExportWh', r.energyExportWh);
    if (r.currentsA) out.currentsA = threePhases(numbersOf(values, 'currentsA', r.currentsA));
    if (r.voltageV) out.voltageV = numbersOf(values, 'voltageV', r.voltageV);
    return out;
  }
}
