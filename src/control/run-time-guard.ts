/** Run-time rules of one switched device (heat pump or relay load). Always respected [live §3.1]. */
export interface RunTimeRules {
  /** s; 0 = none. */
  minOnS: number;
  minOffS: number;
  /** s; 0 = no limit. */
  maxOnS: number;
  /** 0 = no limit. */
  maxStartsPerHour: number;
}

export interface SwitchDecision {
  isOn: boolean;
  /** Why the wish was not followed (e.g. "minimum on-time: 240 s left"), or null. */
  waiting: string | null;
}

const HOUR_MS = 3_600_000;

/**
 * Tracks when a device switched and decides whether a wish to switch may be followed now.
 * The state is the device's observed state plus what this guard commanded; an unknown history
 * (controller just started) counts as "switched long ago".
 */
export class RunTimeGuard {
  private isOn: boolean | null = null;
  private changedAtMs = -Infinity;
  private startsMs: number[] = [];

  constructor(private readonly rules: RunTimeRules) {}

  /** Syncs with the device's measured state (a change made outside the controller counts as a switch). */
  observe(isOn: boolean, nowMs: number): void {
    if (this.isOn === null) {
      this.isOn = isOn;
      return;
    }
    if (isOn !== this.isOn) this.record(isOn, nowMs);
  }

  /** Filters a wish through the rules, without recording anything (see `commit`). */
  evaluate(wantOn: boolean, nowMs: number): SwitchDecision {
    const current = this.isOn ?? false;
    const onForS = (nowMs - this.changedAtMs) / 1000;
    if (current && this.rules.maxOnS > 0 && onForS >= this.rules.maxOnS) {
      return { isOn: false, waiting: wantOn ? `maximum on-time of ${this.rules.maxOnS} s reached` : null };
    }
    if (wantOn === current) return { isOn: current, waiting: null };
    if (current && !wantOn && onForS < this.rules.minOnS) {
      return { isOn: true, waiting: `minimum on-time: ${Math.ceil(this.rules.minOnS - onForS)} s left` };
    }
    if (!current && wantOn) {
      const offForS = onForS;
      if (offForS < this.rules.minOffS) return { isOn: false, waiting: `minimum off-time: ${Math.ceil(this.rules.minOffS - offForS)} s left` };
      this.startsMs = this.startsMs.filter((t) => nowMs - t < HOUR_MS);
      if (this.rules.maxStartsPerHour > 0 && this.startsMs.length >= this.rules.maxStartsPerHour) {
        const oldest = this.startsMs[0] ?? nowMs;
        return { isOn: false, waiting: `${this.rules.maxStartsPerHour} starts this hour: next start in ${Math.ceil((oldest + HOUR_MS - nowMs) / 1000)} s` };
      }
    }
    return { isOn: wantOn, waiting: null };
  }

  /** Records what was written to the device this cycle. */
  commit(isOn: boolean, nowMs: number): void {
    if (this.isOn !== isOn) this.record(isOn, nowMs);
  }

  /** Whether the device may be switched off now (used by import-limit shedding). */
  canTurnOff(nowMs: number): boolean {
    return !this.isOn || (nowMs - this.changedAtMs) / 1000 >= this.rules.minOnS;
  }

  /** Whether the device is on as far as the guard knows. */
  get isOnNow(): boolean {
    return this.isOn ?? false;
  }

  private record(isOn: boolean, nowMs: number): void {
    this.isOn = isOn;
    this.changedAtMs = nowMs;
    if (isOn) this.startsMs.push(nowMs);
  }
}
