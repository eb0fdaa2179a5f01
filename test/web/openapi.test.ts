import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startAppUnderTest } from '../helpers/app-harness.ts';
import { tempDir } from '../helpers/schedule-peer.ts';

// GET /openapi.json describes every route the real app registers [#16]: none is missing, none
// is left undocumented, and the bodies carry their schemas.
describe('GET /openapi.json', () => {
  it('lists every registered route of the app with a summary, the session rule and the body schemas', async () => {
    const dir = tempDir('gp-openapi-');
    const t = await startAppUnderTest({ dataDir: dir.path, httpPort: 0 });
    try {
      const res = await fetch(`${t.app.info.httpUrl}/openapi.json`);
      assert.equal(res.status, 200, 'no session needed for the description');
      const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { summary: string; security?: unknown; requestBody?: { content: Record<string, { schema: object }> } }>> };
      assert.equal(doc.openapi, '3.1.0');
      const ops = Object.entries(doc.paths).flatMap(([url, m]) => Object.entries(m).map(([method, op]) => ({ key: `${method.toUpperCase()} ${url}`, op })));
      const undocumented = ops.filter((o) => o.op.summary === 'undocumented').map((o) => o.key);
      assert.deepEqual(undocumented, [], 'every route has its entry in src/web/openapi.ts');
      for (const key of ['GET /api/state', 'POST /api/command', 'POST /api/config', 'POST /api/auth/login', 'GET /healthz', 'GET /api/live']) {
        assert.ok(ops.some((o) => o.key === key), `${key} in ${ops.map((o) => o.key).join(', ')}`);
      }
      const config = doc.paths['/api/config']?.post;
      assert.ok(config?.security, 'POST /api/config needs a session');
      const schema = JSON.stringify(config?.requestBody?.content['application/json']?.schema);
      assert.match(schema, /importLimitW/, 'the site config schema is there');
      assert.equal(doc.paths['/api/auth/login']?.post?.security, undefined);
      assert.match(JSON.stringify(doc.paths['/api/command']?.post?.requestBody), /extraTags/);
    } finally {
      await t.stop();
      dir.remove();
    }
  });
});
