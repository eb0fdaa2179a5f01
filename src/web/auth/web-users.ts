import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-file.ts';
import { hashPasswordScrypt, isScryptHash, passwordProblem } from '../../core/password-hash.ts';

/**
 * The web UI's accounts: `<data dir>/web-users.json` (mode 0600, replaced atomically), passwords
 * hashed with scrypt (core/password-hash.ts). `admin` may change things; `viewer` (a site owner)
 * only reads. The running server re-reads the file when it changes, so `gridpilot web passwd`
 * from another shell applies at once (and ends that user's sessions).
 */

export const WEB_USERS_FILE_NAME = 'web-users.json';

export type WebRole = 'admin' | 'viewer';

export interface WebUser {
  name: string;
  role: WebRole;
  /** `$scrypt$ln=…,r=…,p=…$salt$key` (core/password-hash.ts). */
  passwordHash: string;
  /** When the password was last set, Unix ms. */
  updatedAtMs: number;
}

interface WebUsersFile {
  version: 1;
  users: WebUser[];
}

/** Letters, digits and `._-`, 1–64 characters. */
const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;

export class WebUsersError extends Error {}

/** Where the accounts live: a file in the data directory, or memory (a process without one). */
export interface WebUserSource {
  /** The accounts now (cheap: the file is re-read only when it changed). */
  list(): readonly WebUser[];
  /** Sets (or creates) `name`'s password and role; refuses a bad name or a weak password. */
  setPassword(name: string, password: string, role: WebRole): Promise<WebUser>;
  /** Where they are kept, for messages. */
  readonly where: string;
}

export function webUsersFileOf(dataDir: string): string {
  return join(dataDir, WEB_USERS_FILE_NAME);
}

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw new WebUsersError(`user name "${name}": use 1–64 letters, digits, ".", "_" or "-"`);
}

async function withPassword(users: readonly WebUser[], name: string, password: string, role: WebRole, nowMs: number): Promise<{ users: WebUser[]; user: WebUser }> {
  checkName(name);
  const problem = passwordProblem(password);
  if (problem) throw new WebUsersError(problem);
  const rest = users.filter((u) => u.name !== name);
  // The last admin cannot become a viewer: nobody could change anything any more.
  if (role !== 'admin' && users.some((u) => u.name === name && u.role === 'admin') && !rest.some((u) => u.role === 'admin')) {
    throw new WebUsersError(`"${name}" is the only admin; make another admin first`);
  }
  const user: WebUser = { name, role, passwordHash: hashPasswordScrypt(password), updatedAtMs: nowMs };
  return { users: [...rest, user].sort((a, b) => a.name.localeCompare(b.name)), user };
}

/** Reads and validates the file; [] when it does not exist. Throws WebUsersError naming the problem. */
export function readWebUsersFile(file: string): WebUser[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return [];
    throw new WebUsersError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new WebUsersError(`${file} is not valid JSON (${(err as Error).message}); restore it, or remove it and set the admin password again (gridpilot web passwd admin)`);
  }
  const f = parsed as Partial<WebUsersFile> | null;
  if (typeof f !== 'object' || f === null || f.version !== 1 || !Array.isArray(f.users)) {
    throw new WebUsersError(`${file} is not a gridpilot web users file (version 1)`);
  }
  return f.users.map((u, i) => {
    const ok = typeof u === 'object' && u !== null && typeof u.name === 'string' && NAME_RE.test(u.name) && (u.role === 'admin' || u.role === 'viewer') && typeof u.passwordHash === 'string' && isScryptHash(u.passwordHash) && typeof u.updatedAtMs === 'number';
    if (!ok) throw new WebUsersError(`${file}: users[${i}] is not a valid account (name, role admin|viewer, scrypt passwordHash, updatedAtMs)`);
    return { name: u.name, role: u.role, passwordHash: u.passwordHash, updatedAtMs: u.updatedAtMs };
  });
}

/** The accounts of a data directory. */
export function fileWebUsers(dataDir: string, now: () => number = Date.now): WebUserSource {
  const file = webUsersFileOf(dataDir);
  let cached: { stamp: string; users: WebUser[] } | null = null;
  const stampOf = (): string => {
    try {
      const s = statSync(file);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return 'absent';
    }
  };
  const list = (): WebUser[] => {
    const stamp = stampOf();
    if (cached?.stamp !== stamp) {
      // A file that became unreadable keeps the accounts last read (the server keeps working); the
      // CLI that wrote it reports its own error.
      try {
        cached = { stamp, users: readWebUsersFile(file) };
      } catch (err) {
        if (!cached) throw err;
      }
    }
    return cached.users;
  };
  return {
    where: file,
    list,
    async setPassword(name, password, role) {
      const next = await withPassword(readWebUsersFile(file), name, password, role, now());
      writeFileAtomic(file, `${JSON.stringify({ version: 1, users: next.users } satisfies WebUsersFile, null, 2)}\n`, 0o600);
      cached = null;
      return next.user;
    },
  };
}

/** Accounts kept in memory only (a process without a data directory): set again at every start. */
export function memoryWebUsers(now: () => number = Date.now): WebUserSource {
  let users: WebUser[] = [];
  return {
    where: 'memory (no data directory: set again at every start)',
    list: () => users,
    async setPassword(name, password, role) {
      const next = await withPassword(users, name, password, role, now());
      users = next.users;
      return next.user;
    },
  };
}
