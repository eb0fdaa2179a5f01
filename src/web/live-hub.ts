import type { WebSocket } from 'ws';
import { systemClock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { WebState } from './state-view.ts';
import { Throttle } from './throttle.ts';

/** A message on `/api/live`. More `type`s may come; clients ignore the ones they do not know. */
export interface LiveMessage {
  type: 'state';
  data: WebState;
}

/** A client that does not read its socket is skipped rather than buffered without bound, bytes. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * The browsers watching `/api/live`: each gets the state when it connects, then after every
 * control cycle, at most once per `minIntervalMs` (throttled; the last state is never dropped).
 * The state is built and serialized once per push, whatever the number of clients.
 */
export class LiveHub {
  private readonly sockets = new Set<WebSocket>();
  private readonly throttle: Throttle;

  constructor(
    private readonly currentState: () => WebState | null,
    minIntervalMs: number,
    private readonly logger?: { warn(obj: object, msg?: string): void },
  ) {
    this.throttle = new Throttle(minIntervalMs, () => this.broadcast(), systemClock);
  }

  /** Number of connected clients. */
  get size(): number {
    return this.sockets.size;
  }

  add(socket: WebSocket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => this.sockets.delete(socket));
    // The channel is server → browser only; anything a client sends is ignored.
    socket.on('message', () => undefined);
    const bytes = this.serialize();
    if (bytes !== null) this.send(socket, bytes);
  }

  /** A cycle completed: push soon (throttled). */
  changed(): void {
    if (this.sockets.size > 0) this.throttle.request();
  }

  close(): void {
    this.throttle.stop();
    for (const s of this.sockets) s.close(1001, 'server closing');
    this.sockets.clear();
  }

  private broadcast(): void {
    if (this.sockets.size === 0) return;
    const bytes = this.serialize();
    if (bytes === null) return;
    for (const s of this.sockets) this.send(s, bytes);
  }

  /** The push as UTF-8 bytes, encoded once for every client (`ws` would encode a string per socket). */
  private serialize(): Buffer | null {
    try {
      const data = this.currentState();
      if (!data) return null;
      const message: LiveMessage = { type: 'state', data };
      return Buffer.from(JSON.stringify(message), 'utf8');
    } catch (err) {
      this.logger?.warn({ err: errorMessage(err) }, 'live state could not be built');
      return null;
    }
  }

  private send(socket: WebSocket, bytes: Buffer): void {
    if (socket.readyState !== socket.OPEN || socket.bufferedAmount > MAX_BUFFERED_BYTES) return;
    // A text frame (binary: false), as before: browsers get a string in `event.data`.
    socket.send(bytes, { binary: false }, (err) => {
      if (err) this.sockets.delete(socket);
    });
  }
}
