import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { CommStatus } from './driver.ts';

/**
 * Communication status of one device, kept from the outcome of its reads and writes [issue 12 §1]:
 * a failed read makes it offline (since that instant), the next good read online again. Changes are
 * logged once (not every cycle the device stays offline).
 */
export class CommTracker {
  private online = true;
  private offlineSinceMs: number | null = null;
  private lastGoodReadMs: number | null = null;
  private lastError: string | null = null;
  private hasRead = false;

  constructor(
    readonly id: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  status(): CommStatus {
    return { isOnline: this.online, offlineSinceMs: this.offlineSinceMs, lastGoodReadMs: this.lastGoodReadMs, lastError: this.lastError };
  }

  /** Wraps a read: records its outcome, passes its result or error through. */
  async read<T>(run: () => Promise<T>): Promise<T> {
    try {
      const value = await run();
      this.readOk();
      return value;
    } catch (err) {
      this.readFailed(errorMessage(err));
      throw err;
    }
  }

  /** A write that failed or timed out: the device stays online (its reads decide), the error is shown. */
  writeFailed(message: string): void {
    this.lastError = message;
  }

  /** A connection that could not start (e.g. an OCPP port in use) counts as a failed read. */
  readFailed(message: string): void {
    this.lastError = message;
    if (this.online || !this.hasRead) {
      this.online = false;
      this.offlineSinceMs = this.clock.now();
      this.logger.warn({ device: this.id, err: message }, 'device offline');
    }
    this.hasRead = true;
  }

  private readOk(): void {
    this.lastGoodReadMs = this.clock.now();
    this.lastError = null;
    if (!this.online) this.logger.info({ device: this.id, offlineForMs: this.clock.now() - (this.offlineSinceMs ?? this.clock.now()) }, 'device online again');
    this.online = true;
    this.offlineSinceMs = null;
    this.hasRead = true;
  }
}

/**
 * Bounds a device write [issue 12 §1]: at most one write in flight per device; one that has not
 * finished after `timeoutMs` is abandoned (rejected, reported) so it never stalls the cycle, the
 * command queue or the watchdog. While an abandoned write still hangs, new writes are refused at once
 * (a hung bus must not pile up requests); the next cycle tries again.
 */
export class BoundedWriter {
  private inFlight: Promise<unknown> | null = null;

  constructor(
    private readonly id: string,
    private readonly timeoutMs: number,
    private readonly tracker: CommTracker,
  ) {}

  write(run: () => Promise<void>): Promise<void> {
    if (this.inFlight) {
      const msg = `${this.id}: previous write still pending (abandoned after ${this.timeoutMs} ms); not written`;
      this.tracker.writeFailed(msg);
      return Promise.reject(new Error(msg));
    }
    const p = run();
    this.inFlight = p;
    const settle = (): void => {
      if (this.inFlight === p) this.inFlight = null;
    };
    p.then(settle, settle);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`write timed out after ${this.timeoutMs} ms (abandoned)`)), this.timeoutMs);
    });
    return Promise.race([p, timeout]).then(
      () => clearTimeout(timer),
      (err: unknown) => {
        clearTimeout(timer);
        this.tracker.writeFailed(errorMessage(err));
        throw err;
      },
    );
  }
}
