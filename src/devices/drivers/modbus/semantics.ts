import { decodeBool, decodeNumeric } from './codec.ts';
import type { BoolPoint, NumericPoint } from './map-schema.ts';
import type { PointRef, ReadValues } from './point-io.ts';

/** A semantic mapped to one point or a list of them (summed, or per phase). */
export type NumericEntry = NumericPoint | NumericPoint[];

/** The labelled points of an entry: "powerW" for one, "powerW[0]"… for a list. */
export function labelled(key: string, entry: NumericEntry | undefined): Array<[string, NumericPoint]> {
  if (entry === undefined) return [];
  return Array.isArray(entry) ? entry.map((p, i): [string, NumericPoint] => [`${key}[${i}]`, p]) : [[key, entry]];
}

function wordsOf(values: ReadValues, label: string): number[] {
  const v = values.get(label);
  if (!Array.isArray(v)) throw new Error(`internal: ${label} was not read`);
  return v;
}

/** The values of an entry's points, in its unit. */
export function numbersOf(values: ReadValues, key: string, entry: NumericEntry): number[] {
  return labelled(key, entry).map(([label, p]) => {
    const v = decodeNumeric(wordsOf(values, label), p);
    // A float32 register can hold NaN or ±∞ (some devices' "not available"): never a reading the
    // controller computes with. The read fails, naming the point (found by test/fuzz/device-replies.test.ts).
    if (!Number.isFinite(v)) throw new Error(`modbus point ${label} (${p.function} ${p.address}, ${p.type}): the device answered ${v}, not a finite number`);
    return v;
  });
}

/** The sum of an entry's points, in its unit. */
export function sumOf(values: ReadValues, key: string, entry: NumericEntry): number {
  return numbersOf(values, key, entry).reduce((a, b) => a + b, 0);
}

export function boolOf(values: ReadValues, label: string, p: BoolPoint): boolean {
  const v = values.get(label);
  if (v === undefined) throw new Error(`internal: ${label} was not read`);
  return decodeBool(v, p);
}

/** Three phases from 1–3 values (missing phases 0). */
export function threePhases(v: readonly number[]): [number, number, number] {
  return [v[0] ?? 0, v[1] ?? 0, v[2] ?? 0];
}

export type Labelled = ReadonlyArray<readonly [string, PointRef]>;
