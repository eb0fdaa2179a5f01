import type { Database } from 'better-sqlite3';
import { createHash } from 'node:crypto';
import type { Feedback } from '../protocol/feedback.ts';
import { capErrors, type FieldError } from '../protocol/response-codes.ts';

/**
 * The command log: every live command, schedule and price message the controller received, with the
 * response_code it answered and what was executed as a result. An entry is written (durably)
 * before the feedback that answers the message is published.
 */

/**
 * At most this much of a payload is kept, bytes (a command is a few hundred; a schedule or a price
 * message can be far larger): the excerpt, with the payload's whole size and SHA-256, bounds a row
 * whatever arrives (docs/protocol.md § Command log).
 */
export const MAX_LOGGED_PAYLOAD_BYTES = 4 * 1024;

export type LoggedMessageKind = 'command' | 'schedule' | 'prices';

/** Where a message came in: the MQTT link or the web API (both take the same path). */
export type MessageSource = 'mqtt' | 'web';

/** What one component executed after the message was processed (from the feedback's state). */
export interface ExecutedComponent {
  /** Canonical executed policy. */
  policy: string;
  /** W the controller asked of the assets (wire signs: storage + charge). */
  executedW: number;
  /** Which signal drove it: a live command, the schedule, or the local default. */
  activeSignal?: string;
}

/** What was executed, per component (feedback keys: `variable_load` is the EV group). */
export interface ExecutedSummary {
  components: Record<string, ExecutedComponent>;
  /** Export limit in force, W. */
  exportLimitW: number | null;
  /** The stored schedule's summary, for schedule messages. */
  schedule?: { slots: number; next_start: number | null; active_until: number | null };
  /** What an accepted price message stored: its slots, first start and last end, Unix ms. */
  prices?: PricesLogSummary;
}

export interface PricesLogSummary {
  slots: number;
  fromMs: number;
  toMs: number;
}

export interface CommandLogEntry {
  /**
   * The id the controller gave the message when it arrived (`newCommandId()`): the same `commandId`
   * is on its log lines, so a log line and its row find each other. Null on rows stored before ids existed.
   */
  commandId?: string | null;
  /** When the message arrived, Unix ms (controller clock). */
  receivedAtMs: number;
  /** When its feedback was built, Unix ms. */
  answeredAtMs: number;
  kind: LoggedMessageKind;
  /** MQTT topic it came on (subscribers cannot see the sender's clientId); for the web API, its route (`POST /api/command`). */
  topic: string;
  /** Where it came in; rows stored before schema 6 read as `mqtt`. */
  source?: MessageSource;
  /** Who sent it from the web (the session's user name); null over MQTT (the broker authenticated the sender). */
  actor?: string | null;
  /** A live command that was applied: its `time`, Unix ms (the ordering rule's "last applied"); null otherwise. */
  appliedTimeMs?: number | null;
  isRetained: boolean;
  /** The message's `time` as sent (the feedback's requestTime), or null when unreadable. */
  requestTime: number | string | null;
  /** UTF-8 text of the payload, truncated to MAX_LOGGED_PAYLOAD_BYTES (at a character boundary). */
  payload: string;
  /** Payload size before truncation, bytes. */
  payloadBytes: number;
  /** SHA-256 of the whole payload, lowercase hex (identifies a payload the excerpt cuts); null in rows stored before schema 4. */
  payloadSha256?: string | null;
  responseCode: number;
  errors: FieldError[];
  executed: ExecutedSummary | null;
}

export interface CommandLogRow extends Omit<CommandLogEntry, 'payloadSha256' | 'commandId' | 'source' | 'actor' | 'appliedTimeMs'> {
  id: number;
  commandId: string | null;
  payloadSha256: string | null;
  source: MessageSource;
  actor: string | null;
  appliedTimeMs: number | null;
}

const GROUP_KEYS = ['storage', 'solar', 'heat_pump', 'switched_load', 'variable_load'] as const;

/** The executed policies and powers from a feedback message [live §4]. */
export function executedOf(feedback: Feedback): ExecutedSummary | null {
  const state = (feedback.data as { state?: Feedback['data']['state'] }).state;
  if (!state) return null; // a fallback answer without state (no cycle ever succeeded)
  const components: Record<string, ExecutedComponent> = {};
  for (const key of GROUP_KEYS) {
    const g = state[key];
    components[key] = {
      policy: g.executed_policy,
      executedW: g.executed_power_W,
      ...(g.active_signal !== undefined ? { activeSignal: g.active_signal } : {}),
    };
  }
  const summary: ExecutedSummary = { components, exportLimitW: state.grid.export_limit_W };
  if (feedback.data.schedule) summary.schedule = feedback.data.schedule;
  return summary;
}

/** The first MAX_LOGGED_PAYLOAD_BYTES of a payload as text, never cutting a UTF-8 character in two. */
export function payloadExcerpt(bytes: Buffer, maxBytes = MAX_LOGGED_PAYLOAD_BYTES): string {
  if (bytes.length <= maxBytes) return bytes.toString('utf8');
  let end = maxBytes;
  // Back off over continuation bytes (10xxxxxx) to the start of the character the cut falls in.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** Builds a log entry for a message and the feedback that answers it. */
export function commandLogEntry(args: {
  /** The message's id (its log lines carry it too). */
  commandId?: string;
  kind: LoggedMessageKind;
  payload: Buffer | string;
  topic: string;
  isRetained?: boolean;
  source?: MessageSource;
  actor?: string | null;
  /** A live command that was applied: its `time`, Unix ms. */
  appliedTimeMs?: number | null;
  receivedAtMs: number;
  answeredAtMs: number;
  feedback: Feedback;
  /** For an accepted price message: what it stored. */
  prices?: PricesLogSummary;
}): CommandLogEntry {
  let executed = executedOf(args.feedback);
  if (args.prices) executed = { ...(executed ?? { components: {}, exportLimitW: null }), prices: args.prices };
  const bytes = typeof args.payload === 'string' ? Buffer.from(args.payload) : args.payload;
  const rt = args.feedback.requestTime;
  return {
    ...(args.commandId !== undefined ? { commandId: args.commandId } : {}),
    receivedAtMs: args.receivedAtMs,
    answeredAtMs: args.answeredAtMs,
    kind: args.kind,
    topic: args.topic,
    isRetained: args.isRetained ?? false,
    ...(args.source !== undefined ? { source: args.source } : {}),
    ...(args.actor !== undefined ? { actor: args.actor } : {}),
    ...(args.appliedTimeMs !== undefined ? { appliedTimeMs: args.appliedTimeMs } : {}),
    requestTime: typeof rt === 'number' || typeof rt === 'string' ? rt : null,
    payload: payloadExcerpt(bytes),
    payloadBytes: bytes.length,
    payloadSha256: createHash('sha256').update(bytes).digest('hex'),
    responseCode: args.feedback.data.response_code,
    errors: capErrors(args.feedback.data.errors ?? []),
    executed,
  };
}

export function insertCommand(db: Database, e: CommandLogEntry): number {
  const columns: string[] = ['received_at_ms', 'answered_at_ms', 'kind', 'topic', 'is_retained', 'request_time', 'payload', 'payload_bytes', 'response_code', 'errors_json', 'executed_json'];
  const values: Array<string | number | null> = [
    e.receivedAtMs,
    e.answeredAtMs,
    e.kind,
    e.topic,
    e.isRetained ? 1 : 0,
    e.requestTime === null ? null : JSON.stringify(e.requestTime),
    e.payload,
    e.payloadBytes,
    e.responseCode,
    e.errors.length ? JSON.stringify(e.errors) : null,
    e.executed ? JSON.stringify(e.executed) : null,
  ];
  // Columns of later schemas only when given (tools and migration tests write older databases too).
  if (e.commandId !== undefined && e.commandId !== null) {
    columns.push('command_id');
    values.push(e.commandId);
  }
  if (e.payloadSha256 !== undefined && e.payloadSha256 !== null) {
    columns.push('payload_sha256');
    values.push(e.payloadSha256);
  }
  if (e.source !== undefined) {
    columns.push('source');
    values.push(e.source);
  }
  if (e.actor !== undefined && e.actor !== null) {
    columns.push('actor');
    values.push(e.actor);
  }
  if (e.appliedTimeMs !== undefined && e.appliedTimeMs !== null) {
    columns.push('applied_time_ms');
    values.push(e.appliedTimeMs);
  }
  const info = db.prepare(`INSERT INTO command_log (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).run(...values);
  return Number(info.lastInsertRowid);
}

interface RawCommandRow {
  id: number;
  command_id: string | null;
  received_at_ms: number;
  answered_at_ms: number;
  kind: LoggedMessageKind;
  topic: string;
  is_retained: number;
  request_time: string | null;
  payload: string;
  payload_bytes: number;
  payload_sha256: string | null;
  source?: string | null;
  actor?: string | null;
  applied_time_ms?: number | null;
  response_code: number;
  errors_json: string | null;
  executed_json: string | null;
}

function parseJsonOr<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function commandRowOf(r: RawCommandRow): CommandLogRow {
  return {
    id: r.id,
    commandId: r.command_id ?? null,
    receivedAtMs: r.received_at_ms,
    answeredAtMs: r.answered_at_ms,
    kind: r.kind,
    topic: r.topic,
    isRetained: r.is_retained === 1,
    requestTime: parseJsonOr<number | string | null>(r.request_time, null),
    payload: r.payload,
    payloadBytes: r.payload_bytes,
    payloadSha256: r.payload_sha256 ?? null,
    source: r.source === 'web' ? 'web' : 'mqtt',
    actor: r.actor ?? null,
    appliedTimeMs: r.applied_time_ms ?? null,
    responseCode: r.response_code,
    errors: parseJsonOr<FieldError[]>(r.errors_json, []),
    executed: parseJsonOr<ExecutedSummary | null>(r.executed_json, null),
  };
}

export type { RawCommandRow };
