import type { Feedback } from '../protocol/feedback.ts';
import { CommandRejectedError } from './errors.ts';
import type { ClientClock } from './feedback-matcher.ts';

/** Default fallback timeout of a remote signal, s [live §3.3 rule 2]. */
export const DEFAULT_FALLBACK_TIMEOUT_S = 60;

export interface KeepAliveOptions {
  /** Re-send interval, ms, > 0 and below the fallback timeout. Default: fallback timeout / 3 (20 s). */
  intervalMs?: number;
  /** The controller's fallback timeout (watchdog), s. Default 60. Only used for the default and check of `intervalMs`. */
  fallbackTimeoutS?: number;
  /** How long each send waits for its feedback, ms. Default min(5000, intervalMs). */
  timeoutMs?: number;
  /** Each feedback with response_code < 10. */
  onFeedback?: (feedback: Feedback) => void;
  /**
   * Each failed send: FeedbackTimeoutError, a publish error, or CommandRejectedError when the
   * controller answered response_code ≥ 10. Keeping alive goes on regardless.
   * Default: the client's `onError` listeners.
   */
  onError?: (err: Error) => void;
}

export interface KeepAliveHandle {
  /** Stops re-sending. Results of a send still in flight are dropped. Idempotent. */
  stop(): void;
  readonly isRunning: boolean;
}

type SendFn = (fields: Record<string, unknown>, opts: { timeoutMs: number }) => Promise<Feedback>;

/** Resolves the interval and per-send timeout, refusing an interval the watchdog would outrun. */
export function keepAliveTiming(opts: Pick<KeepAliveOptions, 'intervalMs' | 'fallbackTimeoutS' | 'timeoutMs'>): { intervalMs: number; timeoutMs: number } {
  const fallbackTimeoutS = opts.fallbackTimeoutS ?? DEFAULT_FALLBACK_TIMEOUT_S;
  if (!(fallbackTimeoutS > 0)) throw new RangeError(`fallbackTimeoutS must be > 0, got ${fallbackTimeoutS}`);
  const intervalMs = opts.intervalMs ?? (fallbackTimeoutS * 1000) / 3;
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`intervalMs must be a positive number of ms, got ${intervalMs}`);
  if (intervalMs >= fallbackTimeoutS * 1000) {
    throw new RangeError(`intervalMs (${intervalMs}) must be below the fallback timeout (${fallbackTimeoutS} s), or the watchdog fires between sends`);
  }
  const timeoutMs = opts.timeoutMs ?? Math.min(5000, intervalMs);
  return { intervalMs, timeoutMs };
}

/**
 * Sends `fields` now and then every `intervalMs`, so the controller's watchdog never returns the
 * components to their defaults [live §3.3 rule 2]. Fixed rate: a slow answer does not delay the
 * next send. Never throws after start and leaves no floating promise: every outcome goes to a callback.
 */
export function startKeepAlive(send: SendFn, fields: Record<string, unknown>, clock: ClientClock, opts: KeepAliveOptions & { onError: (err: Error) => void }): KeepAliveHandle {
  if (Object.keys(fields).length === 0) {
    // [live §3.3 rule 3] an empty command does not re-arm the watchdog: keeping it alive is a mistake.
    throw new RangeError('keepAlive needs a non-empty command: an empty command does not re-arm the watchdog');
  }
  const { intervalMs, timeoutMs } = keepAliveTiming(opts);
  const payload = { ...fields };
  let isRunning = true;
  let cancelTimer: () => void = () => undefined;

  const report = (err: unknown): void => {
    if (!isRunning) return;
    try {
      opts.onError(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // A throwing error handler must not stop the keep-alive.
    }
  };

  const sendOnce = async (): Promise<void> => {
    try {
      const feedback = await send(payload, { timeoutMs });
      if (!isRunning) return;
      if (feedback.data.response_code >= 10) report(new CommandRejectedError(feedback.data.response_code, feedback.data.errors ?? []));
      else opts.onFeedback?.(feedback);
    } catch (err) {
      report(err);
    }
  };

  const tick = (): void => {
    if (!isRunning) return;
    cancelTimer = clock.setTimer(intervalMs, tick);
    void sendOnce();
  };

  tick();
  return {
    stop: () => {
      isRunning = false;
      cancelTimer();
    },
    get isRunning() {
      return isRunning;
    },
  };
}
