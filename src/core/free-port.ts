import net from 'node:net';

/**
 * A TCP port free on `host` right now, for servers that cannot bind port 0 and report it
 * (e.g. a child process such as mosquitto) or whose port must be known before they start.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
