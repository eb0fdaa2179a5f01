import type { Page } from 'playwright-core';

/** The admin password the tests set at first run. */
export const TEST_ADMIN_PASSWORD = 'test admin password';

/**
 * A session cookie for the app's web server: sets the admin password at first run (from
 * loopback no setup code is needed), else logs in with it. `cookie: <value>` for fetch.
 */
export async function adminCookie(httpUrl: string): Promise<string> {
  const post = (path: string): Promise<Response> =>
    fetch(`${httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: TEST_ADMIN_PASSWORD }) });
  let res = await post('/api/auth/setup');
  if (res.status === 409) res = await post('/api/auth/login');
  if (!res.ok) throw new Error(`web login failed: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  if (!cookie) throw new Error('web login: no session cookie');
  return cookie;
}

/** Logs a browser page in (its context gets the session cookie). */
export async function logInPage(page: Page, httpUrl: string): Promise<void> {
  const [name, value] = (await adminCookie(httpUrl)).split('=') as [string, string];
  const u = new URL(httpUrl);
  await page.context().addCookies([{ name, value, domain: u.hostname, path: '/', httpOnly: true, sameSite: 'Strict' }]);
}

/** An HTTP answer of the web API, its body parsed. */
export interface ApiAnswer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

/** `call(method, path, body?, headers?)` against `httpUrl`, with `cookie` (a session) when given. */
export function apiCaller(httpUrl: string, cookie: () => string | null = () => null) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> => {
    const c = cookie();
    const init: RequestInit = { method, headers: { ...(c ? { cookie: c } : {}), ...headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(httpUrl + path, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
}
