import type { AccessPolicy } from './auth.ts';

/**
 * The broker `gridpilot start` runs when no external one is configured: Debian's mosquitto,
 * supervised (mosquitto-broker.ts: MQTT 3.1, 3.1.1 and 5), or the embedded aedes broker
 * (embedded-broker.ts: 3.1 and 3.1.1 only) where mosquitto is not installed.
 */
export interface LocalBroker {
  readonly engine: 'mosquitto' | 'aedes';
  /** e.g. "mosquitto 2.0.11", "aedes 1.2". */
  readonly version: string;
  /** The MQTT protocol levels it speaks: 3 = 3.1, 4 = 3.1.1, 5 = 5.0. */
  readonly protocolVersions: readonly (3 | 4 | 5)[];
  /** Bound TCP port. */
  readonly port: number;
  /** Bound WebSocket port (path /mqtt), or null when off. */
  readonly wsPort: number | null;
  /** `mqtt://HOST:PORT` (loopback when bound to a wildcard address). */
  readonly url: string;
  /** `ws://HOST:PORT/mqtt`, or null when off. */
  readonly wsUrl: string | null;
  /** Bound mqtts:// port, or null without TLS. */
  readonly tlsPort: number | null;
  /** Bound secure WebSocket port (path /mqtt), or null when off. */
  readonly wssPort: number | null;
  /** `mqtts://HOST:PORT`, or null without TLS. */
  readonly tlsUrl: string | null;
  /** `wss://HOST:PORT/mqtt`, or null when off. */
  readonly wssUrl: string | null;
  /** Whether a client certificate (CA `tls.caFile`, CN = an account's certCn) logs in without a password: aedes with a caFile only. */
  readonly isCertLoginOn: boolean;
  /**
   * `mqtt://127.0.0.1:PORT` of a loopback listener outside the abuse limits (connection-guard.ts),
   * for the site's own controller link: others' failed logins, floods or a full broker never lock
   * it out. Same accounts and ACL as every listener.
   */
  readonly controllerUrl: string;
  /** Applies changed accounts to the running broker (aedes: in place; mosquitto: files rewritten + SIGHUP). */
  applyAccess(policy: AccessPolicy): Promise<void>;
  /** Whether clients without credentials are let in now. */
  isAnonymousAllowed(): boolean;
  /** Closes every connection and listener; ports are free when it resolves. Idempotent. */
  close(): Promise<void>;
}

/** Which local broker runs and what MQTT it speaks. */
export function brokerWords(b: Pick<LocalBroker, 'engine' | 'version' | 'protocolVersions'> | null | undefined): string {
  const levels = (b?.protocolVersions ?? [3, 4]).map((v) => ({ 3: '3.1', 4: '3.1.1', 5: '5' })[v]);
  const speaks = `MQTT ${levels.slice(0, -1).join(', ')} and ${levels[levels.length - 1] ?? ''}`;
  if (b?.engine === 'mosquitto') return `${b.version}, run by gridpilot: ${speaks}`;
  return `embedded aedes: ${speaks} only; install mosquitto (apt-get install mosquitto) for MQTT 5`;
}

/** The host part of a broker URL for a bind address: loopback for a wildcard, brackets for IPv6. */
export function urlHost(host: string): string {
  if (host === '' || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
