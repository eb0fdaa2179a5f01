import { accessSync, chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import DatabaseConstructor, { type Database } from 'better-sqlite3';
import { scrubClearSecrets } from './config-revisions.ts';
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

/** Modes of what the store creates: the directory is its owner's only, the files too (they hold the command log and, in secrets.json, passwords). */
export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;

/**
 * Creates the data directory if needed (mode 0700, and its missing parents too) and proves it
 * writable (a probe file, because permission bits do not tell about read-only mounts, and root
 * passes every access check). An existing directory keeps its mode: it may be one the operator
 * shares on purpose (docs/configuration.md says to keep it private).
 */
export function prepareDataDir(dataDir: string): string {
  const dir = resolve(dataDir);
  try {
    mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
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
    // SQLite creates a new database 0644 (umask permitting) and its -wal/-shm with the database's
    // mode: created empty at 0600 first, all three are the owner's only.
    if (!isReadonly && !existsSync(file)) closeSync(openSync(file, 'a', DATA_FILE_MODE));
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
    restrictFileModes(file);
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
    scrubClearSecrets(db);
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

/** Tightens the database file and its -wal/-shm to 0600 when an older gridpilot (or a copy) left them readable by others. */
function restrictFileModes(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((statSync(f).mode & 0o077) !== 0) chmodSync(f, DATA_FILE_MODE);
    } catch {
      // absent, or not ours to change: SQLite reports what matters when it opens it
    }
  }
}
