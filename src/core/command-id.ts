import { randomUUID } from 'node:crypto';

/**
 * The id the controller gives every message it receives (live command, schedule, price message)
 * on arrival: a random UUID (RFC 4122 v4), unique across restarts and controllers. Its log lines
 * carry it as `commandId` and its command-log row as `command_id`, so an operator can go from one
 * to the other; the feedback is found by the row's `requestTime` and topic (the wire format has no
 * id field [live §4]).
 */
export function newCommandId(): string {
  return randomUUID();
}
