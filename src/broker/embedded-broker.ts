import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { Aedes, type AedesOptions, type Client, type PublishPacket } from 'aedes';
import { GridpilotError, errorMessage } from '../core/errors.ts';
import { accountsFromAuth, BrokerAccessControl, mayRetainOn, type AccessPolicy, type BrokerAuth, type Principal, type TopicPrefixesInput } from './auth.ts';
import { ConnectionGuard, GuardedStream, type BrokerLimits } from './connection-guard.ts';
import { listenTcp, listenTls, listenWebSocket, WS_PATH, type Listener, type TlsFiles } from './listeners.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import { urlHost, type LocalBroker } from './local-broker.ts';

/**
 * The embedded MQTT broker: aedes 1.x behind TCP, WebSocket (path /mqtt), TLS and secure WebSocket
 * listeners, with per-account ACL. Speaks MQTT 3.1 and 3.1.1 only — aedes has no MQTT 5, so a
 * 5.0 client gets CONNACK "unacceptable protocol version" and the connection is closed.
 */

export interface EmbeddedBrokerTlsOptions {
  /** TCP port of the `mqtts://` listener; 0 = any free port (8883 is the usual one). */
  port: number;
  /** PEM private key of the server certificate. */
  keyFile: string;
  /** PEM server certificate (chain). */
  certFile: string;
  /**
   * PEM CA that signs client certificates. When given, clients are asked for a certificate
   * (optional for them); a valid one whose CN is a configured username logs that account in
   * without a password.
   */
  caFile?: string | undefined;
}

export interface EmbeddedBrokerOptions {
  /** Bind address of every listener. Default `127.0.0.1` (loopback only). */
  host?: string | undefined;
  /** MQTT over TCP; 0 = any free port. Default 1883. */
  port?: number | undefined;
  /** MQTT over WebSocket at path /mqtt; 0 = any free port; null/absent = off. */
  wsPort?: number | null | undefined;
  /** MQTT over TLS; absent = off. Its files also serve `wssPort`. */
  tls?: EmbeddedBrokerTlsOptions | undefined;
  /** MQTT over secure WebSocket at /mqtt (needs `tls`); 0 = any free port; null/absent = off. */
  wssPort?: number | null | undefined;
  /** Accounts and whether anonymous clients get in (auth.ts AccessPolicy); `applyAccess` changes it live. */
  access?: AccessPolicy | undefined;
  /** Hand-written accounts with clear passwords (tests, embedding): anonymous access off. Ignored when `access` is given. */
  auth?: BrokerAuth | undefined;
  /** Topic prefixes the ACL is built from (see topicsFor); default the protocol's. */
  topicPrefixes?: TopicPrefixesInput | undefined;
  /**
   * What happens to an MQTT 3.1.1 PUBLISH the ACL denies. `disconnect` (default): the connection
   * is closed [MQTT-3.3.5-2]. `drop`: acknowledged as usual and discarded, the connection stays
   * up. MQTT 3.1 publishes are always dropped silently (what 3.1 clients expect [live §1]).
   */
  deniedPublish?: 'drop' | 'disconnect' | undefined;
  /**
   * Abuse limits of the public listeners (connection-guard.ts; absent keys = DEFAULT_BROKER_LIMITS);
   * null = none. The controller's listener (`controllerUrl`) is outside them.
   */
  limits?: Partial<BrokerLimits> | null | undefined;
  /** Largest MQTT packet a public listener accepts, bytes (a larger one closes the connection). Default 16 MiB. */
  maxPacketBytes?: number | undefined;
  /** Origins whose web pages may use the WebSocket listeners (listeners.ts WebSocketOptions); default none. */
  wsAllowedOrigins?: readonly string[] | undefined;
  logger?: Logger | undefined;
}

export interface EmbeddedBroker extends LocalBroker {
  readonly engine: 'aedes';
  /** Bound TCP port. */
  readonly port: number;
  /** Bound WebSocket port, or null when off. */
  readonly wsPort: number | null;
  readonly tlsPort: number | null;
  readonly wssPort: number | null;
  /** `mqtt://127.0.0.1:PORT` (loopback when bound to a wildcard address). */
  readonly url: string;
  /** `ws://127.0.0.1:PORT/mqtt`, or null when off. */
  readonly wsUrl: string | null;
  readonly tlsUrl: string | null;
  readonly wssUrl: string | null;
  /** The aedes instance, for diagnostics (connected clients, events). */
  readonly aedes: Aedes;
  /** The abuse limits' guard of the public listeners (its stats), or null with `limits: null`. */
  readonly guard: ConnectionGuard | null;
  /** Closes every client connection and listener; ports are free when it resolves. Idempotent. */
  close(): Promise<void>;
}

/** Denied publishes are re-routed here before being dropped (see `deniedPublish`). */
const DENIED_TOPIC_PREFIX = '$denied/';

type Callback = (err?: Error | null) => void;
/** aedes' real (untyped) publish signature: the client argument is optional. */
type RawPublish = (packet: PublishPacket, clientOrDone: Client | null | Callback, done?: Callback) => void;

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new GridpilotError(`cannot read ${what}: ${errorMessage(err)}`, path);
  }
}

/** CN of a client certificate the TLS layer verified against our CA, if any. */
function verifiedCertCommonName(stream: unknown, req: http.IncomingMessage | undefined): string | undefined {
  const conn = stream instanceof GuardedStream ? stream.socket : stream;
  const socket = conn instanceof tls.TLSSocket ? conn : req?.socket instanceof tls.TLSSocket ? req.socket : undefined;
  if (!socket?.authorized) return undefined;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}

export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger ?? silentLogger;
  const access = new BrokerAccessControl(
    opts.access ?? (opts.auth ? { accounts: accountsFromAuth(opts.auth), isAnonymousAllowed: false } : { accounts: [], isAnonymousAllowed: true }),
    opts.topicPrefixes,
  );
  const dropDenied311 = (opts.deniedPublish ?? 'disconnect') === 'drop';
  const principals = new WeakMap<Client, Principal>();
  const droppedPackets = new WeakSet<PublishPacket>();
  const principalOf = (client: Client | null): Principal | undefined => (client ? principals.get(client) : undefined);
  const who = (client: Client | null): string => {
    const p = principalOf(client);
    return p?.kind === 'user' ? p.username : 'anonymous';
  };

  if (opts.wssPort !== undefined && opts.wssPort !== null && !opts.tls) {
    throw new GridpilotError('wssPort needs tls (keyFile, certFile)', 'broker.wssPort');
  }
  const tlsFiles: TlsFiles | null = opts.tls
    ? {
        key: readPem(opts.tls.keyFile, 'TLS key'),
        cert: readPem(opts.tls.certFile, 'TLS certificate'),
        ...(opts.tls.caFile !== undefined ? { ca: readPem(opts.tls.caFile, 'TLS CA') } : {}),
      }
    : null;

  const hooks: AedesOptions = {
    authenticate(client, username, password, done) {
      const cn = verifiedCertCommonName(client.conn, client.req);
      // The controller's own listener (not guarded) skips the queue of password checks.
      access.authenticate(username, password, client.id, cn, { isPriority: !(client.conn instanceof GuardedStream) }).then(
        (result) => {
          if (result.ok) {
            principals.set(client, result.principal);
            done(null, true);
            return;
          }
          log.warn({ clientId: client.id, username, reason: result.reason }, 'broker: connection refused');
          done(Object.assign(new Error(result.reason), { returnCode: result.returnCode }), false);
        },
        (err: unknown) => done(Object.assign(new Error(errorMessage(err)), { returnCode: 5 }), false),
      );
    },
    authorizePublish(client, packet, done) {
      const principal = principalOf(client) ?? { kind: 'anonymous' };
      if (access.canPublish(principal, packet.topic)) {
        // Retained-message rule [issue 13]: commands, schedules, prices and feedback are delivered, never stored.
        if (packet.retain && !mayRetainOn(packet.topic, opts.topicPrefixes)) packet.retain = false;
        done(null);
        return;
      }
      log.warn({ clientId: client?.id, user: who(client), topic: packet.topic }, 'broker: publish denied');
      // [live §1] 3.1: dropped silently; 3.1.1: the connection is closed [MQTT-3.3.5-2] unless configured to drop.
      if (client && client.version >= 4 && !dropDenied311) {
        done(new Error(`not authorized to publish to ${packet.topic}`));
        return;
      }
      // aedes closes the connection when authorizePublish fails, so to drop silently we accept the
      // packet (it gets its PUBACK/PUBREC) and discard it in publish() below. aedes 1.x passes the
      // same packet object to authorizePublish and publish (client publishes and wills). Fail-safe
      // should that ever change: the packet now goes to a `$denied/` topic that nobody may read
      // and is not retained.
      packet.topic = DENIED_TOPIC_PREFIX + packet.topic;
      packet.retain = false;
      droppedPackets.add(packet);
      done(null);
    },
    authorizeSubscribe(client, sub, done) {
      const principal = principalOf(client) ?? { kind: 'anonymous' };
      if (!sub.topic.startsWith(DENIED_TOPIC_PREFIX) && access.canSubscribe(principal, sub.topic)) {
        done(null, sub);
        return;
      }
      log.warn({ clientId: client.id, user: who(client), topic: sub.topic }, 'broker: subscribe denied');
      done(null, null); // SUBACK 0x80 for this filter; the connection stays up
    },
    authorizeForward(client, packet) {
      if (packet.topic.startsWith(DENIED_TOPIC_PREFIX)) return null;
      if (!access.isEnforcing) return packet;
      const principal = principalOf(client);
      return principal && access.canReceive(principal, packet.topic) ? packet : null;
    },
  };

  const aedes = new Aedes(hooks);
  const rawPublish = aedes.publish.bind(aedes) as unknown as RawPublish;
  const guardedPublish: RawPublish = (packet, clientOrDone, done) => {
    if (droppedPackets.has(packet)) {
      const callback = typeof clientOrDone === 'function' ? clientOrDone : done;
      if (callback) setImmediate(callback, null);
      return;
    }
    rawPublish(packet, clientOrDone, done);
  };
  (aedes as unknown as { publish: RawPublish }).publish = guardedPublish;
  await aedes.listen();

  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'broker: client error'));
  aedes.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'broker: connection error'));

  const handle = (stream: Duplex, req?: http.IncomingMessage): void => {
    aedes.handle(stream, req);
  };
  const listeners: Listener[] = [];
  const closeAedes = (): Promise<void> => new Promise((resolve) => aedes.close(() => resolve()));
  const start = async (what: string, port: number, open: () => Promise<Listener>): Promise<number> => {
    try {
      const listener = await open();
      listeners.push(listener);
      return listener.port;
    } catch (err) {
      await Promise.all([...listeners.map((l) => l.close()), closeAedes()]);
      throw new GridpilotError(`cannot listen on ${host}:${port}: ${errorMessage(err)}`, `broker ${what}`);
    }
  };

  const guard = opts.limits === null ? undefined : new ConnectionGuard({ limits: opts.limits, maxPacketBytes: opts.maxPacketBytes ?? 16 * 1024 * 1024, logger: log });
  const ws = { guard, allowedOrigins: opts.wsAllowedOrigins };
  const port = await start('tcp', opts.port ?? 1883, () => listenTcp(host, opts.port ?? 1883, handle, guard));
  const wsPort =
    opts.wsPort === undefined || opts.wsPort === null
      ? null
      : await start('ws', opts.wsPort, () => listenWebSocket(host, opts.wsPort ?? 0, null, handle, ws));
  const tlsPort =
    opts.tls && tlsFiles ? await start('tls', opts.tls.port, () => listenTls(host, opts.tls?.port ?? 0, tlsFiles, handle, guard)) : null;
  const wssPort =
    opts.wssPort === undefined || opts.wssPort === null || !tlsFiles
      ? null
      : await start('wss', opts.wssPort, () => listenWebSocket(host, opts.wssPort ?? 0, tlsFiles, handle, ws));
  // The site's own controller link: loopback, outside the abuse limits.
  const controllerPort = await start('controller', 0, () => listenTcp('127.0.0.1', 0, handle));

  const h = urlHost(host);
  const broker: EmbeddedBroker = {
    engine: 'aedes',
    version: 'aedes',
    protocolVersions: [3, 4],
    port,
    wsPort,
    tlsPort,
    wssPort,
    url: `mqtt://${h}:${port}`,
    wsUrl: wsPort === null ? null : `ws://${h}:${wsPort}${WS_PATH}`,
    tlsUrl: tlsPort === null ? null : `mqtts://${h}:${tlsPort}`,
    wssUrl: wssPort === null ? null : `wss://${h}:${wssPort}${WS_PATH}`,
    isCertLoginOn: tlsPort !== null && tlsFiles?.ca !== undefined,
    controllerUrl: `mqtt://127.0.0.1:${controllerPort}`,
    aedes,
    guard: guard ?? null,
    applyAccess: (policy) => {
      access.update(policy);
      log.info({ accounts: policy.accounts.length, isAnonymousAllowed: policy.isAnonymousAllowed }, 'broker: accounts reloaded');
      return Promise.resolve();
    },
    isAnonymousAllowed: () => !access.isEnforcing,
    close: once(async () => {
      await Promise.all([...listeners.map((l) => l.close()), closeAedes()]);
      log.info({ port }, 'broker: closed');
    }),
  };
  log.info(
    { url: broker.url, wsUrl: broker.wsUrl, tlsUrl: broker.tlsUrl, wssUrl: broker.wssUrl, auth: access.isEnforcing },
    'broker: listening',
  );
  return broker;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () => (running ??= fn());
}
