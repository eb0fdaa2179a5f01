/** Reconnect delays: exponential, capped, with jitter so a fleet does not reconnect in lockstep. */
export interface BackoffOptions {
  /** Delay before the first retry, ms. Default 250. */
  initialDelayMs?: number;
  /**
   * Largest delay, ms. Default 1500: the link is back within 2 s of the broker's return however long
   * it was away (a retry is one TCP connect; a fleet's retries are spread by the jitter).
   */
  maxDelayMs?: number;
  /** Random spread, fraction of the delay (0 = none, 0.2 = ±20 %). Default 0.3. */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialDelayMs: 250, maxDelayMs: 1500, jitter: 0.3 };

/**
 * Delay before retry number `attempt` (0 = the first retry after a loss): initial × 2^attempt,
 * capped at maxDelayMs, spread by ±jitter (never above maxDelayMs). `random` in [0, 1).
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { initialDelayMs, maxDelayMs, jitter } = { ...DEFAULT_BACKOFF, ...options };
  const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 30));
  const spread = base * jitter * (2 * random() - 1);
  return Math.max(1, Math.round(Math.min(maxDelayMs, base + spread)));
}
