import type { Logger } from '../../../core/logger.ts';
import { encodeWrites, ModelBlock } from '../../sunspec/model-block.ts';
import { hasModelDefinition, loadModelDefinition } from '../../sunspec/model-definition.ts';
import { layoutForRead } from '../../sunspec/model-layout.ts';
import type { DeviceLifecycle } from '../../driver.ts';
import { ModbusLink, type ModbusLinkOptions } from './modbus-link.ts';
import { signalOf, type SignalSource } from './read-deadline.ts';

/** Where SunSpec devices put the `SunS` marker, in the order tried [SunSpec Device Information Model §4.1]. */
export const SUNSPEC_BASE_ADDRESSES = [40000, 50000, 0] as const;
/** "SunS" as two registers. */
export const SUNS_MARKER = [0x5375, 0x6e53] as const;
/** The model ID that ends the chain. */
export const END_MODEL_ID = 0xffff;
/** Most registers per read (Modbus FC 3 allows 125). */
const MAX_READ_REGS = 125;

/** One model found on the device. */
export interface DiscoveredModel {
  id: number;
  /** Modbus address of its ID register. */
  address: number;
  /** Its L: registers after ID and L. */
  lengthRegs: number;
}

/** Options of {@link SunSpecSession}: those of the connection it runs over. */
export type SunSpecSessionOptions = ModbusLinkOptions;

/**
 * A SunSpec device behind one Modbus TCP connection: discovers its model chain (the `SunS` marker
 * at 40000, 50000 or 0, then ID/L pairs up to the end marker 0xFFFF) after every (re)connect, and
 * reads/writes whole models through the library's layouts. Shared by the devices of one
 * host:port:unit (a hybrid inverter's solar and storage sides).
 */
export class SunSpecSession implements DeviceLifecycle {
  readonly link: ModbusLink;
  private discovered: { generation: number; base: number; models: DiscoveredModel[] } | null = null;
  private discovering: Promise<DiscoveredModel[]> | null = null;

  private readonly logger: Logger;

  constructor(opts: SunSpecSessionOptions) {
    this.link = new ModbusLink(opts);
    this.logger = opts.logger;
  }

  get where(): string {
    return this.link.where;
  }

  start(): Promise<void> {
    return this.link.start();
  }

  close(): Promise<void> {
    return this.link.close();
  }

  /** The model chain, discovered anew after every reconnect (only then is `signal` used). */
  async models(signal: SignalSource): Promise<DiscoveredModel[]> {
    if (this.discovered && this.discovered.generation === this.link.generation && this.link.isConnected) return this.discovered.models;
    this.discovering ??= this.discover(signalOf(signal)).finally(() => (this.discovering = null));
    return this.discovering;
  }

  /** The first of `ids` the device has (in the order given), or undefined. */
  async find(ids: readonly number[], signal: SignalSource): Promise<DiscoveredModel | undefined> {
    const models = await this.models(signal);
    for (const id of ids) {
      const m = models.find((x) => x.id === id);
      if (m) return m;
    }
    return undefined;
  }

  /** Reads a whole model and decodes it with its layout. */
  async readModel(model: DiscoveredModel, signal: AbortSignal): Promise<ModelBlock> {
    const [block] = await this.readModels([model], signal);
    if (!block) throw new Error(`${this.where}: model ${model.id} was not read`);
    return block;
  }

  /**
   * Reads several models with as few requests as the chain allows: models whose registers (and
   * those of the models between them) fit in one 125-register read go in one request. Blocks come
   * back in the order of `models`; an undefined entry (a model the device does not have) gives null.
   */
  async readModels(models: ReadonlyArray<DiscoveredModel | undefined>, signal: AbortSignal): Promise<Array<ModelBlock | null>> {
    const words = new Map<number, number[]>();
    for (const span of readSpans(models.filter((m) => m !== undefined))) {
      const got: number[] = [];
      for (let off = 0; off < span.length; off += MAX_READ_REGS) {
        got.push(...(await this.link.readHoldingRegisters(span.address + off, Math.min(MAX_READ_REGS, span.length - off), signal)));
      }
      for (const m of span.models) words.set(m.address, got.slice(m.address - span.address, m.address - span.address + 2 + m.lengthRegs));
    }
    return models.map((model) => {
      if (!model) return null;
      const w = words.get(model.address) ?? [];
      if (w[0] !== model.id) throw new Error(`${this.where}: model ${model.id} at ${model.address} now reads ID ${w[0]}: the map changed`);
      const layout = layoutForRead(loadModelDefinition(model.id), model.lengthRegs, w);
      return new ModelBlock(layout, w, model.address);
    });
  }

  /** Writes point values (in their units) into a model just read, in address order. */
  async writePoints(block: ModelBlock, values: Readonly<Record<string, number | null>>, signal?: AbortSignal): Promise<void> {
    for (const w of encodeWrites(block, values)) await this.link.writeRegisters(w.address, w.words, signal);
  }

  private async discover(signal: AbortSignal): Promise<DiscoveredModel[]> {
    const read = (address: number, n: number) => this.link.readHoldingRegisters(address, n, signal);
    let base: number | undefined;
    for (const candidate of SUNSPEC_BASE_ADDRESSES) {
      let marker: number[];
      try {
        marker = await read(candidate, 2);
      } catch (err) {
        if (isModbusException(err)) continue; // nothing mapped there: try the next base
        throw err;
      }
      if (marker[0] === SUNS_MARKER[0] && marker[1] === SUNS_MARKER[1]) {
        base = candidate;
        break;
      }
    }
    if (base === undefined) throw new Error(`${this.where}: not a SunSpec device: no "SunS" marker at ${SUNSPEC_BASE_ADDRESSES.join(', ')}`);
    const generation = this.link.generation;
    const models: DiscoveredModel[] = [];
    let address = base + 2;
    for (let i = 0; i < 200 && address < 0xffff; i++) {
      let header: number[];
      try {
        header = await read(address, 2);
      } catch (err) {
        if (isModbusException(err) && models.length > 0) break; // a chain without end marker
        throw err;
      }
      const [id = END_MODEL_ID, lengthRegs = 0] = header;
      if (id === END_MODEL_ID) break;
      models.push({ id, address, lengthRegs });
      address += 2 + lengthRegs;
    }
    const known = models.map((m) => (hasModelDefinition(m.id) ? String(m.id) : `${m.id}?`));
    this.logger.info({ where: this.where, base, models: known.join(' ') }, 'sunspec: discovered the model chain');
    this.discovered = { generation, base, models };
    return models;
  }
}

/** A run of registers read in one go, and the models in it. */
interface ReadSpan {
  address: number;
  length: number;
  models: DiscoveredModel[];
}

/**
 * Groups models in address order into spans of at most 125 registers (one FC 3 each); a model
 * longer than that is a span of its own, read in pieces.
 */
export function readSpans(models: readonly DiscoveredModel[]): ReadSpan[] {
  const spans: ReadSpan[] = [];
  const sorted = [...new Map(models.map((m) => [m.address, m])).values()].sort((a, b) => a.address - b.address);
  for (const m of sorted) {
    const end = m.address + 2 + m.lengthRegs;
    const last = spans[spans.length - 1];
    if (last && end - last.address <= MAX_READ_REGS) {
      last.length = Math.max(last.length, end - last.address);
      last.models.push(m);
    } else spans.push({ address: m.address, length: 2 + m.lengthRegs, models: [m] });
  }
  return spans;
}

/** Whether a rejection carries a Modbus exception response (vs a timeout or a socket error). */
export function isModbusException(err: unknown): boolean {
  const cause = err instanceof Error ? err.cause : undefined;
  return typeof cause === 'object' && cause !== null && 'modbusCode' in cause;
}
