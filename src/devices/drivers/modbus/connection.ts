import ModbusSerial from 'modbus-serial';
import type { Clock } from '../../../core/clock.ts';
import type { Logger } from '../../../core/logger.ts';
import type { DeviceLifecycle } from '../../driver.ts';

// modbus-serial is CommonJS: under NodeNext its typed default export is `module.exports.default`
// (the client class, also `module.exports` itself at run time).
const ModbusRTU = ModbusSerial.default;
/** The modbus-serial client, as the driver uses it. */
export type ModbusClient = InstanceType<typeof ModbusRTU>;

export interface ModbusTcpConnectionOptions {
  host: string;
  port: number;
  clock: Clock;
  logger: Logger;
  /** First wait before a background reconnect after a failure, ms; doubles up to maxRetryMs. Also the shortest gap between two connect attempts a request may trigger. Default 1000. */
  minRetryMs?: number;
  /** Longest wait between background reconnects, ms. Default 30 000. */
  maxRetryMs?: number;
  /** Longest wait for a TCP connect, ms. Default 2000. */
  connectTimeoutMs?: number;
}

/** What one request is, for its error message and its bounds. */
export interface RequestSpec {
  unitId: number;
  /** Longest wait for the response, ms. */
  timeoutMs: number;
  /** "read holding 0–5 (powerW, energyImportWh)". */
  what: string;
  signal?: AbortSignal | undefined;
}

/** A Modbus request failure, with where and what in its message. */
export class ModbusRequestError extends Error {
  override readonly name = 'ModbusRequestError';
  constructor(
    message: string,
    /** Modbus exception code [Modbus V1.1b3 §7], when the device answered with one. */
    readonly exceptionCode: number | null = null,
  ) {
    super(message);
  }
}

/**
 * One Modbus TCP connection to a host:port, shared by every device behind it (a gateway to RS-485
 * serves one request at a time, so requests are queued and sent one by one, each with its own unit
 * id and timeout). `start` begins connecting and never throws for an unreachable device; after a
 * failure or a close it reconnects by itself (backoff minRetryMs … maxRetryMs) and a request made
 * while disconnected triggers an attempt at once (at most one per minRetryMs). Requests fail with
 * a ModbusRequestError naming host:port, unit, the registers and their meaning.
 * I/O timeouts are real time (the network's); the reconnect backoff runs on the injected clock.
 */
export class ModbusTcpConnection implements DeviceLifecycle {
  readonly label: string;
  private client: ModbusClient | null = null;
  private connecting: Promise<ModbusClient> | null = null;
  private lastAttemptMs = -Infinity;
  private lastError = 'not connected yet';
  private retryMs: number;
  private cancelRetry: (() => void) | null = null;
  private isClosed = false;
  private isStarted = false;
  private queue: Array<() => Promise<void>> = [];
  private isPumping = false;
  /** Rises with every successful connect: a device that reboots behind a new connection lost its setpoints. */
  generation = 0;
  private onDrop: Array<(reason: string) => void> = [];

  constructor(private readonly opts: ModbusTcpConnectionOptions) {
    this.label = `${opts.host}:${opts.port}`;
    this.retryMs = this.minRetryMs;
  }

  private get minRetryMs(): number {
    return this.opts.minRetryMs ?? 1000;
  }

  start(): Promise<void> {
    if (this.isClosed || this.isStarted) return Promise.resolve();
    this.isStarted = true;
    this.connect().catch(() => undefined);
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.isClosed = true;
    this.cancelRetry?.();
    this.cancelRetry = null;
    const c = this.client;
    this.client = null;
    this.dropInFlight('connection closed by gridpilot');
    if (c) await new Promise<void>((resolve) => c.close(() => resolve()));
  }

  get isConnected(): boolean {
    return this.client !== null;
  }

  /**
   * Runs `fn` with the client once every earlier request has finished, with the unit id and the
   * timeout set. Rejects promptly on timeout, on a close, on abort or when not connected.
   */
  request<T>(spec: RequestSpec, fn: (client: ModbusClient) => Promise<T>): Promise<T> {
    const where = `modbus ${this.label} unit ${spec.unitId}: ${spec.what}`;
    return new Promise<T>((resolve, reject) => {
      let isDone = false;
      const finish = (err: Error | null, value?: T) => {
        if (isDone) return;
        isDone = true;
        spec.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value as T);
      };
      const onAbort = () => finish(new ModbusRequestError(`${where}: aborted`));
      if (spec.signal?.aborted) return onAbort();
      spec.signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(async () => {
        if (isDone) return; // aborted while queued: never sent
        try {
          finish(null, await this.runOne(spec, where, fn));
        } catch (err) {
          finish(err instanceof Error ? err : new Error(String(err)));
        }
      });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.isPumping) return;
    this.isPumping = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) await job();
    } finally {
      this.isPumping = false;
    }
  }

  private async runOne<T>(spec: RequestSpec, where: string, fn: (client: ModbusClient) => Promise<T>): Promise<T> {
    if (this.isClosed) throw new ModbusRequestError(`${where}: connection closed`);
    const client = await this.ensureConnected(where);
    client.setID(spec.unitId);
    client.setTimeout(spec.timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    let drop: ((reason: string) => void) | undefined;
    try {
      return await new Promise<T>((resolve, reject) => {
        // Our own bound, slightly past modbus-serial's, in case the library never calls back.
        timer = setTimeout(() => reject(new ModbusRequestError(`${where}: no answer within ${spec.timeoutMs} ms (device off, wrong unit id, or busy)`)), spec.timeoutMs + 50);
        drop = (reason) => reject(new ModbusRequestError(`${where}: ${reason}`));
        this.onDrop.push(drop);
        fn(client).then(resolve, (err: unknown) => reject(this.describe(err, where, spec.timeoutMs)));
      });
    } finally {
      clearTimeout(timer);
      this.onDrop = this.onDrop.filter((d) => d !== drop);
    }
  }

  private describe(err: unknown, where: string, timeoutMs: number): ModbusRequestError {
    const e = err as { message?: string; modbusCode?: number; errno?: string };
    if (typeof e.modbusCode === 'number') return new ModbusRequestError(`${where}: ${e.message ?? `Modbus exception ${e.modbusCode}`}`, e.modbusCode);
    if (e.errno === 'ETIMEDOUT' || e.message === 'Timed out') return new ModbusRequestError(`${where}: no answer within ${timeoutMs} ms (device off, wrong unit id, or busy)`);
    return new ModbusRequestError(`${where}: ${e.message ?? String(err)}`);
  }

  private async ensureConnected(where: string): Promise<ModbusClient> {
    // modbus-serial can miss a close (a socket error first clears its open flag, then the close
    // event is not relayed): a client that says it is not open is gone.
    if (this.client && !this.client.isOpen) this.onClientClose(this.client);
    if (this.client) return this.client;
    const pending = this.connecting ?? (this.opts.clock.now() - this.lastAttemptMs >= this.minRetryMs ? this.connect() : null);
    if (!pending) throw new ModbusRequestError(`${where}: not connected (${this.lastError}); reconnecting`);
    try {
      return await pending;
    } catch {
      throw new ModbusRequestError(`${where}: not connected (${this.lastError}); reconnecting`);
    }
  }

  private connect(): Promise<ModbusClient> {
    if (this.connecting) return this.connecting;
    this.cancelRetry?.();
    this.cancelRetry = null;
    this.lastAttemptMs = this.opts.clock.now();
    const attempt = this.openClient();
    this.connecting = attempt;
    attempt.then(
      (client) => {
        this.connecting = null;
        if (this.isClosed) {
          client.close(() => undefined);
          return;
        }
        this.client = client;
        this.generation++;
        this.retryMs = this.minRetryMs;
        this.opts.logger.info({ modbus: this.label }, 'modbus connected');
      },
      (err: unknown) => {
        this.connecting = null;
        this.lastError = (err as Error).message;
        this.opts.logger.debug({ modbus: this.label, err: this.lastError }, 'modbus connect failed');
        this.scheduleRetry();
      },
    );
    return attempt;
  }

  private openClient(): Promise<ModbusClient> {
    const client = new ModbusRTU();
    // modbus-serial re-emits socket errors; without a listener they would crash the process.
    client.on('error', (err: unknown) => {
      this.lastError = err instanceof Error ? err.message : String(err);
    });
    const connectTimeoutMs = this.opts.connectTimeoutMs ?? 2000;
    return new Promise<ModbusClient>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.destroy(() => undefined);
        reject(new Error(`connect timed out after ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      client.connectTCP(this.opts.host, { port: this.opts.port }).then(
        () => {
          clearTimeout(timer);
          client.on('close', () => this.onClientClose(client));
          // The socket itself, where modbus-serial exposes it (see ensureConnected for why).
          const socket = (client as unknown as { _port?: { _client?: { once?: (e: string, f: () => void) => void } } })._port?._client;
          socket?.once?.('close', () => this.onClientClose(client));
          resolve(client);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  private onClientClose(client: ModbusClient): void {
    if (this.client !== client) return;
    this.client = null;
    this.lastError = 'connection closed by the device';
    this.opts.logger.warn({ modbus: this.label }, 'modbus connection closed; reconnecting');
    this.dropInFlight('connection closed by the device');
    if (!this.isClosed) this.scheduleRetry();
  }

  private dropInFlight(reason: string): void {
    const drops = this.onDrop;
    this.onDrop = [];
    for (const d of drops) d(reason);
  }

  private scheduleRetry(): void {
    if (this.isClosed || this.cancelRetry) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.opts.maxRetryMs ?? 30_000);
    this.cancelRetry = this.opts.clock.setTimer(delay, () => {
      this.cancelRetry = null;
      if (!this.client) this.connect().catch(() => undefined);
    });
  }
}
