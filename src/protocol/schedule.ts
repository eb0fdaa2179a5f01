import { z } from 'zod';
import {
  checkEnvelope,
  decodeJsonObject,
  describeValue,
  parseFields,
  requestTimeOf,
  toFiniteNumber,
  wireTimeToMs,
  worstCode,
  zodErrors,
  type CodedFieldError,
  type CommandContext,
  type CommandSignal,
} from './command.ts';
import { RESPONSE_CODES, type FieldError, type ResponseCode } from './response-codes.ts';

/*
 * Scheduled MQTT control [scheduled §Message]: the live envelope (`extraTags.nodeId`, `time`) plus
 * `mode` and `schedule`, a list of slots whose `fields` use the live vocabulary at group level.
 * A message is validated as a whole: either every slot in it, or a rejection with the
 * response_code of the most basic problem found [live §4.1] and every error listed.
 */

/** `merge` (default) replaces the stored slots that overlap the new ones; `replace` deletes all first. */
export const SCHEDULE_MODES = ['merge', 'replace'] as const;
export type ScheduleMode = (typeof SCHEDULE_MODES)[number];

/** The furthest a slot may end after the controller's now [scheduled §Message]: 7 days. */
export const SCHEDULE_HORIZON_MS = 7 * 24 * 3600 * 1000;
/** The most slots stored after a merge (and so the most one message may carry) [scheduled §Message]. */
export const MAX_SCHEDULE_SLOTS = 2000;
/** Payloads larger than this are refused before parsing: 2,000 slots × ~150 bytes fit with room. */
export const MAX_SCHEDULE_BYTES = 1024 * 1024;

const wireNumber = z.union([z.number(), z.string()]);

/** One slot on the wire: Unix seconds (numeric strings and ms accepted as for `time`), group-level `fields`. */
export const ScheduleSlotSchema = z
  .object({
    start: wireNumber,
    end: wireNumber,
    fields: z.record(z.string(), z.unknown()),
  })
  .catchall(z.unknown());

export const ScheduleMessageSchema = z.object({
  extraTags: z.object({ nodeId: z.string() }).catchall(z.unknown()),
  time: wireNumber,
  mode: z.string().optional(),
  schedule: z.array(ScheduleSlotSchema),
});
export type ScheduleMessageWire = z.infer<typeof ScheduleMessageSchema>;

/** A validated slot: ms bounds (`startMs < endMs`), the signals it applies, its fields in canonical form. */
export interface ScheduleSlot {
  /** Unix ms, inclusive. */
  startMs: number;
  /** Unix ms, exclusive. */
  endMs: number;
  /** Group-level signals (never `fallback`: a slot's `fallback` means "local default", i.e. no signal). */
  signals: CommandSignal[];
}

export interface ScheduleContext extends CommandContext {
  /** Furthest a slot may end after `nowMs`, ms. Default 7 days. */
  horizonMs?: number;
  /** Most slots one message may carry. Default 2,000. */
  maxSlots?: number;
}

export type ScheduleParseResult =
  | {
      ok: true;
      code: ResponseCode;
      timeMs: number;
      mode: ScheduleMode;
      /** Slots still to come or running, sorted by start (slots that already ended are dropped). */
      slots: ScheduleSlot[];
      warnings: FieldError[];
      requestTime: unknown;
    }
  | { ok: false; code: ResponseCode; errors: FieldError[]; requestTime: unknown };

const TOP_LEVEL_KEYS = ['extraTags', 'time', 'mode', 'schedule'];
const SLOT_KEYS = ['start', 'end', 'fields'];

function isoOf(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString().replace('.000Z', 'Z');
}

function slotTimeMs(value: unknown, at: string, errors: CodedFieldError[]): number | null {
  const n = toFiniteNumber(value);
  if (n === null) {
    errors.push({ code: RESPONSE_CODES.BAD_SHAPE, field: at, message: `expected Unix seconds as a finite number, got ${describeValue(value)}` });
    return null;
  }
  return wireTimeToMs(n);
}

/**
 * Parses and validates a schedule message as a whole [scheduled §Message]. Checks, in the live
 * response_code table [live §4.1]:
 * 10 not JSON · 11 shape, `mode`, `start ≥ end`, overlapping slots, more than `maxSlots` ·
 * 12 unknown keys or a device nodeId (schedules are group-level) · 13 policy (including ones the
 * controller cannot run yet, e.g. `cost`) · 14 site · 15 `time` too old / too new, or a slot
 * ending beyond the horizon · 16 remote control disabled.
 * Slots that already ended are ignored (reported as a warning, code 1). The 2,000-slot limit
 * after merging is checked where the stored schedule is (see store/schedule-store.ts).
 */
export function parseSchedule(payload: Buffer | string, ctx: ScheduleContext): ScheduleParseResult {
  const decoded = decodeJsonObject(payload, MAX_SCHEDULE_BYTES);
  if (!decoded.ok) return { ok: false, code: decoded.code, errors: decoded.errors, requestTime: requestTimeOf(decoded.value) };
  const raw = decoded.value;
  const requestTime = requestTimeOf(raw);
  const maxSlots = ctx.maxSlots ?? MAX_SCHEDULE_SLOTS;
  if (Array.isArray(raw.schedule) && raw.schedule.length > maxSlots) {
    return {
      ok: false,
      code: RESPONSE_CODES.BAD_SHAPE,
      errors: [{ field: 'schedule', message: `${raw.schedule.length} slots; at most ${maxSlots} can be stored` }],
      requestTime,
    };
  }
  const shape = ScheduleMessageSchema.safeParse(raw);
  if (!shape.success) return { ok: false, code: RESPONSE_CODES.BAD_SHAPE, errors: zodErrors(shape.error), requestTime };
  const message = shape.data;
  const checked = checkEnvelope(message, ctx);
  if (!checked.ok) return { ...checked, requestTime };

  const errors: CodedFieldError[] = [];
  const warnings: FieldError[] = [];
  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL_KEYS.includes(key)) warnings.push({ field: key, message: 'unknown top-level key ignored' });
  }
  let mode: ScheduleMode = 'merge';
  if (message.mode !== undefined) {
    const m = SCHEDULE_MODES.find((x) => x === message.mode?.trim().toLowerCase());
    if (m) mode = m;
    else errors.push({ code: RESPONSE_CODES.BAD_SHAPE, field: 'mode', message: `expected "merge" or "replace", got ${describeValue(message.mode)}` });
  }

  const horizonMs = ctx.horizonMs ?? SCHEDULE_HORIZON_MS;
  const latestEndMs = ctx.nowMs + horizonMs;
  const parsed: Array<ScheduleSlot & { index: number }> = [];
  message.schedule.forEach((slot, index) => {
    const at = `schedule.${index}`;
    for (const key of Object.keys(slot)) {
      if (!SLOT_KEYS.includes(key)) warnings.push({ field: `${at}.${key}`, message: 'unknown slot key ignored' });
    }
    const startMs = slotTimeMs(slot.start, `${at}.start`, errors);
    const endMs = slotTimeMs(slot.end, `${at}.end`, errors);
    const fields = parseFields(slot.fields, ctx, { at: `${at}.fields`, isGroupLevelOnly: true });
    errors.push(...fields.errors);
    warnings.push(...fields.warnings);
    if (startMs === null || endMs === null) return;
    if (startMs >= endMs) {
      errors.push({ code: RESPONSE_CODES.BAD_SHAPE, field: `${at}.end`, message: `end (${isoOf(endMs)}) must be after start (${isoOf(startMs)})` });
      return;
    }
    if (endMs > latestEndMs) {
      errors.push({
        code: RESPONSE_CODES.BAD_TIME,
        field: `${at}.end`,
        message: `ends ${isoOf(endMs)}, beyond the ${horizonMs / 3_600_000} h horizon (latest ${isoOf(latestEndMs)})`,
      });
      return;
    }
    // [live §3.1] `fallback` hands a component to the lower-priority regime: in a slot, its local default.
    const signals = fields.signals.filter((s) => s.policy !== 'fallback');
    parsed.push({ startMs, endMs, signals, index });
  });

  const byStart = [...parsed].sort((a, b) => a.startMs - b.startMs || a.index - b.index);
  for (let i = 1; i < byStart.length; i++) {
    const prev = byStart[i - 1];
    const cur = byStart[i];
    if (prev && cur && cur.startMs < prev.endMs) {
      errors.push({
        code: RESPONSE_CODES.BAD_SHAPE,
        field: `schedule.${cur.index}`,
        message: `overlaps schedule.${prev.index} (${isoOf(prev.startMs)}–${isoOf(prev.endMs)}); slots in one message must not overlap`,
      });
    }
  }
  if (errors.length > 0) return { ok: false, code: worstCode(errors), errors: errors.map(({ field, message }) => ({ field, message })), requestTime };

  const slots: ScheduleSlot[] = [];
  for (const s of byStart) {
    if (s.endMs <= ctx.nowMs) {
      warnings.push({ field: `schedule.${s.index}`, message: `ended ${isoOf(s.endMs)}; ignored` });
      continue;
    }
    slots.push({ startMs: s.startMs, endMs: s.endMs, signals: s.signals });
  }
  return {
    ok: true,
    code: warnings.length ? RESPONSE_CODES.PARTLY_IGNORED : RESPONSE_CODES.OK,
    timeMs: checked.timeMs,
    mode,
    slots,
    warnings,
    requestTime,
  };
}

/** A slot's signals as canonical wire fields (`storage_policy: "setpoint"`, …), for storage and display. */
export function slotFields(signals: readonly CommandSignal[]): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const s of signals) {
    const prefix = s.target.kind === 'component' ? s.target.component : s.target.nodeId;
    out[`${prefix}_policy`] = s.policy;
    if (s.setpointW !== undefined) out[`${prefix}_power_setpoint_w`] = s.setpointW;
  }
  return out;
}
