import { GridpilotError } from '../../core/errors.ts';
import { pointAt, type ModelLayout, type PointLayout } from './model-layout.ts';
import { decodeRegisters, encodeWords, type RawValue } from './point-codec.ts';

/**
 * One model's registers, decoded through its layout: raw values, and values with their scale factor
 * applied [SunSpec Information Model Specification §6.3: value = raw × 10^sf, sf a sunssf point in
 * −10…10]. A point whose raw value or scale factor is "not implemented" reads as null.
 */

/** raw × 10^sf, computed so that 2345 × 10^−1 is 234.5 (not 234.50000000000003). */
export function applyScale(raw: number, sf: number): number {
  return sf >= 0 ? raw * 10 ** sf : raw / 10 ** -sf;
}

/** The raw integer to write for `value` under scale factor `sf` (rounded to the nearest step). */
export function unscale(value: number, sf: number): number {
  const raw = sf >= 0 ? value / 10 ** sf : value * 10 ** -sf;
  return Math.round(raw);
}

/** The scale-factor exponent in force for point `p` of `layout` over `words`: 0 unscaled, null when its sf point is not implemented or out of −10…10. */
export function scaleIn(layout: ModelLayout, words: readonly number[], p: PointLayout): number | null {
  if (p.sf === undefined) return 0;
  if (typeof p.sf === 'number') return p.sf;
  const sfPoint = layout.points.get(p.sf);
  const sf = sfPoint ? decodeRegisters(sfPoint.type, words, sfPoint.offset, sfPoint.size) : null;
  if (typeof sf !== 'number' || sf < -10 || sf > 10) return null;
  return sf;
}

export class ModelBlock {
  /**
   * @param layout the model's register map
   * @param words  the model's registers from its ID register on (2 + L of them)
   * @param address Modbus address of the ID register
   */
  constructor(
    readonly layout: ModelLayout,
    readonly words: readonly number[],
    readonly address: number,
  ) {}

  has(path: string): boolean {
    return this.layout.points.has(path);
  }

  /** The decoded raw value (null = not implemented, or the model does not have the point). */
  raw(path: string): RawValue {
    const p = this.layout.points.get(path);
    if (!p) return null;
    return decodeRegisters(p.type, this.words, p.offset, p.size);
  }

  /** The scale-factor exponent in force for `path`: 0 unscaled, null when its sf point is not implemented. */
  scaleOf(path: string): number | null {
    return scaleIn(this.layout, this.words, pointAt(this.layout, path));
  }

  /** The value in the point's units (scale factor applied); null = not implemented or absent. */
  value(path: string): number | null {
    const p = this.layout.points.get(path);
    if (!p) return null;
    const raw = decodeRegisters(p.type, this.words, p.offset, p.size);
    if (typeof raw !== 'number') return null;
    const sf = scaleIn(this.layout, this.words, p);
    return sf === null ? null : applyScale(raw, sf);
  }

  /** A string point's text; null = empty / not implemented. */
  text(path: string): string | null {
    const raw = this.raw(path);
    return typeof raw === 'string' ? raw : null;
  }
}

/** A contiguous register write: `words` at Modbus address `address`. */
export interface RegisterWrite {
  address: number;
  words: number[];
}

/**
 * Encodes point values (in their units; scale factors taken from `block`) into the fewest
 * contiguous register writes, in address order: values separated only by implemented read-write
 * points go as one write, those points rewritten with the values `block` holds (so `block` must be
 * fresh). null writes the not-implemented value.
 * Throws a GridpilotError naming the model and point when a value does not fit or is read-only.
 */
export function encodeWrites(block: ModelBlock, values: Readonly<Record<string, number | null>>): RegisterWrite[] {
  const where = `SunSpec model ${block.layout.id}`;
  const parts: { p: PointLayout; words: number[] }[] = [];
  for (const [path, value] of Object.entries(values)) {
    const p = pointAt(block.layout, path);
    if (p.def.access !== 'RW') throw new GridpilotError(`point ${path} is read-only`, where);
    let raw: number | null = null;
    if (value !== null) {
      const sf = block.scaleOf(path);
      if (sf === null) throw new GridpilotError(`point ${path}: its scale factor is not implemented, so it cannot be written`, where);
      raw = unscale(value, sf);
    }
    try {
      parts.push({ p, words: encodeWords(p.type, p.size, raw, path) });
    } catch (err) {
      throw new GridpilotError((err as Error).message, where);
    }
  }
  parts.sort((a, b) => a.p.offset - b.p.offset);
  const writes: RegisterWrite[] = [];
  for (const { p, words } of parts) {
    const address = block.address + p.offset;
    const last = writes[writes.length - 1];
    const gap = last ? rewritableGap(block, last.address + last.words.length, address) : null;
    if (last && gap) last.words.push(...gap, ...words);
    else writes.push({ address, words: [...words] });
  }
  return writes;
}

/**
 * The words from `from` up to `to` (Modbus addresses in `block`) as the block holds them, when
 * every one of them belongs to a read-write point that holds a value: rewriting them unchanged lets
 * two writes go as one request (one FC 16 applies them together). null when a register in between
 * is read-only, belongs to no point or to one the device does not implement (a device may refuse a
 * write there).
 */
function rewritableGap(block: ModelBlock, from: number, to: number): number[] | null {
  if (to < from) return null;
  if (to === from) return [];
  const start = from - block.address;
  const end = to - block.address;
  let covered = start;
  for (const [path, p] of pointsByOffset(block.layout)) {
    if (p.offset >= end) break;
    if (p.offset + p.size <= start) continue;
    // A point reaching outside the gap (or starting before it) cannot be rewritten as part of it.
    if (p.offset < start || p.offset + p.size > end) return null;
    if (p.def.access !== 'RW' || p.offset > covered || block.raw(path) === null) return null;
    covered = Math.max(covered, p.offset + p.size);
  }
  if (covered < end) return null;
  return block.words.slice(start, end);
}

/** A layout's points in offset order (stable: definition order among equal offsets), computed once per layout. */
const sortedPoints = new WeakMap<ModelLayout, ReadonlyArray<[string, PointLayout]>>();
function pointsByOffset(layout: ModelLayout): ReadonlyArray<[string, PointLayout]> {
  let sorted = sortedPoints.get(layout);
  if (!sorted) {
    sorted = [...layout.points].sort(([, a], [, b]) => a.offset - b.offset);
    sortedPoints.set(layout, sorted);
  }
  return sorted;
}
