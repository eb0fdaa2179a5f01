import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterEach, test } from 'node:test';
import { FakeClock } from '../../../src/core/clock.ts';
import { silentLogger } from '../../../src/core/logger.ts';
import { ModbusLink } from '../../../src/devices/drivers/sunspec/modbus-link.ts';
import {
  ILLEGAL_DATA_ADDRESS,
  ModbusExceptionError,
  startModbusTcpServer,
  type ModbusRegisterHandler,
  type RunningModbusTcpServer,
} from '../../../src/devices/simulators/modbus-tcp-server.ts';
import { until } from '../../helpers/until.ts';

/**
 * gridpilot's own Modbus TCP server (the simulators' transport) over real sockets: raw frames
 * (MBAP framing, split and joined chunks, exceptions, unit ids, broken frames), the drivers'
 * client (modbus-serial through ModbusLink) and an independent client (Debian's pymodbus).
 */

/** Registers 0..99: holding 1000 + address, input 2000 + address; 0..49 writable; the rest exception 2. */
function memoryHandler(): ModbusRegisterHandler & { regs: number[] } {
  const regs = Array.from({ length: 100 }, (_, a) => 1000 + a);
  const check = (address: number, length: number, max: number): void => {
    if (address + length > max) throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `registers ${address}+${length} are not mapped`);
  };
  return {
    regs,
    readHoldingRegisters(address, length) {
      check(address, length, 100);
      return regs.slice(address, address + length);
    },
    readInputRegisters(address, length) {
      check(address, length, 100);
      return Array.from({ length }, (_, i) => 2000 + address + i);
    },
    writeRegisters(address, words) {
      check(address, words.length, 50);
      regs.splice(address, words.length, ...words);
    },
  };
}

const servers: RunningModbusTcpServer[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.close();
});

async function serve(handler: ModbusRegisterHandler, unitId = 1): Promise<RunningModbusTcpServer> {
  const server = await startModbusTcpServer({ port: 0, unitId, handler, logger: silentLogger });
  servers.push(server);
  return server;
}

/** A raw TCP client that splits what it receives into Modbus TCP frames. */
async function rawPeer(port: number): Promise<{ socket: net.Socket; next(): Promise<Buffer>; closed: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buf = Buffer.alloc(0);
  const frames: Buffer[] = [];
  const waiting: Array<(b: Buffer) => void> = [];
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 6 && buf.length >= 6 + buf.readUInt16BE(4)) {
      const f = buf.subarray(0, 6 + buf.readUInt16BE(4));
      buf = buf.subarray(f.length);
      const w = waiting.shift();
      if (w) w(f);
      else frames.push(f);
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    next: () => {
      const f = frames.shift();
      return f ? Promise.resolve(f) : new Promise<Buffer>((resolve) => waiting.push(resolve));
    },
    closed,
  };
}

/** An MBAP frame: transaction id, protocol 0, length, unit, then the PDU bytes. */
function frame(tid: number, unit: number, pdu: readonly number[]): Buffer {
  const b = Buffer.alloc(7 + pdu.length);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(1 + pdu.length, 4);
  b[6] = unit;
  Buffer.from(pdu).copy(b, 7);
  return b;
}
const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const read = (tid: number, unit: number, fc: number, address: number, length: number): Buffer => frame(tid, unit, [fc, ...u16(address), ...u16(length)]);
/** Transaction id, unit, function code and the PDU bytes after it. */
const parts = (f: Buffer): { tid: number; unit: number; fc: number; body: number[] } => ({ tid: f.readUInt16BE(0), unit: f[6] ?? -1, fc: f[7] ?? -1, body: [...f.subarray(8)] });

test('FC 3 and FC 4 answer the registers with the request\'s transaction id and unit id', async () => {
  const server = await serve(memoryHandler());
  const peer = await rawPeer(server.port);
  peer.socket.write(read(0x1234, 1, 3, 10, 2));
  assert.deepEqual(parts(await peer.next()), { tid: 0x1234, unit: 1, fc: 3, body: [4, ...u16(1010), ...u16(1011)] });
  peer.socket.write(read(7, 1, 4, 99, 1));
  assert.deepEqual(parts(await peer.next()), { tid: 7, unit: 1, fc: 4, body: [2, ...u16(2099)] });
});

test('FC 6 echoes the request, FC 16 answers address and quantity; the registers hold what was written', async () => {
  const handler = memoryHandler();
  const server = await serve(handler);
  const peer = await rawPeer(server.port);
  peer.socket.write(frame(1, 1, [6, ...u16(3), ...u16(0xbeef)]));
  assert.deepEqual(parts(await peer.next()), { tid: 1, unit: 1, fc: 6, body: [...u16(3), ...u16(0xbeef)] });
  peer.socket.write(frame(2, 1, [16, ...u16(40), ...u16(2), 4, ...u16(1), ...u16(0xffff)]));
  assert.deepEqual(parts(await peer.next()), { tid: 2, unit: 1, fc: 16, body: [...u16(40), ...u16(2)] });
  assert.deepEqual(handler.regs.slice(40, 42), [1, 0xffff]);
  assert.equal(handler.regs[3], 0xbeef);
});

test('a request split byte by byte, and three requests in one chunk, are each answered once, in order', async () => {
  const server = await serve(memoryHandler());
  const peer = await rawPeer(server.port);
  const req = read(9, 1, 3, 0, 1);
  for (const byte of req) {
    peer.socket.write(Buffer.from([byte]));
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(parts(await peer.next()), { tid: 9, unit: 1, fc: 3, body: [2, ...u16(1000)] });
  // Three at once, the last one cut in two across chunks.
  const three = Buffer.concat([read(10, 1, 3, 1, 1), read(11, 1, 4, 2, 1), read(12, 1, 3, 3, 1)]);
  peer.socket.write(three.subarray(0, three.length - 4));
  peer.socket.write(three.subarray(three.length - 4));
  assert.deepEqual((await Promise.all([peer.next(), peer.next(), peer.next()])).map((f) => [parts(f).tid, parts(f).body]), [
    [10, [2, ...u16(1001)]],
    [11, [2, ...u16(2002)]],
    [12, [2, ...u16(1003)]],
  ]);
});

test('exceptions: unknown function 1, unmapped address 2 (raised by the handler or past 65535), bad quantity or byte count 3, a failing handler 4', async () => {
  const handler = memoryHandler();
  handler.readInputRegisters = (address) => {
    if (address === 50) throw new Error('the device broke');
    return Promise.reject(new Error('the device broke later'));
  };
  const server = await serve(handler);
  const peer = await rawPeer(server.port);
  const cases: Array<[string, Buffer, number, number]> = [
    ['FC 43 (not served)', frame(1, 1, [43, 14, 1, 0]), 43, 1],
    ['FC 5 (coils: not served)', frame(2, 1, [5, 0, 0, 0xff, 0]), 5, 1],
    ['read of unmapped registers', read(3, 1, 3, 98, 5), 3, 2],
    ['write of read-only registers', frame(4, 1, [16, ...u16(49), ...u16(2), 4, 0, 0, 0, 0]), 16, 2],
    ['range past 65535', read(5, 1, 3, 65535, 2), 3, 2],
    ['quantity 0', read(6, 1, 3, 0, 0), 3, 3],
    ['quantity 126', read(7, 1, 3, 0, 126), 3, 3],
    ['FC 16 byte count ≠ 2 × quantity', frame(8, 1, [16, ...u16(0), ...u16(2), 3, 0, 0, 0]), 16, 3],
    ['FC 16 with fewer data bytes than its byte count', frame(9, 1, [16, ...u16(0), ...u16(2), 4, 0, 0]), 16, 3],
    ['FC 3 PDU of the wrong size', frame(10, 1, [3, 0, 0, 0]), 3, 3],
    ['FC 6 PDU of the wrong size', frame(11, 1, [6, 0, 0, 0, 0, 0]), 6, 3],
    ['handler throws', read(12, 1, 4, 50, 1), 4, 4],
    ['handler rejects', read(13, 1, 4, 51, 1), 4, 4],
  ];
  for (const [what, req, fc, code] of cases) {
    peer.socket.write(req);
    const got = parts(await peer.next());
    assert.deepEqual(got, { tid: req.readUInt16BE(0), unit: 1, fc: fc | 0x80, body: [code] }, what);
  }
  // The connection survives every exception.
  peer.socket.write(read(99, 1, 3, 0, 1));
  assert.equal(parts(await peer.next()).tid, 99);
});

test('another unit id gets no answer, and the requests after it are still answered; unit 255 serves every id', async () => {
  const server = await serve(memoryHandler(), 7);
  const peer = await rawPeer(server.port);
  peer.socket.write(Buffer.concat([read(1, 1, 3, 0, 1), read(2, 7, 3, 0, 1)]));
  assert.equal(parts(await peer.next()).tid, 2);
  peer.socket.write(Buffer.concat([read(3, 8, 43, 0, 0), read(4, 7, 3, 1, 1)]));
  assert.equal(parts(await peer.next()).tid, 4, 'not even an exception for another unit');

  const any = await serve(memoryHandler(), 255);
  const peer2 = await rawPeer(any.port);
  for (const unit of [0, 1, 42, 255]) {
    peer2.socket.write(read(unit, unit, 3, 0, 1));
    const got = parts(await peer2.next());
    assert.deepEqual([got.tid, got.unit], [unit, unit]);
  }
});

test('a frame that is not Modbus TCP (protocol id ≠ 0, length out of range) closes the connection; others are unaffected', async () => {
  const server = await serve(memoryHandler());
  const good = await rawPeer(server.port);
  for (const bad of [
    Buffer.from([0, 1, 0, 1, 0, 6, 1, 3, 0, 0, 0, 1]), // protocol id 1
    Buffer.from([0, 1, 0, 0, 0, 1, 1]), // length 1: no function code
    Buffer.from([0, 1, 0, 0, 0x01, 0x00, 1, 3]), // length 256 > 254
  ]) {
    const peer = await rawPeer(server.port);
    peer.socket.write(bad);
    await peer.closed;
  }
  good.socket.write(read(5, 1, 3, 0, 1));
  assert.equal(parts(await good.next()).tid, 5);
});

test('behind a slow (asynchronous) answer, 200 pipelined requests are all answered, in order (the socket pauses and resumes)', async () => {
  const handler = memoryHandler();
  const sync = handler.readHoldingRegisters.bind(handler);
  let n = 0;
  // Every third answer waits for a macrotask.
  handler.readHoldingRegisters = (address, length, unit) =>
    n++ % 3 === 0 ? new Promise((resolve) => setImmediate(() => resolve(sync(address, length, unit)))) : sync(address, length, unit);
  const server = await serve(handler);
  const peer = await rawPeer(server.port);
  peer.socket.write(Buffer.concat(Array.from({ length: 200 }, (_, i) => read(i, 1, 3, i % 100, 1))));
  for (let i = 0; i < 200; i++) assert.deepEqual(parts(await peer.next()), { tid: i, unit: 1, fc: 3, body: [2, ...u16(1000 + (i % 100))] });
});

test('a connection beyond maxConnections is closed at once; the ones before keep being answered', async () => {
  const server = await startModbusTcpServer({ port: 0, unitId: 1, handler: memoryHandler(), maxConnections: 1, logger: silentLogger });
  servers.push(server);
  const first = await rawPeer(server.port);
  await until(() => server.connections === 1, 'the first connection to be counted');
  const second = await rawPeer(server.port);
  await second.closed;
  first.socket.write(read(1, 1, 3, 0, 1));
  assert.equal(parts(await first.next()).tid, 1);
});

test('close() drops connected clients and stops listening, even with an answer pending', async () => {
  const handler = memoryHandler();
  handler.readHoldingRegisters = () => new Promise(() => undefined); // never answers
  const server = await startModbusTcpServer({ port: 0, unitId: 1, handler, logger: silentLogger });
  const peer = await rawPeer(server.port);
  peer.socket.write(read(1, 1, 3, 0, 1));
  await until(() => server.connections === 1, 'the connection to be counted');
  await server.close();
  await peer.closed;
  assert.equal(server.connections, 0);
  await assert.rejects(
    new Promise((resolve, reject) => net.connect(server.port, '127.0.0.1').once('connect', resolve).once('error', reject)),
    /ECONNREFUSED/,
  );
});

test('the drivers\' client (modbus-serial through ModbusLink): reads, writes, exceptions with their code', async () => {
  const handler = memoryHandler();
  const server = await serve(handler);
  const link = new ModbusLink({ host: '127.0.0.1', port: server.port, unitId: 1, timeoutMs: 2000, clock: new FakeClock(), logger: silentLogger });
  await link.start();
  try {
    const signal = AbortSignal.timeout(5000);
    assert.deepEqual(await link.readHoldingRegisters(0, 100, signal), handler.regs.slice());
    await link.writeRegisters(10, [5, 6, 7]);
    assert.deepEqual(await link.readHoldingRegisters(9, 5, signal), [1009, 5, 6, 7, 1013]);
    await assert.rejects(link.readHoldingRegisters(99, 2, signal), /read 99\+2: Modbus exception 2/);
    await assert.rejects(link.writeRegisters(50, [1]), /write 50\+1: Modbus exception 2/);
  } finally {
    await link.close();
  }
});

test('an independent client (Debian\'s pymodbus 3.0.0): FC 3, 4, 6, 16, exceptions, and no answer for another unit id', async () => {
  const server = await serve(memoryHandler(), 3);
  const proc = spawn('/usr/bin/python3', [new URL('fixtures/modbus_client.py', import.meta.url).pathname, String(server.port), '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exitCode = await new Promise<number | null>((resolve) => proc.once('close', resolve));
  assert.equal(exitCode, 0, stderr);
  assert.deepEqual(JSON.parse(stdout), {
    read: [1010, 1011, 1012, 1013],
    input: [2005, 2006, 2007],
    after_single: [0xbeef],
    after_multiple: [1, 2, 65535],
    unmapped: 2,
    read_only: 2,
    unknown_unit: 'no answer',
  });
});
