import { GridpilotError } from '../core/errors.ts';

/** Why the store could not be used; each message names the file and what to do. */
export type StoreErrorKind =
  | 'cannot-create'
  | 'read-only'
  | 'not-a-database'
  | 'corrupt'
  | 'in-use'
  | 'newer-schema'
  | 'missing'
  | 'disk-full'
  | 'io'
  | 'unavailable';

export class StoreError extends GridpilotError {
  constructor(
    message: string,
    readonly kind: StoreErrorKind,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** The error fields that survive a worker boundary (structured clone keeps only plain data). */
export interface SerializedError {
  name: string;
  message: string;
  kind?: StoreErrorKind;
  code?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof StoreError) return { name: err.name, message: err.message, kind: err.kind };
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

export function deserializeError(e: SerializedError): Error {
  if (e.kind !== undefined) return new StoreError(e.message, e.kind);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.code !== undefined) (err as Error & { code: string }).code = e.code;
  return err;
}

/**
 * Turns an error from opening or using the database file into a StoreError that says which file
 * and what to do. SQLite's own words are kept in parentheses.
 */
export function explainSqliteError(err: unknown, file: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = String((err as { code?: unknown }).code ?? '');
  const reason = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_NOTADB') {
    return new StoreError(
      `${file} is not a gridpilot store: it is not an SQLite database (${reason}). It may be corrupted. ` +
        `Move it away (e.g. mv ${file} ${file}.corrupt; also remove ${file}-wal and ${file}-shm if present) to start with an empty store ` +
        '(the schedules and the command log in it are lost), or start with another --data-dir.',
      'not-a-database',
    );
  }
  if (code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreError(
      `${file} is corrupted (${reason}). Move it away (e.g. mv ${file} ${file}.corrupt) to start with an empty store ` +
        '(the schedules and the command log in it are lost), restore a backup, or start with another --data-dir.',
      'corrupt',
    );
  }
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return new StoreError(
      `${file} cannot be written (${reason}). Give the user running gridpilot write access to it and its directory ` +
        '(SQLite also writes -wal and -shm files beside it), or start with another --data-dir.',
      'read-only',
    );
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new StoreError(`${file}: the disk is full (${reason}). Free some space, or start with another --data-dir.`, 'disk-full');
  }
  if (code === 'SQLITE_CANTOPEN') {
    return new StoreError(`${file} cannot be opened (${reason}). Check that its directory exists and is writable, or start with another --data-dir.`, 'cannot-create');
  }
  return new StoreError(`${file}: ${reason}${code ? ` (${code})` : ''}`, 'io');
}
