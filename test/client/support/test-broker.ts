// An in-process aedes broker on port 0 (TCP, optionally WebSocket at /mqtt) for tests.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';

export interface ConnectRecord {
  clientId: string;
  protocolId: string | undefined;
  protocolVersion: number | undefined;
}

export interface TestBroker {
  port: number;
  url: string;
  /** ws://127.0.0.1:<port>/mqtt when started with `ws: true`. */
  wsUrl: string | null;
  wsPort: number | null;
  /** Every CONNECT the broker saw, in order. */
  connects: ConnectRecord[];
  close(): Promise<void>;
}

export async function startTestBroker(opts: { ws?: boolean } = {}): Promise<TestBroker> {
  const connects: ConnectRecord[] = [];
  const broker = await Aedes.createBroker({
    preConnect: (_client, packet, callback) => {
      connects.push({ clientId: packet.clientId, protocolId: packet.protocolId, protocolVersion: packet.protocolVersion });
      callback(null, true);
    },
  });
  const server = net.createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  let http: HttpServer | null = null;
  let wss: WebSocketServer | null = null;
  let wsPort: number | null = null;
  if (opts.ws) {
    http = createHttpServer();
    wss = new WebSocketServer({ server: http, path: '/mqtt' });
    wss.on('connection', (ws, req) => broker.handle(createWebSocketStream(ws), req));
    const h = http;
    await new Promise<void>((resolve) => h.listen(0, '127.0.0.1', resolve));
    wsPort = (http.address() as AddressInfo).port;
  }

  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    wsUrl: wsPort === null ? null : `ws://127.0.0.1:${wsPort}/mqtt`,
    wsPort,
    connects,
    close: async () => {
      if (wss) {
        for (const client of wss.clients) client.terminate();
        const w = wss;
        await new Promise<void>((resolve) => w.close(() => resolve()));
      }
      if (http) {
        const h = http;
        h.closeAllConnections();
        await new Promise<void>((resolve) => h.close(() => resolve()));
      }
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
