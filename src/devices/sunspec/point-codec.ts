/**
 * SunSpec point types on the wire: how many registers each takes, how its registers decode to a
 * number (or string), and the value that means "not implemented" [SunSpec Information Model
 * Specification §6, Table "Point types"]. Registers are 16-bit, big-endian word order.
 */

/** Every point type the SunSpec model schema allows. */
export const POINT_TYPES = [
  'int16', 'int32', 'int64', 'raw16', 'uint16', 'uint32', 'uint64', 'acc16', 'acc32', 'acc64',
  'bitfield16', 'bitfield32', 'bitfield64', 'enum16', 'enum32', 'float32', 'float64', 'string',
  'pad', 'ipaddr', 'ipv6addr', 'eui48', 'sunssf', 'count',
] as const;
export type PointType = (typeof POINT_TYPES)[number];

/** Fixed size in registers; string points carry their size in the model instead. */
const FIXED_SIZE: Partial<Record<PointType, number>> = {
  int16: 1, uint16: 1, raw16: 1, acc16: 1, bitfield16: 1, enum16: 1, sunssf: 1, count: 1, pad: 1,
  int32: 2, uint32: 2, acc32: 2, bitfield32: 2, enum32: 2, float32: 2, ipaddr: 2,
  int64: 4, uint64: 4, acc64: 4, bitfield64: 4, float64: 4, eui48: 4, ipv6addr: 8,
};

export function fixedSizeOf(type: PointType): number | undefined {
  return FIXED_SIZE[type];
}

/** A decoded raw point: a number (integers and floats, before scaling), a string, or null = not implemented. */
export type RawValue = number | string | null;

const NOT_IMPLEMENTED: Partial<Record<PointType, bigint>> = {
  int16: 0x8000n, sunssf: 0x8000n, pad: 0x8000n,
  uint16: 0xffffn, enum16: 0xffffn, bitfield16: 0xffffn, raw16: 0xffffn,
  acc16: 0n, acc32: 0n, acc64: 0n, // an accumulator that reads 0 is "not accumulated"
  int32: 0x8000_0000n,
  uint32: 0xffff_ffffn, enum32: 0xffff_ffffn, bitfield32: 0xffff_ffffn,
  int64: 0x8000_0000_0000_0000n,
  uint64: 0xffff_ffff_ffff_ffffn, bitfield64: 0xffff_ffff_ffff_ffffn,
  ipaddr: 0n,
};

/** The raw register words a type uses for "not implemented" (what a server puts in unsupported points). */
export function notImplementedWords(type: PointType, size: number): number[] {
  if (type === 'string' || type === 'ipv6addr' || type === 'eui48') return new Array<number>(size).fill(0);
  if (type === 'float32') return [0x7fc0, 0x0000];
  if (type === 'float64') return [0x7ff8, 0, 0, 0];
  if (type === 'count') return [0];
  const marker = NOT_IMPLEMENTED[type] ?? 0n;
  return bigintToWords(marker, size);
}

function wordsToBigint(words: readonly number[]): bigint {
  let v = 0n;
  for (const w of words) v = (v << 16n) | BigInt(w & 0xffff);
  return v;
}

function bigintToWords(v: bigint, size: number): number[] {
  const out = new Array<number>(size);
  let rest = BigInt.asUintN(16 * size, v);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffffn);
    rest >>= 16n;
  }
  return out;
}

const SIGNED_BITS: Partial<Record<PointType, number>> = { int16: 16, sunssf: 16, int32: 32, int64: 64 };

/** The 16- and 32-bit integer types (nearly every point), decoded in plain numbers: exact, no BigInt. */
const SMALL_INTEGER = new Set<PointType>(
  POINT_TYPES.filter((t) => (FIXED_SIZE[t] ?? 3) <= 2 && t !== 'float32'),
);
/** Their not-implemented markers, as numbers. */
const NOT_IMPLEMENTED_NUM: Partial<Record<PointType, number>> = Object.fromEntries(
  [...SMALL_INTEGER].flatMap((t) => (NOT_IMPLEMENTED[t] === undefined ? [] : [[t, Number(NOT_IMPLEMENTED[t])]])),
);

/**
 * Decodes one point's registers: integers as numbers (64-bit beyond 2^53 lose precision), strings
 * with trailing NULs removed, null for the type's not-implemented value.
 */
export function decodeWords(type: PointType, words: readonly number[]): RawValue {
  return decodeRegisters(type, words, 0, words.length);
}

/** {@link decodeWords} of `words[offset … offset+size−1]`, without copying them. */
export function decodeRegisters(type: PointType, words: readonly number[], offset: number, size: number): RawValue {
  if ((size === 1 || size === 2) && offset + size <= words.length && SMALL_INTEGER.has(type)) {
    const hi = (words[offset] ?? 0) & 0xffff;
    const unsigned = size === 1 ? hi : hi * 0x10000 + ((words[offset + 1] ?? 0) & 0xffff);
    if (unsigned === NOT_IMPLEMENTED_NUM[type]) return null;
    const bits = SIGNED_BITS[type];
    if (bits === undefined) return unsigned;
    // As BigInt.asIntN(bits, unsigned).
    const low = bits < 16 * size ? unsigned % 2 ** bits : unsigned;
    return low >= 2 ** (bits - 1) ? low - 2 ** bits : low;
  }
  const w = offset === 0 && size === words.length ? words : words.slice(offset, offset + size);
  return decodeOther(type, w);
}

function decodeOther(type: PointType, words: readonly number[]): RawValue {
  if (type === 'string') {
    const bytes = Buffer.alloc(words.length * 2);
    words.forEach((w, i) => bytes.writeUInt16BE(w & 0xffff, i * 2));
    const text = bytes.toString('utf8').replace(/\0[\s\S]*$/, '').trimEnd();
    return text === '' ? null : text;
  }
  if (type === 'float32' || type === 'float64') {
    const bytes = Buffer.alloc(words.length * 2);
    words.forEach((w, i) => bytes.writeUInt16BE(w & 0xffff, i * 2));
    const v = type === 'float32' ? bytes.readFloatBE(0) : bytes.readDoubleBE(0);
    // NaN is the float types' "not implemented" [SunSpec]; ±∞ is no reading either (found by test/fuzz/device-replies.test.ts).
    return Number.isFinite(v) ? v : null;
  }
  if (type === 'ipv6addr' || type === 'eui48') {
    return words.every((w) => w === 0) ? null : words.map((w) => w.toString(16).padStart(4, '0')).join(':');
  }
  const unsigned = wordsToBigint(words);
  const marker = NOT_IMPLEMENTED[type];
  if (marker !== undefined && unsigned === marker) return null;
  const bits = SIGNED_BITS[type];
  return Number(bits === undefined ? unsigned : BigInt.asIntN(bits, unsigned));
}

/**
 * Encodes a raw (already unscaled, integer) value into the type's registers. Throws a RangeError
 * that names the point when it does not fit or is the not-implemented marker. null → the marker.
 */
export function encodeWords(type: PointType, size: number, value: RawValue, pointName: string): number[] {
  if (value === null) return notImplementedWords(type, size);
  if (type === 'string') {
    if (typeof value !== 'string') throw new RangeError(`${pointName}: a string point needs a string, got ${value}`);
    const bytes = Buffer.alloc(size * 2);
    const written = bytes.write(value, 'utf8');
    if (written < Buffer.byteLength(value)) throw new RangeError(`${pointName}: "${value}" is longer than ${size * 2} bytes`);
    return Array.from({ length: size }, (_, i) => bytes.readUInt16BE(i * 2));
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`${pointName}: needs a finite number, got ${String(value)}`);
  if (type === 'float32' || type === 'float64') {
    const bytes = Buffer.alloc(size * 2);
    if (type === 'float32') bytes.writeFloatBE(value, 0);
    else bytes.writeDoubleBE(value, 0);
    return Array.from({ length: size }, (_, i) => bytes.readUInt16BE(i * 2));
  }
  if (!Number.isInteger(value)) throw new RangeError(`${pointName}: ${type} needs an integer, got ${value}`);
  if ((size === 1 || size === 2) && SMALL_INTEGER.has(type)) return encodeSmallInteger(type, size, value, pointName);
  const bits = 16 * size;
  const signedBits = SIGNED_BITS[type];
  const v = BigInt(value);
  const [min, max] = signedBits !== undefined ? [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n] : [0n, (1n << BigInt(bits)) - 1n];
  if (v < min || v > max) throw new RangeError(`${pointName}: ${value} does not fit in ${type}`);
  const words = bigintToWords(v, size);
  const marker = NOT_IMPLEMENTED[type];
  if (marker !== undefined && marker !== 0n && wordsToBigint(words) === marker) {
    throw new RangeError(`${pointName}: ${value} is the ${type} "not implemented" value and cannot be written`);
  }
  return words;
}

/** {@link encodeWords} of a 16- or 32-bit integer type, in plain numbers (exact: |value| < 2^32). */
function encodeSmallInteger(type: PointType, size: 1 | 2, value: number, pointName: string): number[] {
  const bits = 16 * size;
  const isSigned = SIGNED_BITS[type] !== undefined;
  const [min, max] = isSigned ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
  if (value < min || value > max) throw new RangeError(`${pointName}: ${value} does not fit in ${type}`);
  const unsigned = value < 0 ? value + 2 ** bits : value + 0; // + 0: no −0 in the registers
  const marker = NOT_IMPLEMENTED_NUM[type];
  if (marker !== undefined && marker !== 0 && unsigned === marker) {
    throw new RangeError(`${pointName}: ${value} is the ${type} "not implemented" value and cannot be written`);
  }
  return size === 1 ? [unsigned] : [Math.floor(unsigned / 0x10000), unsigned % 0x10000];
}
