import { until as untilHolds } from '../../helpers/until.ts';
import ModbusSerial from 'modbus-serial';
import type { IServiceVector } from 'modbus-serial';
import { freePort } from '../../helpers/ports.ts';

const { ServerTCP } = ModbusSerial;

/** How the server answers: normally, with a Modbus exception, or not at all. */
export type ServerMode = { kind: 'ok' } | { kind: 'exception'; code: number } | { kind: 'silent' };

/** One request the server got. */
export interface SeenRequest {
  table: 'holding' | 'input' | 'coil' | 'discrete';
  op: 'read' | 'write';
  address: number;
  count: number;
  unitId: number;
}

/**
 * A Modbus TCP server (modbus-serial's ServerTCP) on 127.0.0.1 over a register image, for tests:
 * records every request, answers per `mode`, can be stopped and started again on the same port.
 */
export class TestModbusServer {
  readonly holding = new Map<number, number>();
  readonly input = new Map<number, number>();
  readonly coils = new Map<number, boolean>();
  readonly discrete = new Map<number, boolean>();
  readonly requests: SeenRequest[] = [];
  /** Peak number of TCP connections open at once. */
  peakSockets = 0;
  mode: ServerMode = { kind: 'ok' };
  private server: InstanceType<typeof ServerTCP> | null = null;

  private constructor(
    readonly port: number,
    /** 255 = answers every unit id. */
    readonly unitId: number,
  ) {}

  static async start(unitId = 255): Promise<TestModbusServer> {
    const s = new TestModbusServer(await freePort(), unitId);
    await s.listen();
    return s;
  }

  get openSockets(): number {
    return this.server?.socks.size ?? 0;
  }

  async listen(): Promise<void> {
    const answer = <T>(req: SeenRequest, value: () => T, cb: (err: Error | null, v: T) => void) => {
      this.requests.push(req);
      this.peakSockets = Math.max(this.peakSockets, this.openSockets);
      if (this.mode.kind === 'silent') return;
      if (this.mode.kind === 'exception') {
        cb(Object.assign(new Error('test exception'), { modbusErrorCode: this.mode.code }), undefined as T);
        return;
      }
      cb(null, value());
    };
    const words = (m: Map<number, number>, a: number, n: number) => Array.from({ length: n }, (_, i) => m.get(a + i) ?? 0);
    const vector: IServiceVector = {
      getHoldingRegister: (a: number, unitID: number, cb: (e: Error | null, v: number) => void) => answer({ table: 'holding', op: 'read', address: a, count: 1, unitId: unitID }, () => this.holding.get(a) ?? 0, cb),
      getMultipleHoldingRegisters: (a: number, n: number, unitID: number, cb: (e: Error | null, v: number[]) => void) =>
        answer({ table: 'holding', op: 'read', address: a, count: n, unitId: unitID }, () => words(this.holding, a, n), cb),
      getInputRegister: (a: number, unitID: number, cb: (e: Error | null, v: number) => void) => answer({ table: 'input', op: 'read', address: a, count: 1, unitId: unitID }, () => this.input.get(a) ?? 0, cb),
      getMultipleInputRegisters: (a: number, n: number, unitID: number, cb: (e: Error | null, v: number[]) => void) =>
        answer({ table: 'input', op: 'read', address: a, count: n, unitId: unitID }, () => words(this.input, a, n), cb),
      getCoil: (a: number, unitID: number, cb: (e: Error | null, v: boolean) => void) => answer({ table: 'coil', op: 'read', address: a, count: 1, unitId: unitID }, () => this.coils.get(a) ?? false, cb),
      getDiscreteInput: (a: number, unitID: number, cb: (e: Error | null, v: boolean) => void) =>
        answer({ table: 'discrete', op: 'read', address: a, count: 1, unitId: unitID }, () => this.discrete.get(a) ?? false, cb),
      setRegister: (a: number, v: number, unitID: number, cb: (e: Error | null) => void) =>
        answer({ table: 'holding', op: 'write', address: a, count: 1, unitId: unitID }, () => void this.holding.set(a, v), (e) => cb(e)),
      setRegisterArray: (a: number, v: number[], unitID: number, cb: (e: Error | null) => void) =>
        answer({ table: 'holding', op: 'write', address: a, count: v.length, unitId: unitID }, () => v.forEach((w, i) => this.holding.set(a + i, w)), (e) => cb(e)),
      setCoil: (a: number, v: boolean, unitID: number, cb: (e: Error | null) => void) =>
        answer({ table: 'coil', op: 'write', address: a, count: 1, unitId: unitID }, () => void this.coils.set(a, v), (e) => cb(e)),
    };
    const server = new ServerTCP(vector, { host: '127.0.0.1', port: this.port, unitID: this.unitId });
    server.on('socketError', () => undefined);
    server.on('serverError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.on('initialized', () => resolve());
      server.on('error', reject);
    });
    this.server = server;
  }

  /** Stops listening and drops every connection (the device "dies"). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Requests of one kind, e.g. reads of holding registers. */
  seen(table: SeenRequest['table'], op: SeenRequest['op']): SeenRequest[] {
    return this.requests.filter((r) => r.table === table && r.op === op);
  }
}

/** Polls `check` until it holds (bounded; a read that still fails counts as "not yet"). */
export const until = (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 8000): Promise<void> => untilHolds(check, what, timeoutMs, { isErrorNotYet: true });
