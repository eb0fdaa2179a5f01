import net from 'node:net';

/**
 * A loopback TCP proxy in front of a broker, so a test can cut a client's connection the way a
 * network failure would (no MQTT DISCONNECT: the broker must publish the last will).
 */
export interface TcpProxy {
  readonly port: number;
  /** Open client connections. */
  connectionCount(): number;
  /** Resolves when a new client connection arrives (safety timeout). */
  nextConnection(timeoutMs?: number): Promise<void>;
  /** Destroys every open connection, both sides. */
  cutAll(): void;
  /** While blocked, new connections are accepted and closed at once (the broker "is unreachable"). */
  setBlocked(blocked: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const waiters = new Set<() => void>();
  let blocked = false;
  const server = net.createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
    for (const w of [...waiters]) w();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connectionCount: () => pairs.size,
    nextConnection(timeoutMs = 5000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no connection through the proxy within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (): void => {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve();
        };
        waiters.add(waiter);
      });
    },
    setBlocked(value) {
      blocked = value;
    },
    cutAll() {
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const [a, b] of pairs) {
          a.destroy();
          b.destroy();
        }
      });
    },
  };
}
