import net from 'node:net';

/**
 * Hand-made MQTT 3.1.1 bytes over a plain socket, for what a well-behaved client library will not
 * send: a connection that never says CONNECT, a header announcing a 100 MB packet, a flood of
 * CONNECTs with bad passwords.
 */

function str(s: string): Buffer {
  const b = Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** A whole MQTT 3.1.1 CONNECT (clean session, keepalive 60 s). */
export function connectPacket(clientId: string, username?: string, password?: string): Buffer {
  const flags = 0x02 | (username !== undefined ? 0x80 : 0) | (password !== undefined ? 0x40 : 0);
  const variable = Buffer.concat([str('MQTT'), Buffer.from([4, flags, 0, 60])]);
  const payload = Buffer.concat([str(clientId), ...(username !== undefined ? [str(username)] : []), ...(password !== undefined ? [str(password)] : [])]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(variable.length + payload.length), variable, payload]);
}

/** Only the fixed header of a QoS 0 PUBLISH that says `bytes` follow. */
export function publishHeader(bytes: number): Buffer {
  return Buffer.concat([Buffer.from([0x30]), remainingLength(bytes)]);
}

export interface RawConnection {
  socket: net.Socket;
  /** Everything the broker sent so far. */
  received(): Buffer;
  /** Resolves when the broker (or anyone) closed the socket. */
  closed: Promise<void>;
  /** Resolves with the first `n` bytes the broker sent (rejects when it closes before). */
  firstBytes(n: number): Promise<Buffer>;
}

export async function rawConnection(port: number, localAddress?: string): Promise<RawConnection> {
  const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
  socket.on('error', () => undefined);
  let data = Buffer.alloc(0);
  const waiters: Array<() => void> = [];
  socket.on('data', (chunk: Buffer) => {
    data = Buffer.concat([data, chunk]);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const firstBytes = async (n: number): Promise<Buffer> => {
    let isClosed = false;
    void closed.then(() => {
      isClosed = true;
      for (const w of waiters.splice(0)) w();
    });
    while (data.length < n) {
      if (isClosed || socket.destroyed) throw new Error(`closed after ${data.length} of ${n} bytes`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    return data.subarray(0, n);
  };
  return { socket, received: () => data, closed, firstBytes };
}
