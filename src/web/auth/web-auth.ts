import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../../core/logger.ts';
import { verifyPasswordScrypt } from '../../core/password-hash.ts';
import { formatPath, HttpError, requireObjectBody } from '../http-errors.ts';
import { LoginThrottle, SessionStore, type Session } from './sessions.ts';
import { WebUsersError, type WebRole, type WebUserSource } from './web-users.ts';

/**
 * Login for the web UI and its API [#16]: the first visit sets the admin password; then every
 * `/api/…` route and the live stream need a session, except `/api/auth/…` (login itself) and the
 * scrapers' `/metrics` and `/healthz` (their own allow-list). A viewer (a site owner) may only
 * read: any other method is 403. CSRF: the cookie is SameSite=Strict and http-only (Secure over
 * TLS), bodies are JSON only, and the server's guards refuse any cross-origin request.
 */

export const SESSION_COOKIE = 'gp_session';

export interface WebAuthOptions {
  users: WebUserSource;
  logger?: Pick<Logger, 'info' | 'warn'>;
  sessions?: SessionStore;
  throttle?: LoginThrottle;
}

export interface WebAuth {
  /**
   * While no admin exists: the code a first-run setup from another machine than this one must
   * give (printed at start); null once the admin password is set. From loopback none is needed.
   */
  setupCode(): string | null;
  install(app: FastifyInstance): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in user of this request (null on routes that need none). */
    webUser: { name: string; role: WebRole } | null;
  }
}

const LoginSchema = z.strictObject({
  /** Default `admin`. */
  user: z.string().min(1).max(64).optional(),
  password: z.string().min(1).max(1024),
});
const SetupSchema = z.strictObject({ password: z.string().min(1).max(1024), setupCode: z.string().max(64).optional() });

const isLoopbackPeer = (ip: string): boolean => ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');

function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(requireObjectBody(body, what));
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  throw new HttpError(400, `invalid ${what}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
}

/** Paths that need no session. */
function isOpenPath(url: string): boolean {
  const path = url.split('?')[0] ?? url;
  if (!path.startsWith('/api/')) return true; // the static UI (its login page) and /metrics, /healthz
  return path.startsWith('/api/auth/');
}

export function createWebAuth(opts: WebAuthOptions): WebAuth {
  const { users } = opts;
  const sessions = opts.sessions ?? new SessionStore();
  const throttle = opts.throttle ?? new LoginThrottle();
  const code = randomBytes(6).toString('base64url');
  const hasAdmin = (): boolean => users.list().some((u) => u.role === 'admin');
  const sessionOf = (req: FastifyRequest): Session | null => sessions.find(req.cookies[SESSION_COOKIE], users.list());

  const startSession = (req: FastifyRequest, reply: FastifyReply, s: Session): void => {
    void reply.setCookie(SESSION_COOKIE, s.token, { httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https', path: '/' });
  };

  return {
    setupCode: () => (hasAdmin() ? null : code),
    async install(app) {
      await app.register(fastifyCookie);
      app.decorateRequest('webUser', null);
      app.addHook('onRequest', async (req, reply) => {
        if (isOpenPath(req.url)) return undefined;
        const s = sessionOf(req);
        if (!s) {
          return reply.code(401).send({ error: hasAdmin() ? 'log in first (POST /api/auth/login)' : 'set the admin password first (POST /api/auth/setup)', details: [] });
        }
        if (s.role !== 'admin' && req.method !== 'GET' && req.method !== 'HEAD') {
          return reply.code(403).send({ error: `user "${s.user}" is a viewer: reading only`, details: [] });
        }
        req.webUser = { name: s.user, role: s.role };
        return undefined;
      });

      app.get('/api/auth/state', async (req) => {
        const s = sessionOf(req);
        return { isSetUp: hasAdmin(), user: s ? { name: s.user, role: s.role } : null, needsSetupCode: !hasAdmin() && !isLoopbackPeer(req.ip) };
      });

      // First run: whoever sets the admin password first owns the site, so from another machine
      // than this one the setup code printed at start is needed too.
      app.post('/api/auth/setup', async (req, reply) => {
        const body = parseBody(SetupSchema, req.body, 'setup ({ "password": "…", "setupCode"?: "…" })');
        if (hasAdmin()) throw new HttpError(409, 'the admin password is set already: log in, or reset it with `gridpilot web passwd admin`');
        if (!isLoopbackPeer(req.ip) && body.setupCode !== code) throw new HttpError(403, 'from another machine, the first-run setup needs the setup code gridpilot printed at start');
        let user;
        try {
          user = await users.setPassword('admin', body.password, 'admin');
        } catch (err) {
          if (err instanceof WebUsersError) throw new HttpError(400, err.message, [{ path: 'password', message: err.message }]);
          throw err;
        }
        opts.logger?.info({ user: 'admin', ip: req.ip }, 'web: admin password set (first run)');
        startSession(req, reply, sessions.open(user));
        return { ok: true, user: { name: user.name, role: user.role } };
      });

      app.post('/api/auth/login', async (req, reply) => {
        const wait = throttle.waitMs(req.ip);
        if (wait > 0) {
          void reply.header('retry-after', String(Math.ceil(wait / 1000)));
          throw new HttpError(429, `too many failed logins from ${req.ip}: try again in ${Math.ceil(wait / 1000)} s`);
        }
        const body = parseBody(LoginSchema, req.body, 'login ({ "user"?: "admin", "password": "…" })');
        const name = body.user ?? 'admin';
        const user = users.list().find((u) => u.name === name);
        // The same work and the same answer whether the user exists or not.
        const ok = await verifyPasswordScrypt(body.password, user?.passwordHash ?? null);
        if (!user || !ok) {
          throttle.failed(req.ip);
          opts.logger?.warn({ user: name, ip: req.ip }, 'web: failed login');
          throw new HttpError(401, 'wrong user name or password');
        }
        throttle.succeeded(req.ip);
        startSession(req, reply, sessions.open(user));
        return { ok: true, user: { name: user.name, role: user.role } };
      });

      app.post('/api/auth/logout', async (req, reply) => {
        sessions.close(req.cookies[SESSION_COOKIE]);
        void reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return { ok: true };
      });
    },
  };
}
