import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.ts';
import { isSecretKey } from '../site/secret-keys.ts';
import { StoreError } from './store-error.ts';

/**
 * Secrets of the stored site configuration live beside the database, not in it: before a config
 * revision is written to `site_config`, every string under a secret key (`password`, `…Token`,
 * `…secret…`, `passphrase`: site/secret-keys.ts) is replaced by a reference `{ "$secret": "<id>" }`
 * and its value goes to `<data dir>/secrets.json` (mode 0600, replaced atomically). Reading a
 * revision puts the values back. So the database and its backups, copies and WAL hold no
 * password; `secrets.json` is the one file to protect (and to back up with it).
 *
 * The same value at the same path keeps its id, so an unchanged config stays one revision; the
 * values of older revisions are kept (an older revision still reads back whole).
 */

export const SECRETS_FILE_NAME = 'secrets.json';

/** `secrets.json`: `{ "version": 1, "secrets": { "<id>": { "path": "mqtt.password", "value": "…" } } }`. */
export interface SecretsFile {
  version: 1;
  secrets: Record<string, { path: string; value: string }>;
}

/** A reference left in the stored config. */
export interface SecretRef {
  $secret: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isSecretRef(v: unknown): v is SecretRef {
  return isRecord(v) && Object.keys(v).length === 1 && typeof v.$secret === 'string';
}

/** The secrets file of the data directory a database file is in. */
export function secretsFileOf(dbFile: string): string {
  return join(dirname(dbFile), SECRETS_FILE_NAME);
}

/** The secrets file's content; empty when it does not exist. Throws a StoreError when it is unreadable or malformed. */
export function readSecretsFile(file: string): SecretsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return { version: 1, secrets: {} };
    throw new StoreError(`cannot read ${file} (${(err as Error).message}): it holds the configuration's passwords; give the user running gridpilot read access`, 'io');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new StoreError(`${file} is not valid JSON (${(err as Error).message}); restore it from a backup, or move it away and give the passwords again`, 'corrupt');
  }
  if (!isRecord(parsed) || parsed.version !== 1 || !isRecord(parsed.secrets)) {
    throw new StoreError(`${file} is not a gridpilot secrets file (version 1); restore it from a backup, or move it away and give the passwords again`, 'corrupt');
  }
  const secrets: SecretsFile['secrets'] = {};
  for (const [id, e] of Object.entries(parsed.secrets)) {
    if (isRecord(e) && typeof e.path === 'string' && typeof e.value === 'string') secrets[id] = { path: e.path, value: e.value };
  }
  return { version: 1, secrets };
}

/** Writes the secrets file atomically (temporary file 0600, fsync, rename, fsync of the directory). */
export function writeSecretsFile(file: string, content: SecretsFile): void {
  writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`, 0o600);
}

const pathOf = (parent: string, key: string | number): string => (typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key);

/**
 * The config with every secret replaced by a reference, and the secrets file that resolves them
 * (`known` plus what is new; `changed` says whether it must be written).
 */
export function splitSecrets(config: unknown, known: SecretsFile): { stored: unknown; secrets: SecretsFile; changed: boolean } {
  const secrets: SecretsFile = { version: 1, secrets: { ...known.secrets } };
  let changed = false;
  const walk = (v: unknown, path: string): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, pathOf(path, i)));
    if (!isRecord(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = pathOf(path, k);
      if (isSecretKey(k) && typeof x === 'string') {
        let id = Object.entries(secrets.secrets).find(([, e]) => e.path === p && e.value === x)?.[0];
        if (id === undefined) {
          id = randomBytes(9).toString('base64url');
          secrets.secrets[id] = { path: p, value: x };
          changed = true;
        }
        out[k] = { $secret: id } satisfies SecretRef;
      } else out[k] = walk(x, p);
    }
    return out;
  };
  return { stored: walk(config, ''), secrets, changed };
}

/** Whether the config holds a secret in clear (a string under a secret key). */
export function hasClearSecrets(config: unknown): boolean {
  if (Array.isArray(config)) return config.some(hasClearSecrets);
  if (!isRecord(config)) return false;
  return Object.entries(config).some(([k, x]) => (isSecretKey(k) && typeof x === 'string') || hasClearSecrets(x));
}

/**
 * The config with its references resolved. A reference the file does not resolve stays as it is
 * and its path is listed in `missing` (the config then fails validation at that path).
 */
export function restoreSecrets(stored: unknown, secrets: SecretsFile): { config: unknown; missing: string[] } {
  const missing: string[] = [];
  const walk = (v: unknown, path: string): unknown => {
    if (isSecretRef(v)) {
      const e = secrets.secrets[v.$secret];
      if (e) return e.value;
      missing.push(path);
      return v;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, pathOf(path, i)));
    if (!isRecord(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(x, pathOf(path, k));
    return out;
  };
  return { config: walk(stored, ''), missing };
}
