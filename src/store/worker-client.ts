import { Worker } from 'node:worker_threads';
import { deserializeError, StoreError } from './store-error.ts';
import type { WorkerReply, WorkerRequest } from './store-worker.ts';

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

const WORKER_URL = new URL('./store-worker.ts', import.meta.url);

/**
 * Starts the worker module. Under tsx (this file is TypeScript) a worker does not inherit the
 * TypeScript loader on Node 20, so the worker first registers tsx, then imports the module.
 */
function spawnWorker(): Worker {
  const url = import.meta.url.endsWith('.ts') ? WORKER_URL : new URL('./store-worker.js', import.meta.url);
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true });
}

/** A request/response channel to one store worker. When the worker dies, every pending and later request rejects. */
export class WorkerClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private deadReason: Error | null = null;
  private readonly deathListeners: Array<(err: Error) => void> = [];

  constructor(private readonly label: string) {
    this.worker = spawnWorker();
    // Idle, the worker does not keep the process alive (a forgotten store must not hang an exit);
    // while a request is pending it does, so an awaited write is never cut short.
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.ok) p.resolve(reply.value);
      else p.reject(deserializeError(reply.error));
    });
    this.worker.on('error', (err) => this.die(new StoreError(`the ${this.label} stopped: ${err.message}`, 'unavailable')));
    this.worker.on('exit', (code) => this.die(new StoreError(`the ${this.label} exited (code ${code})`, 'unavailable')));
  }

  get isAlive(): boolean {
    return this.deadReason === null;
  }

  onDeath(listener: (err: Error) => void): void {
    this.deathListeners.push(listener);
  }

  request(req: Request): Promise<unknown> {
    if (this.deadReason) return Promise.reject(this.deadReason);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id } as WorkerRequest);
    });
  }

  /** Asks the worker to close its connection, then ends the thread. */
  async close(): Promise<void> {
    if (this.deadReason) return;
    try {
      await this.request({ kind: 'close' });
    } catch {
      // a worker that cannot close cleanly is terminated all the same
    }
    this.deadReason = new StoreError(`the ${this.label} is closed`, 'unavailable');
    await this.worker.terminate();
  }

  private die(err: Error): void {
    if (this.deadReason) return;
    this.deadReason = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const l of this.deathListeners) l(err);
  }
}
