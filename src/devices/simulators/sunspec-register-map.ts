import { ModelImage } from '../sunspec/model-image.ts';
import { layoutModel } from '../sunspec/model-layout.ts';
import { loadModelDefinition } from '../sunspec/model-definition.ts';
import { ILLEGAL_DATA_ADDRESS, ModbusExceptionError } from './modbus-tcp-server.ts';

interface Placed {
  image: ModelImage;
  /** Modbus address of the model's ID register. */
  address: number;
  /** Offsets (from ID) of registers a client may write: those of RW points. */
  writable: Set<number>;
}

/**
 * A SunSpec register map as a server holds it: `SunS` at `base`, the model images one after the
 * other, then the end marker (0xFFFF, 0). Reads and writes outside it are illegal data addresses.
 */
export class SunSpecRegisterMap {
  private readonly placed: Placed[] = [];
  readonly endAddress: number;

  constructor(
    readonly base: number,
    images: readonly ModelImage[],
  ) {
    let address = base + 2;
    for (const image of images) {
      const writable = new Set<number>();
      for (const p of image.layout.points.values()) if (p.def.access === 'RW') for (let i = 0; i < p.size; i++) writable.add(p.offset + i);
      this.placed.push({ image, address, writable });
      address += image.words.length;
    }
    this.endAddress = address;
  }

  /** The (first) image of model `id`. */
  image(id: number): ModelImage {
    const p = this.placed.find((x) => x.image.id === id);
    if (!p) throw new Error(`the map has no model ${id}`);
    return p.image;
  }

  /** Throws ILLEGAL_DATA_ADDRESS unless every register `address`…`address+length−1` is in the map. */
  check(address: number, length: number): void {
    if (address < this.base || address + length > this.endAddress + 2) {
      const a = address < this.base ? address : Math.max(address, this.endAddress + 2);
      throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `register ${a} is not mapped`);
    }
  }

  /** Registers `address`…`address+length−1`; throws ILLEGAL_DATA_ADDRESS outside the map. */
  read(address: number, length: number): number[] {
    const out = new Array<number>(length);
    for (let i = 0; i < length; ) {
      const a = address + i;
      const p = this.placed.find((x) => a >= x.address && a < x.address + x.image.words.length);
      if (p) {
        // A run of registers within one model: copied at once.
        const from = a - p.address;
        const n = Math.min(length - i, p.image.words.length - from);
        for (let k = 0; k < n; k++) out[i + k] = p.image.words[from + k] ?? 0;
        i += n;
      } else out[i++] = this.word(a);
    }
    return out;
  }

  /**
   * Applies a client write; every register must belong to a writable point of one model.
   * @returns the model written
   */
  write(address: number, words: readonly number[]): ModelImage {
    const p = this.placed.find((x) => address >= x.address && address < x.address + x.image.words.length);
    if (!p) throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `no model at ${address}`);
    const offset = address - p.address;
    for (let i = 0; i < words.length; i++) {
      if (!p.writable.has(offset + i)) throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `register ${address + i} (model ${p.image.id}) is not writable`);
    }
    p.image.writeWords(offset, words);
    return p.image;
  }

  /** A register outside the models: the marker, the end model, or an illegal address. */
  private word(a: number): number {
    if (a === this.base) return 0x5375;
    if (a === this.base + 1) return 0x6e53;
    if (a === this.endAddress) return 0xffff;
    if (a === this.endAddress + 1) return 0;
    throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `register ${a} is not mapped`);
  }
}

/** The scale-factor exponent that lets `maxAbs` fit the point type (int16 signed, uint16 otherwise). */
export function scaleFactorFor(maxAbs: number, isSigned: boolean): number {
  const limit = isSigned ? 32767 : 65535;
  let sf = 0;
  while (maxAbs / 10 ** sf > limit) sf++;
  return sf;
}

/** Length of model `id` without repeating groups, registers (for tests and tools). */
export function modelLength(id: number): number {
  return layoutModel(loadModelDefinition(id)).lengthRegs;
}
