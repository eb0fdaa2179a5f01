import type { Database } from 'better-sqlite3';

/** Where a stored site configuration came from. `api` = edited through the web UI / API (later). */
export type ConfigSource = 'demo' | 'file' | 'api';

export interface ConfigRevision {
  revision: number;
  savedAtMs: number;
  source: ConfigSource;
  /** e.g. the config file's path. */
  sourceDetail: string | null;
  /** The raw configuration object (before defaults are filled in), as given. */
  config: unknown;
}

/**
 * Stores a configuration as a new revision unless it equals the latest one (same JSON, same
 * source). Returns the revision in force.
 */
export function saveConfigRevision(db: Database, args: { savedAtMs: number; source: ConfigSource; sourceDetail: string | null; configJson: string }): number {
  const latest = db.prepare('SELECT revision, source, source_detail, config_json FROM site_config ORDER BY revision DESC LIMIT 1').get() as
    | { revision: number; source: string; source_detail: string | null; config_json: string }
    | undefined;
  if (latest && latest.config_json === args.configJson && latest.source === args.source && latest.source_detail === args.sourceDetail) return latest.revision;
  const info = db
    .prepare('INSERT INTO site_config (saved_at_ms, source, source_detail, config_json) VALUES (?, ?, ?, ?)')
    .run(args.savedAtMs, args.source, args.sourceDetail, args.configJson);
  return Number(info.lastInsertRowid);
}

export function latestConfigRevision(db: Database): ConfigRevision | null {
  const r = db.prepare('SELECT revision, saved_at_ms, source, source_detail, config_json FROM site_config ORDER BY revision DESC LIMIT 1').get() as
    | { revision: number; saved_at_ms: number; source: ConfigSource; source_detail: string | null; config_json: string }
    | undefined;
  if (!r) return null;
  return { revision: r.revision, savedAtMs: r.saved_at_ms, source: r.source, sourceDetail: r.source_detail, config: JSON.parse(r.config_json) as unknown };
}
