import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { wireJsonSchemas } from '../protocol/json-schema.ts';
import { DeviceSchema, DriverSchema, SiteConfigSchema } from '../site/config-schema.ts';
import { CommandsQuerySchema, HistoryQuerySchema } from './history-routes.ts';

/**
 * `GET /openapi.json`: the HTTP API as OpenAPI 3.1, made from the routes the server really
 * registered (collected by an onRoute hook, so a route cannot be missing) and, for each, the
 * description and the zod / wire schemas below. A registered `/api` route without an entry here
 * fails the test that reads this document (test/web/openapi.test.ts).
 */

interface RouteDoc {
  summary: string;
  /** Login needed (every /api route but /api/auth/…): `viewer` may call GET routes, `admin` all. */
  auth?: 'none' | 'session' | 'allow-list';
  body?: object;
  query?: object;
  response?: object;
}

const toJson = (schema: z.ZodType, io: 'input' | 'output' = 'input'): object => z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as object;
const wire = wireJsonSchemas() as Record<string, object>;
const anyObject = { type: 'object' };

/** Everything but the schemas that are built lazily (the site config's is large). */
function catalogue(): Record<string, RouteDoc> {
  return {
    'GET /api/state': { summary: 'The live state: the feedback data.state, what drives each component, every device with its link, constraints, energy today' },
    'GET /api/site': { summary: 'The site: serial, nodeIds, limits, remote-signal settings, devices, and `config` (file form, secrets as ********)' },
    'GET /api/protocol': { summary: 'Topics, broker URLs, the contract example and a mosquitto_pub line for this site' },
    'GET /api/plan': { summary: "The cost policy's plan: status, expected saving per day, every slot from now on with its reasons" },
    'POST /api/command': {
      summary: 'A live command through the MQTT commands\' path (logged, published on the feedback topic); 200 = its feedback, 400/500 = rejected with response_code and feedback; x-command-id header',
      body: { oneOf: [wire['command.schema.json'] ?? anyObject, { type: 'object', description: 'a bare fields object: extraTags and time are filled in' }] },
      response: wire['feedback.schema.json'] ?? anyObject,
    },
    'POST /api/config/validate': { summary: 'Checks a site config; every problem with its path; changes nothing', body: toJson(SiteConfigSchema) },
    'POST /api/config': { summary: 'Saves a site config as a new revision and applies it live at a cycle boundary; 400/409/422 change nothing', body: toJson(SiteConfigSchema) },
    'GET /api/config/revisions': { summary: 'Stored config revisions, newest first', query: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } } } },
    'POST /api/config/restore': { summary: 'Applies a stored revision again', body: { type: 'object', required: ['revision'], properties: { revision: { type: 'integer', minimum: 1 } }, additionalProperties: false } },
    'POST /api/devices/test': {
      summary: 'Test connection: reads a device or grid meter with its real driver (nothing saved); SunSpec models and one reading',
      body: { oneOf: [{ type: 'object', required: ['device'], properties: { device: toJson(DeviceSchema) } }, { type: 'object', required: ['meter'], properties: { meter: { type: 'object', properties: { driver: toJson(DriverSchema) } } } }] },
    },
    'POST /api/sim': { summary: 'Simulated sites only: irradiance override (W/m², null = weather) and extra load (W)', body: { type: 'object', properties: { irradianceWm2: { type: ['number', 'null'], minimum: 0, maximum: 1500 }, extraLoadW: { type: 'number' } }, additionalProperties: false } },
    'GET /api/history': { summary: 'Power, SoC and price series over a range (at most 32 days) from the store, columnar', query: toJson(HistoryQuerySchema) },
    'GET /api/energy/today': { summary: "Today's energy since local midnight (site time zone): imported, exported, solar, battery in/out, EV, kWh" },
    'GET /api/commands': { summary: 'The command log, newest first, filterable (kind, source, rejected, commandId) and paged (before = the previous page\'s next)', query: toJson(CommandsQuerySchema) },
    'GET /api/schedule': { summary: 'The stored schedule slots, with the active one marked' },
    'GET /api/live': { summary: 'WebSocket: { type: "state", data } on connect and after cycles (at most 2 per second)' },
    'GET /api/auth/state': { summary: 'Whether the admin password is set, and who is logged in', auth: 'none' },
    'POST /api/auth/setup': { summary: 'First run: sets the admin password (from another machine with the setup code printed at start)', auth: 'none', body: { type: 'object', required: ['password'], properties: { password: { type: 'string', minLength: 8 }, setupCode: { type: 'string' } } } },
    'POST /api/auth/login': { summary: 'Opens a session (http-only SameSite=Strict cookie gp_session); 429 after repeated failures', auth: 'none', body: { type: 'object', required: ['password'], properties: { user: { type: 'string', default: 'admin' }, password: { type: 'string' } } } },
    'POST /api/auth/logout': { summary: 'Ends the session', auth: 'none' },
    'GET /metrics': { summary: 'Prometheus metrics (peers in web.metricsAllow only, no session)', auth: 'allow-list' },
    'GET /healthz': { summary: '200 while the cycle runs on time and the store writes; 503 with the reason (peers in web.metricsAllow only)', auth: 'allow-list' },
  };
}

/** Collects the routes as they are registered; call before any route is added. */
export function collectRoutes(app: FastifyInstance): Array<{ method: string; url: string }> {
  const routes: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (r) => {
    for (const method of Array.isArray(r.method) ? r.method : [r.method]) {
      // Static files (the UI, uPlot under /vendor/) are not the API.
      if (method === 'HEAD' || r.url === '/openapi.json' || r.url.includes('*') || r.url.startsWith('/vendor/')) continue;
      routes.push({ method, url: r.url });
    }
  });
  return routes;
}

export function openApiDocument(routes: ReadonlyArray<{ method: string; url: string }>, version: string): object {
  const docs = catalogue();
  const paths: Record<string, Record<string, object>> = {};
  for (const { method, url } of routes) {
    const d = docs[`${method} ${url}`] ?? { summary: 'undocumented' };
    const auth = d.auth ?? (url.startsWith('/api/') ? 'session' : 'none');
    const op: Record<string, unknown> = {
      summary: d.summary,
      ...(auth === 'session' ? { security: [{ session: [] }] } : {}),
      ...(auth === 'allow-list' ? { description: 'Answers only peers whose address is in web.metricsAllow (default loopback); 403 otherwise.' } : {}),
      ...(d.query ? { parameters: Object.entries((d.query as { properties?: Record<string, object> }).properties ?? {}).map(([name, schema]) => ({ name, in: 'query', schema })) } : {}),
      ...(d.body ? { requestBody: { required: true, content: { 'application/json': { schema: d.body } } } } : {}),
      responses: {
        '200': { description: 'OK', ...(d.response ? { content: { 'application/json': { schema: d.response } } } : {}) },
        '400': { description: 'Bad input: { error, details: [{ path, message }] }; nothing changed' },
        ...(auth === 'session' ? { '401': { description: 'No session: log in (POST /api/auth/login)' }, '403': { description: 'A viewer on a route that changes something, or a cross-origin request' } } : {}),
      },
    };
    (paths[url] ??= {})[method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'gridpilot web API', version, description: 'The HTTP API behind the web UI (docs: src/web/README.md). Bodies are application/json only.' },
    components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'gp_session' } } },
    paths,
  };
}
