import { registerWidth, type ModbusFunction, type RegisterType } from './map-schema.ts';

/** One point to read: its meaning (for errors), its table, first register and width. */
export interface PlannedPoint {
  /** The semantic it feeds, e.g. "powerW[1]". */
  label: string;
  function: ModbusFunction;
  address: number;
  /** Registers (or bits) it spans. */
  width: number;
}

/** One read request: a contiguous range of one table and the points it serves. */
export interface ReadRequest {
  function: ModbusFunction;
  start: number;
  count: number;
  points: PlannedPoint[];
}

/** Largest read of bits (coils, discrete inputs) in one request [Modbus V1.1b3 §6.1, §6.2]. */
export const MAX_READ_BITS = 2000;

/** Width of a point: bits are 1, registers follow the type (uint16 when untyped). */
export function pointWidth(fn: ModbusFunction, type: RegisterType | undefined): number {
  return fn === 'coil' || fn === 'discrete' ? 1 : registerWidth(type ?? 'uint16');
}

/**
 * Groups points into as few requests as possible: per table, sorted by address, a point joins the
 * current request when it starts at most `maxGap` registers after its end and the request stays
 * within `maxRegisters` (registers) or MAX_READ_BITS (bits). Points sharing registers share a read.
 */
export function planReads(points: readonly PlannedPoint[], maxRegisters = 125, maxGap = 0): ReadRequest[] {
  const out: ReadRequest[] = [];
  const tables: ModbusFunction[] = ['holding', 'input', 'coil', 'discrete'];
  for (const fn of tables) {
    const limit = fn === 'coil' || fn === 'discrete' ? MAX_READ_BITS : maxRegisters;
    const sorted = points.filter((p) => p.function === fn).sort((a, b) => a.address - b.address || b.width - a.width);
    let cur: ReadRequest | null = null;
    for (const p of sorted) {
      const end = p.address + p.width;
      if (cur) {
        const curEnd = cur.start + cur.count;
        const newCount = Math.max(curEnd, end) - cur.start;
        if (p.address <= curEnd + maxGap && newCount <= limit) {
          cur.count = newCount;
          cur.points.push(p);
          continue;
        }
      }
      cur = { function: fn, start: p.address, count: p.width, points: [p] };
      out.push(cur);
    }
  }
  return out;
}
