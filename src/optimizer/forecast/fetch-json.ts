import { GridpilotError } from '../../core/errors.ts';

/** The fetch a forecast service is given (global fetch, or a test's). */
export type JsonFetch = (url: string, init?: { signal?: AbortSignal }) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

/**
 * GETs `url` and parses the JSON answer; an HTTP error is thrown with its status and the service's
 * own message (`messageKey` of the error body, e.g. Open-Meteo's `reason`), a body that is not JSON
 * as such; errors name `source`.
 */
export async function fetchJson(fetch: JsonFetch, url: string, source: string, messageKey: string, signal?: AbortSignal): Promise<unknown> {
  const res = await fetch(url, signal ? { signal } : {});
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new GridpilotError(res.ok ? 'the answer is not JSON' : `HTTP ${res.status}`, source);
  }
  if (!res.ok) {
    const message = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[messageKey] : undefined;
    throw new GridpilotError(`HTTP ${res.status}${message !== undefined ? `: ${String(message)}` : ''}`, source);
  }
  return body;
}
