import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { runWebPasswd } from '../../src/cli/commands/web.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { HistoryReader } from '../../src/store/queries.ts';
import { readWebUsersFile, webUsersFileOf } from '../../src/web/auth/web-users.ts';
import { startAppUnderTest, type AppUnderTest } from '../helpers/app-harness.ts';
import { tempDir } from '../helpers/schedule-peer.ts';
import { apiCaller, type ApiAnswer } from '../helpers/web-login.ts';

// Login of the web UI and its API [#16]: first-run admin password, sessions in cookies, viewers
// read only, failed logins throttled, a password reset from the CLI ends open sessions, and no
// cross-origin request gets through.

describe('web login', () => {
  const dir = tempDir('gp-web-auth-');
  let t: AppUnderTest;
  let url: string;
  before(async () => {
    t = await startAppUnderTest({ dataDir: dir.path, httpPort: 0 });
    url = t.app.info.httpUrl as string;
  });
  after(async () => {
    await t.stop();
    dir.remove();
  });

  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> => apiCaller(url)(method, path, body, headers);
  const cookieOf = (a: ApiAnswer): string => {
    const set = a.headers.get('set-cookie') ?? '';
    assert.match(set, /gp_session=/);
    return set.split(';')[0] as string;
  };

  it('before the first run every API route answers 401 and the page is served; the setup sets the admin password once', async () => {
    assert.match(t.app.info.webLogin?.setupCode ?? '', /^[A-Za-z0-9_-]{8}$/, 'a setup code is printed while no admin exists');
    for (const path of ['/api/state', '/api/site', '/api/protocol', '/api/plan']) {
      const a = await call('GET', path);
      assert.equal(a.status, 401, path);
      assert.match(String(a.json.error), /set the admin password first/);
    }
    assert.equal((await call('POST', '/api/command', { storage_policy: 'setpoint', storage_power_setpoint_w: 1000 })).status, 401);
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200, 'the UI (its login screen) needs no session');
    assert.deepEqual((await call('GET', '/api/auth/state')).json, { isSetUp: false, user: null, needsSetupCode: false });

    // Too short: 400, nothing stored.
    const weak = await call('POST', '/api/auth/setup', { password: 'short' });
    assert.equal(weak.status, 400);
    assert.match(String(weak.json.error), /at least 8 characters/);
    assert.deepEqual(readWebUsersFile(webUsersFileOf(dir.path)), []);

    const ok = await call('POST', '/api/auth/setup', { password: 'correct horse battery' });
    assert.equal(ok.status, 200);
    const set = ok.headers.get('set-cookie') ?? '';
    assert.match(set, /HttpOnly/i);
    assert.match(set, /SameSite=Strict/i);
    const cookie = cookieOf(ok);
    assert.equal((await call('GET', '/api/state', undefined, { cookie })).status, 200);
    const stored = readWebUsersFile(webUsersFileOf(dir.path));
    assert.equal(stored.length, 1);
    assert.match(stored[0]?.passwordHash ?? '', /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$/, 'scrypt, parameters recorded');
    assert.ok(!JSON.stringify(stored).includes('correct horse'), 'never the clear password');

    // A second setup is refused, and does not change the password.
    const again = await call('POST', '/api/auth/setup', { password: 'another password' });
    assert.equal(again.status, 409);
    assert.equal((await call('POST', '/api/auth/login', { password: 'another password' })).status, 401);
  });

  it('a session works for the API and the live stream; logout ends it', async () => {
    const login = await call('POST', '/api/auth/login', { user: 'admin', password: 'correct horse battery' });
    assert.equal(login.status, 200);
    const cookie = cookieOf(login);
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/live`, { headers: { cookie } });
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (m) => resolve(String(m)));
      ws.once('error', reject);
    });
    assert.equal((JSON.parse(first) as { type: string }).type, 'state');
    ws.close();
    // Without a session the upgrade is refused.
    const refused = new WebSocket(`${url.replace('http', 'ws')}/api/live`);
    const status = await new Promise<number>((resolve) => {
      refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      refused.once('error', () => resolve(-1));
    });
    assert.equal(status, 401);

    assert.equal((await call('POST', '/api/auth/logout', {}, { cookie })).status, 200);
    assert.equal((await call('GET', '/api/state', undefined, { cookie })).status, 401);
  });

  it('a web command is logged with the user who sent it', async () => {
    const cookie = cookieOf(await call('POST', '/api/auth/login', { password: 'correct horse battery' }));
    const a = await call('POST', '/api/command', { storage_policy: 'setpoint', storage_power_setpoint_w: 1200 }, { cookie });
    assert.equal(a.status, 200);
    const id = a.headers.get('x-command-id');
    await t.app.store?.flush();
    const reader = new HistoryReader(dir.path);
    try {
      const row = reader.commands({ limit: 5 }).find((r) => r.commandId === id);
      assert.equal(row?.actor, 'admin');
      assert.equal(row?.source, 'web');
    } finally {
      reader.close();
    }
  });

  it('a cross-origin POST is refused even with a session (CSRF), and an unknown user costs a failed login', async () => {
    const cookie = cookieOf(await call('POST', '/api/auth/login', { password: 'correct horse battery' }));
    const cross = await call('POST', '/api/command', { storage_policy: 'setpoint', storage_power_setpoint_w: 900 }, { cookie, origin: 'http://evil.example' });
    assert.equal(cross.status, 403);
    const form = await fetch(`${url}/api/command`, { method: 'POST', headers: { cookie, 'content-type': 'text/plain' }, body: '{"storage_policy":"setpoint"}' });
    assert.equal(form.status, 415, 'a simple (no-preflight) cross-site body type is not even parsed');
  });

  it('a viewer reads but cannot change anything', async () => {
    const io = memoryIo();
    assert.equal(await runWebPasswd('owner', { dataDir: dir.path, role: 'viewer', password: 'owner password 1' }, io), 0, io.stderr.join('\n'));
    const login = await call('POST', '/api/auth/login', { user: 'owner', password: 'owner password 1' });
    assert.equal(login.status, 200);
    assert.deepEqual(login.json.user, { name: 'owner', role: 'viewer' });
    const cookie = cookieOf(login);
    assert.equal((await call('GET', '/api/state', undefined, { cookie })).status, 200);
    const post = await call('POST', '/api/command', { storage_policy: 'setpoint', storage_power_setpoint_w: 800 }, { cookie });
    assert.equal(post.status, 403);
    assert.match(String(post.json.error), /viewer/);
  });

  it('a password reset from the command line applies to the running server and ends that user\'s sessions', async () => {
    const cookie = cookieOf(await call('POST', '/api/auth/login', { password: 'correct horse battery' }));
    const io = memoryIo();
    assert.equal(await runWebPasswd('admin', { dataDir: dir.path, role: 'admin', password: 'a brand new secret' }, io), 0, io.stderr.join('\n'));
    assert.match(io.stdout.join('\n'), /password changed: admin/);
    assert.equal((await call('GET', '/api/state', undefined, { cookie })).status, 401);
    assert.equal((await call('POST', '/api/auth/login', { password: 'correct horse battery' })).status, 401);
    assert.equal((await call('POST', '/api/auth/login', { password: 'a brand new secret' })).status, 200);
    // Bad input changes nothing.
    const bad = memoryIo();
    assert.equal(await runWebPasswd('admin', { dataDir: dir.path, role: 'viewer', password: 'the only admin now' }, bad), 1);
    assert.match(bad.stderr.join('\n'), /only admin.*nothing changed/);
    assert.equal(await runWebPasswd('bad name!', { dataDir: dir.path, role: 'admin', password: 'long enough pw' }, bad), 1);
    assert.equal((await call('POST', '/api/auth/login', { password: 'a brand new secret' })).status, 200);
  });

  it('failed logins from one address are slowed down (429 with Retry-After) and health stays open', async () => {
    const codes: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 7; i++) {
      const a = await call('POST', '/api/auth/login', { user: 'admin', password: `wrong ${i}` });
      codes.push(a.status);
      retryAfter ??= a.headers.get('retry-after');
    }
    assert.deepEqual(codes.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.ok(codes.slice(5).includes(429), `locked after 5 failures: ${codes.join(',')}`);
    assert.match(retryAfter ?? '', /^\d+$/);
    // Even the right password waits out the lock.
    assert.equal((await call('POST', '/api/auth/login', { password: 'a brand new secret' })).status, 429);
    assert.equal((await fetch(`${url}/healthz`)).status, 200, 'scrapers need no session');
  });
});
