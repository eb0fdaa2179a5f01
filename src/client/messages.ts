import { CommandBuilder } from './command-builder.ts';
import type { RawFields } from './command-fields.ts';

/** The live command envelope exactly as it goes on the wire [live §3]. */
export interface CommandMessage {
  extraTags: { nodeId: string };
  /** Unix time in seconds when the message was sent; the feedback echoes it as `requestTime`. */
  time: number;
  fields: Record<string, unknown>;
}

/** Fields as a plain object or a builder (`cmd()…`). */
export type FieldsInput = RawFields | CommandBuilder;

/** Unix seconds (whole) of a time in ms; default now. */
export function unixTimeS(nowMs: number = Date.now()): number {
  return Math.floor(nowMs / 1000);
}

export function fieldsOf(input: FieldsInput): Record<string, unknown> {
  return input instanceof CommandBuilder ? input.toFields() : { ...input };
}

/**
 * The command envelope `{ extraTags: { nodeId }, time, fields }` [live §3].
 * `siteNodeId` is the site node, `<SN>_site_0`; `time` Unix seconds, default now.
 */
export function buildCommand(args: { siteNodeId: string; fields: FieldsInput; time?: number }): CommandMessage {
  const time = args.time ?? unixTimeS();
  if (!Number.isFinite(time)) throw new RangeError(`time must be Unix seconds, got ${time}`);
  return { extraTags: { nodeId: args.siteNodeId }, time, fields: fieldsOf(args.fields) };
}

/** One schedule slot [scheduled §Message]: Unix seconds, `start < end`; group-level fields only. */
export interface ScheduleSlotInput {
  start: number;
  end: number;
  fields: FieldsInput;
}

/** `merge` (the controller's default) replaces overlapping stored slots; `replace` deletes all first. */
export type ScheduleMode = 'merge' | 'replace';

export interface ScheduleInput {
  schedule: readonly ScheduleSlotInput[];
  /** Omitted = the controller's default, `merge`. */
  mode?: ScheduleMode;
  /** Unix seconds; default now. */
  time?: number;
  /** Default: the client's site. */
  extraTags?: { nodeId: string };
}

/** The schedule message exactly as it goes on the wire [scheduled §Message]. */
export interface ScheduleMessage {
  extraTags: { nodeId: string };
  time: number;
  mode?: ScheduleMode;
  schedule: Array<{ start: number; end: number; fields: Record<string, unknown> }>;
}

/**
 * Builds a schedule message. Only obvious mistakes are refused here (non-finite times,
 * `start ≥ end`); the controller validates the rest and answers with a response_code.
 */
export function buildSchedule(args: ScheduleInput & { siteNodeId: string }): ScheduleMessage {
  const time = args.time ?? unixTimeS();
  const schedule = args.schedule.map((slot, i) => {
    if (!Number.isFinite(slot.start) || !Number.isFinite(slot.end) || slot.start >= slot.end) {
      throw new RangeError(`schedule[${i}]: start (${slot.start}) must be before end (${slot.end}), both Unix seconds`);
    }
    return { start: slot.start, end: slot.end, fields: fieldsOf(slot.fields) };
  });
  const message: ScheduleMessage = { extraTags: args.extraTags ?? { nodeId: args.siteNodeId }, time, schedule };
  if (args.mode !== undefined) message.mode = args.mode;
  return message;
}
