import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { ScheduleSource } from '../control/controller.ts';
import { parseFields, type CommandContext } from '../protocol/command.ts';
import type { ScheduleSummary } from '../protocol/feedback.ts';
import { RESPONSE_CODES, type FieldError, type ResponseCode } from '../protocol/response-codes.ts';
import { MAX_SCHEDULE_SLOTS, slotFields, type ScheduleMode, type ScheduleSlot } from '../protocol/schedule.ts';
import type { ScheduleRow } from '../store/schedule-rows.ts';
import { activeSlot, mergeSlots, nextBoundaryMs, summarize } from './schedule-book.ts';

/** Writes the whole schedule durably; resolves once it would survive a crash. */
export type SchedulePersist = (rows: ScheduleRow[]) => Promise<void>;

export interface ScheduleStoreOptions {
  clock: Clock;
  /** Durable storage; null = memory only (the schedule is lost at stop). */
  persist: SchedulePersist | null;
  /** Most slots stored after a merge. Default 2,000 [scheduled §Message]. */
  maxSlots?: number;
}

export type ApplyResult = { ok: true; slots: number } | { ok: false; code: ResponseCode; errors: FieldError[] };

export function rowOf(slot: ScheduleSlot): ScheduleRow {
  return { startMs: slot.startMs, endMs: slot.endMs, fields: slotFields(slot.signals) };
}

/**
 * The stored schedule as the controller sees it [scheduled §Behaviour]: a ScheduleSource (the
 * slot active now, the summary for feedback) answered from memory in O(log n), with every change
 * made durable *before* it takes effect. Changes are serialized. It arms a timer (on the injected
 * clock) at each slot start and end, so the controller runs a cycle exactly then (`onBoundary`).
 */
export class ScheduleStore implements ScheduleSource {
  private slots: ScheduleSlot[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private cancelTimer: (() => void) | null = null;
  private readonly boundaryListeners: Array<(atMs: number) => void> = [];
  private isClosed = false;
  private readonly maxSlots: number;

  constructor(private readonly opts: ScheduleStoreOptions) {
    this.maxSlots = opts.maxSlots ?? MAX_SCHEDULE_SLOTS;
  }

  /**
   * Loads stored rows (at start), validating each slot again against the current configuration:
   * a slot it no longer allows (a device group removed, remote control disabled, a policy no
   * longer available) is dropped and reported. Ended slots are dropped silently.
   */
  load(rows: readonly ScheduleRow[], ctx: Pick<CommandContext, 'devices' | 'isRemoteEnabled' | 'unavailablePolicies'>): { dropped: Array<{ startMs: number; errors: FieldError[] }> } {
    const nowMs = this.opts.clock.now();
    const dropped: Array<{ startMs: number; errors: FieldError[] }> = [];
    const slots: ScheduleSlot[] = [];
    for (const row of [...rows].sort((a, b) => a.startMs - b.startMs)) {
      if (row.endMs <= nowMs) continue;
      const parsed = parseFields(row.fields, ctx, { at: `slot ${new Date(row.startMs).toISOString()}`, isGroupLevelOnly: true });
      const last = slots[slots.length - 1];
      if (parsed.errors.length > 0 || !(row.startMs < row.endMs) || (last && row.startMs < last.endMs)) {
        dropped.push({ startMs: row.startMs, errors: parsed.errors.length ? parsed.errors : [{ field: 'slot', message: 'overlapping or empty slot' }] });
        continue;
      }
      slots.push({ startMs: row.startMs, endMs: row.endMs, signals: parsed.signals.filter((s) => s.policy !== 'fallback') });
    }
    this.slots = slots;
    this.arm();
    return { dropped };
  }

  activeAt(nowMs: number): { signals: ScheduleSlot['signals']; endMs: number } | null {
    const s = activeSlot(this.slots, nowMs);
    return s ? { signals: s.signals, endMs: s.endMs } : null;
  }

  summary(nowMs: number): ScheduleSummary {
    return summarize(this.slots, nowMs);
  }

  /** Slots not yet ended at `nowMs`, by start. */
  list(nowMs = this.opts.clock.now()): ScheduleSlot[] {
    return this.slots.filter((s) => s.endMs > nowMs);
  }

  /**
   * Applies a validated message as a whole [scheduled §Message]: merges (or replaces), refuses a
   * result above the slot limit (11), stores it durably (a storage failure answers 20 and changes
   * nothing), then swaps it in and re-arms the boundary timer.
   */
  apply(mode: ScheduleMode, incoming: readonly ScheduleSlot[]): Promise<ApplyResult> {
    const run = async (): Promise<ApplyResult> => {
      if (this.isClosed) return { ok: false, code: RESPONSE_CODES.INTERNAL_ERROR, errors: [{ field: '$', message: 'the controller is stopping; schedule not stored' }] };
      const nowMs = this.opts.clock.now();
      const next = mergeSlots(this.slots, incoming, mode, nowMs);
      if (next.length > this.maxSlots) {
        return {
          ok: false,
          code: RESPONSE_CODES.BAD_SHAPE,
          errors: [{ field: 'schedule', message: `after ${mode === 'merge' ? 'merging' : 'replacing'}, ${next.length} slots would be stored; at most ${this.maxSlots} can be (send mode "replace", or fewer slots)` }],
        };
      }
      if (this.opts.persist) {
        try {
          await this.opts.persist(next.map(rowOf));
        } catch (err) {
          return { ok: false, code: RESPONSE_CODES.INTERNAL_ERROR, errors: [{ field: '$', message: `the schedule could not be stored (${errorMessage(err)}); nothing changed` }] };
        }
      }
      this.slots = next;
      this.arm();
      return { ok: true, slots: next.length };
    };
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Called at every slot start and end (clock time), after the active slot changed. */
  onBoundary(listener: (atMs: number) => void): void {
    this.boundaryListeners.push(listener);
  }

  /** Stops the boundary timer and refuses further changes (after the one in progress). */
  async close(): Promise<void> {
    this.isClosed = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    await this.chain;
  }

  private arm(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.isClosed) return;
    const clock = this.opts.clock;
    const at = nextBoundaryMs(this.slots, clock.now());
    if (at === null) return;
    this.cancelTimer = clock.setTimer(at - clock.now(), () => {
      this.cancelTimer = null;
      const nowMs = clock.now();
      // A timer may fire a little early on a real clock: then only re-arm.
      if (nowMs >= at) {
        this.slots = this.slots.filter((s) => s.endMs > nowMs);
        for (const l of this.boundaryListeners) l(at);
      }
      this.arm();
    });
  }
}
