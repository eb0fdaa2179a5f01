/**
 * The API's one error shape: `{ error, details }` with the HTTP status that says whose fault it is
 * (4xx: the request; 5xx: the controller). Every failure of a request ends up here, never as a
 * crash or an HTML page.
 */

/** One problem with a request: where (a JSON path such as `devices[0].capacityWh`, `$` = the whole body) and what. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** The body of every non-2xx answer. Extra keys (e.g. `feedback`) may be added per route. */
export interface ErrorBody {
  error: string;
  details: ErrorDetail[];
}

/** An error a route throws on purpose; the error handler turns it into `{ error, details }` with `statusCode`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** Extra keys merged into the body (e.g. the feedback of a rejected command). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Fastify's own request errors (body parsing, limits) in words an integrator can act on. */
export function describeFrameworkError(err: { code?: string; message: string; statusCode?: number }, bodyLimitBytes: number): { statusCode: number; message: string } | null {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { statusCode: 413, message: `the body is too large: at most ${bodyLimitBytes} bytes on this route` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { statusCode: 415, message: 'send the body as JSON with the header Content-Type: application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { statusCode: 400, message: 'the body is empty; send a JSON object' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { statusCode: 400, message: 'the Content-Length header does not match the body' };
    default:
      if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return { statusCode: err.statusCode, message: err.message };
      return null;
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__']);

/** Deeper than this is no command or config, only a way to exhaust the stack of whatever walks the value next. */
export const MAX_JSON_DEPTH = 64;

/** The deepest array/object nesting in JSON text (brackets inside strings do not count); stops counting past `limit`. */
function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let isInString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isInString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) isInString = false;
    } else if (c === 0x22) isInString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/**
 * JSON.parse that refuses prototype-poisoning keys (`__proto__`, `constructor.prototype`), so a
 * parsed body is safe to spread or merge. Throws HttpError 400 with the parser's message (which
 * names the position of the problem).
 */
export function parseJsonBody(text: string): unknown {
  // A leading UTF-8 BOM is tolerated, as over MQTT (docs/protocol.md § Input).
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  if (text.trim() === '') throw new HttpError(400, 'the body is empty; send a JSON object', [{ path: '$', message: 'empty body' }]);
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new HttpError(400, `the JSON is nested too deeply (more than ${MAX_JSON_DEPTH} levels)`, [{ path: '$', message: 'nested too deeply' }]);
  }
  try {
    // The reviver walks the result recursively: only pay for it (and its stack) when a key could be unsafe.
    if (!text.includes('__proto__') && !text.includes('constructor')) return JSON.parse(text) as unknown;
    return JSON.parse(text, function reviver(this: unknown, key: string, value: unknown) {
      if (FORBIDDEN_KEYS.has(key) || (key === 'constructor' && typeof value === 'object' && value !== null && 'prototype' in value)) {
        throw new HttpError(400, `the body holds the key "${key}", which is not allowed`, [{ path: '$', message: `key "${key}" is not allowed` }]);
      }
      return value;
    });
  } catch (err) {
    if (err instanceof HttpError) throw err;
    const message = err instanceof RangeError ? 'the JSON is nested too deeply' : err instanceof Error ? err.message : String(err);
    throw new HttpError(400, `the body is not valid JSON: ${message}`, [{ path: '$', message }]);
  }
}

/** Requires a JSON object (not an array, null or a scalar) as the body. */
export function requireObjectBody(body: unknown, what: string): Record<string, unknown> {
  if (body === undefined) throw new HttpError(400, `a JSON body is required: ${what}`, [{ path: '$', message: 'missing body' }]);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const got = body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body;
    throw new HttpError(400, `the body must be a JSON object (${what}), got ${got}`, [{ path: '$', message: `expected an object, got ${got}` }]);
  }
  return body as Record<string, unknown>;
}

/** Formats a zod-style issue path the way config errors name paths: `devices[0].capacityWh`, `$` when empty (the whole body). */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '$';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}
