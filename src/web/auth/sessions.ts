import { randomBytes } from 'node:crypto';
import type { WebRole, WebUser } from './web-users.ts';

/**
 * Login sessions of the web UI, in memory (a restart logs everybody out): an opaque random token in
 * an http-only, SameSite=Strict cookie. A session ends after `idleMs` without a request, after
 * `maxAgeMs` whatever happens, at logout, and as soon as its user's password changes or the user is
 * gone (the accounts file is the authority). Times are wall-clock ms (never the simulated clock).
 */

export interface Session {
  token: string;
  user: string;
  role: WebRole;
  createdAtMs: number;
  lastSeenAtMs: number;
  /** The password hash the session was opened with: a new password ends it. */
  passwordHash: string;
}

export interface SessionOptions {
  /** Default 12 h. */
  idleMs?: number;
  /** Default 7 days. */
  maxAgeMs?: number;
  /** Most open sessions; the least recently used goes first. Default 1,000. */
  maxSessions?: number;
  now?: () => number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(opts: SessionOptions = {}) {
    this.idleMs = opts.idleMs ?? 12 * 3_600_000;
    this.maxAgeMs = opts.maxAgeMs ?? 7 * 86_400_000;
    this.maxSessions = opts.maxSessions ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  open(user: WebUser): Session {
    const nowMs = this.now();
    const s: Session = { token: randomBytes(32).toString('base64url'), user: user.name, role: user.role, createdAtMs: nowMs, lastSeenAtMs: nowMs, passwordHash: user.passwordHash };
    this.sessions.set(s.token, s);
    while (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    return s;
  }

  /** The live session of a token (its role as the accounts say now), or null. Touches it. */
  find(token: string | undefined, users: readonly WebUser[]): Session | null {
    if (!token) return null;
    const s = this.sessions.get(token);
    if (!s) return null;
    const nowMs = this.now();
    const user = users.find((u) => u.name === s.user);
    if (!user || user.passwordHash !== s.passwordHash || nowMs - s.lastSeenAtMs > this.idleMs || nowMs - s.createdAtMs > this.maxAgeMs) {
      this.sessions.delete(token);
      return null;
    }
    s.lastSeenAtMs = nowMs;
    s.role = user.role;
    // Most recently used last, so eviction takes the least recently used.
    this.sessions.delete(token);
    this.sessions.set(token, s);
    return s;
  }

  close(token: string | undefined): void {
    if (token) this.sessions.delete(token);
  }

  get size(): number {
    return this.sessions.size;
  }
}

/**
 * Failed logins per client address: after `freeFailures` failures the address waits 1 s, then
 * 2 s, 4 s … up to `maxLockMs` before its next try is even checked (429 with Retry-After). A
 * success clears it; entries are forgotten `windowMs` after the last failure.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; lastMs: number; lockedUntilMs: number }>();
  constructor(
    private readonly opts: { freeFailures?: number; maxLockMs?: number; windowMs?: number; now?: () => number } = {},
  ) {}

  private get now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Ms the address must still wait, 0 when it may try. */
  waitMs(address: string): number {
    const f = this.failures.get(address);
    if (!f) return 0;
    if (this.now - f.lastMs > (this.opts.windowMs ?? 15 * 60_000)) {
      this.failures.delete(address);
      return 0;
    }
    return Math.max(0, f.lockedUntilMs - this.now);
  }

  failed(address: string): void {
    const nowMs = this.now;
    const f = this.failures.get(address) ?? { count: 0, lastMs: nowMs, lockedUntilMs: 0 };
    f.count++;
    f.lastMs = nowMs;
    const over = f.count - (this.opts.freeFailures ?? 5);
    if (over >= 0) f.lockedUntilMs = nowMs + Math.min(this.opts.maxLockMs ?? 15 * 60_000, 1000 * 2 ** over);
    this.failures.set(address, f);
    // Bounded: an attacker cycling addresses cannot grow it without end.
    if (this.failures.size > 10_000) {
      const first = this.failures.keys().next().value;
      if (first !== undefined) this.failures.delete(first);
    }
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }
}
