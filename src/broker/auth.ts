import { z } from 'zod';
import { DEFAULT_TOPIC_PREFIXES, definedPrefixes, topicsFor, type TopicPrefixesInput } from '../protocol/topics.ts';
import { hashPasswordMosquitto, hashPasswordScrypt, verifyPasswordScrypt } from './password-hash.ts';

/**
 * Credentials and ACL of the local broker [live §1: "credentials are per controller and per
 * integrator … an integrator may only command the sites it owns"]. Pure apart from the scrypt
 * verification (thread pool): no sockets here. The same accounts drive the aedes hooks
 * (embedded-broker.ts) and the mosquitto password file and ACL (mosquitto-config.ts).
 */

export type BrokerRole = 'controller' | 'integrator';

/** One account as the broker uses it (the store's row without its timestamps). */
export interface BrokerAccount {
  /** Username; for a controller also its client id (no takeover, below). */
  name: string;
  role: BrokerRole;
  /** Site serials the account acts for. */
  serials: readonly string[];
  /** scrypt hash (`$scrypt$…`, password-hash.ts); null = certificate only. */
  passwordScrypt: string | null;
  /** mosquitto `$7$` hash of the same password; null = certificate only. */
  passwordMosquitto: string | null;
  /** Client-certificate CN that logs this account in, or null. */
  certCn: string | null;
}

/** What the broker enforces: the accounts, and whether clients without credentials get in. */
export interface AccessPolicy {
  accounts: readonly BrokerAccount[];
  /**
   * Anonymous clients may do anything but publish to `$…`. True only while no integrator account
   * exists and the broker binds to loopback ({@link isAnonymousAllowed}).
   */
  isAnonymousAllowed: boolean;
}

/** Anonymous access is off as soon as an integrator account exists, and otherwise only on loopback. */
export function isAnonymousAllowed(accounts: readonly BrokerAccount[], bindHost: string): boolean {
  const loopback = bindHost === '127.0.0.1' || bindHost === 'localhost' || bindHost === '::1';
  return loopback && !accounts.some((a) => a.role === 'integrator');
}

/**
 * Accounts written by hand (tests, embedding): clear passwords, hashed here. The persistent way is
 * the store (`gridpilot broker …`, src/store/broker-accounts.ts).
 */
export const BrokerUserSchema = z.strictObject({
  username: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'username may hold letters, digits, _ . - only'),
  /** Clear-text password; absent = certificate only (CN = username). */
  password: z.string().min(1).optional(),
  role: z.enum(['controller', 'integrator']),
  /** Controller serial numbers this account may act for (topics end in them). At least one. */
  serials: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/, 'serial may hold letters, digits, _ and - only')).min(1),
});

export const BrokerAuthSchema = z
  .strictObject({ users: z.array(BrokerUserSchema).min(1) })
  .refine((a) => new Set(a.users.map((u) => u.username)).size === a.users.length, { message: 'usernames must be unique', path: ['users'] });

export type BrokerUser = z.output<typeof BrokerUserSchema>;
export type BrokerAuth = z.output<typeof BrokerAuthSchema>;

/** The accounts of a hand-written auth block (a certificate-only user is identified by CN = username). */
export function accountsFromAuth(auth: BrokerAuth): BrokerAccount[] {
  return BrokerAuthSchema.parse(auth).users.map((u) => ({
    name: u.username,
    role: u.role,
    serials: u.serials,
    passwordScrypt: u.password === undefined ? null : hashPasswordScrypt(u.password),
    passwordMosquitto: u.password === undefined ? null : hashPasswordMosquitto(u.password),
    certCn: u.password === undefined ? u.username : null,
  }));
}

export type { TopicPrefixesInput } from '../protocol/topics.ts';

/** Who is on the other end of a connection. */
export type Principal = { kind: 'anonymous' } | { kind: 'user'; username: string; role: BrokerRole; serials: readonly string[] };

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

/** Concrete topics an account may publish to and read, per the ACL of the issue/contract. */
export function topicRightsOf(account: Pick<BrokerAccount, 'role' | 'serials'>, prefixesInput?: TopicPrefixesInput): { publish: string[]; read: string[] } {
  const prefixes = definedPrefixes(prefixesInput);
  const publish: string[] = [];
  const read: string[] = [];
  for (const serial of account.serials) {
    const t = topicsFor(serial, prefixes);
    if (account.role === 'controller') {
      publish.push(t.feedback, t.status);
      read.push(t.command, t.schedule, t.prices);
    } else {
      publish.push(t.command, t.schedule, t.prices);
      read.push(t.feedback, t.status);
    }
  }
  return { publish, read };
}

/**
 * The retained-message rule [issue 13]: a retained publish on any site's command, schedule, prices
 * or feedback topic is delivered live but never stored by the broker (its retain flag is cleared),
 * so no command is replayed later to a controller that subscribes. Only status topics keep their
 * retained message (the ACL lets only a site's controller publish there once anonymous access is
 * off). Topics outside gridpilot's are not affected.
 */
export function mayRetainOn(topic: string, prefixesInput?: TopicPrefixesInput): boolean {
  const p = { ...DEFAULT_TOPIC_PREFIXES, ...definedPrefixes(prefixesInput) };
  for (const prefix of [p.command, p.schedule, p.prices, p.feedback]) {
    const base = `${prefix.replace(/\/+$/, '')}/`;
    if (topic.startsWith(base) && topic.length > base.length && !topic.slice(base.length).includes('/')) return false;
  }
  return true;
}

interface Compiled {
  account: BrokerAccount;
  publishTopics: ReadonlySet<string>;
  readTopics: ReadonlySet<string>;
}

/**
 * Decides who may connect (and with which client id), publish, subscribe and receive. `update()`
 * swaps the policy in place: connected clients are judged by the new one from their next packet.
 */
export class BrokerAccessControl {
  private accounts = new Map<string, Compiled>();
  private byCertCn = new Map<string, Compiled>();
  private anonymous = true;

  constructor(
    policy: AccessPolicy = { accounts: [], isAnonymousAllowed: true },
    private readonly prefixes?: TopicPrefixesInput,
  ) {
    this.update(policy);
  }

  update(policy: AccessPolicy): void {
    const accounts = new Map<string, Compiled>();
    const byCertCn = new Map<string, Compiled>();
    for (const account of policy.accounts) {
      const rights = topicRightsOf(account, this.prefixes);
      const c: Compiled = { account, publishTopics: new Set(rights.publish), readTopics: new Set(rights.read) };
      accounts.set(account.name, c);
      if (account.certCn !== null) byCertCn.set(account.certCn, c);
    }
    this.accounts = accounts;
    this.byCertCn = byCertCn;
    this.anonymous = policy.isAnonymousAllowed;
  }

  /** True when clients without credentials are refused. */
  get isEnforcing(): boolean {
    return !this.anonymous;
  }

  /**
   * Checks a CONNECT. `certCommonName` is the CN of a client certificate the TLS layer has already
   * verified against the broker's CA; it logs its account in without a password. No takeover: a
   * client id that is a controller account's name is only for that account. Password checks (scrypt,
   * ~44 ms of CPU each) run one at a time, so a flood of bad CONNECTs keeps one core at most and
   * leaves the rest to the control cycle; `isPriority` (the controller's own listener) skips that queue.
   */
  async authenticate(username: string | undefined, password: Buffer | undefined, clientId?: string, certCommonName?: string, options: { isPriority?: boolean } = {}): Promise<AuthResult> {
    const result = await this.checkCredentials(username, password, certCommonName, options.isPriority ?? false);
    if (!result.ok || clientId === undefined) return result;
    const owner = this.accounts.get(clientId)?.account;
    if (owner?.role === 'controller' && (result.principal.kind !== 'user' || result.principal.username !== owner.name)) {
      return { ok: false, returnCode: 5, reason: `client id ${clientId} belongs to controller account ${owner.name}` };
    }
    return result;
  }

  /** The tail of the one-at-a-time queue of password checks. */
  private hashing: Promise<unknown> = Promise.resolve();

  private verifyInTurn(password: Buffer, stored: string | null, isPriority: boolean): Promise<boolean> {
    if (isPriority) return verifyPasswordScrypt(password, stored);
    const turn = this.hashing.then(() => verifyPasswordScrypt(password, stored));
    this.hashing = turn.catch(() => undefined);
    return turn;
  }

  private async checkCredentials(username: string | undefined, password: Buffer | undefined, certCommonName: string | undefined, isPriority: boolean): Promise<AuthResult> {
    if (certCommonName !== undefined) {
      const byCert = this.byCertCn.get(certCommonName);
      if (byCert && (username === undefined || username === '' || username === byCert.account.name)) return { ok: true, principal: principalOf(byCert.account) };
    }
    if (username === undefined || username === '') {
      if (this.anonymous) return { ok: true, principal: { kind: 'anonymous' } };
      return { ok: false, returnCode: 5, reason: 'anonymous connections are not allowed' };
    }
    const account = this.accounts.get(username)?.account;
    // Unknown names cost a scrypt too, so timing does not reveal which names exist.
    const matches = await this.verifyInTurn(password ?? Buffer.alloc(0), account?.passwordScrypt ?? null, isPriority);
    if (!account || password === undefined || !matches) return { ok: false, returnCode: 4, reason: 'bad username or password' };
    return { ok: true, principal: principalOf(account) };
  }

  canPublish(principal: Principal, topic: string): boolean {
    if (topic.startsWith(RESERVED_PREFIX)) return false;
    if (principal.kind === 'anonymous') return this.anonymous;
    return this.accounts.get(principal.username)?.publishTopics.has(topic) ?? false;
  }

  /**
   * A filter is granted when it can match at least one topic the principal may receive; delivery is
   * then still filtered per message by `canReceive`, so `feedback/+` gives an integrator the
   * feedback of its own sites only.
   */
  canSubscribe(principal: Principal, filter: string): boolean {
    if (principal.kind === 'anonymous') return this.anonymous;
    const readTopics = this.accounts.get(principal.username)?.readTopics;
    if (!readTopics) return false;
    for (const topic of readTopics) if (topicMatchesFilter(filter, topic)) return true;
    return false;
  }

  canReceive(principal: Principal, topic: string): boolean {
    if (principal.kind === 'anonymous') return this.anonymous;
    return this.accounts.get(principal.username)?.readTopics.has(topic) ?? false;
  }
}

function principalOf(account: BrokerAccount): Principal {
  return { kind: 'user', username: account.name, role: account.role, serials: account.serials };
}
