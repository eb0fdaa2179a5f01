/**
 * Just enough MQTT framing for the connection guard (connection-guard.ts) to walk a byte stream
 * packet by packet without decoding it [MQTT-2.2]: the fixed header (type, flags, remaining
 * length), a PUBLISH's topic, the CONNECT flags' position, a CONNACK's return code. Same layout
 * in MQTT 3.1, 3.1.1 and 5.
 */

export const PACKET = { connect: 1, connack: 2, publish: 3, disconnect: 14 } as const;

export interface FixedHeader {
  /** Packet type, 1–15. */
  type: number;
  /** The low 4 bits of byte 0 (PUBLISH: DUP, QoS, RETAIN). */
  flags: number;
  /** Bytes after the fixed header. */
  remaining: number;
  /** Bytes of the fixed header itself (2–5). */
  headerBytes: number;
}

/** The fixed header at `pos`: 'incomplete' when more bytes are needed, 'malformed' for a remaining length over 4 bytes. */
export function readFixedHeader(buf: Buffer, pos: number): FixedHeader | 'incomplete' | 'malformed' {
  if (pos >= buf.length) return 'incomplete';
  const byte0 = buf[pos] ?? 0;
  let remaining = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    if (pos + i >= buf.length) return 'incomplete';
    const b = buf[pos + i] ?? 0;
    remaining += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) return { type: byte0 >> 4, flags: byte0 & 0x0f, remaining, headerBytes: 1 + i };
    multiplier *= 128;
  }
  return 'malformed';
}

/** The topic of the PUBLISH whose fixed header (`h`) starts at `pos`, or null when its bytes are not all in `buf` yet. */
export function publishTopic(buf: Buffer, pos: number, h: FixedHeader): string | null {
  const at = pos + h.headerBytes;
  if (at + 2 > buf.length) return null;
  const length = buf.readUInt16BE(at);
  if (at + 2 + length > buf.length) return null;
  return buf.toString('utf8', at + 2, at + 2 + length);
}

/** What the guard needs of a CONNECT: the protocol level, where its flags byte is, and the will's topic. */
export interface ConnectInfo {
  /** 3 = 3.1, 4 = 3.1.1, 5 = 5.0 (as the client says). */
  protocolVersion: number;
  /** Offset of the CONNECT flags byte in the packet. */
  flagsOffset: number;
  /** The will message's topic, or null without a will. */
  willTopic: string | null;
}

/** CONNECT flags [MQTT-3.1.2.3]. */
export const CONNECT_FLAG = { will: 0x04, willRetain: 0x20 } as const;

/** Reads a variable byte integer at `at`: [value, bytes], or null when malformed or cut. */
function varint(buf: Buffer, at: number): [number, number] | null {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 4; i++) {
    if (at + i >= buf.length) return null;
    const b = buf[at + i] ?? 0;
    value += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) return [value, i + 1];
    multiplier *= 128;
  }
  return null;
}

/** Parses a whole CONNECT packet (starting at 0, header `h`) as far as {@link ConnectInfo} needs; null when malformed. */
export function parseConnect(packet: Buffer, h: FixedHeader): ConnectInfo | null {
  const end = h.headerBytes + h.remaining;
  if (packet.length < end) return null;
  let at = h.headerBytes;
  const str = (): string | null => {
    if (at + 2 > end) return null;
    const n = packet.readUInt16BE(at);
    if (at + 2 + n > end) return null;
    const s = packet.toString('utf8', at + 2, at + 2 + n);
    at += 2 + n;
    return s;
  };
  const skipProperties = (): boolean => {
    const v = varint(packet, at);
    if (!v || at + v[1] + v[0] > end) return false;
    at += v[1] + v[0];
    return true;
  };
  if (str() === null || at + 4 > end) return null; // protocol name; then level, flags, keep alive
  const protocolVersion = packet[at] ?? 0;
  const flagsOffset = at + 1;
  const flags = packet[flagsOffset] ?? 0;
  at += 4;
  if (protocolVersion === 5 && !skipProperties()) return null;
  if (str() === null) return null; // client id
  let willTopic: string | null = null;
  if ((flags & CONNECT_FLAG.will) !== 0) {
    if (protocolVersion === 5 && !skipProperties()) return null;
    willTopic = str();
    if (willTopic === null) return null;
  }
  return { protocolVersion, flagsOffset, willTopic };
}

/** The return code (3.1/3.1.1) or reason code (5) of a CONNACK at the start of `buf`, 'incomplete', or null when `buf` does not start with a CONNACK. */
export function connackCode(buf: Buffer): number | 'incomplete' | null {
  const h = readFixedHeader(buf, 0);
  if (h === 'incomplete') return 'incomplete';
  if (h === 'malformed' || h.type !== PACKET.connack) return null;
  const at = h.headerBytes + 1; // after the acknowledge flags
  if (at >= buf.length) return 'incomplete';
  return buf[at] ?? null;
}

/** CONNACK codes that mean "bad login": 3.1/3.1.1 4 and 5; MQTT 5 0x86, 0x87, 0x8C [MQTT-3.2.2.2]. */
export function isLoginRefusal(code: number, protocolVersion: number): boolean {
  return protocolVersion === 5 ? code === 0x86 || code === 0x87 || code === 0x8c : code === 4 || code === 5;
}

/** An MQTT 5 DISCONNECT from the server with `reasonCode` (0x95 packet too large, 0x96 message rate too high). */
export function disconnectV5(reasonCode: number): Buffer {
  return Buffer.from([PACKET.disconnect << 4, 0x01, reasonCode]);
}
