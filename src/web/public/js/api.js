/* global fetch, URLSearchParams */
// The HTTP API (same origin). Every non-2xx answer is { error, details, ... }.

export class ApiError extends Error {
  constructor(status, body) {
    super(body && typeof body.error === 'string' ? body.error : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function call(method, path, body) {
  const init = { method, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(path, init);
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

export const api = {
  state: () => call('GET', '/api/state'),
  site: () => call('GET', '/api/site'),
  protocol: () => call('GET', '/api/protocol'),
  /** `text` is sent as is, so the server judges the JSON (a typo gets a clear 400). */
  command: (text) => call('POST', '/api/command', text),
  validateConfig: (text) => call('POST', '/api/config/validate', text),
  sim: (change) => call('POST', '/api/sim', change),
  /** The `cost` policy's plan; 404 when no optimiser runs in this process. */
  plan: () => call('GET', '/api/plan'),
  /** Today's energy since local midnight; 404 without a data directory. */
  energyToday: () => call('GET', '/api/energy/today'),
  /** Telemetry and prices over [fromMs, toMs); the server picks the resolution. */
  history: (fromMs, toMs) => call('GET', `/api/history?from=${Math.floor(fromMs)}&to=${Math.ceil(toMs)}`),
  /** The command log, newest first; `query`: kind, source, rejected, commandId, before, limit. */
  commands: (query) => call('GET', `/api/commands?${new URLSearchParams(query).toString()}`),
  schedule: () => call('GET', '/api/schedule'),
};
