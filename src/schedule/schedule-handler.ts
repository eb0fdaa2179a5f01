import { errorMessage } from '../core/errors.ts';
import type { CommandContext } from '../protocol/command.ts';
import type { Feedback } from '../protocol/feedback.ts';
import { RESPONSE_CODES, type FieldError, type ResponseCode } from '../protocol/response-codes.ts';
import { parseSchedule, type ScheduleParseResult } from '../protocol/schedule.ts';
import type { ScheduleStore } from './schedule-store.ts';

/** The slice of the Controller a schedule message needs. */
export interface ScheduleAnswerer {
  commandContext(nowMs: number): CommandContext;
  answer(req: { requestTime: unknown; code: ResponseCode; errors?: FieldError[] }): Promise<Feedback>;
}

export interface ScheduleOutcome {
  feedback: Feedback;
  code: ResponseCode;
  /** Stored (response_code < 10). */
  accepted: boolean;
}

/**
 * Handles one schedule message [scheduled §Message]: validates it as a whole, stores it durably
 * (merge or replace), then runs a cycle so a slot that is active now takes effect at once, and
 * answers with a feedback whose `requestTime` is the message's `time` and whose `data.schedule`
 * describes the stored schedule. Never throws.
 */
export async function handleScheduleMessage(payload: Buffer | string, deps: { controller: ScheduleAnswerer; schedules: ScheduleStore; nowMs: number }): Promise<ScheduleOutcome> {
  let parsed: ScheduleParseResult;
  try {
    parsed = parseSchedule(payload, deps.controller.commandContext(deps.nowMs));
  } catch (err) {
    parsed = { ok: false, code: RESPONSE_CODES.INTERNAL_ERROR, errors: [{ field: '$', message: `internal error: ${errorMessage(err)}` }], requestTime: null };
  }
  let code: ResponseCode;
  let errors: FieldError[];
  if (!parsed.ok) {
    code = parsed.code;
    errors = parsed.errors;
  } else {
    const applied = await deps.schedules.apply(parsed.mode, parsed.slots);
    if (applied.ok) {
      code = parsed.code;
      errors = parsed.warnings;
    } else {
      code = applied.code;
      errors = applied.errors;
    }
  }
  const feedback = await deps.controller.answer({ requestTime: parsed.requestTime, code, errors });
  return { feedback, code, accepted: code < 10 };
}
