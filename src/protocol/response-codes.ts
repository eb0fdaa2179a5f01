/** The response_code table [live §4.1, decided]. */
export const RESPONSE_CODES = {
  OK: 0,
  PARTLY_IGNORED: 1,
  NOT_JSON: 10,
  BAD_SHAPE: 11,
  UNKNOWN_FIELD: 12,
  BAD_POLICY: 13,
  WRONG_SITE: 14,
  BAD_TIME: 15,
  REMOTE_DISABLED: 16,
  INTERNAL_ERROR: 20,
} as const;
export type ResponseCode = (typeof RESPONSE_CODES)[keyof typeof RESPONSE_CODES];

export const RESPONSE_CODE_MEANING: Record<ResponseCode, string> = {
  0: 'command accepted and applied (setpoints may still be clipped; see executed_power_W)',
  1: 'accepted, but part of it was ignored; see data.errors',
  10: 'payload is not valid JSON or not an object',
  11: 'wrong message shape or types',
  12: 'unknown component, field or device nodeId',
  13: 'policy not valid for that component, or a required setpoint is missing',
  14: 'extraTags.nodeId is not this controller\'s site',
  15: 'time too old or too far in the future, or older than the last command applied (a retained replay: not newer)',
  16: 'remote control is disabled for this component/device in the controller\'s configuration',
  20: 'internal error (the command was not applied; the controller keeps running)',
};

/** One problem found in a message: which field, and what is wrong with it [live §4 decided extension]. */
export interface FieldError {
  field: string;
  message: string;
}

/** At most this many problems are listed in a feedback's `data.errors` (and the command log); the rest are counted. */
export const MAX_LISTED_ERRORS = 20;
/** Longest `field` or `message` of one listed problem, characters (a 60 KB key stays out of the answer). */
export const MAX_ERROR_TEXT_CHARS = 200;

function clip(text: string): string {
  return text.length > MAX_ERROR_TEXT_CHARS ? `${text.slice(0, MAX_ERROR_TEXT_CHARS - 1)}…` : text;
}

/**
 * The bounded list of problems an answer carries [docs/protocol.md § Feedback, decided]: the first
 * {@link MAX_LISTED_ERRORS}, each `field`/`message` clipped to {@link MAX_ERROR_TEXT_CHARS}, then one
 * entry `{ field: "$", message: "… and 4,980 more" }` counting the rest. A list within the limit is
 * returned as it is (the same array).
 */
export function capErrors(errors: readonly FieldError[], max = MAX_LISTED_ERRORS): FieldError[] {
  const isShort = errors.length <= max && errors.every((e) => e.field.length <= MAX_ERROR_TEXT_CHARS && e.message.length <= MAX_ERROR_TEXT_CHARS);
  if (isShort) return errors as FieldError[];
  const listed = errors.slice(0, max).map((e) => ({ field: clip(e.field), message: clip(e.message) }));
  const rest = errors.length - listed.length;
  if (rest > 0) listed.push({ field: '$', message: `… and ${rest.toLocaleString('en-US')} more` });
  return listed;
}
