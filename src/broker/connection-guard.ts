import { Duplex } from 'node:stream';
import { silentLogger, type Logger } from '../core/logger.ts';
import { DEFAULT_BROKER_LIMITS, type BrokerLimits } from '../site/broker-limits-schema.ts';
import { AddressBackoff, normalizeAddress } from './address-backoff.ts';
import { connackCode, CONNECT_FLAG, disconnectV5, isLoginRefusal, PACKET, parseConnect, publishTopic, readFixedHeader, type FixedHeader } from './mqtt-frames.ts';

/**
 * The abuse limits of a broker's public listeners [issue 13], enforced by gridpilot in front of
 * either engine (listeners.ts hands every accepted socket to a guard): a total connection cap, a
 * CONNECT deadline, a packet-size cap, a per-connection message rate, and a back-off per remote
 * address after failed logins. It only walks MQTT framing (mqtt-frames.ts): no decoding, no
 * copies except where a packet's first bytes span two reads. The controller's own link does not
 * come through a guard (it has a loopback listener of its own), so others' failures can never lock
 * it out.
 */

/** The limits: src/site/broker-limits-schema.ts (`mqtt.embedded.limits`) documents each, with the defaults. */
export { DEFAULT_BROKER_LIMITS, type BrokerLimits } from '../site/broker-limits-schema.ts';

export interface ConnectionGuardOptions {
  limits?: Partial<BrokerLimits> | undefined;
  /** Largest packet, bytes (the fixed header included); a larger one closes the connection (MQTT 5: DISCONNECT 0x95). */
  maxPacketBytes: number;
  /**
   * When given, the retain flag of a PUBLISH (and of a CONNECT's will) whose topic this refuses is
   * cleared: delivered live, never stored. Absent: retain flags pass untouched (aedes applies the
   * same rule in its own hook).
   */
  mayRetain?: ((topic: string) => boolean) | undefined;
  logger?: Logger | undefined;
  /** Wall-clock ms (tests). Default Date.now. */
  now?: (() => number) | undefined;
}

/** What a guard has seen since it was made (diagnostics, tests, benchmarks). */
export interface GuardStats {
  open: number;
  /** Sockets closed at once because their address is backing off. */
  refusedBackingOff: number;
  /** Sockets closed at once because `maxConnections` were open. */
  refusedFull: number;
  /** Failures counted toward an address's back-off: refused logins, a CONNECT deadline missed, not MQTT, and the two violations below. */
  failures: number;
  /** Connections closed for a packet over the size cap. */
  oversized: number;
  /** Connections closed for exceeding the message rate (`overRate: 'disconnect'`). */
  overRate: number;
  /** Times a connection's reading was paused until its bucket refilled (`overRate: 'throttle'`). */
  throttled: number;
  /** Retain flags cleared. */
  retainCleared: number;
}

export class ConnectionGuard {
  readonly limits: Readonly<BrokerLimits>;
  readonly maxPacketBytes: number;
  private readonly backoff: AddressBackoff;
  private readonly log: Logger;
  readonly now: () => number;
  private readonly counters: Omit<GuardStats, 'open'> = { refusedBackingOff: 0, refusedFull: 0, failures: 0, oversized: 0, overRate: 0, throttled: 0, retainCleared: 0 };
  private open = 0;
  private lastFullWarningMs = -Infinity;

  constructor(readonly opts: ConnectionGuardOptions) {
    this.limits = { ...DEFAULT_BROKER_LIMITS, ...opts.limits };
    this.maxPacketBytes = opts.maxPacketBytes;
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.backoff = new AddressBackoff({ freeFailures: this.limits.failedConnectsBeforeBackoff, firstMs: this.limits.backoffMs, maxMs: this.limits.backoffMaxMs });
  }

  /**
   * At accept, before reading anything: may a socket from `address` be served? Returns its release
   * (call once when the socket closes), or null: close it now (the address backs off, or the
   * listeners are full).
   */
  admit(rawAddress: string | undefined): (() => void) | null {
    const address = normalizeAddress(rawAddress);
    if (this.backoff.blockedUntil(address, this.now()) !== null) {
      this.counters.refusedBackingOff += 1;
      return null;
    }
    if (this.open >= this.limits.maxConnections) {
      this.counters.refusedFull += 1;
      const now = this.now();
      if (now - this.lastFullWarningMs > 10_000) {
        this.lastFullWarningMs = now;
        this.log.warn({ address, maxConnections: this.limits.maxConnections }, 'broker: connection refused, the listeners are full (mqtt.embedded.limits.maxConnections)');
      }
      return null;
    }
    this.open += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open -= 1;
    };
  }

  /** The stream the broker should serve instead of `inner` (a socket or WebSocket stream from `address`). */
  wrap(inner: Duplex, rawAddress: string | undefined): GuardedStream {
    return new GuardedStream(inner, normalizeAddress(rawAddress), this);
  }

  stats(): GuardStats {
    return { open: this.open, ...this.counters };
  }

  /** @internal A failed login (or a connection that never became MQTT) from `address`. */
  loginFailed(address: string, why: string): void {
    this.counters.failures += 1;
    const periodMs = this.backoff.fail(address, this.now());
    if (periodMs > 0) this.log.warn({ address, why, refusedForMs: periodMs }, 'broker: address backs off after failed logins');
    else this.log.debug({ address, why }, 'broker: failed login');
  }

  /** @internal */
  loginSucceeded(address: string): void {
    this.backoff.succeed(address);
  }

  /** @internal */
  count(what: 'oversized' | 'overRate' | 'throttled' | 'retainCleared'): void {
    this.counters[what] += 1;
  }

  /** @internal */
  warn(obj: object, msg: string): void {
    this.log.warn(obj, msg);
  }
}

/**
 * One guarded connection: the broker reads and writes it like the socket it wraps. Client bytes
 * are walked packet by packet (CONNECT held until whole, then size, rate and retain checks on each
 * packet's first bytes) and passed on; the broker's first bytes are read for the CONNACK's code.
 */
export class GuardedStream extends Duplex {
  /** The wrapped socket or WebSocket stream (a TLS socket's peer certificate is read from it). */
  readonly socket: Duplex;
  private readonly guard: ConnectionGuard;
  private readonly address: string;
  /** Bytes of a packet start not passed on yet (a CONNECT until whole; a header or retained PUBLISH's topic cut by a read). */
  private held: Buffer | null = null;
  /** Body bytes of the current packet still to pass through unexamined. */
  private skip = 0;
  /** The held packet start's checks were done already (do not count it twice). */
  private heldChecked = false;
  private connect: { protocolVersion: number } | null = null;
  private connack: Buffer | null = Buffer.alloc(0);
  private tokens: number;
  private tokensAtMs: number;
  private connectTimer: NodeJS.Timeout | null;
  private ended = false;
  private sourcePaused = false;
  /** Set while reading waits for the bucket to refill (`overRate: 'throttle'`). */
  private throttleTimer: NodeJS.Timeout | null = null;

  constructor(inner: Duplex, address: string, guard: ConnectionGuard) {
    super({ allowHalfOpen: false });
    this.socket = inner;
    this.guard = guard;
    this.address = address;
    this.tokens = guard.limits.messageBurst;
    this.tokensAtMs = guard.now();
    this.connectTimer = setTimeout(() => this.refuse('no CONNECT in time'), guard.limits.connectTimeoutMs);
    this.connectTimer.unref();
    inner.on('data', (chunk: Buffer) => this.onClientData(chunk));
    inner.on('end', () => {
      if (!this.ended) this.push(null);
    });
    inner.on('error', (err) => this.destroy(err));
    inner.on('close', () => this.destroy());
  }

  override _read(): void {
    if (this.sourcePaused && this.throttleTimer === null) {
      this.sourcePaused = false;
      this.socket.resume();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.connack !== null) this.readConnack(chunk);
    if (this.socket.destroyed) {
      callback();
      return;
    }
    if (this.socket.write(chunk)) callback();
    else this.socket.once('drain', () => callback());
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (this.throttleTimer) clearTimeout(this.throttleTimer);
    this.throttleTimer = null;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    if (!this.ended) this.socket.destroy();
    callback(err);
  }

  private readConnack(chunk: Buffer): void {
    const seen = Buffer.concat([this.connack ?? Buffer.alloc(0), chunk]);
    const code = connackCode(seen);
    if (code === 'incomplete') {
      this.connack = seen.subarray(0, 16);
      return;
    }
    this.connack = null;
    if (code === null) return;
    const version = this.connect?.protocolVersion ?? 4;
    if (code === 0) this.guard.loginSucceeded(this.address);
    else if (isLoginRefusal(code, version)) this.guard.loginFailed(this.address, `CONNACK ${code}`);
  }

  private onClientData(chunk: Buffer): void {
    if (this.ended) return;
    if (this.throttleTimer !== null) {
      // Read before the pause took effect: kept for when the bucket has refilled.
      this.held = this.held ? Buffer.concat([this.held, chunk]) : Buffer.from(chunk);
      return;
    }
    const buf = this.held ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = null;
    const out = this.scan(buf);
    if (out === null || out.length === 0) return;
    if (!this.push(out)) {
      this.sourcePaused = true;
      this.socket.pause();
    }
  }

  /** Walks `buf`; returns the bytes to pass on now (the rest is held), or null when the connection was closed. */
  private scan(buf: Buffer): Buffer | null {
    let pos = 0;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - pos);
        this.skip -= n;
        pos += n;
      }
      if (pos >= buf.length) return buf;
      const h = readFixedHeader(buf, pos);
      if (h === 'incomplete') return this.hold(buf, pos);
      if (h === 'malformed') return this.violation(buf, pos, 'malformed packet header');
      if (this.connect === null) {
        const done = this.checkConnect(buf, pos, h);
        if (done === 'hold') return this.hold(buf, pos);
        if (done === 'closed') return null;
      } else {
        if (!this.heldChecked) {
          if (h.headerBytes + h.remaining > this.guard.maxPacketBytes) return this.tooLarge(buf, pos, h);
          if (h.type === PACKET.publish && !this.takeToken()) {
            if (this.guard.limits.overRate === 'disconnect') return this.overRate(buf, pos);
            return this.throttle(buf, pos);
          }
        }
        if (h.type === PACKET.publish && (h.flags & 0x01) !== 0 && this.guard.opts.mayRetain) {
          const topic = publishTopic(buf, pos, h);
          if (topic === null) {
            this.heldChecked = true;
            return this.hold(buf, pos);
          }
          if (!this.guard.opts.mayRetain(topic)) {
            buf[pos] = (buf[pos] ?? 0) & ~0x01;
            this.guard.count('retainCleared');
          }
        }
      }
      this.heldChecked = false;
      pos += h.headerBytes;
      this.skip = h.remaining;
    }
  }

  /** Holds `buf` from `pos` for the next read; passes on what is before. */
  private hold(buf: Buffer, pos: number): Buffer {
    this.held = Buffer.from(buf.subarray(pos));
    return buf.subarray(0, pos);
  }

  /** The first packet: must be a whole CONNECT within the size cap; its will's retain flag follows the rule. */
  private checkConnect(buf: Buffer, pos: number, h: FixedHeader): 'hold' | 'closed' | 'ok' {
    if (h.type !== PACKET.connect) {
      this.refuse('first packet is not CONNECT');
      return 'closed';
    }
    if (h.headerBytes + h.remaining > this.guard.maxPacketBytes) {
      this.refuse('CONNECT over the packet size cap');
      return 'closed';
    }
    if (buf.length - pos < h.headerBytes + h.remaining) return 'hold';
    const packet = buf.subarray(pos, pos + h.headerBytes + h.remaining);
    const info = parseConnect(packet, h);
    if (info === null) {
      this.refuse('malformed CONNECT');
      return 'closed';
    }
    this.connect = { protocolVersion: info.protocolVersion };
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    const flags = packet[info.flagsOffset] ?? 0;
    const mayRetain = this.guard.opts.mayRetain;
    if (info.willTopic !== null && (flags & CONNECT_FLAG.willRetain) !== 0 && mayRetain && !mayRetain(info.willTopic)) {
      packet[info.flagsOffset] = flags & ~CONNECT_FLAG.willRetain;
      this.guard.count('retainCleared');
    }
    return 'ok';
  }

  private takeToken(): boolean {
    const now = this.guard.now();
    const { maxMessagesPerS, messageBurst } = this.guard.limits;
    this.tokens = Math.min(messageBurst, this.tokens + ((now - this.tokensAtMs) * maxMessagesPerS) / 1000);
    this.tokensAtMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Holds this PUBLISH and what follows, stops reading, and goes on when one token is back. */
  private throttle(buf: Buffer, pos: number): Buffer {
    this.guard.count('throttled');
    const waitMs = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.guard.limits.maxMessagesPerS));
    this.socket.pause();
    this.sourcePaused = true;
    this.throttleTimer = setTimeout(() => {
      this.throttleTimer = null;
      if (this.ended || this.destroyed) return;
      const held = this.held;
      this.held = null;
      if (held) this.onClientData(held);
      if (this.throttleTimer === null && !this.ended && this.readableLength < this.readableHighWaterMark) {
        this.sourcePaused = false;
        this.socket.resume();
      }
    }, waitMs);
    return this.hold(buf, pos);
  }

  private tooLarge(buf: Buffer, pos: number, h: FixedHeader): null {
    this.guard.count('oversized');
    return this.violation(buf, pos, `packet of ${h.headerBytes + h.remaining} bytes over the cap of ${this.guard.maxPacketBytes} (mqtt.embedded.maxPacketBytes)`, 0x95);
  }

  private overRate(buf: Buffer, pos: number): null {
    this.guard.count('overRate');
    const { maxMessagesPerS, messageBurst } = this.guard.limits;
    return this.violation(buf, pos, `over ${maxMessagesPerS} messages/s (burst ${messageBurst}; mqtt.embedded.limits)`, 0x96);
  }

  /** Before a login: a failed one (counts toward the address's back-off); the connection is closed. */
  private refuse(why: string): void {
    this.guard.loginFailed(this.address, why);
    this.close(null);
  }

  /**
   * After a login: the packets before `pos` are passed on, the rest is not, and the connection is
   * closed (MQTT 5: DISCONNECT with `reasonCode` first); counts toward the back-off too.
   */
  private violation(buf: Buffer, pos: number, why: string, reasonCode?: number): null {
    if (pos > 0) this.push(buf.subarray(0, pos));
    this.guard.warn({ address: this.address, why }, 'broker: connection closed');
    this.guard.loginFailed(this.address, why);
    this.close(this.connect?.protocolVersion === 5 && reasonCode !== undefined ? disconnectV5(reasonCode) : null);
    return null;
  }

  /** Stops passing bytes, tells the broker the client is gone, and ends the client's socket (with `last` written). */
  private close(last: Buffer | null): void {
    if (this.ended) return;
    this.ended = true;
    this.held = null;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    const socket = this.socket;
    socket.pause();
    if (last && !socket.destroyed) socket.end(last);
    else socket.destroy();
    // Ended sockets get a moment to flush the DISCONNECT, then go.
    setTimeout(() => socket.destroy(), 1000).unref();
    this.push(null);
    this.destroy();
  }
}
