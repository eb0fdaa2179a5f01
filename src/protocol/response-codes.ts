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
  15: 'time too old or too far in the future',
  16: 'remote control is disabled for this component/device in the controller\'s configuration',
  20: 'internal error (the command was not applied; the controller keeps running)',
};

/** One problem found in a message: which field, and what is wrong with it [live §4 decided extension]. */
export interface FieldError {
  field: string;
  message: string;
}
