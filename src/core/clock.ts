/**
 * Time is injected: everything time-dependent takes a Clock.
 * `now()` is Unix time in milliseconds of the *controlled world* (simulated time when the
 * clock runs faster than real time). `setTimer(ms)` fires after `ms` of that world's time.
 */
export interface Clock {
  /** Unix epoch milliseconds. */
  now(): number;
  /** Runs `fn` once after `delayMs` of clock time; returns a cancel function. */
  setTimer(delayMs: number, fn: () => void): () => void;
}

/** Real time, optionally sped up: `speed` 60 means one real second is one simulated minute. */
export class ScaledClock implements Clock {
  private readonly realStartMs: number;
  private readonly simStartMs: number;

  /**
   * @param speed  simulated seconds per real second, > 0; default 1 (real time)
   * @param startMs simulated start time (Unix ms); default: now
   */
  constructor(
    readonly speed = 1,
    startMs: number = Date.now(),
  ) {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`clock speed must be a positive number, got ${speed}`);
    this.realStartMs = Date.now();
    this.simStartMs = startMs;
  }

  now(): number {
    return this.simStartMs + (Date.now() - this.realStartMs) * this.speed;
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    const t = setTimeout(fn, Math.max(0, delayMs / this.speed));
    t.unref?.();
    return () => clearTimeout(t);
  }
}

/** Real time, for production. */
export const systemClock: Clock = new ScaledClock(1);

interface PendingTimer {
  id: number;
  atMs: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in time order during `advance()`.
 * Used by tests and by the backtest / scenario runner.
 */
export class FakeClock implements Clock {
  private nowMs: number;
  private timers: PendingTimer[] = [];
  private nextId = 1;

  constructor(startMs = Date.UTC(2024, 4, 2, 12, 0, 0)) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    const id = this.nextId++;
    this.timers.push({ id, atMs: this.nowMs + Math.max(0, delayMs), fn });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.atMs <= target).sort((a, b) => a.atMs - b.atMs || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t.id !== due.id);
      this.nowMs = Math.max(this.nowMs, due.atMs);
      due.fn();
    }
    this.nowMs = target;
  }

  /** Jumps to an absolute time (must not go back). */
  setNow(ms: number): void {
    if (ms < this.nowMs) throw new Error('FakeClock cannot go back in time');
    this.advance(ms - this.nowMs);
  }

  pendingTimers(): number {
    return this.timers.length;
  }
}
