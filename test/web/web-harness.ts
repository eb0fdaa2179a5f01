import { request as httpRequest } from 'node:http';
import type { Page } from 'playwright-core';
import { WebSocket } from 'ws';
import type { AppOptions } from '../../src/app-options.ts';
import { startAppUnderTest, type AppUnderTest } from '../helpers/app-harness.ts';
import { startWebServer, type WebServer, type WebServerDeps } from '../../src/web/server.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import type { ErrorBody } from '../../src/web/http-errors.ts';
import type { WebState } from '../../src/web/state-view.ts';

/** The real app on the simulated demo site (embedded broker on port 0, an MQTT integrator) plus the web server on port 0. */
export interface WebUnderTest {
  t: AppUnderTest;
  web: WebServer;
  /** Real HTTP: method, path, optional body (string sent as is; objects as JSON) and headers. */
  http<T = ErrorAnswer>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpAnswer<T>>;
  state(): Promise<WebState>;
  stop(): Promise<void>;
}

export interface HttpAnswer<T> {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, typed as the caller expects (assertions check it). */
  json: T;
}

/** The body of a non-2xx answer; a rejected command also carries its feedback. */
export interface ErrorAnswer extends ErrorBody {
  response_code?: number;
  feedback?: Feedback;
}

/** `appOptions` go to the app (a data directory, a fake clock, a config); `overrides` to the web server. */
export async function startWebUnderTest(overrides: Partial<WebServerDeps> = {}, appOptions: AppOptions = {}): Promise<WebUnderTest> {
  const t = await startAppUnderTest(appOptions);
  const { app } = t;
  let web: WebServer;
  try {
    web = await startWebServer({
      controller: app.controller,
      site: app.site,
      info: app.info,
      sim: t.sim,
      clock: app.clock,
      port: 0,
      messages: app.intake,
      schedule: app.schedules,
      prices: app.cost.prices,
      costPlan: app.cost.service,
      ...(app.store ? { history: app.store } : {}),
      ...overrides,
    });
  } catch (err) {
    await t.stop();
    throw err;
  }
  const http = async <T = ErrorAnswer>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer<T>> => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' || Buffer.isBuffer(body) ? (body as string) : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await fetch(web.url + path, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json: json as T };
  };
  return {
    t,
    web,
    http,
    async state() {
      const r = await http<WebState>('GET', '/api/state');
      if (r.status !== 200) throw new Error(`GET /api/state: ${r.status} ${r.text}`);
      return r.json;
    },
    async stop() {
      await web.close();
      await t.stop();
    },
  };
}

/** A raw request with headers fetch will not let us set (Host). */
export function rawRequest(url: string, opts: { method?: string; headers?: Record<string, string> }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A WebSocket client on /api/live that records every message. */
export interface LiveClient {
  messages: Array<{ type: string; data: WebState }>;
  /** Resolves with the first message (already received or future) matching; rejects after timeoutMs. */
  waitFor(match: (s: WebState) => boolean, timeoutMs?: number, what?: string): Promise<WebState>;
  close(): Promise<void>;
}

export async function connectLive(webUrl: string, headers: Record<string, string> = {}): Promise<LiveClient> {
  const ws = new WebSocket(`${webUrl.replace(/^http/, 'ws')}/api/live`, { headers });
  const messages: LiveClient['messages'] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as LiveClient['messages'][number]);
    for (const w of [...waiters]) w();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
    });
  });
  return {
    messages,
    waitFor(match, timeoutMs = 8000, what = 'a matching state') {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = messages.find((m) => m.type === 'state' && match(m.data));
          if (!hit) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit.data);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no live push with ${what} within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      return new Promise((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      });
    },
  };
}

/**
 * Collects what a page should never do: console errors and warnings, page errors, failed requests
 * (a request a navigation cuts short is aborted, not failed) and requests to any server but `bases()`.
 */
export function watchPageProblems(page: Page, bases: () => readonly string[]): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    if (why !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${why}`);
  });
  page.on('request', (r) => {
    const url = r.url();
    if (!bases().some((base) => url.startsWith(base) || url.startsWith(base.replace('http', 'ws')))) problems.push(`request outside the server: ${url}`);
  });
  return problems;
}
