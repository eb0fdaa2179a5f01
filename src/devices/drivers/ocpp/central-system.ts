import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { RPCServer } from 'ocpp-rpc';
import type { Clock } from '../../../core/clock.ts';
import { GridpilotError, errorMessage } from '../../../core/errors.ts';
import type { Logger } from '../../../core/logger.ts';
import type { DeviceLifecycle } from '../../driver.ts';
import { ChargePointSession, type ChargePointSpec, type CsmsDialect } from './charge-point-session.ts';
import type { OcppServerConfig } from './config.ts';
import { createCsms16 } from './csms-16.ts';
import { createCsms201 } from './csms-201.ts';
import type { RpcPeer } from './rpc-peer.ts';

/** WebSocket subprotocols served, in order of preference when a charger offers several [OCPP-J §3.1.2]. */
export const OCPP_SUBPROTOCOLS = ['ocpp1.6', 'ocpp2.0.1'] as const;

export interface OcppCentralSystemOptions {
  clock: Clock;
  logger: Logger;
}

/** The events of an accepted connection that the central system listens to (RPCServerClient has them). */
interface ServerClient extends RpcPeer {
  readonly identity: string | undefined;
  readonly protocol: string | undefined;
  on(event: 'close', listener: (e: { code?: number; reason?: string }) => void): unknown;
  on(event: 'strictValidationFailure', listener: (e: { method?: string; error?: unknown; outbound?: boolean }) => void): unknown;
  close(options: { force: boolean }): Promise<unknown>;
}

/**
 * gridpilot's OCPP central system: one WebSocket server (ws:// or wss://) for the whole site, that EV
 * chargers connect to at `<path>/<chargePointId>` with OCPP 1.6J or 2.0.1 (payloads checked against the
 * bundled schemas: ocpp-rpc strictMode). Only registered charge points get in; one with a password must
 * present it by HTTP Basic auth (security profile 1/2). Each charge point's state lives in its
 * ChargePointSession, which the device objects read.
 */
export class OcppCentralSystem implements DeviceLifecycle {
  private readonly sessions = new Map<string, ChargePointSession>();
  private readonly clients = new Map<string, ServerClient>();
  private readonly rpc: RPCServer;
  private httpServer: http.Server | null = null;
  private port: number | null = null;
  private nextTxId: number;
  private readonly path: string;

  constructor(
    readonly config: OcppServerConfig,
    private readonly options: OcppCentralSystemOptions,
  ) {
    this.path = config.path.replace(/\/+$/, '') || '/';
    // 1.6 transaction ids are integers the central system assigns; starting from the clock keeps them unique across restarts.
    this.nextTxId = Math.floor(options.clock.now() / 1000) % 1_000_000_000;
    this.rpc = new RPCServer({ protocols: [...OCPP_SUBPROTOCOLS], strictMode: true, callTimeoutMs: config.callTimeoutMs });
    this.rpc.auth((accept, reject, handshake) => {
      const id = handshake.identity;
      const endpoint = handshake.endpoint.replace(/\/+$/, '') || '/';
      const refuse = (code: number, why: string) => {
        this.options.logger.warn({ chargePointId: id, remoteAddress: handshake.remoteAddress }, `OCPP: refused ${id}: ${why}`);
        reject(code, why);
      };
      if (endpoint !== this.path) return refuse(404, `unknown path ${handshake.endpoint} (chargers connect under ${this.path}/<chargePointId>)`);
      const session = this.sessions.get(id);
      if (!session) return refuse(404, `unknown charge point ${id}`);
      const password = session.spec.password;
      if (password !== undefined && !samePassword(handshake.password, password)) return refuse(401, handshake.password ? 'wrong password' : 'password required');
      const protocol = OCPP_SUBPROTOCOLS.find((p) => handshake.protocols.has(p));
      if (!protocol) return refuse(400, `no supported subprotocol offered (${OCPP_SUBPROTOCOLS.join(', ')})`);
      accept({ chargePointId: id }, protocol);
    });
    this.rpc.on('client', (client: ServerClient) => this.onClient(client));
  }

  /** Registers a charge point (from a device's driver config); throws for a chargePointId used twice. */
  register(spec: ChargePointSpec): ChargePointSession {
    if (this.sessions.has(spec.chargePointId)) {
      throw new GridpilotError(`chargePointId ${spec.chargePointId} is used by two devices (one charge point with several connectors is not supported)`, 'ocpp');
    }
    const session = new ChargePointSession(spec, {
      clock: this.options.clock,
      logger: this.options.logger,
      heartbeatIntervalS: this.config.heartbeatIntervalS,
      isAuthorized: (idTag) => this.isAuthorized(idTag),
      nextTransactionId: () => ++this.nextTxId,
      expectedUrl: `${this.config.tls ? 'wss' : 'ws'}://<this host>:${this.config.port}${this.path === '/' ? '' : this.path}/${spec.chargePointId}`,
    });
    this.sessions.set(spec.chargePointId, session);
    return session;
  }

  session(chargePointId: string): ChargePointSession | undefined {
    return this.sessions.get(chargePointId);
  }

  /** The port listened on (resolved when config.port is 0); null before start. */
  listeningPort(): number | null {
    return this.port;
  }

  /** ws(s)://host:port/path: the URL chargers connect to, without the chargePointId. */
  endpointUrl(host = this.config.host === '0.0.0.0' ? '127.0.0.1' : this.config.host): string {
    return `${this.config.tls ? 'wss' : 'ws'}://${host}:${this.port ?? this.config.port}${this.path === '/' ? '' : this.path}`;
  }

  /** Listens; throws when the port is taken or the TLS files cannot be read. */
  async start(): Promise<void> {
    if (this.httpServer) return;
    const notFound = (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeHead(404).end();
    };
    let server: http.Server;
    if (this.config.tls) {
      const { certFile, keyFile } = this.config.tls;
      let cert: Buffer;
      let key: Buffer;
      try {
        cert = readFileSync(certFile);
        key = readFileSync(keyFile);
      } catch (err) {
        throw new GridpilotError(`cannot read the TLS certificate or key: ${errorMessage(err)}`, 'ocpp.tls');
      }
      // OCPP security profile 2 asks TLS ≥ 1.2 [OCPP 1.6 Security Whitepaper §2.3].
      server = https.createServer({ cert, key, minVersion: 'TLSv1.2' }, notFound);
    } else {
      server = http.createServer(notFound);
    }
    const upgrade = this.rpc.handleUpgrade;
    server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
      upgrade(req, socket, head).catch((err: unknown) => this.options.logger.warn({ err: errorMessage(err) }, 'OCPP: upgrade failed'));
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(new GridpilotError(`cannot listen on ${this.config.host}:${this.config.port}: ${err.message}`, 'ocpp'));
      server.once('error', onError);
      server.listen(this.config.port, this.config.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.options.logger.error({ err: err.message }, 'OCPP: server error'));
    this.httpServer = server;
    this.port = (server.address() as AddressInfo).port;
    this.options.logger.info({ url: this.endpointUrl() }, `OCPP central system listening on ${this.endpointUrl()}/<chargePointId>`);
  }

  /** Closes every charger connection and the listener; idempotent. */
  async close(): Promise<void> {
    const server = this.httpServer;
    this.httpServer = null;
    await this.rpc.close({ force: true });
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private onClient(client: ServerClient): void {
    const id = client.identity ?? '';
    const session = this.sessions.get(id);
    const dialect = this.dialectFor(client.protocol, session?.connectorId ?? 1);
    if (!session || !dialect) return; // auth already refused these
    const previous = this.clients.get(id);
    this.clients.set(id, client);
    session.attach(client, dialect);
    client.on('close', (e) => {
      if (this.clients.get(id) === client) this.clients.delete(id);
      session.detach(client, `WebSocket closed${e.code === undefined ? '' : ` ${e.code}`}${e.reason ? ` ${e.reason}` : ''}`);
    });
    client.on('strictValidationFailure', (e) => {
      this.options.logger.warn({ chargePointId: id, method: e.method, outbound: e.outbound, err: errorMessage(e.error) }, `OCPP ${id}: ${e.method ?? 'a message'} does not follow the schema`);
    });
    // A charger that reconnects replaces its stale connection.
    if (previous && previous !== client) previous.close({ force: true }).catch(() => undefined);
  }

  private dialectFor(protocol: string | undefined, connectorId: number): CsmsDialect | null {
    if (protocol === 'ocpp1.6') return createCsms16(connectorId);
    if (protocol === 'ocpp2.0.1') return createCsms201(connectorId);
    return null;
  }

  private isAuthorized(idTag: string): boolean {
    const auth = this.config.authorization;
    return auth === 'free' || auth.idTags.includes(idTag);
  }
}

function samePassword(given: Buffer | undefined, expected: string): boolean {
  if (!given) return false;
  const want = Buffer.from(expected, 'utf8');
  return given.length === want.length && timingSafeEqual(given, want);
}
