// Child process of bench/broker-abuse-flood.ts (not a benchmark itself): the attacker, in a
// process of its own so that its sockets do not share the app's event loop. Argument: one JSON
// object (port, username, …, see the parent). Prints `ready`, starts at the first line on stdin,
// prints {"oversizedSent": n} when done.
import net from 'node:net';
import { connectPacket, publishHeader } from '../../test/helpers/raw-mqtt.ts';

interface Args {
  port: number;
  username: string;
  hasAccounts: boolean;
  CONNECTS: number;
  /** CONNECT attempts started per second at most (0 = as fast as PARALLEL allows). */
  RATE: number;
  PARALLEL: number;
  ADDRESSES: number;
  OVERSIZED: number;
  ANNOUNCED_BYTES: number;
  WRITTEN_BYTES: number;
  mallory: string;
}
const a = JSON.parse(process.argv[2] ?? '{}') as Args;
const { CONNECTS, RATE, PARALLEL, ADDRESSES, OVERSIZED, ANNOUNCED_BYTES, WRITTEN_BYTES } = a;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a socket from `localAddress`, writes `bytes`, resolves when the broker answered or closed (never rejects). */
function attempt(port: number, localAddress: string, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => s.write(bytes));
    s.on('data', () => s.destroy());
    s.on('error', () => undefined);
    s.on('close', () => resolve());
  });
}

async function badConnects(port: number, username: string): Promise<void> {
  const bad = connectPacket('intruder', username, 'wrong-password');
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < CONNECTS) {
      const i = next++;
      // Attempt i is due at start + i / RATE s (an absolute schedule: no drift).
      const wait = RATE > 0 ? start + (i * 1000) / RATE - performance.now() : 0;
      if (wait > 0) await sleep(wait);
      await attempt(port, `127.0.0.${10 + (i % ADDRESSES)}`, bad);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

/** An authenticated client that announces a 20 MiB publish and writes 1 MiB of it, over and over. */
async function oversized(port: number, hasAccounts: boolean): Promise<number> {
  const login = hasAccounts ? connectPacket('mallory', 'mallory', a.mallory) : connectPacket('mallory');
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  for (let i = 0; i < OVERSIZED; i++) {
    await new Promise<void>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.9' }, () => s.write(login));
      let written = 0;
      const pump = (): void => {
        while (written < WRITTEN_BYTES && !s.destroyed) {
          written += chunk.length;
          if (!s.write(chunk)) {
            s.once('drain', pump);
            return;
          }
        }
        s.end();
      };
      s.once('data', () => {
        sent += 1;
        s.write(publishHeader(ANNOUNCED_BYTES));
        pump();
      });
      s.on('error', () => undefined);
      s.on('close', () => resolve());
    });
  }
  return sent;
}


process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
process.stdin.destroy(); // an open stdin would keep this process alive
const [, oversizedSent] = await Promise.all([badConnects(a.port, a.username), oversized(a.port, a.hasAccounts)]);
process.stdout.write(JSON.stringify({ oversizedSent }) + '\n');
