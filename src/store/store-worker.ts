// The store's worker thread: owns one SQLite connection (the writer, or a reader) so that no
// disk I/O — fsyncs, checkpoints, long history queries — ever runs on the control loop's thread.
import { parentPort } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import { openDatabase } from './open-database.ts';
import { pruneHistory, runRead, runWriteBatch, type ReadOp, type Retention, type WriteOp } from './store-ops.ts';
import { serializeError, type SerializedError } from './store-error.ts';

export type WorkerRequest =
  | { id: number; kind: 'open'; file: string; role: 'writer' | 'reader' }
  | { id: number; kind: 'write'; ops: WriteOp[] }
  | { id: number; kind: 'read'; read: ReadOp }
  | { id: number; kind: 'prune'; nowMs: number; retention: Retention }
  | { id: number; kind: 'close' };

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

let db: Database | null = null;

function handle(req: WorkerRequest): unknown {
  if (req.kind === 'open') {
    db = openDatabase(req.file, { readonly: req.role === 'reader' });
    return null;
  }
  if (req.kind === 'close') {
    db?.close();
    db = null;
    return null;
  }
  if (!db) throw new Error('store worker: database not open');
  switch (req.kind) {
    case 'write':
      return runWriteBatch(db, req.ops);
    case 'read':
      return runRead(db, req.read);
    case 'prune':
      return pruneHistory(db, req.nowMs, req.retention);
  }
}

const port = parentPort;
if (port) {
  port.on('message', (req: WorkerRequest) => {
    let reply: WorkerReply;
    try {
      reply = { id: req.id, ok: true, value: handle(req) };
    } catch (err) {
      reply = { id: req.id, ok: false, error: serializeError(err) };
    }
    port.postMessage(reply);
  });
}
