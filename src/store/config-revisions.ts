import type { Database } from 'better-sqlite3';
import { hasClearSecrets, readSecretsFile, restoreSecrets, secretsFileOf, splitSecrets, writeSecretsFile, type SecretsFile } from './config-secrets.ts';

/** Where a stored site configuration came from. `api` = edited through the web UI / API (later). */
export type ConfigSource = 'demo' | 'file' | 'api';

export interface ConfigRevision {
  revision: number;
  savedAtMs: number;
  source: ConfigSource;
  /** e.g. the config file's path. */
  sourceDetail: string | null;
  /** The raw configuration object (before defaults are filled in), as given, its secrets put back from `secrets.json`. */
  config: unknown;
  /** Paths of secrets `secrets.json` did not resolve (missing or unreadable file); they stay `{ "$secret": id }`. Absent when none. */
  missingSecrets?: string[];
}

/**
 * Stores a configuration as a new revision unless it equals the latest one (same JSON, same
 * source). Returns the revision in force. Its secrets go to `secrets.json` beside the database
 * first (config-secrets.ts); the row holds references only.
 */
export function saveConfigRevision(db: Database, args: { savedAtMs: number; source: ConfigSource; sourceDetail: string | null; configJson: string }): number {
  const file = secretsFileOf(db.name);
  const { stored, secrets, changed } = splitSecrets(JSON.parse(args.configJson) as unknown, readSecretsFile(file));
  if (changed) writeSecretsFile(file, secrets);
  const configJson = JSON.stringify(stored);
  const latest = db.prepare('SELECT revision, source, source_detail, config_json FROM site_config ORDER BY revision DESC LIMIT 1').get() as
    | { revision: number; source: string; source_detail: string | null; config_json: string }
    | undefined;
  if (latest && latest.config_json === configJson && latest.source === args.source && latest.source_detail === args.sourceDetail) return latest.revision;
  const info = db.prepare('INSERT INTO site_config (saved_at_ms, source, source_detail, config_json) VALUES (?, ?, ?, ?)').run(args.savedAtMs, args.source, args.sourceDetail, configJson);
  return Number(info.lastInsertRowid);
}

/** One line per stored revision, newest first (no config bodies). */
export interface ConfigRevisionInfo {
  revision: number;
  savedAtMs: number;
  source: ConfigSource;
  sourceDetail: string | null;
}

export function listConfigRevisions(db: Database, limit = 50): ConfigRevisionInfo[] {
  const n = Math.max(1, Math.min(1000, Math.floor(limit)));
  const rows = db.prepare(`SELECT revision, saved_at_ms, source, source_detail FROM site_config ORDER BY revision DESC LIMIT ${n}`).all() as Array<{ revision: number; saved_at_ms: number; source: ConfigSource; source_detail: string | null }>;
  return rows.map((r) => ({ revision: r.revision, savedAtMs: r.saved_at_ms, source: r.source, sourceDetail: r.source_detail }));
}

/** The newest revision, or the one numbered `revision`; null when there is none such. */
export function latestConfigRevision(db: Database, revision?: number): ConfigRevision | null {
  const r = (revision === undefined
    ? db.prepare('SELECT revision, saved_at_ms, source, source_detail, config_json FROM site_config ORDER BY revision DESC LIMIT 1').get()
    : db.prepare('SELECT revision, saved_at_ms, source, source_detail, config_json FROM site_config WHERE revision = ?').get(revision)) as
    | { revision: number; saved_at_ms: number; source: ConfigSource; source_detail: string | null; config_json: string }
    | undefined;
  if (!r) return null;
  let secrets: SecretsFile;
  try {
    secrets = readSecretsFile(secretsFileOf(db.name));
  } catch {
    // A reader without access to the secrets (another user's CLI) still sees the rest.
    secrets = { version: 1, secrets: {} };
  }
  const { config, missing } = restoreSecrets(JSON.parse(r.config_json) as unknown, secrets);
  return { revision: r.revision, savedAtMs: r.saved_at_ms, source: r.source, sourceDetail: r.source_detail, config, ...(missing.length ? { missingSecrets: missing } : {}) };
}

/**
 * Moves secrets stored in clear by an older gridpilot (before secrets.json) out of `site_config`:
 * each such revision is rewritten with references, with `secure_delete` on so the old bytes are
 * zeroed, and the WAL checkpointed and truncated so no copy of them stays in it. Returns how many
 * revisions it rewrote (0 on every later open: it only reads then).
 */
export function scrubClearSecrets(db: Database): number {
  const rows = db.prepare('SELECT revision, config_json FROM site_config').all() as Array<{ revision: number; config_json: string }>;
  const dirty = rows.filter((r) => {
    try {
      return hasClearSecrets(JSON.parse(r.config_json));
    } catch {
      return false;
    }
  });
  if (dirty.length === 0) return 0;
  const file = secretsFileOf(db.name);
  let secrets = readSecretsFile(file);
  const updates = dirty.map((r) => {
    const split = splitSecrets(JSON.parse(r.config_json) as unknown, secrets);
    secrets = split.secrets;
    return { revision: r.revision, configJson: JSON.stringify(split.stored) };
  });
  writeSecretsFile(file, secrets);
  const previous = db.pragma('secure_delete', { simple: true }) as number;
  db.pragma('secure_delete = ON');
  try {
    const update = db.prepare('UPDATE site_config SET config_json = ? WHERE revision = ?');
    db.transaction(() => {
      for (const u of updates) update.run(u.configJson, u.revision);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.pragma(`secure_delete = ${previous ? 'ON' : 'OFF'}`);
  }
  return dirty.length;
}
