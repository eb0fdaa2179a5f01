import net from 'node:net';
import { silentLogger, type Logger } from '../../core/logger.ts';

/** Modbus exception codes a handler may raise [Modbus Application Protocol V1.1b3 §7]. */
export const ILLEGAL_FUNCTION = 1;
export const ILLEGAL_DATA_ADDRESS = 2;
export const ILLEGAL_DATA_VALUE = 3;
export const SERVER_DEVICE_FAILURE = 4;
export type ModbusExceptionCode = 1 | 2 | 3 | 4;

/** Raised by a handler to answer with a Modbus exception [Modbus Application Protocol §7]. */
export class ModbusExceptionError extends Error {
  constructor(
    readonly modbusErrorCode: ModbusExceptionCode,
    message: string,
  ) {
    super(message);
    this.name = 'ModbusExceptionError';
  }
}

type Words = readonly number[];

/**
 * What the server serves. A handler may answer synchronously (the response then leaves in the same
 * tick as the request) or with a promise; it throws {@link ModbusExceptionError} for an exception
 * response, anything else answers exception 4 (server device failure) and is logged.
 * Addresses are 0-based protocol addresses; registers are uint16.
 */
export interface ModbusRegisterHandler {
  /** FC 3: `length` (1–125) holding registers from `address`. */
  readHoldingRegisters(address: number, length: number, unitId: number): Words | Promise<Words>;
  /** FC 4; absent = exception 1 (illegal function). */
  readInputRegisters?(address: number, length: number, unitId: number): Words | Promise<Words>;
  /** FC 6 (one register) and FC 16 (1–123); absent = exception 1. */
  writeRegisters?(address: number, words: Words, unitId: number): void | Promise<void>;
}

export interface ModbusTcpServerOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** TCP port; 0 = a free one (see `port` of the result). */
  port: number;
  /** Unit id answered; requests for another get no answer, as on a real bus. 0–255, 255 = any. Default 255. */
  unitId?: number;
  handler: ModbusRegisterHandler;
  /** Most client connections at once; a connection beyond them is closed at once. Default 64. */
  maxConnections?: number;
  logger?: Logger;
}

export interface RunningModbusTcpServer {
  host: string;
  port: number;
  /** Client connections open now. */
  readonly connections: number;
  /** Stops listening and drops every client (pending answers are discarded); idempotent. */
  close(): Promise<void>;
}

/** MBAP header: transaction id, protocol id, length, unit id [Modbus Messaging on TCP/IP §3.1.3]. */
const MBAP_BYTES = 7;
/** The MBAP length field counts the unit id and the PDU: 1 + 1…253. */
const MIN_LENGTH_FIELD = 2;
const MAX_LENGTH_FIELD = 254;
const MAX_READ_REGS = 125;
const MAX_WRITE_REGS = 123;
/** Requests queued on one connection behind a slow (async) answer before the socket is paused. */
const MAX_QUEUED_FRAMES = 16;
const EMPTY = Buffer.alloc(0);

/**
 * A Modbus TCP server (FC 3, 4, 6, 16) for the protocol simulators. It answers in the tick the
 * request arrives when the handler is synchronous — modbus-serial's `ServerTCP` defers every
 * request with `setTimeout(…, 0)` (≥ 1 ms in Node), which made every simulated device ≥ 1 ms per
 * request (docs/benchmarks.md §5).
 *
 * Framing: requests may arrive split over TCP chunks or several in one; the receive buffer holds at
 * most one partial frame (≤ 260 bytes). Requests of one connection are answered in order: behind an
 * asynchronous answer whole requests queue, and from 16 queued the socket is paused (TCP
 * back-pressure) until they drain, so the queue never holds more than one read chunk beyond that.
 * A frame with a protocol id other than 0 or a length outside 2…254 cannot be re-synchronised: the
 * connection is closed. A malformed PDU (wrong size, quantity, byte count) answers exception 3, an
 * address range past 65535 exception 2, an unknown function exception 1.
 */
export async function startModbusTcpServer(opts: ModbusTcpServerOptions): Promise<RunningModbusTcpServer> {
  const host = opts.host ?? '127.0.0.1';
  const unitId = opts.unitId ?? 255;
  if (!Number.isInteger(unitId) || unitId < 0 || unitId > 255) throw new RangeError(`modbus server: unitId must be 0–255, got ${unitId}`);
  const logger = opts.logger ?? silentLogger;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serveConnection(socket, opts.handler, unitId, logger);
  });
  server.maxConnections = opts.maxConnections ?? 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on ${host}:${opts.port}: ${err.message}`, { cause: err })));
    server.listen(opts.port, host, () => resolve());
  });
  server.on('error', (err) => logger.warn({ err: err.message }, 'modbus server: error'));
  const { port } = server.address() as net.AddressInfo;
  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    get connections() {
      return sockets.size;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

/** One client connection: reassembles frames, answers them in order. */
function serveConnection(socket: net.Socket, handler: ModbusRegisterHandler, unitId: number, logger: Logger): void {
  let partial: Buffer = EMPTY;
  const queued: Buffer[] = [];
  let isBusy = false;

  const send = (response: Buffer | null): void => {
    if (response && !socket.destroyed) socket.write(response);
  };
  // Answers queued frames until one needs to wait; resumes from the promise's settlement.
  const drain = (): void => {
    while (!isBusy && queued.length > 0) {
      const frame = queued.shift() as Buffer;
      const answer = answerFrame(frame, handler, unitId, logger);
      if (answer instanceof Promise) {
        isBusy = true;
        void answer.then((response) => {
          isBusy = false;
          send(response);
          if (socket.isPaused() && queued.length < MAX_QUEUED_FRAMES) socket.resume();
          drain();
        });
      } else send(answer);
    }
  };

  socket.on('data', (chunk: Buffer) => {
    const buf = partial.length > 0 ? Buffer.concat([partial, chunk]) : chunk;
    let off = 0;
    while (buf.length - off >= MBAP_BYTES) {
      const protocolId = buf.readUInt16BE(off + 2);
      const length = buf.readUInt16BE(off + 4);
      if (protocolId !== 0 || length < MIN_LENGTH_FIELD || length > MAX_LENGTH_FIELD) {
        logger.warn({ remote: socket.remoteAddress, protocolId, length }, 'modbus server: not a Modbus TCP frame; closing the connection');
        socket.destroy();
        return;
      }
      if (buf.length - off < 6 + length) break;
      queued.push(buf.subarray(off, off + 6 + length));
      off += 6 + length;
    }
    // Keep only the partial frame (a copy, so the chunk it came in is not retained).
    partial = off < buf.length ? Buffer.from(buf.subarray(off)) : EMPTY;
    drain();
    if (queued.length >= MAX_QUEUED_FRAMES) socket.pause();
  });
  socket.on('error', (err) => logger.debug({ remote: socket.remoteAddress, err: err.message }, 'modbus server: socket error'));
}

/** The response to one whole frame (MBAP + PDU), null for no answer (another unit id). */
function answerFrame(frame: Buffer, handler: ModbusRegisterHandler, serverUnit: number, logger: Logger): Buffer | null | Promise<Buffer | null> {
  const unit = frame[6] ?? 0;
  if (serverUnit !== 255 && unit !== serverUnit) return null;
  const fc = frame[7] ?? 0;
  try {
    const answer = dispatch(frame.subarray(7), fc, unit, handler);
    if (answer instanceof Promise) {
      return answer.then(
        (body) => response(frame, body),
        (err: unknown) => exceptionResponse(frame, fc, codeOf(err, fc, unit, logger)),
      );
    }
    return response(frame, answer);
  } catch (err) {
    return exceptionResponse(frame, fc, codeOf(err, fc, unit, logger));
  }
}

/** The response PDU after the function code, or its promise. */
function dispatch(pdu: Buffer, fc: number, unit: number, handler: ModbusRegisterHandler): Buffer | Promise<Buffer> {
  switch (fc) {
    case 3:
    case 4: {
      if (fc === 4 && !handler.readInputRegisters) throw new ModbusExceptionError(ILLEGAL_FUNCTION, 'function 4 is not served');
      if (pdu.length !== 5) throw new ModbusExceptionError(ILLEGAL_DATA_VALUE, `FC ${fc} request of ${pdu.length} bytes (5 expected)`);
      const address = pdu.readUInt16BE(1);
      const length = pdu.readUInt16BE(3);
      checkRange(address, length, MAX_READ_REGS);
      const words = fc === 3 ? handler.readHoldingRegisters(address, length, unit) : (handler.readInputRegisters?.(address, length, unit) ?? []);
      return words instanceof Promise ? words.then((w) => registersBody(w, length)) : registersBody(words, length);
    }
    case 6:
    case 16: {
      if (!handler.writeRegisters) throw new ModbusExceptionError(ILLEGAL_FUNCTION, `function ${fc} is not served`);
      const address = pdu.readUInt16BE(1);
      let words: number[];
      if (fc === 6) {
        if (pdu.length !== 5) throw new ModbusExceptionError(ILLEGAL_DATA_VALUE, `FC 6 request of ${pdu.length} bytes (5 expected)`);
        words = [pdu.readUInt16BE(3)];
      } else {
        if (pdu.length < 6) throw new ModbusExceptionError(ILLEGAL_DATA_VALUE, `FC 16 request of ${pdu.length} bytes`);
        const length = pdu.readUInt16BE(3);
        const byteCount = pdu[5] ?? 0;
        if (length < 1 || length > MAX_WRITE_REGS || byteCount !== 2 * length || pdu.length !== 6 + byteCount) {
          throw new ModbusExceptionError(ILLEGAL_DATA_VALUE, `FC 16: ${length} registers, byte count ${byteCount}, ${pdu.length - 6} data bytes`);
        }
        checkRange(address, length, MAX_WRITE_REGS);
        words = new Array<number>(length);
        for (let i = 0; i < length; i++) words[i] = ((pdu[6 + 2 * i] ?? 0) << 8) | (pdu[7 + 2 * i] ?? 0);
      }
      // FC 6 echoes the request; FC 16 answers address and quantity: both the 4 bytes after the code.
      const body = pdu.subarray(1, 5);
      const done = handler.writeRegisters(address, words, unit);
      return done instanceof Promise ? done.then(() => body) : body;
    }
    default:
      throw new ModbusExceptionError(ILLEGAL_FUNCTION, `function ${fc} is not served`);
  }
}

function checkRange(address: number, length: number, max: number): void {
  if (length < 1 || length > max) throw new ModbusExceptionError(ILLEGAL_DATA_VALUE, `quantity ${length} (1–${max})`);
  if (address + length > 0x10000) throw new ModbusExceptionError(ILLEGAL_DATA_ADDRESS, `registers ${address}+${length} run past 65535`);
}

/** Byte count + registers. */
function registersBody(words: Words, length: number): Buffer {
  if (words.length !== length) throw new Error(`the handler answered ${words.length} registers for ${length}`);
  const body = Buffer.allocUnsafe(1 + 2 * length);
  body[0] = 2 * length;
  for (let i = 0; i < length; i++) {
    const w = words[i] ?? 0;
    body[1 + 2 * i] = (w >> 8) & 0xff;
    body[2 + 2 * i] = w & 0xff;
  }
  return body;
}

/** MBAP (transaction id and unit id of the request) + function code + body. */
function response(request: Buffer, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(8 + body.length);
  out[0] = request[0] ?? 0;
  out[1] = request[1] ?? 0;
  out[2] = 0;
  out[3] = 0;
  out.writeUInt16BE(2 + body.length, 4);
  out[6] = request[6] ?? 0;
  out[7] = request[7] ?? 0;
  body.copy(out, 8);
  return out;
}

function exceptionResponse(request: Buffer, fc: number, code: ModbusExceptionCode): Buffer {
  const out = response(request, Buffer.from([code]));
  out[7] = (fc | 0x80) & 0xff;
  return out;
}

function codeOf(err: unknown, fc: number, unit: number, logger: Logger): ModbusExceptionCode {
  if (err instanceof ModbusExceptionError) return err.modbusErrorCode;
  logger.warn({ fc, unit, err: err instanceof Error ? err.message : String(err) }, 'modbus server: request failed (exception 4)');
  return SERVER_DEVICE_FAILURE;
}
