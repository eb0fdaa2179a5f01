import { isIP } from 'node:net';

/**
 * Address lists such as `web.metricsAllow`: each entry an IPv4 or IPv6 address (one host) or a
 * CIDR block (`10.0.0.0/8`, `fd00::/8`). An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`, what a
 * server bound to `::` sees for an IPv4 peer) matches as the IPv4 address it carries.
 */

/** One parsed entry: the network's bits and how many of them must match. */
export interface CidrBlock {
  family: 4 | 6;
  bits: bigint;
  prefix: number;
  /** As written, for messages. */
  text: string;
}

function ipv4Bits(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6Bits(ip: string): bigint {
  let text = ip;
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const v4 = ipv4Bits(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** An address as (family, bits); IPv4-mapped IPv6 as IPv4; a zone index (`fe80::1%eth0`) dropped. Null when not an IP address. */
export function parseAddress(address: string): { family: 4 | 6; bits: bigint } | null {
  const ip = address.replace(/%.*$/, '');
  const family = isIP(ip);
  if (family === 4) return { family: 4, bits: ipv4Bits(ip) };
  if (family !== 6) return null;
  const bits = ipv6Bits(ip);
  if (bits >> 32n === 0xffffn) return { family: 4, bits: bits & 0xffffffffn };
  return { family: 6, bits };
}

/** Parses `address` or `address/prefix`; throws an Error saying what is wrong. */
export function parseCidr(text: string): CidrBlock {
  const [addr = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) throw new Error(`"${text}" is not an address or a CIDR block (e.g. 10.0.0.0/8)`);
  const parsed = parseAddress(addr);
  if (!parsed) throw new Error(`"${text}" is not an IPv4/IPv6 address or a CIDR block (e.g. 192.168.1.0/24, fd00::/8)`);
  const width = parsed.family === 4 ? 32 : 128;
  // An IPv4-mapped IPv6 block (::ffff:10.0.0.0/104) becomes its IPv4 block.
  const mappedShift = parsed.family === 4 && isIP(addr) === 6 ? 96 : 0;
  let prefix = width;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) throw new Error(`"${text}": the prefix length must be a whole number`);
    prefix = Number(prefixText) - mappedShift;
    if (prefix < 0 || prefix > width) throw new Error(`"${text}": the prefix length must be 0–${width + mappedShift}`);
  }
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(width - prefix);
  return { family: parsed.family, bits: parsed.bits & mask, prefix, text };
}

/** Whether `address` lies in `block`. */
export function isInBlock(address: { family: 4 | 6; bits: bigint }, block: CidrBlock): boolean {
  if (address.family !== block.family) return false;
  const width = block.family === 4 ? 32 : 128;
  const shift = BigInt(width - block.prefix);
  return address.bits >> shift === block.bits >> shift;
}

/** Whether the peer `address` (as a socket reports it) is in any of `blocks`. An unparsable address is in none. */
export function isAddressAllowed(address: string | undefined, blocks: readonly CidrBlock[]): boolean {
  if (address === undefined) return false;
  const parsed = parseAddress(address);
  return parsed !== null && blocks.some((b) => isInBlock(parsed, b));
}
