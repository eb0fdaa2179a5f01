import { isComponent } from '../protocol/components.ts';
import { fieldsOf, type FieldsInput, type ScheduleInput, type ScheduleMode, type ScheduleSlotInput } from './messages.ts';

/*
 * A typed way to write a schedule [scheduled §Message]:
 *
 *   const input = schedule()
 *     .slot(at('2025-11-26T00:00:00Z'), at('2025-11-26T00:15:00Z'), cmd().storage.setpoint(3000))
 *     .every(quarterHourS, 900, [cmd().storage.setpoint(3000), null, cmd().solar.feedInLimitation()])
 *     .replace()
 *     .build();
 *   const feedback = await client.sendSchedule(input);
 *
 * What the builder can know is checked before anything is sent (RangeError naming the slot):
 * finite times, start < end, no two slots overlapping, at most 2,000 slots, group-level fields only.
 * What depends on the controller (its clock for the 7-day horizon, its devices, the policies it
 * can run) is answered by its feedback's response_code.
 */

/** A point in time: Unix seconds, or a Date. */
export type TimeInput = number | Date;

/** The controller stores at most this many slots [scheduled §Message]. */
export const MAX_SLOTS = 2000;

/** Unix seconds (whole) of a TimeInput. */
export function toUnixS(t: TimeInput): number {
  const s = t instanceof Date ? t.getTime() / 1000 : t;
  if (!Number.isFinite(s)) throw new RangeError(`expected a time (Unix seconds or a Date), got ${String(t)}`);
  return Math.floor(s);
}

/** Unix seconds of an ISO 8601 time, e.g. `at('2025-11-26T00:15:00Z')`. */
export function at(iso: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new RangeError(`"${iso}" is not an ISO 8601 time`);
  return Math.floor(ms / 1000);
}

function checkGroupLevel(index: number, fields: Record<string, unknown>): void {
  for (const key of Object.keys(fields)) {
    const prefix = key.replace(/_(policy|power_setpoint_w)$/, '');
    if (!isComponent(prefix)) {
      throw new RangeError(`slot ${index}: "${key}" is not a group-level key; schedules control components (solar, storage, heat_pump, switched_load, variable_power_load, site), not devices`);
    }
  }
}

export class ScheduleBuilder {
  readonly #slots: ScheduleSlotInput[] = [];
  #mode: ScheduleMode | undefined;

  /** Adds one slot from `start` (inclusive) to `end` (exclusive); `fields` like a live command's (group level). */
  slot(start: TimeInput, end: TimeInput, fields: FieldsInput): this {
    const s = toUnixS(start);
    const e = toUnixS(end);
    const index = this.#slots.length;
    if (s >= e) throw new RangeError(`slot ${index}: start (${s}) must be before end (${e}), both Unix seconds`);
    const f = fieldsOf(fields);
    checkGroupLevel(index, f);
    const clash = this.#slots.findIndex((x) => x.start < e && s < x.end);
    if (clash >= 0) throw new RangeError(`slot ${index} (${s}–${e}) overlaps slot ${clash} (${this.#slots[clash]?.start}–${this.#slots[clash]?.end}); slots in one message must not overlap`);
    if (this.#slots.length >= MAX_SLOTS) throw new RangeError(`at most ${MAX_SLOTS} slots`);
    this.#slots.push({ start: s, end: e, fields: f });
    return this;
  }

  /** Adds one slot of `durationS` seconds from `start`. */
  slotFor(start: TimeInput, durationS: number, fields: FieldsInput): this {
    if (!(durationS > 0)) throw new RangeError(`durationS must be > 0, got ${durationS}`);
    return this.slot(start, toUnixS(start) + durationS, fields);
  }

  /**
   * Back-to-back slots of `slotS` seconds from `start`, one per entry; `null` leaves that period
   * out (the local default runs). E.g. a day of quarter hours: `every(midnight, 900, plan96)`.
   */
  every(start: TimeInput, slotS: number, plan: ReadonlyArray<FieldsInput | null>): this {
    const s0 = toUnixS(start);
    plan.forEach((fields, i) => {
      if (fields !== null) this.slotFor(s0 + i * slotS, slotS, fields);
    });
    return this;
  }

  /** Stored slots that overlap these are replaced; the rest are kept (the controller's default). */
  merge(): this {
    this.#mode = 'merge';
    return this;
  }

  /** Every stored slot is deleted first. `replace()` with no slot clears the schedule. */
  replace(): this {
    this.#mode = 'replace';
    return this;
  }

  /** Slots so far, by start. */
  get slots(): readonly ScheduleSlotInput[] {
    return [...this.#slots].sort((a, b) => a.start - b.start);
  }

  /** What `GridpilotClient.sendSchedule` takes. `time` (Unix s) defaults to the client's now. */
  build(opts: { time?: number } = {}): ScheduleInput {
    const input: ScheduleInput = { schedule: this.slots };
    if (this.#mode !== undefined) input.mode = this.#mode;
    if (opts.time !== undefined) input.time = opts.time;
    return input;
  }
}

/** Starts a schedule: `schedule().slot(start, end, cmd().storage.setpoint(3000)).build()`. */
export function schedule(): ScheduleBuilder {
  return new ScheduleBuilder();
}

/** A message that clears the stored schedule (`mode: replace`, no slot). */
export function clearSchedule(): ScheduleInput {
  return { mode: 'replace', schedule: [] };
}
