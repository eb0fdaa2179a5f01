import { accessSync, constants, existsSync, mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import DatabaseConstructor, { type Database } from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, migrate, schemaVersion } from './schema.ts';
import { StoreError, explainSqliteError } from './store-error.ts';

/** The store's file inside the data directory. */
export const DB_FILE_NAME = 'gridpilot.db';

/** Absolute path of the database file of a data directory. */
export function dbFileOf(dataDir: string): string {
  return join(resolve(dataDir), DB_FILE_NAME);
}

function errnoOf(err: unknown): string {
  return String((err as { code?: unknown }).code ?? '');
}

/**
 * Creates the data directory if needed and proves it writable (a probe file, because permission
 * bits do not tell about read-only mounts, and root passes every access check).
 */
export function prepareDataDir(dataDir: string): string {
  const dir = resolve(dataDir);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new StoreError(
      `cannot create the data directory ${dir} (${errnoOf(err) || (err as Error).message}). Create it and give the user running gridpilot write access, or choose another with --data-dir.`,
      errnoOf(err) === 'EROFS' || errnoOf(err) === 'EACCES' ? 'read-only' : 'cannot-create',
    );
  }
  if (!statSync(dir).isDirectory()) {
    throw new StoreError(`the data directory ${dir} is not a directory. Choose another with --data-dir.`, 'cannot-create');
  }
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (err) {
    throw new StoreError(
      `the data directory ${dir} is not writable (${errnoOf(err) || (err as Error).message}). gridpilot keeps its schedules, command log and history there: ` +
        'give the user running it write access (e.g. chown), or choose another with --data-dir.',
      'read-only',
    );
  }
  const file = join(dir, DB_FILE_NAME);
  if (existsSync(file)) {
    try {
      accessSync(file, constants.R_OK | constants.W_OK);
    } catch (err) {
      throw explainSqliteError(err, file);
    }
  }
  return dir;
}

export interface OpenOptions {
  /** Open for reading only (CLI, query worker); the file must exist. Default false. */
  readonly?: boolean;
  /** Run `PRAGMA quick_check` (reads every page: O(size)) before use. Default: true for the writer. */
  isIntegrityChecked?: boolean;
}

/**
 * Opens the store database. The writer uses WAL with `synchronous=FULL`: every commit is fsynced,
 * so an acknowledged write survives kill -9 *and* power loss; the cost (an fsync per commit) is
 * paid in the store worker, never on the control loop, and group commit shares it between writes.
 * Readers use their own connections (WAL lets them read while the writer writes).
 * Every failure becomes a StoreError naming the file and what to do.
 */
export function openDatabase(file: string, opts: OpenOptions = {}): Database {
  const isReadonly = opts.readonly ?? false;
  if (isReadonly && !existsSync(file)) {
    throw new StoreError(`no gridpilot store at ${file}. Start the controller with --data-dir <dir> first, or point --data-dir at the directory it uses.`, 'missing');
  }
  let db: Database | undefined;
  try {
    db = new DatabaseConstructor(file, isReadonly ? { readonly: true, fileMustExist: true } : {});
    db.pragma('busy_timeout = 5000');
    if (isReadonly) {
      // Reading the schema version is the first page access: a garbage file fails here.
      const version = schemaVersion(db);
      if (version > LATEST_SCHEMA_VERSION) {
        throw new StoreError(`${file} has schema version ${version}, newer than this gridpilot knows (${LATEST_SCHEMA_VERSION}). Upgrade gridpilot.`, 'newer-schema');
      }
      if (version === 0) throw new StoreError(`${file} holds no gridpilot store yet (no schema). Start the controller with this --data-dir first.`, 'missing');
      return db;
    }
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new StoreError(`${file}: could not switch to WAL journaling (got ${String(mode)}); is it on a network file system?`, 'io');
    db.pragma('synchronous = FULL');
    if (opts.isIntegrityChecked ?? true) {
      const result = db.pragma('quick_check', { simple: true });
      if (result !== 'ok') {
        throw new StoreError(
          `${file} is corrupted (integrity check: ${String(result)}). Move it away (e.g. mv ${file} ${file}.corrupt) to start with an empty store ` +
            '(the schedules and the command log in it are lost), restore a backup, or start with another --data-dir.',
          'corrupt',
        );
      }
    }
    migrate(db, file);
    return db;
  } catch (err) {
    try {
      db?.close();
    } catch {
      // closing a half-open handle may fail too; the first error is the one to report
    }
    throw explainSqliteError(err, file);
  }
}
