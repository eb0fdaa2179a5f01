import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { GridpilotError } from '../core/errors.ts';
import { isHttpOrigin } from '../site/broker-limits-schema.ts';
import type { ConnectionGuard } from './connection-guard.ts';

/**
 * The network side of the embedded broker: TCP, TLS, WebSocket and secure WebSocket listeners
 * that hand every connection to `onConnection` (aedes' `handle`, or the bridge to mosquitto). Each
 * listener tracks its sockets so `close()` can end them at once instead of waiting for clients to
 * leave. With a `guard` (connection-guard.ts: the abuse limits), every accepted socket is admitted
 * by it first (an address backing off, or full listeners: closed at once, nothing read) and the
 * connection handed on is the guarded stream.
 */

/** The WebSocket path [live §1, decided]. */
export const WS_PATH = '/mqtt';

export type ConnectionHandler = (stream: Duplex, req?: http.IncomingMessage) => void;

export interface Listener {
  /** Bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** Stops listening and destroys every open connection. Idempotent. */
  close(): Promise<void>;
}

export interface TlsFiles {
  key: Buffer;
  cert: Buffer;
  /** When given, clients are asked for a certificate signed by it (optional for them). */
  ca?: Buffer;
}

function tlsServerOptions(files: TlsFiles): tls.TlsOptions {
  return {
    key: files.key,
    cert: files.cert,
    ...(files.ca ? { ca: files.ca, requestCert: true, rejectUnauthorized: false } : {}),
  };
}

async function listen(server: net.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return (server.address() as net.AddressInfo).port;
}

function trackSockets(server: net.Server, guard: ConnectionGuard | undefined): Set<net.Socket> {
  // The raw sockets ('connection' fires for TLS servers too, before the handshake): destroying one
  // also ends the TLS or WebSocket session on top of it. Registered before any other 'connection'
  // listener, so a socket the guard refuses is destroyed before anything reads it.
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    if (guard) {
      const release = guard.admit(socket.remoteAddress);
      if (!release) {
        socket.destroy();
        return;
      }
      socket.once('close', release);
    }
    // Small request/response packets: without this, delayed ACKs add ~40 ms per hop.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** The connection to hand on: the guarded stream when there is a guard. */
function guarded(stream: Duplex, address: string | undefined, guard: ConnectionGuard | undefined): Duplex {
  return guard ? guard.wrap(stream, address) : stream;
}

function closer(server: net.Server, sockets: Set<net.Socket>, beforeClose?: () => void): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => {
    closing ??= new Promise<void>((resolve) => {
      beforeClose?.();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  };
}

/** Plain MQTT over TCP (`mqtt://`). */
export async function listenTcp(host: string, port: number, onConnection: ConnectionHandler, guard?: ConnectionGuard): Promise<Listener> {
  const server = net.createServer();
  const sockets = trackSockets(server, guard);
  server.on('connection', (socket: net.Socket) => {
    if (!socket.destroyed) onConnection(guarded(socket, socket.remoteAddress, guard));
  });
  const bound = await listen(server, port, host);
  return { port: bound, close: closer(server, sockets) };
}

/** MQTT over TLS (`mqtts://`). */
export async function listenTls(host: string, port: number, files: TlsFiles, onConnection: ConnectionHandler, guard?: ConnectionGuard): Promise<Listener> {
  const server = tls.createServer(tlsServerOptions(files), (socket) => onConnection(guarded(socket, socket.remoteAddress, guard)));
  // A failed handshake must not crash the process.
  server.on('tlsClientError', () => undefined);
  const sockets = trackSockets(server, guard);
  const bound = await listen(server, port, host);
  return { port: bound, close: closer(server, sockets) };
}

/** What else a WebSocket listener checks. */
export interface WebSocketOptions {
  guard?: ConnectionGuard | undefined;
  /**
   * Origins (`scheme://host[:port]`) whose pages may open a session. A handshake that carries an
   * `Origin` header not in the list is refused with HTTP 403 (none listed: every browser page is
   * refused); clients that send no Origin (non-browser MQTT clients) are not affected.
   */
  allowedOrigins?: readonly string[] | undefined;
}

/** `https://Example.com:443` → `https://example.com` (what a browser sends); throws for anything that is not an http(s) origin. */
export function normalizeOrigin(origin: string): string {
  if (!isHttpOrigin(origin)) throw new GridpilotError(`${origin} is not an origin (http:// or https://, a host and an optional port, nothing after it)`, 'wsAllowedOrigins');
  return new URL(origin).origin;
}

/** Whether a handshake with this `Origin` header (or none) may proceed. */
export function isOriginAllowed(origin: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (origin === undefined) return true;
  try {
    return allowed.has(new URL(origin).origin);
  } catch {
    return false;
  }
}

/** MQTT over WebSocket at {@link WS_PATH} (`ws://`, or `wss://` when `files` are given). */
export async function listenWebSocket(
  host: string,
  port: number,
  files: TlsFiles | null,
  onConnection: ConnectionHandler,
  opts: WebSocketOptions = {},
): Promise<Listener> {
  const allowedOrigins = new Set((opts.allowedOrigins ?? []).map(normalizeOrigin));
  const refuse = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
    res.end(`MQTT over WebSocket: connect to ${WS_PATH}\n`);
  };
  const server = files ? https.createServer(tlsServerOptions(files), refuse) : http.createServer(refuse);
  if (files) server.on('tlsClientError', () => undefined);
  const sockets = trackSockets(server, opts.guard);
  // Pick the MQTT subprotocol the client offers ('mqtt' for 3.1.1/5, 'mqttv3.1' for 3.1).
  const wss = new WebSocketServer({
    server,
    path: WS_PATH,
    // A web page of another origin must not reach the broker through its visitor's browser [issue 13].
    verifyClient: (info, done) => {
      if (isOriginAllowed(info.req.headers.origin, allowedOrigins)) done(true);
      else done(false, 403, 'Origin not allowed (mqtt.embedded.wsAllowedOrigins)');
    },
    handleProtocols: (protocols) => {
      for (const p of ['mqtt', 'mqttv3.1']) if (protocols.has(p)) return p;
      return false;
    },
  });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    // aedes attaches its own error handler; this one keeps an early error from going unhandled.
    stream.on('error', () => undefined);
    onConnection(guarded(stream, req.socket.remoteAddress, opts.guard), req);
  });
  wss.on('error', () => undefined);
  const bound = await listen(server, port, host);
  const close = closer(server, sockets, () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
    server.closeAllConnections();
  });
  return { port: bound, close };
}
