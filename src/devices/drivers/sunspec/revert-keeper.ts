import type { Clock } from '../../../core/clock.ts';
import type { Logger } from '../../../core/logger.ts';

/**
 * Keeps a control alive on a device that has its own revert timer [SunSpec 123
 * WMaxLimPct_RvrtTms, 124 InOutWRte_RvrtTms, 704 WMaxLimPctRvrtTms]: every control write arms the
 * device's timer (never 0 = "forever"), and the keeper re-writes the same control every half
 * timer (as OpenEMS does every RvrtTms/2), so the device reverts by itself at most one timer
 * after gridpilot stops. A control equal to the one in force is not written again between
 * refreshes (bus traffic). Timers run on the injected clock.
 */
export class RevertKeeper {
  private key: string | null = null;
  private cancel: (() => void) | null = null;
  private isClosed = false;
  /** Every write (set, release, refresh) runs in turn, so a refresh never lands after a newer control. */
  private chain: Promise<unknown> = Promise.resolve();

  /**
   * @param revertTimeoutS the timer written to the device, s > 0; refreshes every half of it
   */
  constructor(
    private readonly clock: Clock,
    readonly revertTimeoutS: number,
    private readonly logger: Logger,
    private readonly where: string,
  ) {}

  get refreshMs(): number {
    return (this.revertTimeoutS * 1000) / 2;
  }

  /**
   * Writes the control unless `key` is the one in force, then keeps re-writing it every
   * {@link refreshMs}. Rejects when the write fails (and then forgets the control in force).
   * `write` is told whether it is a refresh: a change may leave out what is already in force on
   * the device (an enable, a mode), a refresh re-writes all of it.
   */
  keep(key: string, write: (isRefresh: boolean) => Promise<void>): Promise<void> {
    return this.serial(async () => {
      if (this.key === key && this.cancel) return;
      this.stopTimer();
      this.key = null;
      await write(false);
      this.key = key;
      this.arm(key, write);
    });
  }

  /** Writes a release (no keep-alive: the device's default is the released state). */
  release(key: string, write: () => Promise<void>): Promise<void> {
    return this.serial(async () => {
      if (this.key === key && !this.cancel) return;
      this.stopTimer();
      this.key = null;
      await write();
      this.key = key;
    });
  }

  /** Forgets the control in force, so the next keep/release writes (e.g. after a reconnect). */
  invalidate(): void {
    this.key = null;
    this.stopTimer();
  }

  close(): void {
    this.isClosed = true;
    this.stopTimer();
  }

  private serial(work: () => Promise<void>): Promise<void> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private arm(key: string, write: (isRefresh: boolean) => Promise<void>): void {
    if (this.isClosed) return;
    const timer = this.clock.setTimer(this.refreshMs, () => {
      if (this.cancel !== cancel) return;
      // Only the control still in force is refreshed (a newer one may have been queued meanwhile).
      this.serial(async () => {
        if (this.key === key && !this.isClosed) await write(true);
      }).then(
        () => undefined,
        (err: unknown) => this.logger.warn({ where: this.where, err: err instanceof Error ? err.message : String(err) }, 'sunspec: refreshing the revert timer failed; retrying'),
      );
      // Re-arm whatever the outcome: a failed refresh is retried at the next half timer.
      this.arm(key, write);
    });
    const cancel = (): void => timer();
    this.cancel = cancel;
  }

  private stopTimer(): void {
    this.cancel?.();
    this.cancel = null;
  }
}
