import type { Feedback } from '../protocol/feedback.ts';

/** Time source of the client (the same shape as core's Clock; client/ imports only protocol/). */
export interface ClientClock {
  /** Unix epoch milliseconds. */
  now(): number;
  /** Runs `fn` once after `delayMs`; returns a cancel function. */
  setTimer(delayMs: number, fn: () => void): () => void;
}

/** Real time. */
export const realClock: ClientClock = {
  now: () => Date.now(),
  setTimer: (delayMs, fn) => {
    const t = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(t);
  },
};

interface Pending {
  requestTime: number;
  resolve: (feedback: Feedback) => void;
  reject: (err: Error) => void;
  cancelTimer: () => void;
}

export interface PendingHandle {
  promise: Promise<Feedback>;
  /** Removes this wait and rejects it with `err` (e.g. the publish failed). */
  fail(err: Error): void;
}

/** A feedback `requestTime` as a number: numbers as is, numeric strings parsed, anything else null. */
export function requestTimeOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/**
 * Matches feedback to the sends waiting for it, by `requestTime` = the `time` they sent [live §4].
 * Time has a resolution of one second, so several sends may wait on the same requestTime: they
 * are answered first-in, first-out, because the controller answers commands in order.
 */
export class FeedbackMatcher {
  #pending: Pending[] = [];

  constructor(private readonly clock: ClientClock) {}

  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Registers a wait now (synchronously, before anything is published). */
  wait(requestTime: number, timeoutMs: number, timeoutError: () => Error): PendingHandle {
    let entry!: Pending;
    const promise = new Promise<Feedback>((resolve, reject) => {
      entry = { requestTime, resolve, reject, cancelTimer: () => undefined };
    });
    entry.cancelTimer = this.clock.setTimer(timeoutMs, () => {
      if (this.#remove(entry)) entry.reject(timeoutError());
    });
    this.#pending.push(entry);
    return {
      promise,
      fail: (err) => {
        if (this.#remove(entry)) {
          entry.cancelTimer();
          entry.reject(err);
        }
      },
    };
  }

  /** Resolves the oldest wait for this requestTime; false when nobody waits for it. */
  resolve(requestTime: unknown, feedback: Feedback): boolean {
    const entry = this.#take(requestTime);
    entry?.resolve(feedback);
    return entry !== null;
  }

  /** Rejects the oldest wait for this requestTime (an answer arrived but is unusable). */
  reject(requestTime: unknown, err: Error): boolean {
    const entry = this.#take(requestTime);
    entry?.reject(err);
    return entry !== null;
  }

  rejectAll(err: Error): void {
    const all = this.#pending;
    this.#pending = [];
    for (const entry of all) {
      entry.cancelTimer();
      entry.reject(err);
    }
  }

  #take(requestTime: unknown): Pending | null {
    const time = requestTimeOf(requestTime);
    if (time === null) return null;
    const entry = this.#pending.find((p) => p.requestTime === time);
    if (!entry) return null;
    this.#remove(entry);
    entry.cancelTimer();
    return entry;
  }

  #remove(entry: Pending): boolean {
    const i = this.#pending.indexOf(entry);
    if (i < 0) return false;
    this.#pending.splice(i, 1);
    return true;
  }
}
