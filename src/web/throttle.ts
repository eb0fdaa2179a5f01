import type { Clock } from '../core/clock.ts';

/**
 * Calls `fire` at most once per `minIntervalMs`: the first request fires at once (leading edge);
 * requests inside the interval collapse into one call at its end (trailing edge), so the last
 * change is never lost. Used to push live state to browsers at most 2× per second however fast
 * the control cycle runs.
 *
 * The clock is wall time by default: this paces network traffic, not the controlled world.
 */
export class Throttle {
  private lastFireMs = -Infinity;
  private cancelTrailing: (() => void) | null = null;
  private isStopped = false;

  constructor(
    /** Minimum time between two calls, ms ≥ 0. */
    private readonly minIntervalMs: number,
    private readonly fire: () => void,
    private readonly clock: Pick<Clock, 'now' | 'setTimer'>,
  ) {
    if (!(minIntervalMs >= 0) || !Number.isFinite(minIntervalMs)) throw new RangeError(`minIntervalMs must be a finite number ≥ 0, got ${minIntervalMs}`);
  }

  /** Asks for a call; fires now, or once at the end of the current interval. */
  request(): void {
    if (this.isStopped || this.cancelTrailing) return;
    const waitMs = this.lastFireMs + this.minIntervalMs - this.clock.now();
    if (waitMs <= 0) {
      this.run();
      return;
    }
    this.cancelTrailing = this.clock.setTimer(waitMs, () => {
      this.cancelTrailing = null;
      if (!this.isStopped) this.run();
    });
  }

  /** Drops a pending call; later requests are ignored. */
  stop(): void {
    this.isStopped = true;
    this.cancelTrailing?.();
    this.cancelTrailing = null;
  }

  private run(): void {
    this.lastFireMs = this.clock.now();
    this.fire();
  }
}
