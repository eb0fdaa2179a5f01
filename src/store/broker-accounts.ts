import { existsSync } from 'node:fs';
import DatabaseConstructor, { type Database } from 'better-sqlite3';
import { GridpilotError } from '../core/errors.ts';
import { dirname, join } from 'node:path';
import { readSecretsFile, writeSecretsFile } from './config-secrets.ts';
import { dbFileOf, openDatabase, prepareDataDir } from './open-database.ts';
import { LATEST_SCHEMA_VERSION, migrate, schemaVersion } from './schema.ts';

/**
 * The broker accounts of a data directory (tables of migration 6). Synchronous, on its own
 * better-sqlite3 connection: the CLI changes accounts while a controller runs on the same
 * directory (WAL: readers and one writer at a time, `busy_timeout` 5 s), and the running broker
 * reads them on its own read-only connection when the revision moves. Hashes are made by the
 * caller (src/broker/password-hash.ts); the store never sees a clear password.
 */

export type AccountRole = 'controller' | 'integrator';

/** One account as stored. */
export interface StoredAccount {
  /** Username on the broker: letters, digits, `_ . -`, 1–64 characters. */
  name: string;
  role: AccountRole;
  /** scrypt hash (`$scrypt$…`), null = certificate only. */
  passwordScrypt: string | null;
  /** mosquitto `$7$…` hash of the same password, null = certificate only. */
  passwordMosquitto: string | null;
  /** Client-certificate CN that logs this account in, or null. */
  certCn: string | null;
  /** Site serials the account acts for, sorted. */
  serials: string[];
  createdAtMs: number;
  updatedAtMs: number;
}

/** The two hashes of one password. */
export interface PasswordHashes {
  scrypt: string;
  mosquitto: string;
}

export const ACCOUNT_NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;
export const SERIAL_RE = /^[A-Za-z0-9_-]{1,64}$/;
/** A certificate CN as it may appear in the account model (no control characters, no ':'). */
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CERT_CN_RE = /^[^\u0000-\u001f:]{1,128}$/;

/** The controller account of a site: its username (and, on the broker, its client id). */
export function controllerAccountName(serial: string): string {
  return `gp-${serial}`;
}

function checkName(name: string): void {
  if (!ACCOUNT_NAME_RE.test(name)) throw new GridpilotError(`account name ${JSON.stringify(name)} may hold letters, digits, '_', '.' and '-' only (1–64 characters)`, 'NAME');
}
export function checkSerial(serial: string): void {
  if (!SERIAL_RE.test(serial)) throw new GridpilotError(`serial ${JSON.stringify(serial)} may hold letters, digits, '_' and '-' only (1–64 characters)`, 'SERIAL');
}

interface AccountRow {
  name: string;
  role: AccountRole;
  password_scrypt: string | null;
  password_mosquitto: string | null;
  cert_cn: string | null;
  created_at_ms: number;
  updated_at_ms: number;
}

/** An account to add: a password (hashes), a certificate CN, or both. */
export interface NewAccount {
  name: string;
  role: AccountRole;
  password: PasswordHashes | null;
  certCn?: string | null;
  serials?: readonly string[];
}

export class BrokerAccountsDb {
  private constructor(
    private readonly db: Database,
    /** The database file. */
    readonly file: string,
  ) {}

  /**
   * Opens the accounts of a data directory. Writer (`readonly` false, the CLI): creates the
   * directory and the schema when needed. Reader (the running broker): the store must exist.
   */
  static open(dataDir: string, opts: { readonly?: boolean } = {}): BrokerAccountsDb {
    const file = dbFileOf(dataDir);
    if (!opts.readonly) prepareDataDir(dataDir);
    // An existing store is the controller's: only open it (its own open migrated and checked it).
    const db = !opts.readonly && existsSync(file) ? new DatabaseConstructor(file) : openDatabase(file, opts.readonly ? { readonly: true } : { isIntegrityChecked: false });
    db.pragma('busy_timeout = 5000');
    // A store left by an older gridpilot gets the accounts tables (and whatever precedes them).
    if (!opts.readonly && schemaVersion(db) < LATEST_SCHEMA_VERSION) migrate(db, file);
    return new BrokerAccountsDb(db, file);
  }

  close(): void {
    this.db.close();
  }

  /** Bumped by every change, in the same transaction. */
  revision(): number {
    const row = this.db.prepare('SELECT revision FROM broker_accounts_revision WHERE id = 1').get() as { revision: number } | undefined;
    return row?.revision ?? 0;
  }

  list(): StoredAccount[] {
    const rows = this.db.prepare('SELECT * FROM broker_accounts ORDER BY role, name').all() as AccountRow[];
    const sites = this.db.prepare('SELECT name, serial FROM broker_account_sites ORDER BY serial').all() as Array<{ name: string; serial: string }>;
    return rows.map((r) => ({
      name: r.name,
      role: r.role,
      passwordScrypt: r.password_scrypt,
      passwordMosquitto: r.password_mosquitto,
      certCn: r.cert_cn,
      serials: sites.filter((s) => s.name === r.name).map((s) => s.serial),
      createdAtMs: r.created_at_ms,
      updatedAtMs: r.updated_at_ms,
    }));
  }

  get(name: string): StoredAccount | null {
    return this.list().find((a) => a.name === name) ?? null;
  }

  /** Adds an account. Throws (nothing changed) when the name or the certificate CN is taken or input is malformed. */
  add(account: NewAccount, nowMs = Date.now()): void {
    this.write(() => this.insert(account, nowMs));
  }

  /** Adds every account in one transaction (a fleet of thousands in one commit); the first problem throws and nothing is added. */
  addAll(accounts: readonly NewAccount[], nowMs = Date.now()): void {
    this.write(() => {
      for (const a of accounts) this.insert(a, nowMs);
    });
  }

  private insert(account: NewAccount, nowMs: number): void {
    checkName(account.name);
    for (const s of account.serials ?? []) checkSerial(s);
    const certCn = account.certCn ?? null;
    if (certCn !== null && !CERT_CN_RE.test(certCn)) throw new GridpilotError(`certificate CN ${JSON.stringify(certCn)} must be 1–128 characters without control characters or ':'`, '--cert-cn');
    if (account.password === null && certCn === null) throw new GridpilotError(`account ${account.name} needs a password or a certificate CN`, account.name);
    if (this.db.prepare('SELECT 1 FROM broker_accounts WHERE name = ?').get(account.name)) throw new GridpilotError(`account ${account.name} exists already (change its password with: gridpilot broker passwd ${account.name})`, account.name);
    if (certCn !== null) {
      const holder = this.db.prepare('SELECT name FROM broker_accounts WHERE cert_cn = ?').get(certCn) as { name: string } | undefined;
      if (holder) throw new GridpilotError(`certificate CN ${certCn} already identifies account ${holder.name}`, '--cert-cn');
    }
    this.db
      .prepare('INSERT INTO broker_accounts (name, role, password_scrypt, password_mosquitto, cert_cn, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(account.name, account.role, account.password?.scrypt ?? null, account.password?.mosquitto ?? null, certCn, nowMs, nowMs);
    const grant = this.db.prepare('INSERT OR IGNORE INTO broker_account_sites (name, serial) VALUES (?, ?)');
    for (const s of account.serials ?? []) grant.run(account.name, s);
  }

  setPassword(name: string, password: PasswordHashes, nowMs = Date.now()): void {
    this.write(() => {
      this.require(name);
      this.db.prepare('UPDATE broker_accounts SET password_scrypt = ?, password_mosquitto = ?, updated_at_ms = ? WHERE name = ?').run(password.scrypt, password.mosquitto, nowMs, name);
    });
  }

  /** Gives an integrator a site. Controllers keep their own one site. Returns false when it had it already (nothing changed). */
  grant(name: string, serial: string, nowMs = Date.now()): boolean {
    return this.grantSites(name, [serial], nowMs) > 0;
  }

  /** Gives an integrator many sites in one transaction (a fleet); sites it has already are skipped. */
  grantAll(name: string, serials: readonly string[], nowMs = Date.now()): void {
    this.grantSites(name, serials, nowMs);
  }

  /** Grants `serials` (each a controller's site) to integrator `name` in one transaction; returns how many were new. */
  private grantSites(name: string, serials: readonly string[], nowMs: number): number {
    for (const s of serials) checkSerial(s);
    return this.write(() => {
      const account = this.requireIntegrator(name);
      const held = new Set(account.serials);
      const site = this.db.prepare(`SELECT 1 FROM broker_accounts a JOIN broker_account_sites s ON s.name = a.name WHERE a.role = 'controller' AND s.serial = ?`);
      const insert = this.db.prepare('INSERT INTO broker_account_sites (name, serial) VALUES (?, ?)');
      let added = 0;
      for (const serial of serials) {
        if (held.has(serial)) continue;
        if (!site.get(serial)) throw new GridpilotError(`no site ${serial} on this broker (add it first: gridpilot broker add-site ${serial})`, serial);
        insert.run(name, serial);
        held.add(serial);
        added++;
      }
      if (added > 0) this.db.prepare('UPDATE broker_accounts SET updated_at_ms = ? WHERE name = ?').run(nowMs, name);
      return added;
    });
  }

  /** Takes a site from an integrator. Throws (nothing changed) when it does not have it. */
  revoke(name: string, serial: string, nowMs = Date.now()): void {
    checkSerial(serial);
    this.write(() => {
      const account = this.requireIntegrator(name);
      if (!account.serials.includes(serial)) throw new GridpilotError(`${name} has no access to site ${serial} (it has: ${account.serials.join(', ') || 'none'})`, name);
      this.db.prepare('DELETE FROM broker_account_sites WHERE name = ? AND serial = ?').run(name, serial);
      this.db.prepare('UPDATE broker_accounts SET updated_at_ms = ? WHERE name = ?').run(nowMs, name);
    });
  }

  private requireIntegrator(name: string): StoredAccount {
    const account = this.require(name);
    if (account.role !== 'integrator') throw new GridpilotError(`${name} is a ${account.role} account: only integrators are granted sites`, name);
    return account;
  }

  private require(name: string): StoredAccount {
    checkName(name);
    const account = this.get(name);
    if (!account) throw new GridpilotError(`no account named ${name} (see: gridpilot broker list)`, name);
    return account;
  }

  /** Runs `fn` in one immediate transaction that also bumps the revision; a throw rolls it all back. */
  private write<T>(fn: () => T): T {
    return this.db
      .transaction(() => {
        const result = fn();
        this.db.prepare('UPDATE broker_accounts_revision SET revision = revision + 1 WHERE id = 1').run();
        return result;
      })
      .immediate();
  }
}

/**
 * The clear password of a controller account, kept in the data directory's `broker-secrets.json`
 * (0600, atomic replace, the secrets.json format) so the controller on that directory can log in
 * to its broker: `add-site` and `passwd` of a controller account write it, and `gridpilot start`
 * creates its own site's account with a generated one when there is none. A file of its own, not
 * `secrets.json`: the store worker rewrites that one when it saves a config revision, and two
 * writers of one file would lose each other's entries. Integrator passwords are never kept in clear.
 */
export const BROKER_SECRETS_FILE_NAME = 'broker-secrets.json';
const brokerSecretsFileOf = (dataDir: string): string => join(dirname(dbFileOf(dataDir)), BROKER_SECRETS_FILE_NAME);

export function readControllerPassword(dataDir: string, name: string): string | null {
  return readSecretsFile(brokerSecretsFileOf(dataDir)).secrets[name]?.value ?? null;
}

export function writeControllerPassword(dataDir: string, name: string, password: string): void {
  const file = brokerSecretsFileOf(dataDir);
  const content = readSecretsFile(file);
  content.secrets[name] = { path: `broker.accounts.${name}.password`, value: password };
  writeSecretsFile(file, content);
}
