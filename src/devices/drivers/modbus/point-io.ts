import type { Clock } from '../../../core/clock.ts';
import type { Logger } from '../../../core/logger.ts';
import { encodeRaw } from './codec.ts';
import type { ModbusTcpConnection } from './connection.ts';
import { registerWidth, type ModbusFunction, type RegisterType } from './map-schema.ts';
import { planReads, pointWidth, type PlannedPoint, type ReadRequest } from './read-plan.ts';

/** The part of a map entry reading and writing need. */
export interface PointRef {
  address: number;
  function: ModbusFunction;
  type?: RegisterType | undefined;
  wordOrder?: 'big' | 'little' | undefined;
}

/** What one read returned per point label: register words, or a bit. */
export type ReadValues = Map<string, number[] | boolean>;

/** One device's view of a (possibly shared) connection: its unit id, timeout and map options. */
export class PointIo {
  constructor(
    private readonly conn: ModbusTcpConnection,
    readonly unitId: number,
    private readonly timeoutMs: number,
    private readonly maxReadRegisters: number,
    private readonly maxReadGap: number,
  ) {}

  get generation(): number {
    return this.conn.generation;
  }

  /** The read requests for these labelled points (computed once per purpose). */
  plan(points: ReadonlyArray<readonly [string, PointRef]>): ReadRequest[] {
    const planned: PlannedPoint[] = points.map(([label, p]) => ({ label, function: p.function, address: p.address, width: pointWidth(p.function, p.type) }));
    return planReads(planned, this.maxReadRegisters, this.maxReadGap);
  }

  /** Runs the planned reads one after the other (they share the queue anyway) and slices each point out. */
  async read(plan: readonly ReadRequest[], signal: AbortSignal): Promise<ReadValues> {
    const out: ReadValues = new Map();
    for (const req of plan) {
      const what = `read ${req.function} ${range(req.start, req.count)} (${req.points.map((p) => p.label).join(', ')})`;
      const spec = { unitId: this.unitId, timeoutMs: this.timeoutMs, what, signal };
      if (req.function === 'coil' || req.function === 'discrete') {
        const res = await this.conn.request(spec, (c) => (req.function === 'coil' ? c.readCoils(req.start, req.count) : c.readDiscreteInputs(req.start, req.count)));
        for (const p of req.points) out.set(p.label, res.data[p.address - req.start] === true);
      } else {
        const res = await this.conn.request(spec, (c) => (req.function === 'holding' ? c.readHoldingRegisters(req.start, req.count) : c.readInputRegisters(req.start, req.count)));
        if (res.data.length < req.count) throw new Error(`modbus ${this.conn.label} unit ${this.unitId}: ${what}: got ${res.data.length} registers, asked ${req.count}`);
        for (const p of req.points) out.set(p.label, res.data.slice(p.address - req.start, p.address - req.start + p.width));
      }
    }
    return out;
  }

  /** Writes a coil (FC5), one register (FC6) or several (FC16). `raw` is encoded as the point's type. */
  async write(label: string, p: PointRef, raw: number | boolean): Promise<void> {
    const spec = { unitId: this.unitId, timeoutMs: this.timeoutMs, what: `write ${p.function} ${p.address} (${label}) = ${String(raw)}` };
    if (p.function === 'coil') {
      await this.conn.request(spec, (c) => c.writeCoil(p.address, raw === true || raw === 1));
      return;
    }
    if (p.function !== 'holding') throw new Error(`modbus ${this.conn.label} unit ${this.unitId}: ${label} is a ${p.function}, which cannot be written`);
    const type = p.type ?? 'uint16';
    const words = encodeRaw(typeof raw === 'boolean' ? Number(raw) : raw, type, p.wordOrder);
    if (registerWidth(type) === 1) await this.conn.request(spec, (c) => c.writeRegister(p.address, words[0] ?? 0));
    else await this.conn.request(spec, (c) => c.writeRegisters(p.address, words));
  }
}

function range(start: number, count: number): string {
  return count > 1 ? `${start}–${start + count - 1}` : String(start);
}

/**
 * Remembers what was last written per point so unchanged values are not rewritten, and, when the
 * map declares a watchdog, rewrites them every watchdogS / 2 so the device does not fall back.
 * What is remembered is forgotten on a failed write and on a new connection (the device may have
 * rebooted and lost it).
 */
export class WriteMemo {
  private readonly last = new Map<string, { raw: number | boolean; p: PointRef; generation: number }>();
  private cancelTimer: (() => void) | null = null;
  private isClosed = false;
  private refreshing = false;

  constructor(
    private readonly io: PointIo,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly watchdogS: number | undefined,
  ) {}

  /** Writes unless this exact value is already in the device (same connection). */
  async write(label: string, p: PointRef, raw: number | boolean): Promise<void> {
    const prev = this.last.get(label);
    if (prev && prev.raw === raw && prev.generation === this.io.generation) return;
    this.last.delete(label);
    await this.io.write(label, p, raw);
    this.last.set(label, { raw, p, generation: this.io.generation });
    this.arm();
  }

  close(): void {
    this.isClosed = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  private arm(): void {
    if (this.watchdogS === undefined || this.isClosed || this.cancelTimer) return;
    this.cancelTimer = this.clock.setTimer((this.watchdogS * 1000) / 2, () => {
      this.cancelTimer = null;
      void this.refresh();
    });
  }

  /** Re-arms first, so the period is watchdogS / 2 from tick to tick whatever the writes take; a tick that finds the previous refresh still writing skips. */
  private async refresh(): Promise<void> {
    if (this.last.size > 0) this.arm();
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      for (const [label, { raw, p }] of [...this.last]) {
        if (this.isClosed) return;
        try {
          await this.io.write(label, p, raw);
          this.last.set(label, { raw, p, generation: this.io.generation });
        } catch (err) {
          this.last.set(label, { raw, p, generation: -1 }); // rewritten by the next set, and retried at the next refresh
          this.logger.warn({ err: (err as Error).message }, 'modbus watchdog refresh failed');
        }
      }
    } finally {
      this.refreshing = false;
    }
  }
}
