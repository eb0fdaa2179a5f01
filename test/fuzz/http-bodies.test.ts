import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { COMPONENTS, type Component } from '../../src/protocol/components.ts';
import { POLICIES_BY_COMPONENT } from '../../src/protocol/policies.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { HttpError, parseJsonBody, requireObjectBody } from '../../src/web/http-errors.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { startWebServer } from '../../src/web/server.ts';
import { startAppUnderTest } from '../helpers/app-harness.ts';
import { commandPayloadArb, randomPayloadArb, valueText } from './arbitraries.ts';
import { activeCommandOf, DOCUMENTED_CODES, runs, watchProcessErrors, fuzzOptions } from './invariants.ts';

/**
 * Property-based fuzzing of HTTP bodies [issue 14, fuzz] through the parsers the web API uses:
 * in-process, parseJsonBody + requireObjectBody (the server's JSON content-type parser and every
 * route's first check) on 20,000 texts; over real HTTP to the running app's web server, POST
 * /api/command (the live-command generator as envelopes and bare `fields`), /api/config/validate
 * and /api/sim. Every request is answered 200 or 4xx with the API's error shape `{ error, details }`
 * (never a 5xx, never an HTML page), a refused command answered with a documented response_code
 * and the active command unchanged.
 */

/** JSON-ish texts: the command generator's output, random bytes, deep nesting, reserved keys. */
const bodyText = fc.oneof(
  { weight: 6, arbitrary: commandPayloadArb([...COMPONENTS], COMPONENTS.map((c: Component) => ({ prefix: c, policies: [...POLICIES_BY_COMPONENT[c]] }))).map((p) => p('OM12404080000000000_site_0', Date.now()).toString('utf8')) },
  { weight: 2, arbitrary: randomPayloadArb.map((b) => b.toString('utf8')) },
  { weight: 1, arbitrary: fc.constantFrom('{"constructor":{"prototype":{"x":1}}}', '{"a":{"__proto__":{"polluted":1}}}', '{"constructor":1}', '\uFEFF{}', '{"a":"\\ud800"}', '  ', '{"a":1}garbage', `${'{"a":'.repeat(65)}1${'}'.repeat(65)}`) },
);

describe('fuzz: HTTP bodies', () => {
  it('parseJsonBody and requireObjectBody give an object or an HttpError 400 naming the problem, and never pollute a prototype', () => {
    fc.assert(
      fc.property(bodyText, (text) => {
        let body: unknown;
        try {
          body = requireObjectBody(parseJsonBody(text), 'a body');
        } catch (err) {
          assert.ok(err instanceof HttpError, `${JSON.stringify(text.slice(0, 200))}: threw ${String(err)} instead of an HttpError`);
          assert.equal(err.statusCode, 400);
          assert.ok(err.details.length > 0 && err.details.every((d) => d.path.length > 0 && d.message.length > 0), JSON.stringify(err.details));
          return;
        }
        assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body));
        assert.equal(Object.getPrototypeOf(body), Object.prototype, 'a parsed body keeps the plain prototype');
        assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype polluted');
      }),
      fuzzOptions(runs(20_000)),
    );
  });

  it('the web API answers every generated body with 200 or a 4xx error body; a refused command changes nothing', async () => {
    const watch = watchProcessErrors();
    // A fake clock: nothing moves between two requests but what they do (the watchdog's seconds left included).
    const clock = new FakeClock(Date.now());
    const t = await startAppUnderTest({ clock });
    const { app } = t;
    const web = await startWebServer({ controller: app.controller, site: app.site, info: app.info, sim: t.sim, clock, port: 0 });
    const http = async (path: string, body: string, contentType: string): Promise<{ status: number; text: string; json: { error?: unknown; details?: unknown; response_code?: number; data?: { response_code: number } } | undefined }> => {
      const res = await fetch(web.url + path, { method: 'POST', headers: { 'content-type': contentType }, body });
      const text = await res.text();
      let json;
      try {
        json = JSON.parse(text) as { error?: unknown; details?: unknown; response_code?: number; data?: { response_code: number } };
      } catch {
        json = undefined;
      }
      return { status: res.status, text, json };
    };
    const configs = fc.tuple(fc.nat(), valueText).map(([i, v]) => {
      const cfg = demoSiteConfig() as Record<string, unknown>;
      const keys = Object.keys(cfg);
      return `{${keys.map((k, j) => `${JSON.stringify(k)}:${j === i % keys.length ? v : JSON.stringify(cfg[k])}`).join(',')}}`;
    });
    const requestArb = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.constant('/api/command'), bodyText) },
      { weight: 2, arbitrary: fc.tuple(fc.constant('/api/command'), bodyText.map((t) => `{"storage_policy":${t.length < 40 ? JSON.stringify(t) : '"setpoint"'},"storage_power_setpoint_w":${t.length % 7000}}`)) },
      { weight: 2, arbitrary: fc.tuple(fc.constant('/api/config/validate'), fc.oneof(configs, bodyText)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant('/api/sim'), fc.oneof(bodyText, valueText.map((v) => `{"extraLoadW":${v}}`), valueText.map((v) => `{"irradianceWm2":${v}}`))) },
    );
    const statuses = new Map<number, number>();
    try {
      await fc.assert(
        fc.asyncProperty(requestArb, fc.constantFrom('application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain'), async ([path, text], contentType) => {
          const before = activeCommandOf(app.controller);
          const r = await http(path, text, contentType);
          const what = `POST ${path} (${contentType}) ${JSON.stringify(text.slice(0, 200))}`;
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          assert.ok(r.status === 200 || (r.status >= 400 && r.status < 500), `${what}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
          assert.ok(r.json !== undefined, `${what}: not a JSON answer: ${r.text.slice(0, 200)}`);
          if (r.status !== 200) {
            assert.equal(typeof r.json?.error, 'string', what);
            assert.ok(Array.isArray(r.json?.details), what);
          }
          if (path === '/api/command') {
            const code = r.status === 200 ? r.json?.data?.response_code : r.json?.response_code;
            if (code !== undefined) assert.ok(DOCUMENTED_CODES.has(code) && code !== 20, `${what}: response_code ${code}`);
            if (r.status !== 200) assert.equal(activeCommandOf(app.controller), before, `${what}: refused but the active command changed`);
          }
        }),
        fuzzOptions(runs(1000)),
      );
    } finally {
      await web.close();
      await t.stop();
      watch.stop();
    }
    watch.assertNone();
    assert.ok(statuses.has(200) && statuses.has(400), `statuses: ${[...statuses].join(' ')}`);
    console.log(`# HTTP answers by status: ${[...statuses].sort(([a], [b]) => a - b).map(([s, k]) => `${s}: ${k}`).join(', ')}`);
  });
});
