import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import type { CommandContext, CommandSignal } from '../../src/protocol/command.ts';
import type { ScheduleSlot } from '../../src/protocol/schedule.ts';
import { activeSlot, mergeSlots, nextBoundaryMs, summarize } from '../../src/schedule/schedule-book.ts';
import { ScheduleStore } from '../../src/schedule/schedule-store.ts';
import type { ScheduleRow } from '../../src/store/schedule-rows.ts';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const MIN = 60_000;
const storage = (w: number): CommandSignal[] => [{ target: { kind: 'component', component: 'storage' }, policy: 'setpoint', setpointW: w }];
const slot = (fromMin: number, toMin: number, w = 1000): ScheduleSlot => ({ startMs: T0 + fromMin * MIN, endMs: T0 + toMin * MIN, signals: storage(w) });
const setpointOf = (s: ScheduleSlot | null | undefined): number | undefined => s?.signals[0]?.setpointW;
const ctx: Pick<CommandContext, 'devices' | 'isRemoteEnabled' | 'unavailablePolicies'> = { devices: new Map(), isRemoteEnabled: true, unavailablePolicies: new Map([['cost', 'not yet']]) };

describe('the schedule book (pure)', () => {
  it('merge replaces the stored slots that overlap a new one, whole, and keeps the rest', () => {
    const stored = [slot(0, 15, 1), slot(15, 30, 2), slot(30, 45, 3), slot(45, 60, 4)];
    const merged = mergeSlots(stored, [slot(20, 35, 9)], 'merge', T0);
    assert.deepEqual(merged.map(setpointOf), [1, 9, 4]);
  });

  it('a slot that only touches another does not overlap it', () => {
    const merged = mergeSlots([slot(0, 15, 1), slot(30, 45, 3)], [slot(15, 30, 2)], 'merge', T0);
    assert.deepEqual(merged.map(setpointOf), [1, 2, 3]);
  });

  it('replace keeps only the new slots; ended slots are dropped either way', () => {
    assert.deepEqual(mergeSlots([slot(0, 15, 1)], [slot(30, 45, 3)], 'replace', T0).map(setpointOf), [3]);
    assert.deepEqual(mergeSlots([slot(0, 15, 1), slot(20, 30, 2)], [], 'merge', T0 + 16 * MIN).map(setpointOf), [2]);
  });

  it('finds the active slot (start inclusive, end exclusive), the next boundary and the summary', () => {
    const slots = [slot(10, 20, 1), slot(20, 30, 2), slot(40, 50, 3)];
    assert.equal(activeSlot(slots, T0), null);
    assert.equal(setpointOf(activeSlot(slots, T0 + 10 * MIN)), 1);
    assert.equal(setpointOf(activeSlot(slots, T0 + 20 * MIN)), 2);
    assert.equal(activeSlot(slots, T0 + 30 * MIN), null);
    assert.equal(nextBoundaryMs(slots, T0), T0 + 10 * MIN);
    assert.equal(nextBoundaryMs(slots, T0 + 25 * MIN), T0 + 30 * MIN);
    assert.equal(nextBoundaryMs(slots, T0 + 30 * MIN), T0 + 40 * MIN);
    assert.equal(nextBoundaryMs(slots, T0 + 50 * MIN), null);
    assert.deepEqual(summarize(slots, T0 + 25 * MIN), { slots: 2, next_start: (T0 + 40 * MIN) / 1000, active_until: (T0 + 30 * MIN) / 1000 });
    assert.deepEqual(summarize([], T0), { slots: 0, next_start: null, active_until: null });
  });
});

describe('ScheduleStore', () => {
  function make(persist: ((rows: ScheduleRow[]) => Promise<void>) | null = null) {
    const clock = new FakeClock(T0);
    const store = new ScheduleStore({ clock, persist, maxSlots: 10 });
    const boundaries: number[] = [];
    store.onBoundary((at) => boundaries.push(at));
    return { clock, store, boundaries };
  }

  it('fires a boundary at each slot start and end, on the clock', async () => {
    const { clock, store, boundaries } = make();
    assert.deepEqual(await store.apply('merge', [slot(10, 20), slot(20, 30), slot(40, 50)]), { ok: true, slots: 3 });
    clock.advance(60 * MIN);
    assert.deepEqual(
      boundaries.map((b) => (b - T0) / MIN),
      [10, 20, 30, 40, 50],
    );
    assert.equal(clock.pendingTimers(), 0);
  });

  it('persists before it swaps: a storage failure answers 20 and changes nothing', async () => {
    let fail = false;
    const saved: ScheduleRow[][] = [];
    const { store } = make(async (rows) => {
      if (fail) throw new Error('disk full');
      saved.push(rows);
    });
    await store.apply('merge', [slot(10, 20, 1)]);
    fail = true;
    const r = await store.apply('replace', [slot(30, 40, 2)]);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.code === 20 && /disk full/.test(r.errors[0]?.message ?? ''));
    assert.deepEqual(store.list().map(setpointOf), [1]);
    assert.deepEqual(saved, [[{ startMs: T0 + 10 * MIN, endMs: T0 + 20 * MIN, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: 1 } }]]);
  });

  it('refuses a merge that would store more than the limit with 11, and keeps the schedule', async () => {
    const { store } = make();
    await store.apply('merge', Array.from({ length: 8 }, (_, i) => slot(i * 10, i * 10 + 10, i)));
    const r = await store.apply('merge', [slot(200, 210), slot(210, 220), slot(220, 230)]);
    assert.ok(!r.ok && r.code === 11, JSON.stringify(r));
    assert.equal(store.list().length, 8);
    assert.equal((await store.apply('replace', [slot(200, 210), slot(210, 220), slot(220, 230)])).ok, true);
    assert.equal(store.list().length, 3);
  });

  it('serializes changes: concurrent merges all land', async () => {
    const { store } = make(async () => {
      await new Promise((r) => setImmediate(r));
    });
    await Promise.all([store.apply('merge', [slot(0, 10, 1)]), store.apply('merge', [slot(10, 20, 2)]), store.apply('merge', [slot(20, 30, 3)])]);
    assert.deepEqual(store.list().map(setpointOf), [1, 2, 3]);
  });

  it('loads stored rows again, dropping ended ones and those the configuration no longer allows', () => {
    const { clock, store, boundaries } = make();
    clock.advance(5 * MIN);
    const { dropped } = store.load(
      [
        { startMs: T0, endMs: T0 + 4 * MIN, fields: { storage_policy: 'off' } },
        { startMs: T0 + 4 * MIN, endMs: T0 + 10 * MIN, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: 500 } },
        { startMs: T0 + 10 * MIN, endMs: T0 + 20 * MIN, fields: { storage_policy: 'cost' } },
      ],
      ctx,
    );
    assert.equal(dropped.length, 1);
    assert.equal(setpointOf(store.activeAt(clock.now()) as ScheduleSlot | null), 500);
    clock.advance(5 * MIN);
    assert.deepEqual(boundaries, [T0 + 10 * MIN]);
    assert.equal(store.activeAt(clock.now()), null);
  });
});
