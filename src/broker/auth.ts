import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { definedPrefixes, topicsFor, type TopicPrefixesInput } from '../protocol/topics.ts';

/**
 * Credentials and ACL of the embedded broker [live §1: "credentials are per controller and per
 * integrator … an integrator may only command the sites it owns"]. Pure: no sockets here.
 */

/**
 * One broker account.
 * - `controller`: may publish the feedback and status topics of its serials and subscribe to their
 *   command, schedule and prices topics.
 * - `integrator`: may publish the command, schedule and prices topics of its serials and subscribe to their
 *   feedback and status topics.
 */
export const BrokerUserSchema = z
  .strictObject({
    username: z.string().min(1),
    /** Clear-text password. Give this or `passwordSha256`, or neither for a certificate-only account. */
    password: z.string().min(1).optional(),
    /** Lower- or upper-case hex SHA-256 of the password (unsalted: keep the config file private). */
    passwordSha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'passwordSha256 must be 64 hex digits')
      .optional(),
    role: z.enum(['controller', 'integrator']),
    /** Controller serial numbers this account may act for (topics end in them). At least one. */
    serials: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/, 'serial may hold letters, digits, _ and - only')).min(1),
  })
  .refine((u) => !(u.password !== undefined && u.passwordSha256 !== undefined), {
    message: 'give password or passwordSha256, not both',
    path: ['passwordSha256'],
  });

export const BrokerAuthSchema = z
  .strictObject({ users: z.array(BrokerUserSchema).min(1) })
  .refine((a) => new Set(a.users.map((u) => u.username)).size === a.users.length, {
    message: 'usernames must be unique',
    path: ['users'],
  });

export type BrokerUser = z.output<typeof BrokerUserSchema>;
export type BrokerRole = BrokerUser['role'];
/** Without it the broker is open to anyone who can reach it (fine on loopback, the default bind). */
export type BrokerAuth = z.output<typeof BrokerAuthSchema>;

export type { TopicPrefixesInput } from '../protocol/topics.ts';

/** Who is on the other end of a connection. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; username: string; role: BrokerRole; serials: readonly string[] };

/** CONNACK return codes of MQTT 3.1.1 §3.2.2.3 used for refusals. */
export type RefusalCode = 4 /* bad user name or password */ | 5 /* not authorized */;

export type AuthResult = { ok: true; principal: Principal } | { ok: false; returnCode: RefusalCode; reason: string };

/** Topics reserved for the broker itself; nobody publishes there. */
const RESERVED_PREFIX = '$';

/**
 * MQTT topic-filter matching [MQTT-4.7]: `+` one level, `#` this level and all below (including the
 * parent), and wildcards at the first level never match topics starting with `$` [MQTT-4.7.2-1].
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

function sha256(data: string | Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

interface Account {
  user: BrokerUser;
  /** SHA-256 of the password; null = certificate only. */
  passwordDigest: Buffer | null;
  /** Concrete topics the account may publish to. */
  publishTopics: ReadonlySet<string>;
  /** Concrete topics the account may receive (subscribe to). */
  readTopics: ReadonlySet<string>;
}

/**
 * Decides who may connect, publish, subscribe and receive. Without an auth config everyone is
 * anonymous and may do anything except publish to `$…` topics.
 */
export class BrokerAccessControl {
  private readonly accounts: ReadonlyMap<string, Account> | null;

  constructor(auth: BrokerAuth | undefined, prefixesInput?: TopicPrefixesInput) {
    const prefixes = definedPrefixes(prefixesInput);
    if (!auth) {
      this.accounts = null;
      return;
    }
    const parsed = BrokerAuthSchema.parse(auth);
    const accounts = new Map<string, Account>();
    for (const user of parsed.users) {
      const publishTopics = new Set<string>();
      const readTopics = new Set<string>();
      for (const serial of user.serials) {
        const t = topicsFor(serial, prefixes);
        if (user.role === 'controller') {
          publishTopics.add(t.feedback).add(t.status);
          readTopics.add(t.command).add(t.schedule).add(t.prices);
        } else {
          publishTopics.add(t.command).add(t.schedule).add(t.prices);
          readTopics.add(t.feedback).add(t.status);
        }
      }
      const passwordDigest =
        user.password !== undefined
          ? sha256(user.password)
          : user.passwordSha256 !== undefined
            ? Buffer.from(user.passwordSha256, 'hex')
            : null;
      accounts.set(user.username, { user, passwordDigest, publishTopics, readTopics });
    }
    this.accounts = accounts;
  }

  /** True when accounts are configured (anonymous connections are refused). */
  get isEnforcing(): boolean {
    return this.accounts !== null;
  }

  /**
   * Checks a CONNECT. `certCommonName` is the CN of a client certificate the TLS layer has already
   * verified against the broker's CA; it logs the account of that name in without a password.
   */
  authenticate(username: string | undefined, password: Buffer | undefined, certCommonName?: string): AuthResult {
    if (!this.accounts) return { ok: true, principal: { kind: 'anonymous' } };
    if (certCommonName !== undefined && (username === undefined || username === certCommonName)) {
      const byCert = this.accounts.get(certCommonName);
      if (byCert) return { ok: true, principal: principalOf(byCert.user) };
    }
    if (username === undefined || username === '') {
      return { ok: false, returnCode: 5, reason: 'anonymous connections are not allowed' };
    }
    const account = this.accounts.get(username);
    // Hash even for unknown users, so timing does not reveal which usernames exist.
    const given = sha256(password ?? Buffer.alloc(0));
    const expected = account?.passwordDigest ?? sha256(`\0no-such-user\0${username}`);
    const matches = timingSafeEqual(given, expected);
    if (!account || !account.passwordDigest || password === undefined || !matches) {
      return { ok: false, returnCode: 4, reason: 'bad username or password' };
    }
    return { ok: true, principal: principalOf(account.user) };
  }

  canPublish(principal: Principal, topic: string): boolean {
    if (topic.startsWith(RESERVED_PREFIX)) return false;
    if (principal.kind === 'anonymous') return this.accounts === null;
    return this.accounts?.get(principal.username)?.publishTopics.has(topic) ?? false;
  }

  /**
   * A filter is granted when it can match at least one topic the principal may receive; delivery is
   * then still filtered per message by `canReceive`, so `feedback/+` gives an integrator the
   * feedback of its own sites only.
   */
  canSubscribe(principal: Principal, filter: string): boolean {
    if (principal.kind === 'anonymous') return this.accounts === null;
    const readTopics = this.accounts?.get(principal.username)?.readTopics;
    if (!readTopics) return false;
    for (const topic of readTopics) if (topicMatchesFilter(filter, topic)) return true;
    return false;
  }

  canReceive(principal: Principal, topic: string): boolean {
    if (principal.kind === 'anonymous') return this.accounts === null;
    return this.accounts?.get(principal.username)?.readTopics.has(topic) ?? false;
  }
}

function principalOf(user: BrokerUser): Principal {
  return { kind: 'user', username: user.username, role: user.role, serials: user.serials };
}
