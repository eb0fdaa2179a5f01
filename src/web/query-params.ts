import { z } from 'zod';
import { formatPath, HttpError } from './http-errors.ts';

/*
 * Query strings of the read-only GET routes (History, Command log, …): every parameter is a string
 * on the wire; these schemas turn them into numbers and words and refuse anything else with a 400
 * that names the parameter (`query.from`). Unknown parameters are refused too (a typo such as
 * `?form=` must not silently widen a range). The schemas are exported for the OpenAPI document.
 */

/** An instant: Unix ms (digits) or an ISO 8601 date-time with a zone (`2026-12-04T00:00:00+01:00`, `…Z`). */
export const InstantParam = z.string().transform((text, ctx) => {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ms;
  }
  ctx.addIssue({ code: 'custom', message: `"${text}" is not an instant: give Unix milliseconds or an ISO 8601 date-time with a zone (2026-12-04T00:00:00+01:00)` });
  return z.NEVER;
});

/** A whole number in [min, max], from its decimal text. */
export const intParam = (min: number, max: number): z.ZodType<number, string> =>
  z.string().transform((text, ctx) => {
    const n = /^-?\d{1,15}$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });

/** `true` / `false` (also `1` / `0`). */
export const BoolParam = z.string().transform((text, ctx) => {
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  ctx.addIssue({ code: 'custom', message: `"${text}" is not true or false` });
  return z.NEVER;
});

/** Parses `req.query` with a strict object schema; a 400 naming every bad parameter (`query.<name>`) otherwise. */
export function parseQuery<T>(schema: z.ZodType<T>, query: unknown, route: string): T {
  const raw = typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {};
  // A repeated parameter (?kind=a&kind=b) arrives as an array: one value each, please.
  const repeated = Object.entries(raw).filter(([, v]) => Array.isArray(v)).map(([k]) => k);
  if (repeated.length > 0) {
    const details = repeated.map((k) => ({ path: `query.${k}`, message: 'given more than once; give it once' }));
    throw new HttpError(400, `bad query for ${route}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.flatMap((i) => {
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ path: `query.${k}`, message: 'unknown parameter' }));
    return [{ path: i.path.length ? `query.${formatPath(i.path)}` : 'query', message: i.message }];
  });
  throw new HttpError(400, `bad query for ${route}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
}
