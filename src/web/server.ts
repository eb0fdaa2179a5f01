// The web UI and HTTP API: fastify 5, one process with the controller, loopback by default.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { RunningAppInfo } from '../app-options.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { CommStatus } from '../devices/driver.ts';
import type { SimulatedSite } from '../devices/simulated/simulated-site.ts';
import type { SiteConfig } from '../site/site-config.ts';
import { registerConfigRoutes, type ConfigEndpoints } from './config-routes.ts';
import { collectRoutes, openApiDocument } from './openapi.ts';
import { registerApiRoutes, type LiveSite, type PlanExplainer } from './api-routes.ts';
import { registerHistoryRoutes, type HistorySource, type ScheduleReader } from './history-routes.ts';
import type { PriceProvider } from '../optimizer/prices/price-provider.ts';
import { describeFrameworkError, HttpError, parseJsonBody, type ErrorBody } from './http-errors.ts';
import { LiveHub } from './live-hub.ts';
import { DEFAULT_METRICS_ALLOW, registerOpsRoutes, type OpsEndpoints } from './ops-routes.ts';
import { LiveStateView, type WebController } from './state-view.ts';
import type { Logger } from '../core/logger.ts';
import type { MessageIntake } from '../remote/message-intake.ts';
import type { WebAuth } from './auth/web-auth.ts';

/** Where the server logs (pino's child loggers fit). */
export type WebLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface WebServerDeps {
  /** The running controller (the real `Controller` fits). */
  controller: WebController;
  /** The validated site config the controller runs. */
  site: SiteConfig;
  /** What `startApp` returns as `info` (topics, broker URL, nodeIds). */
  info: RunningAppInfo;
  /** Communication status of every device and of the grid meter (under the site nodeId), from the driver registry. */
  commStatus?: (() => ReadonlyMap<string, CommStatus>) | undefined;
  /** The simulated site: turns on `POST /api/sim` and the UI's simulation panel. Absent = no simulation controls. */
  sim?: SimulatedSite | undefined;
  /** The controller's clock (simulated time at `--speed` ≠ 1): the `time` of commands sent without one. Default: sim.world.clock, else real time. */
  clock?: Clock | undefined;
  /** Bind address. Default 127.0.0.1 (loopback). */
  host?: string | undefined;
  /** TCP port; 0 = any free port. */
  port: number;
  logger?: WebLogger | undefined;
  /** Minimum time between two `/api/live` pushes, ms (wall time). Default 500 (at most 2 per second). */
  liveIntervalMs?: number | undefined;
  /** Login and sessions (web/auth): every `/api/…` route and the live stream then need a session. Absent = open (a library user's own server). */
  auth?: WebAuth | undefined;
  /** Live configuration (the app's ConfigApplier and the store's revisions): turns on `POST /api/config`, `GET /api/config/revisions`, `POST /api/config/restore`. */
  config?: ConfigEndpoints | undefined;
  /** The app's message intake (the MQTT messages' path): turns on `POST /api/command`, logged and published like an MQTT command. */
  messages?: MessageIntake | undefined;
  /** The `cost` policy's planner (the app's CostService): turns on `GET /api/plan`. */
  costPlan?: PlanExplainer | undefined;
  /** Metrics and health (the app's `observe()`): turns on `GET /metrics` and `GET /healthz`, for the peers in `site.web.metricsAllow`. */
  ops?: OpsEndpoints | undefined;
  /** The store's read side (the app's `Store`): turns on `GET /api/history`, `/api/energy/today` and `/api/commands` (else 404 saying why). */
  history?: HistorySource | undefined;
  /** The stored schedule (the app's `ScheduleStore`): `GET /api/schedule` lists its slots (else an empty schedule). */
  schedule?: ScheduleReader | undefined;
  /** The prices the planner reads (the app's `cost.prices`): `GET /api/history` adds them, through the site's tariff. */
  prices?: PriceProvider | undefined;
}

export interface WebServer {
  /** http://host:port of the UI and API (a wildcard bind address is shown as 127.0.0.1). */
  url: string;
  /** A live reconfiguration: the API and the live state show the new site config and simulated world from now on. */
  setSite(site: SiteConfig, sim: SimulatedSite | undefined): void;
  /** Closes live connections and the listener. Idempotent. */
  close(): Promise<void>;
}

/** Default body limit of a route, bytes (routes that take more say so). */
const DEFAULT_BODY_LIMIT = 16 * 1024;
const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Starts the web UI and HTTP API for a running controller: `GET /api/state|site|protocol`,
 * `POST /api/command|config/validate|sim`, `GET /api/live` (WebSocket), and the static UI.
 * Resolves once it listens.
 */
export async function startWebServer(deps: WebServerDeps): Promise<WebServer> {
  const host = deps.host ?? '127.0.0.1';
  const clock = deps.clock ?? deps.sim?.world.clock ?? systemClock;
  const view = new LiveStateView({ controller: deps.controller, site: deps.site, clock, sim: deps.sim, commStatus: deps.commStatus });
  const live: LiveSite = { site: deps.site, sim: deps.sim };
  const hub = new LiveHub(() => view.current(), deps.liveIntervalMs ?? 500, deps.logger);
  let isClosed = false;
  // Runs inside the control cycle: it must be cheap and never throw. The push itself happens after
  // the cycle (setImmediate). Unsubscribed on close.
  const stopObserving = deps.controller.onCycle((record) => {
    if (isClosed) return;
    try {
      view.observe(record);
    } catch (err) {
      deps.logger?.warn({ err: errorMessage(err) }, 'web state could not take this cycle');
    }
    setImmediate(() => {
      if (!isClosed) hub.changed();
    });
  });

  const app = Fastify({ logger: false, bodyLimit: DEFAULT_BODY_LIMIT, return503OnClosing: true, forceCloseConnections: true });
  // First, so its onRequest hook marks upgrades before the guards run: a refused upgrade's socket is then destroyed.
  const routes = collectRoutes(app);
  await app.register(fastifyWebsocket, { options: { maxPayload: 4 * 1024 } });
  installBodyParsing(app);
  installGuards(app, host);
  installErrorHandling(app, deps.logger);
  // Before every route: the session check is an onRequest hook of the whole server.
  if (deps.auth) await deps.auth.install(app);
  // A server built without login (a library user's own): the UI is told so and asks for none.
  else app.get('/api/auth/state', async () => ({ isSetUp: true, needsSetupCode: false, user: { name: 'open', role: 'admin', isOpen: true } }));
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/', index: 'index.html', maxAge: 0 });
  registerApiRoutes(app, { ...deps, clock, view, live, hasHistory: deps.history !== undefined });
  if (deps.config) registerConfigRoutes(app, deps.config);
  registerHistoryRoutes(app, { site: deps.site, clock, history: deps.history, schedule: deps.schedule, prices: deps.prices });
  registerVendorFiles(app);
  if (deps.ops) registerOpsRoutes(app, deps.ops, deps.site.web?.metricsAllow ?? DEFAULT_METRICS_ALLOW);
  // The API description, made from the routes registered here (no session: it holds no site data).
  let openapi: object | null = null;
  app.get('/openapi.json', async () => (openapi ??= openApiDocument(routes, PACKAGE_VERSION)));
  app.route({
    method: 'GET',
    url: '/api/live',
    handler: async (_req, reply) => reply.code(426).header('upgrade', 'websocket').send(errorBody('GET /api/live is a WebSocket: connect with ws://…/api/live')),
    wsHandler: (socket) => hub.add(socket),
  });

  try {
    await app.listen({ host, port: deps.port });
  } catch (err) {
    isClosed = true;
    stopObserving();
    hub.close();
    await app.close().catch(() => undefined);
    throw new Error(`web server could not listen on ${host}:${deps.port}: ${errorMessage(err)}`, { cause: err });
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : deps.port;
  const shownHost = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${port}`,
    setSite(site, sim) {
      live.site = site;
      live.sim = sim;
      view.setSite(site, sim);
    },
    close() {
      closing ??= (async () => {
        isClosed = true;
        stopObserving();
        hub.close();
        await app.close();
      })();
      return closing;
    },
  };
}

/** uPlot (MIT, node_modules/uplot): its IIFE build and stylesheet, served from this server (nothing from the internet). */
const UPLOT_FILES = [
  { url: '/vendor/uplot/uPlot.iife.min.js', file: 'dist/uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  { url: '/vendor/uplot/uPlot.min.css', file: 'dist/uPlot.min.css', type: 'text/css; charset=utf-8' },
  { url: '/vendor/uplot/LICENSE', file: 'LICENSE', type: 'text/plain; charset=utf-8' },
] as const;

function registerVendorFiles(app: FastifyInstance): void {
  const dir = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
  for (const f of UPLOT_FILES) {
    // Read once, at start: a missing package fails the start, not the first page view.
    const body = readFileSync(join(dir, f.file));
    app.get(f.url, async (_req, reply) => reply.header('content-type', f.type).header('cache-control', 'public, max-age=86400').send(body));
  }
}

function errorBody(error: string, details: ErrorBody['details'] = []): ErrorBody {
  return { error, details };
}

/** JSON only (application/json), parsed with position-bearing messages and no prototype keys. Other types get 415. */
function installBodyParsing(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

const isLoopbackName = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);

/**
 * A loopback-bound server answers only to loopback Host names (no DNS rebinding), and nothing
 * answers a cross-origin browser request (no CSRF, no cross-site WebSocket): the API has no
 * authentication yet, so the browser's same-origin rule is what keeps other sites out.
 */
function installGuards(app: FastifyInstance, bindHost: string): void {
  const isLoopbackBind = isLoopbackName(bindHost);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const hostHeader = req.headers.host;
    if (!hostHeader) return reply.code(400).send(errorBody('the Host header is missing'));
    let hostname: string;
    try {
      hostname = new URL(`http://${hostHeader}`).hostname;
    } catch {
      return reply.code(400).send(errorBody('the Host header is not a host name'));
    }
    if (isLoopbackBind && !isLoopbackName(hostname)) {
      return reply.code(403).send(errorBody(`this server answers on loopback only; Host "${hostHeader}" is refused`));
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let originHost: string | null = null;
      try {
        originHost = new URL(origin).host;
      } catch {
        originHost = null;
      }
      if (originHost !== hostHeader) return reply.code(403).send(errorBody(`cross-origin requests are refused (Origin ${origin})`));
    } else if (origin === 'null' && req.method !== 'GET' && req.method !== 'HEAD') {
      return reply.code(403).send(errorBody('requests from an opaque origin are refused'));
    }
    return undefined;
  });
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });
}

/** Every error becomes `{ error, details }` with its status; unknown routes are 404 in the same shape. */
function installErrorHandling(app: FastifyInstance, logger: WebLogger | undefined): void {
  app.setErrorHandler((err: FastifyError | HttpError | Error, req, reply) => {
    if (err instanceof HttpError) {
      return reply.code(err.statusCode).send({ error: err.message, details: err.details, ...err.extra });
    }
    const fe = err as FastifyError;
    const known = describeFrameworkError(fe, req.routeOptions.bodyLimit ?? DEFAULT_BODY_LIMIT);
    if (known) return reply.code(known.statusCode).send(errorBody(known.message, [{ path: '$', message: known.message }]));
    logger?.error({ err: errorMessage(err), url: req.url, method: req.method }, 'web request failed');
    return reply.code(500).send(errorBody('internal error; the controller keeps running', [{ path: '$', message: errorMessage(err) }]));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody(`no such route: ${req.method} ${req.url.split('?')[0] ?? ''}`));
  });
}
