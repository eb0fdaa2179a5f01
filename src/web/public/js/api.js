/* global fetch, window, URLSearchParams */
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
  // The session ended (logout elsewhere, a new password, a restart): back to the login screen.
  if (res.status === 401 && !path.startsWith('/api/auth/')) window.location.reload();
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

export const api = {
  authState: () => call('GET', '/api/auth/state'),
  setup: (body) => call('POST', '/api/auth/setup', body),
  login: (body) => call('POST', '/api/auth/login', body),
  logout: () => call('POST', '/api/auth/logout', {}),
  state: () => call('GET', '/api/state'),
  site: () => call('GET', '/api/site'),
  protocol: () => call('GET', '/api/protocol'),
  /** `text` is sent as is, so the server judges the JSON (a typo gets a clear 400). */
  command: (text) => call('POST', '/api/command', text),
  validateConfig: (text) => call('POST', '/api/config/validate', text),
  /** Saves a whole site config and applies it live; 400 with every problem, 409/422 when it cannot apply (nothing changed). */
  saveConfig: (config) => call('POST', '/api/config', typeof config === 'string' ? config : config),
  configRevisions: () => call('GET', '/api/config/revisions'),
  /** Reads a device with its real driver (nothing saved): { ok, driver, reading, models, message }. */
  testDevice: (device) => call('POST', '/api/devices/test', { device }),
  restoreConfig: (revision) => call('POST', '/api/config/restore', { revision }),
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
