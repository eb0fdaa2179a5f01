import { registerWidth, type BoolPoint, type NumericPoint, type RegisterType } from './map-schema.ts';

/**
 * Register words ↔ numbers. Each register is a big-endian 16-bit word [Modbus V1.1b3 §4.2]; a
 * 32/64-bit value spans consecutive registers, most significant word first (`big`) or last
 * (`little`). Raw values are integers except float32.
 */

export type WordOrder = 'big' | 'little';

/** The raw value of `words` (one per register, 0–65535) as `type`. */
export function decodeRaw(words: readonly number[], type: RegisterType, order: WordOrder = 'big'): number {
  const width = registerWidth(type);
  if (words.length !== width) throw new Error(`${type} needs ${width} registers, got ${words.length}`);
  const msFirst = order === 'big' ? words : [...words].reverse();
  const buf = Buffer.alloc(width * 2);
  msFirst.forEach((w, i) => buf.writeUInt16BE(w & 0xffff, i * 2));
  switch (type) {
    case 'int16':
      return buf.readInt16BE(0);
    case 'uint16':
      return buf.readUInt16BE(0);
    case 'int32':
      return buf.readInt32BE(0);
    case 'uint32':
      return buf.readUInt32BE(0);
    case 'float32':
      return buf.readFloatBE(0);
    case 'int64':
      return Number(buf.readBigInt64BE(0));
    case 'uint64':
      return Number(buf.readBigUInt64BE(0));
  }
}

/** The words to write for raw value `raw` as `type`; throws when it does not fit the type. */
export function encodeRaw(raw: number, type: RegisterType, order: WordOrder = 'big'): number[] {
  const width = registerWidth(type);
  const buf = Buffer.alloc(width * 2);
  if (type !== 'float32' && !Number.isInteger(raw)) throw new Error(`${raw} is not an integer (${type})`);
  const range: Record<Exclude<RegisterType, 'float32'>, [number, number]> = {
    int16: [-0x8000, 0x7fff],
    uint16: [0, 0xffff],
    int32: [-0x8000_0000, 0x7fff_ffff],
    uint32: [0, 0xffff_ffff],
    int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    uint64: [0, Number.MAX_SAFE_INTEGER],
  };
  if (type !== 'float32') {
    const [lo, hi] = range[type];
    if (raw < lo || raw > hi) throw new Error(`${raw} does not fit ${type} (${lo}…${hi})`);
  }
  switch (type) {
    case 'int16':
      buf.writeInt16BE(raw, 0);
      break;
    case 'uint16':
      buf.writeUInt16BE(raw, 0);
      break;
    case 'int32':
      buf.writeInt32BE(raw, 0);
      break;
    case 'uint32':
      buf.writeUInt32BE(raw, 0);
      break;
    case 'float32':
      buf.writeFloatBE(raw, 0);
      break;
    case 'int64':
      buf.writeBigInt64BE(BigInt(raw), 0);
      break;
    case 'uint64':
      buf.writeBigUInt64BE(BigInt(raw), 0);
      break;
  }
  const words = Array.from({ length: width }, (_, i) => buf.readUInt16BE(i * 2));
  return order === 'big' ? words : words.reverse();
}

/** A numeric point's value in its semantic's unit: (raw × scale + offset), negated when `sign: inverted`. */
export function decodeNumeric(words: readonly number[], p: NumericPoint): number {
  const v = scaled(decodeRaw(words, p.type, p.wordOrder), p.scale) + p.offset;
  return p.sign === 'inverted' ? -v : v;
}

/** A yes/no point: a bit (coil/discrete) or a register compared with trueValues / tested at bit. */
export function decodeBool(value: readonly number[] | boolean, p: BoolPoint): boolean {
  if (typeof value === 'boolean') return (p.trueValues ?? [1]).includes(value ? 1 : 0);
  const raw = decodeRaw(value, p.type ?? 'uint16', p.wordOrder);
  if (p.bit !== undefined) return (BigInt(Math.trunc(raw)) >> BigInt(p.bit)) % 2n !== 0n;
  return (p.trueValues ?? [1]).includes(raw);
}

/**
 * raw × scale, exact for decimal steps: a scale of 0.1 divides by 10 (131 × 0.1 would give
 * 13.100000000000001, 131 / 10 gives 13.1).
 */
export function scaled(raw: number, scale: number): number {
  const inverse = Math.round(1 / scale);
  return Math.abs(scale) < 1 && Math.abs(1 / scale - inverse) < 1e-9 ? raw / inverse : raw * scale;
}
