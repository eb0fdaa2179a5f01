import modbusSerial from 'modbus-serial';
import type { Clock } from '../../../core/clock.ts';
import type { Logger } from '../../../core/logger.ts';

/** Options of {@link ModbusLink}. */
export interface ModbusLinkOptions {
  host: string;
  /** TCP port, 1–65535. */
  port: number;
  /** Modbus unit id, 0–255. */
  unitId: number;
  /** Longest wait for a connect or one response, ms (real time). */
  timeoutMs: number;
  /** Drives the reconnect back-off. */
  clock: Clock;
  logger: Logger;
}

/** Reconnect back-off, ms of clock time: 1 s doubling to 30 s. */
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;

/** The signal of a request nobody aborts (one for all: a signal per request costs ~3 µs). */
const NEVER_ABORTED = new AbortController().signal;

// modbus-serial is CommonJS: its module.exports is the client class (the typings call it `default`).
const ModbusRTU = modbusSerial as unknown as typeof modbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;

/**
 * One Modbus TCP connection (modbus-serial's client), with what a driver needs around it:
 * `start` begins connecting and never throws for an unreachable device; after a socket error it
 * reconnects by itself with back-off (and at once when a request needs it); requests run one at a
 * time, honour an AbortSignal, and reject promptly when the socket closes under them. Every error
 * message starts with `host:port unit N`. `generation` counts connections, so callers can redo
 * what a new connection invalidates (SunSpec discovery).
 */
export class ModbusLink {
  /** Incremented on every successful connect. */
  generation = 0;
  readonly where: string;
  private client: Client | null = null;
  private connecting: Promise<void> | null = null;
  private cancelRetry: (() => void) | null = null;
  private backoffMs = BACKOFF_MIN_MS;
  private isClosed = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Requests queued or running whose settlement the queue has not yet counted. */
  private unsettled = 0;
  /** The request on the wire (at most one): failed at once when the connection drops. */
  private readonly inFlight = new Set<InFlight<unknown>>();
  private lastError = 'not connected yet';

  constructor(private readonly opts: ModbusLinkOptions) {
    this.where = `${opts.host}:${opts.port} unit ${opts.unitId}`;
  }

  get isConnected(): boolean {
    return this.client?.isOpen === true;
  }

  /** Begins connecting; resolves at once (failures show in requests and are retried). */
  start(): Promise<void> {
    this.isClosed = false;
    void this.connect().catch(() => undefined);
    return Promise.resolve();
  }

  /** Stops the retries and closes the socket; idempotent. */
  async close(): Promise<void> {
    this.isClosed = true;
    this.cancelRetry?.();
    this.cancelRetry = null;
    const client = this.client;
    this.client = null;
    if (client) this.dropClient(client, new Error('connection closed by gridpilot'));
    await this.connecting?.catch(() => undefined);
  }

  /** Reads `length` holding registers from `address` (FC 3). */
  readHoldingRegisters(address: number, length: number, signal: AbortSignal): Promise<number[]> {
    return this.request('read', address, length, signal, (c) => c.readHoldingRegisters(address, length).then((r) => r.data));
  }

  /** Writes registers from `address` (FC 16); without `signal`, bounded by `timeoutMs` alone. */
  async writeRegisters(address: number, words: readonly number[], signal: AbortSignal = NEVER_ABORTED): Promise<void> {
    await this.request('write', address, words.length, signal, (c) => c.writeRegisters(address, [...words]));
  }

  // Requests run one after the other: one starts at once when every earlier one has settled,
  // else after the last. (No closures with names on this path: tsx's keepNames wraps each one.)
  private request<T>(op: 'read' | 'write', address: number, length: number, signal: AbortSignal, run: (c: Client) => Promise<T>): Promise<T> {
    const task = this.unsettled === 0 ? this.runOne(op, address, length, signal, run) : this.queue.then(() => this.runOne(op, address, length, signal, run));
    this.unsettled++;
    this.queue = task.then(
      () => void this.unsettled--,
      () => void this.unsettled--,
    );
    return task;
  }

  private async runOne<T>(op: 'read' | 'write', address: number, length: number, signal: AbortSignal, run: (c: Client) => Promise<T>): Promise<T> {
    if (this.isClosed) throw new Error(`${this.where}: ${op} ${address}+${length}: the connection is closed`);
    signal.throwIfAborted();
    if (!this.isConnected) {
      try {
        await this.connect();
      } catch (err) {
        throw new Error(`${this.where}: ${op} ${address}+${length}: not connected (${errorText(err)})`, { cause: err });
      }
      // Aborted while connecting (a listener added after the abort would never fire).
      signal.throwIfAborted();
    }
    const client = this.client;
    if (!client) throw new Error(`${this.where}: ${op} ${address}+${length}: not connected (${this.lastError})`);
    const request = new InFlight<T>(`${this.where}: ${op} ${address}+${length}`, signal, this.inFlight);
    run(client).then(
      (v) => request.resolveWith(v),
      (err: unknown) => {
        request.fail(err);
        // A timed-out response may still arrive and desynchronise the next one: start afresh.
        if (isTimeout(err) && this.client === client) this.dropClient(client, new Error('response timed out'));
      },
    );
    return request.promise;
  }

  /** Connects unless connected or connecting; the returned promise settles with that attempt. */
  private connect(): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    if (this.connecting) return this.connecting;
    this.cancelRetry?.();
    this.cancelRetry = null;
    const attempt = this.openClient().finally(() => {
      if (this.connecting === attempt) this.connecting = null;
    });
    this.connecting = attempt;
    return attempt;
  }

  private async openClient(): Promise<void> {
    const client: Client = new ModbusRTU();
    client.setTimeout(this.opts.timeoutMs);
    // modbus-serial emits 'error' on socket errors; unhandled it would crash the process.
    client.on('error', (err: unknown) => this.opts.logger.debug({ where: this.where, err: errorText(err) }, 'sunspec: socket error'));
    try {
      await client.connectTCP(this.opts.host, { port: this.opts.port });
    } catch (err) {
      client.destroy(() => undefined);
      this.lastError = errorText(err);
      this.scheduleRetry();
      throw err;
    }
    if (this.isClosed) {
      client.destroy(() => undefined);
      throw new Error('closed while connecting');
    }
    client.setID(this.opts.unitId);
    client.on('close', () => {
      if (this.client !== client) return;
      this.dropClient(client, new Error('connection lost'));
      this.scheduleRetry();
    });
    this.client = client;
    this.generation++;
    this.backoffMs = BACKOFF_MIN_MS;
    this.lastError = 'connected';
    this.opts.logger.info({ where: this.where }, 'sunspec: connected');
  }

  private dropClient(client: Client, err: Error): void {
    if (this.client === client) this.client = null;
    this.lastError = err.message;
    for (const r of [...this.inFlight]) r.fail(err);
    client.destroy(() => undefined);
  }

  private scheduleRetry(): void {
    if (this.isClosed || this.cancelRetry) return;
    const delayMs = this.backoffMs;
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    this.opts.logger.debug({ where: this.where, delayMs, lastError: this.lastError }, 'sunspec: reconnecting later');
    this.cancelRetry = this.opts.clock.setTimer(delayMs, () => {
      this.cancelRetry = null;
      if (!this.isClosed) void this.connect().catch(() => undefined);
    });
  }
}

/**
 * One request on the wire: settles once, with the response, or rejects (message `where: what:
 * why`) on an error response, an abort of its signal or a drop of the connection. It is its own
 * abort listener (an EventListener object: no closure per request).
 */
class InFlight<T> {
  readonly promise: Promise<T>;
  private resolve!: (v: T) => void;
  private reject!: (err: Error) => void;
  private isSettled = false;
  // NEVER_ABORTED is shared by every link: no listener on it (they would pile up).
  private readonly isAbortable: boolean;

  constructor(
    private readonly what: string,
    private readonly signal: AbortSignal,
    private readonly registry: Set<InFlight<unknown>>,
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.isAbortable = signal !== NEVER_ABORTED;
    if (this.isAbortable) signal.addEventListener('abort', this, { once: true });
    registry.add(this as InFlight<unknown>);
  }

  /** The abort listener. */
  handleEvent(): void {
    this.fail(this.signal.reason ?? new Error('aborted'));
  }

  resolveWith(value: T): void {
    if (this.finish()) this.resolve(value);
  }

  /** Rejects with `err` described; does nothing once settled. */
  fail(err: unknown): void {
    if (this.finish()) this.reject(new Error(`${this.what}: ${describeModbusError(err)}`, { cause: err }));
  }

  /** Whether this call settles the request (the first one does). */
  private finish(): boolean {
    if (this.isSettled) return false;
    this.isSettled = true;
    if (this.isAbortable) this.signal.removeEventListener('abort', this);
    this.registry.delete(this as InFlight<unknown>);
    return true;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isTimeout(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'errno' in err && (err as { errno?: unknown }).errno === 'ETIMEDOUT';
}

/** modbus-serial's errors in words: exceptions by code, timeouts, socket errors. */
export function describeModbusError(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'modbusCode' in err) {
    return `Modbus exception ${String((err as { modbusCode: unknown }).modbusCode)} (${errorText(err)})`;
  }
  if (isTimeout(err)) return 'no response (timed out; wrong unit id or device busy?)';
  return errorText(err);
}
