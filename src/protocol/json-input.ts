import { RESPONSE_CODES, type FieldError, type ResponseCode } from './response-codes.ts';

/*
 * The one way outside JSON (live commands, schedules, price messages) becomes a value
 * [docs/protocol.md § Input]: size limit, a leading UTF-8 BOM tolerated, JSON.parse, then one
 * linear scan of the text for what JSON.parse hides: duplicate keys (JSON.parse keeps the last one
 * silently) and the keys `__proto__`, `constructor` and `prototype` (a copy made with assignment,
 * e.g. by a schema library, turns `__proto__` into a prototype change and drops the field).
 */

/** Keys refused anywhere in a message, as unknown fields (12): they name JavaScript internals, never a wire field. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const BOM = '\uFEFF';

export interface KeyProblem {
  /** Path of the key, dot-separated, array indexes as numbers: `fields.storage_policy`, `schedule.3.fields.__proto__`. */
  field: string;
  kind: 'duplicate' | 'reserved';
}

/**
 * Every duplicate key and every reserved key in a JSON text that JSON.parse accepted, in order of
 * appearance (at most `limit`). Iterative (an explicit stack), so deep nesting cannot overflow it;
 * one pass over the text. Keys are compared decoded ("a" and "\u0061" are the same key).
 */
export function scanJsonKeys(text: string, limit = 1000): KeyProblem[] {
  type Frame = { isObject: true; keys: Set<string>; key: string | null; isKeyNext: boolean } | { isObject: false; index: number };
  const stack: Frame[] = [];
  const problems: KeyProblem[] = [];
  const pathOf = (key: string): string => {
    const parts: string[] = [];
    for (let d = 0; d < stack.length - 1; d++) {
      const f = stack[d];
      if (f) parts.push(f.isObject ? (f.key ?? '') : String(f.index));
    }
    parts.push(key);
    return parts.join('.');
  };
  const n = text.length;
  for (let i = 0; i < n && problems.length < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      let hasEscape = false;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) {
          hasEscape = true;
          i++;
        } else if (d === 0x22) break;
      }
      const top = stack[stack.length - 1];
      if (top?.isObject && top.isKeyNext) {
        const raw = text.slice(start + 1, i);
        const key = hasEscape ? (JSON.parse(text.slice(start, i + 1)) as string) : raw;
        top.isKeyNext = false;
        top.key = key;
        if (RESERVED_KEYS.has(key)) problems.push({ field: pathOf(key), kind: 'reserved' });
        else if (top.keys.has(key)) problems.push({ field: pathOf(key), kind: 'duplicate' });
        top.keys.add(key);
      }
    } else if (c === 0x7b /* { */) {
      stack.push({ isObject: true, keys: new Set(), key: null, isKeyNext: true });
    } else if (c === 0x5b /* [ */) {
      stack.push({ isObject: false, index: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.isObject) top.isKeyNext = true;
      else if (top) top.index += 1;
    }
  }
  return problems;
}

export type DecodeResult =
  | { ok: true; value: Record<string, unknown> }
  /** `value`: the parsed object when the text was JSON but its keys are refused (to echo its `time`). */
  | { ok: false; code: ResponseCode; errors: FieldError[]; value?: Record<string, unknown> };

/**
 * Decodes bytes into a JSON object, or a rejection: 11 over `maxBytes`; 10 not JSON (invalid
 * UTF-8 included) or not an object; 11 a key given twice in one object; 12 a reserved key
 * (`__proto__`, `constructor`, `prototype`) anywhere. A leading UTF-8 BOM is skipped.
 */
export function decodeJsonObject(payload: Buffer | string, maxBytes: number): DecodeResult {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > maxBytes) {
    return { ok: false, code: RESPONSE_CODES.BAD_SHAPE, errors: [{ field: '$', message: `payload is ${size} bytes; the limit is ${maxBytes}` }] };
  }
  let text = typeof payload === 'string' ? payload : payload.toString('utf8');
  // [decided] Some Windows tools write a BOM before UTF-8 text; JSON.parse refuses it.
  if (text.startsWith(BOM)) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, code: RESPONSE_CODES.NOT_JSON, errors: [{ field: '$', message: `not valid JSON: ${reason}` }] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
    return { ok: false, code: RESPONSE_CODES.NOT_JSON, errors: [{ field: '$', message: `expected a JSON object, got ${kind}` }] };
  }
  const object = value as Record<string, unknown>;
  const problems = scanJsonKeys(text);
  if (problems.length > 0) {
    const errors = problems.map((p) =>
      p.kind === 'duplicate'
        ? { field: p.field, message: 'key given twice in one object; send each key once' }
        : { field: p.field, message: 'unknown field (a reserved name, never a field of this protocol)' },
    );
    const code = problems.some((p) => p.kind === 'duplicate') ? RESPONSE_CODES.BAD_SHAPE : RESPONSE_CODES.UNKNOWN_FIELD;
    return { ok: false, code, errors, value: object };
  }
  return { ok: true, value: object };
}
