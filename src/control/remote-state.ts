import type { CommandSignal } from '../protocol/command.ts';

/**
 * The live command in force and its watchdog [live §3.3 rules 1–4].
 * A non-empty accepted command replaces the previous one (omitted components fall back) and
 * re-arms the watchdog; an empty command changes nothing; `fallback` signals are dropped.
 */
export class RemoteCommandState {
  private signals: CommandSignal[] = [];
  private expiresAtMs: number | null = null;

  constructor(private readonly fallbackTimeoutMs: number) {}

  /** Applies an accepted, non-empty command received at `nowMs`. */
  accept(signals: readonly CommandSignal[], nowMs: number): void {
    this.signals = signals.filter((s) => s.policy !== 'fallback');
    this.expiresAtMs = nowMs + this.fallbackTimeoutMs;
  }

  /**
   * The same command under a new fallback timeout (for the next command; the armed watchdog keeps
   * its time), keeping only the signals `keep` accepts (a live reconfiguration).
   */
  carriedOver(fallbackTimeoutMs: number, keep: (s: CommandSignal) => boolean): RemoteCommandState {
    const next = new RemoteCommandState(fallbackTimeoutMs);
    next.signals = this.signals.filter(keep);
    next.expiresAtMs = next.signals.length > 0 ? this.expiresAtMs : null;
    return next;
  }

  /** Drops the command once its watchdog has fired; returns true when it just expired. */
  expire(nowMs: number): boolean {
    if (this.expiresAtMs !== null && nowMs >= this.expiresAtMs) {
      this.signals = [];
      this.expiresAtMs = null;
      return true;
    }
    return false;
  }

  /** Signals in force at `nowMs` (none after the watchdog fired). */
  activeSignals(nowMs: number): readonly CommandSignal[] {
    return this.expiresAtMs !== null && nowMs < this.expiresAtMs ? this.signals : [];
  }

  /** When the watchdog fires, Unix ms; null when no command is armed. */
  watchdogAtMs(): number | null {
    return this.expiresAtMs;
  }

  /** Seconds until the watchdog fires (≥ 0), or null. */
  secondsLeft(nowMs: number): number | null {
    return this.expiresAtMs === null ? null : Math.max(0, Math.round((this.expiresAtMs - nowMs) / 100) / 10);
  }
}
