import { z } from 'zod';
import { COMPONENTS, isComponent, type Component, type DeviceGroup } from './components.ts';
import { parsePolicy, SETPOINT_POLICIES, type Policy } from './policies.ts';
import { decodeJsonObject as decodeJson, type DecodeResult } from './json-input.ts';
import { RESPONSE_CODES, type FieldError, type ResponseCode } from './response-codes.ts';

/**
 * The live command envelope [live §3]. `fields` values are strings (policies) or numbers
 * (setpoints); numeric strings are accepted for `time` and setpoints [decided: the original
 * quotes numbers in places].
 */
export const CommandEnvelopeSchema = z.object({
  extraTags: z.object({ nodeId: z.string() }).catchall(z.unknown()),
  time: z.union([z.number(), z.string()]),
  fields: z.record(z.string(), z.unknown()),
});
export type CommandEnvelope = z.infer<typeof CommandEnvelopeSchema>;

/** Which asset a signal addresses: a whole component, or one device by nodeId [live §3.2]. */
export type SignalTarget = { kind: 'component'; component: Component } | { kind: 'device'; nodeId: string; group: DeviceGroup };

export interface CommandSignal {
  target: SignalTarget;
  policy: Policy;
  /** W; sign per component (storage + charge). Present for `setpoint`/`limit`. */
  setpointW?: number;
}

export interface DeviceInfo {
  group: DeviceGroup;
  /** Whether the remote signal includes this device [live §5 step 3]. */
  isRemoteEnabled: boolean;
}

export interface CommandContext {
  siteNodeId: string;
  /** Devices by nodeId. */
  devices: ReadonlyMap<string, DeviceInfo>;
  /** Whether remote control is enabled at all. */
  isRemoteEnabled: boolean;
  nowMs: number;
  /** Oldest accepted `time` (ms before now) [live §3.3 rule 7]; default: the fallback timeout. */
  maxAgeMs: number;
  /** Furthest accepted `time` in the future, ms. Default 5 minutes. */
  maxFutureMs: number;
  /** Policies this controller cannot run (yet), with why; answered with 13. */
  unavailablePolicies?: ReadonlyMap<Policy, string>;
  /**
   * `time` of the newest non-empty command applied so far, Unix ms; null or absent before any.
   * A command older than it is rejected with 15 [docs/protocol.md § Rules, decided: ordering].
   */
  lastAppliedTimeMs?: number | null;
  /** The message is a retained one the broker replayed at subscribe time: not newer than `lastAppliedTimeMs` is 15. */
  isRetained?: boolean;
}

export type ParseResult =
  | { ok: true; code: ResponseCode; timeMs: number; isEmpty: boolean; signals: CommandSignal[]; warnings: FieldError[]; requestTime: unknown }
  | { ok: false; code: ResponseCode; errors: FieldError[]; requestTime: unknown };

/** Payloads larger than this are rejected before parsing (a command is a few hundred bytes). */
export const MAX_COMMAND_BYTES = 64 * 1024;

const NUMERIC_TEXT = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

/** A short, safe description of any JSON value for an error message (never recurses deeply). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `an array (${value.length} items)`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

/** A finite number from a number or a numeric string; null otherwise (NaN, "Infinity", true, {} …). */
export function toFiniteNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && NUMERIC_TEXT.test(value)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** Unix seconds or milliseconds to ms [live §3 decided: a value above 10^11 is milliseconds]. */
export function wireTimeToMs(time: number): number {
  return Math.abs(time) > 1e11 ? time : time * 1000;
}

/** Decodes bytes into a JSON object (see json-input.ts); live commands are limited to {@link MAX_COMMAND_BYTES}. */
export function decodeJsonObject(payload: Buffer | string, maxBytes = MAX_COMMAND_BYTES): DecodeResult {
  return decodeJson(payload, maxBytes);
}

/** A message's `time` as sent, to echo as the feedback's `requestTime`; null when absent or not a number/string. */
export function requestTimeOf(raw: Record<string, unknown> | undefined): number | string | null {
  const t = raw?.['time'];
  return typeof t === 'number' || typeof t === 'string' ? t : null;
}

/** Checks `extraTags.nodeId` and `time` of an envelope (shared by live commands and schedules). */
export function checkEnvelope(
  envelope: { extraTags: { nodeId: string }; time: number | string },
  ctx: Pick<CommandContext, 'siteNodeId' | 'nowMs' | 'maxAgeMs' | 'maxFutureMs'>,
): { ok: true; timeMs: number } | { ok: false; code: ResponseCode; errors: FieldError[] } {
  if (envelope.extraTags.nodeId !== ctx.siteNodeId) {
    return {
      ok: false,
      code: RESPONSE_CODES.WRONG_SITE,
      errors: [{ field: 'extraTags.nodeId', message: `"${envelope.extraTags.nodeId}" is not this controller's site; expected "${ctx.siteNodeId}"` }],
    };
  }
  const time = toFiniteNumber(envelope.time);
  if (time === null) {
    return { ok: false, code: RESPONSE_CODES.BAD_SHAPE, errors: [{ field: 'time', message: `expected Unix seconds as a finite number, got ${describeValue(envelope.time)}` }] };
  }
  const timeMs = wireTimeToMs(time);
  if (timeMs < ctx.nowMs - ctx.maxAgeMs) {
    const ageS = Math.round((ctx.nowMs - timeMs) / 1000);
    return {
      ok: false,
      code: RESPONSE_CODES.BAD_TIME,
      errors: [{ field: 'time', message: `message is ${ageS} s old; the limit is ${ctx.maxAgeMs / 1000} s (send the current Unix time, e.g. $(date +%s))` }],
    };
  }
  if (timeMs > ctx.nowMs + ctx.maxFutureMs) {
    const aheadS = Math.round((timeMs - ctx.nowMs) / 1000);
    return { ok: false, code: RESPONSE_CODES.BAD_TIME, errors: [{ field: 'time', message: `message is ${aheadS} s in the future; the limit is ${ctx.maxFutureMs / 1000} s` }] };
  }
  return { ok: true, timeMs };
}

export function zodErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ field: issue.path.length ? issue.path.join('.') : '$', message: issue.message }));
}

type KeyInfo = { prefix: string; kind: 'policy' | 'setpoint' };

function splitKey(key: string): KeyInfo | null {
  if (key.endsWith('_policy')) return { prefix: key.slice(0, -'_policy'.length), kind: 'policy' };
  if (key.endsWith('_power_setpoint_w')) return { prefix: key.slice(0, -'_power_setpoint_w'.length), kind: 'setpoint' };
  return null;
}

/**
 * Parses and validates a live command as a whole [live §3.3 rule 7]: either every signal in it,
 * or a rejection with the response_code of the most basic problem found and every error listed.
 */
export function parseCommand(payload: Buffer | string, ctx: CommandContext): ParseResult {
  const decoded = decodeJsonObject(payload);
  if (!decoded.ok) return { ok: false, code: decoded.code, errors: decoded.errors, requestTime: requestTimeOf(decoded.value) };
  const raw = decoded.value;
  const requestTime = requestTimeOf(raw);
  const shape = CommandEnvelopeSchema.safeParse(raw);
  if (!shape.success) return { ok: false, code: RESPONSE_CODES.BAD_SHAPE, errors: zodErrors(shape.error), requestTime };
  const envelope = shape.data;
  const checked = checkEnvelope(envelope, ctx);
  if (!checked.ok) return { ...checked, requestTime };
  const order = checkOrder(checked.timeMs, ctx);
  if (order) return { ok: false, code: RESPONSE_CODES.BAD_TIME, errors: [order], requestTime };

  const warnings: FieldError[] = [];
  for (const key of Object.keys(raw)) {
    if (!['extraTags', 'time', 'fields'].includes(key)) warnings.push({ field: key, message: 'unknown top-level key ignored' });
  }

  const fieldEntries = Object.entries(envelope.fields);
  if (fieldEntries.length === 0) {
    return { ok: true, code: warnings.length ? RESPONSE_CODES.PARTLY_IGNORED : RESPONSE_CODES.OK, timeMs: checked.timeMs, isEmpty: true, signals: [], warnings, requestTime };
  }

  const { signals, errors, warnings: fieldWarnings } = parseFields(envelope.fields, ctx);
  warnings.push(...fieldWarnings);

  if (errors.length > 0) return { ok: false, code: worstCode(errors), errors: errors.map(({ field, message }) => ({ field, message })), requestTime };
  return {
    ok: true,
    code: warnings.length ? RESPONSE_CODES.PARTLY_IGNORED : RESPONSE_CODES.OK,
    timeMs: checked.timeMs,
    isEmpty: false,
    signals,
    warnings,
    requestTime,
  };
}

function isoOf(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString().replace('.000Z', 'Z');
}

/**
 * The ordering rules [docs/protocol.md § Rules 9–10, decided]: a command older than the last one
 * applied is refused, so a delayed or replayed message never overrides a newer one; a retained
 * replay (at subscribe time: after a reconnect) not newer than it is refused too, so a retained
 * command is applied once, never again after a `fallback` or a reconnect. Same `time` from a live
 * (not retained) message is accepted: `time` is often whole seconds and bursts share one.
 */
function checkOrder(timeMs: number, ctx: Pick<CommandContext, 'lastAppliedTimeMs' | 'isRetained'>): FieldError | null {
  const last = ctx.lastAppliedTimeMs;
  if (last === null || last === undefined) return null;
  if (timeMs < last) {
    return { field: 'time', message: `${isoOf(timeMs)} is older than the last command applied (${isoOf(last)}); a delayed or replayed command never overrides a newer one` };
  }
  if (ctx.isRetained && timeMs <= last) {
    return { field: 'time', message: `retained command replayed by the broker (${isoOf(timeMs)}), not newer than the last command applied (${isoOf(last)}); not applied again` };
  }
  return null;
}

/** A field problem with the response_code it calls for [live §4.1]. */
export type CodedFieldError = FieldError & { code: ResponseCode };

/** The response_code of the most basic problem among several [live §3.3 rule 7]. */
export function worstCode(errors: ReadonlyArray<{ code: ResponseCode }>): ResponseCode {
  return Math.min(...errors.map((e) => e.code)) as ResponseCode;
}

export interface ParseFieldsOptions {
  /** Path of the fields object in error messages. Default `fields`. */
  at?: string;
  /** Refuse device nodeId prefixes with 12 (schedules control groups only [scheduled §Message]). Default false. */
  isGroupLevelOnly?: boolean;
}

/**
 * Parses the `fields` of a command (or of a schedule slot) [live §3.1–3.3]: the signals it asks
 * for, every error with its response_code, and what was ignored (warnings). Shared by live
 * commands and schedules so both accept the same policies, setpoints and aliases.
 */
export function parseFields(
  fields: Readonly<Record<string, unknown>>,
  ctx: Pick<CommandContext, 'devices' | 'isRemoteEnabled' | 'unavailablePolicies'>,
  opts: ParseFieldsOptions = {},
): { signals: CommandSignal[]; errors: CodedFieldError[]; warnings: FieldError[] } {
  const at = opts.at ?? 'fields';
  const warnings: FieldError[] = [];
  const errors: CodedFieldError[] = [];
  const byPrefix = new Map<string, { target: SignalTarget; policyRaw?: unknown; setpointRaw?: unknown; policyKey?: string; setpointKey?: string }>();

  for (const [key, value] of Object.entries(fields)) {
    const split = splitKey(key);
    if (!split) {
      errors.push({ code: RESPONSE_CODES.UNKNOWN_FIELD, field: `${at}.${key}`, message: 'unknown field; keys end in _policy or _power_setpoint_w' });
      continue;
    }
    let target: SignalTarget;
    if (isComponent(split.prefix)) {
      target = { kind: 'component', component: split.prefix };
    } else {
      const device = ctx.devices.get(split.prefix);
      if (!device) {
        errors.push({ code: RESPONSE_CODES.UNKNOWN_FIELD, field: `${at}.${key}`, message: `"${split.prefix}" is neither a component nor a device nodeId of this site` });
        continue;
      }
      if (opts.isGroupLevelOnly) {
        errors.push({ code: RESPONSE_CODES.UNKNOWN_FIELD, field: `${at}.${key}`, message: `"${split.prefix}" is a device nodeId; only group-level keys (${COMPONENTS.join(', ')}) are allowed here` });
        continue;
      }
      target = { kind: 'device', nodeId: split.prefix, group: device.group };
    }
    const entry = byPrefix.get(split.prefix) ?? { target };
    if (split.kind === 'policy') {
      entry.policyRaw = value;
      entry.policyKey = key;
    } else {
      entry.setpointRaw = value;
      entry.setpointKey = key;
    }
    byPrefix.set(split.prefix, entry);
  }

  const signals: CommandSignal[] = [];
  for (const [prefix, entry] of byPrefix) {
    const component: Component = entry.target.kind === 'component' ? entry.target.component : entry.target.group;
    let setpointW: number | null = null;
    if (entry.setpointKey !== undefined) {
      setpointW = toFiniteNumber(entry.setpointRaw);
      if (setpointW === null) {
        errors.push({ code: RESPONSE_CODES.BAD_SHAPE, field: `${at}.${entry.setpointKey}`, message: `expected a finite number of watts, got ${describeValue(entry.setpointRaw)}` });
        continue;
      }
    }
    if (entry.policyKey === undefined) {
      // [live §3.3 rule 5] a setpoint without a policy is ignored; the component falls back.
      warnings.push({ field: `${at}.${entry.setpointKey ?? prefix}`, message: `setpoint without ${prefix}_policy ignored; ${prefix} falls back` });
      continue;
    }
    if (typeof entry.policyRaw !== 'string') {
      errors.push({ code: RESPONSE_CODES.BAD_SHAPE, field: `${at}.${entry.policyKey}`, message: `expected a policy string, got ${describeValue(entry.policyRaw)}` });
      continue;
    }
    const policy = parsePolicy(component, entry.policyRaw);
    if (policy === null) {
      errors.push({ code: RESPONSE_CODES.BAD_POLICY, field: `${at}.${entry.policyKey}`, message: `"${entry.policyRaw}" is not a policy of ${component}` });
      continue;
    }
    const unavailable = ctx.unavailablePolicies?.get(policy);
    if (unavailable !== undefined) {
      errors.push({ code: RESPONSE_CODES.BAD_POLICY, field: `${at}.${entry.policyKey}`, message: unavailable });
      continue;
    }
    if (SETPOINT_POLICIES.has(policy) && setpointW === null) {
      errors.push({ code: RESPONSE_CODES.BAD_POLICY, field: `${at}.${prefix}_power_setpoint_w`, message: `policy "${policy}" needs ${prefix}_power_setpoint_w` });
      continue;
    }
    if (setpointW !== null && !SETPOINT_POLICIES.has(policy)) {
      warnings.push({ field: `${at}.${entry.setpointKey}`, message: `policy "${policy}" ignores a setpoint; ignored` });
      setpointW = null;
    }
    if (setpointW !== null && setpointW < 0 && component !== 'storage') {
      errors.push({ code: RESPONSE_CODES.BAD_SHAPE, field: `${at}.${entry.setpointKey}`, message: `${component} setpoint must be ≥ 0 W, got ${setpointW}` });
      continue;
    }
    const disabled = remoteDisabledReason(entry.target, ctx);
    if (disabled) {
      errors.push({ code: RESPONSE_CODES.REMOTE_DISABLED, field: `${at}.${entry.policyKey}`, message: disabled });
      continue;
    }
    signals.push(setpointW === null ? { target: entry.target, policy } : { target: entry.target, policy, setpointW });
  }

  return { signals, errors, warnings };
}

function remoteDisabledReason(target: SignalTarget, ctx: Pick<CommandContext, 'devices' | 'isRemoteEnabled'>): string | null {
  if (!ctx.isRemoteEnabled) return 'remote control is disabled in the controller configuration (remoteSignal.enabled: false)';
  if (target.kind === 'device') {
    return ctx.devices.get(target.nodeId)?.isRemoteEnabled ? null : `device ${target.nodeId} is not included in the remote signal`;
  }
  if (target.component === 'site') return null;
  const members = [...ctx.devices.values()].filter((d) => d.group === target.component);
  if (members.length > 0 && !members.some((d) => d.isRemoteEnabled)) {
    return `no ${target.component} device is included in the remote signal`;
  }
  return null;
}
