/**
 * Failed-CONNECT back-off per remote address (pure: time is passed in). After `freeFailures`
 * failures in a row from one address, that address is refused for `firstMs`, doubling with each
 * further failure up to `maxMs`; a successful login from it forgets it. An address quiet for
 * `maxMs` after its last failure starts again from zero. At most `maxAddresses` are remembered
 * (the least recently failed are forgotten first), so a flood from many addresses stays bounded.
 */

export interface BackoffOptions {
  /** Failures in a row allowed before the address is refused. */
  freeFailures: number;
  /** The first refusal period, ms; doubles with each further failure. */
  firstMs: number;
  /** The longest refusal period, ms. */
  maxMs: number;
  /** Addresses remembered at most. Default 10,000. */
  maxAddresses?: number | undefined;
}

interface Entry {
  failures: number;
  lastFailureMs: number;
  blockedUntilMs: number;
}

/** `::ffff:1.2.3.4` → `1.2.3.4`: IPv4 clients on a dual-stack listener count as themselves. */
export function normalizeAddress(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export class AddressBackoff {
  private readonly entries = new Map<string, Entry>();
  private readonly maxAddresses: number;

  constructor(private readonly opts: BackoffOptions) {
    this.maxAddresses = opts.maxAddresses ?? 10_000;
  }

  /** Until when (ms) `address` is refused, or null when it may connect now. */
  blockedUntil(address: string, nowMs: number): number | null {
    const e = this.entries.get(address);
    return e && e.blockedUntilMs > nowMs ? e.blockedUntilMs : null;
  }

  /** Records a failed CONNECT; returns the refusal period it starts, ms (0 = none yet). */
  fail(address: string, nowMs: number): number {
    let e = this.entries.get(address);
    if (e && nowMs - e.lastFailureMs > this.opts.maxMs && e.blockedUntilMs <= nowMs) e = undefined;
    const failures = (e?.failures ?? 0) + 1;
    const over = failures - this.opts.freeFailures;
    const periodMs = over < 0 ? 0 : Math.min(this.opts.maxMs, this.opts.firstMs * 2 ** Math.min(over, 40));
    this.entries.delete(address); // re-inserted last: the Map's order is the eviction order
    this.entries.set(address, { failures, lastFailureMs: nowMs, blockedUntilMs: periodMs > 0 ? nowMs + periodMs : 0 });
    while (this.entries.size > this.maxAddresses) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return periodMs;
  }

  /** A successful login: the address starts from zero. */
  succeed(address: string): void {
    this.entries.delete(address);
  }

  /** Addresses remembered now (failing or refused). */
  get size(): number {
    return this.entries.size;
  }
}
