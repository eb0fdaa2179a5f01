import type { ScheduleSummary } from '../protocol/feedback.ts';
import type { ScheduleMode, ScheduleSlot } from '../protocol/schedule.ts';

/*
 * The stored schedule as a sorted list of slots that never overlap (a message's slots do not
 * overlap each other, and a merge removes every stored slot a new one overlaps). Pure functions
 * of (slots, time) [design principle 1].
 */

const overlaps = (a: { startMs: number; endMs: number }, b: { startMs: number; endMs: number }): boolean => a.startMs < b.endMs && b.startMs < a.endMs;

/**
 * The schedule after a message [scheduled §Message]: `replace` keeps only the new slots; `merge`
 * keeps the stored slots that overlap none of the new ones (a stored slot that overlaps is
 * removed whole, not trimmed) and adds the new. Slots that ended by `nowMs` are dropped.
 */
export function mergeSlots(stored: readonly ScheduleSlot[], incoming: readonly ScheduleSlot[], mode: ScheduleMode, nowMs: number): ScheduleSlot[] {
  const kept = mode === 'replace' ? [] : stored.filter((s) => s.endMs > nowMs && !incoming.some((n) => overlaps(s, n)));
  return [...kept, ...incoming.filter((s) => s.endMs > nowMs)].sort((a, b) => a.startMs - b.startMs);
}

/** Index of the last slot starting at or before `nowMs` (binary search), or -1. */
function lastStartedIndex(slots: readonly ScheduleSlot[], nowMs: number): number {
  let lo = 0;
  let hi = slots.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((slots[mid] as ScheduleSlot).startMs <= nowMs) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The slot running at `nowMs` (`startMs ≤ now < endMs`), or null. O(log n). */
export function activeSlot(slots: readonly ScheduleSlot[], nowMs: number): ScheduleSlot | null {
  const s = slots[lastStartedIndex(slots, nowMs)];
  return s && nowMs < s.endMs ? s : null;
}

/** The next time after `nowMs` when a slot starts or ends (the controller must run a cycle then), or null. */
export function nextBoundaryMs(slots: readonly ScheduleSlot[], nowMs: number): number | null {
  const i = lastStartedIndex(slots, nowMs);
  const current = slots[i];
  const candidates: number[] = [];
  if (current && current.endMs > nowMs) candidates.push(current.endMs);
  const next = slots[i + 1];
  if (next) candidates.push(next.startMs);
  return candidates.length ? Math.min(...candidates) : null;
}

/** `data.schedule` of the feedback [scheduled §Behaviour]: slots not yet ended, next start and end of the active one (Unix s). */
export function summarize(slots: readonly ScheduleSlot[], nowMs: number): ScheduleSummary {
  const i = lastStartedIndex(slots, nowMs);
  const current = slots[i];
  const active = current && nowMs < current.endMs ? current : null;
  const next = slots[i + 1];
  const remaining = slots.filter((s) => s.endMs > nowMs).length;
  return {
    slots: remaining,
    next_start: next ? Math.floor(next.startMs / 1000) : null,
    active_until: active ? Math.ceil(active.endMs / 1000) : null,
  };
}
