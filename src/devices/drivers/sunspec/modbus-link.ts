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
  private dropListeners = new Set<(err: Error) => void>();
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
    return this.request(`read ${address}+${length}`, signal, async (c) => (await c.readHoldingRegisters(address, length)).data);
  }

  /** Writes registers from `address` (FC 16); without `signal`, bounded by `timeoutMs` alone. */
  async writeRegisters(address: number, words: readonly number[], signal: AbortSignal = NEVER_ABORTED): Promise<void> {
    await this.request(`write ${address}+${words.length}`, signal, async (c) => {
      await c.writeRegisters(address, [...words]);
    });
  }

  private request<T>(what: string, signal: AbortSignal, run: (c: Client) => Promise<T>): Promise<T> {
    const task = this.queue.then(() => this.runOne(what, signal, run));
    this.queue = task.catch(() => undefined);
    return task;
  }

  private async runOne<T>(what: string, signal: AbortSignal, run: (c: Client) => Promise<T>): Promise<T> {
    if (this.isClosed) throw new Error(`${this.where}: ${what}: the connection is closed`);
    signal.throwIfAborted();
    if (!this.isConnected) {
      try {
        await this.connect();
      } catch (err) {
        throw new Error(`${this.where}: ${what}: not connected (${errorText(err)})`, { cause: err });
      }
    }
    const client = this.client;
    if (!client) throw new Error(`${this.where}: ${what}: not connected (${this.lastError})`);
    return await new Promise<T>((resolve, reject) => {
      const fail = (err: unknown): void => {
        cleanup();
        reject(new Error(`${this.where}: ${what}: ${describeModbusError(err)}`, { cause: err }));
      };
      const onAbort = (): void => fail(signal.reason ?? new Error('aborted'));
      const onDrop = (err: Error): void => fail(err);
      // NEVER_ABORTED is shared by every link: no listener on it (they would pile up).
      const isAbortable = signal !== NEVER_ABORTED;
      const cleanup = (): void => {
        if (isAbortable) signal.removeEventListener('abort', onAbort);
        this.dropListeners.delete(onDrop);
      };
      if (isAbortable) signal.addEventListener('abort', onAbort, { once: true });
      this.dropListeners.add(onDrop);
      run(client).then(
        (v) => {
          cleanup();
          resolve(v);
        },
        (err: unknown) => {
          fail(err);
          // A timed-out response may still arrive and desynchronise the next one: start afresh.
          if (isTimeout(err) && this.client === client) this.dropClient(client, new Error('response timed out'));
        },
      );
    });
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
    for (const l of [...this.dropListeners]) l(err);
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
