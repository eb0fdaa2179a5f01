import { spawn, type ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { GridpilotError, errorMessage } from '../core/errors.ts';
import { freePort } from '../core/free-port.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import { accountsFromAuth, mayRetainOn, type AccessPolicy, type BrokerAuth, type TopicPrefixesInput } from './auth.ts';
import { ConnectionGuard, type BrokerLimits } from './connection-guard.ts';
import { listenTcp, listenTls, listenWebSocket, WS_PATH, type Listener, type TlsFiles } from './listeners.ts';
import { urlHost, type LocalBroker } from './local-broker.ts';
import { mosquittoAcl, mosquittoConf, mosquittoPasswordFile } from './mosquitto-config.ts';
import { loadBrokerTlsFiles } from './tls-files.ts';

/** Options of {@link startMosquittoBroker}. */
export interface MosquittoBrokerOptions {
  /** The mosquitto executable (findMosquitto). */
  mosquittoPath: string;
  /** Bind address. Default 127.0.0.1. */
  host?: string | undefined;
  /** TCP port; 0 = a free one. Default 1883. */
  port?: number | undefined;
  /** MQTT over WebSocket at /mqtt (served by gridpilot, bridged to mosquitto); 0 = a free port; null/absent = off. */
  wsPort?: number | null | undefined;
  /**
   * MQTT over TLS, served by mosquitto itself (passwords; no certificate login: mosquitto-config.ts);
   * port 0 = a free one. Absent = off. Its files also serve `wssPort`.
   */
  tls?: { port: number; certFile: string; keyFile: string; caFile?: string | undefined } | undefined;
  /** MQTT over secure WebSocket at /mqtt (served by gridpilot, bridged like `wsPort`; needs `tls`); 0 = a free port; null/absent = off. */
  wssPort?: number | null | undefined;
  /** Accounts and whether anonymous clients get in; `applyAccess` changes it live. Default: no accounts, anonymous allowed. */
  access?: AccessPolicy | undefined;
  /** Hand-written accounts with clear passwords (tests): anonymous access off. Ignored when `access` is given. */
  auth?: BrokerAuth | undefined;
  topicPrefixes?: TopicPrefixesInput | undefined;
  /** Largest MQTT packet, bytes. Default 16 MiB (bounded memory; the controller answers oversized commands itself). */
  maxPacketBytes?: number | undefined;
  /** Abuse limits of the public listeners (connection-guard.ts; absent keys = DEFAULT_BROKER_LIMITS). */
  limits?: Partial<BrokerLimits> | undefined;
  /** Origins whose web pages may use the WebSocket listener (listeners.ts WebSocketOptions); default none. */
  wsAllowedOrigins?: readonly string[] | undefined;
  /** Wait before restarting a mosquitto that exited on its own, ms. Default 1000. */
  restartDelayMs?: number | undefined;
  logger?: Logger | undefined;
}

/** The supervised mosquitto of {@link startMosquittoBroker}. */
export interface MosquittoBroker extends LocalBroker {
  readonly engine: 'mosquitto';
  /** How often mosquitto was restarted after exiting on its own. */
  restarts(): number;
  /** The process id of the running mosquitto (tests kill it), or null from a crash until its restart is listening. */
  pid(): number | null;
  /** The abuse limits' guard in front of mosquitto (its stats). */
  readonly guard: ConnectionGuard;
}

/** Bridges one (guarded) client connection to mosquitto's loopback listener; both torn down together. */
function bridgeTo(port: number): (stream: Duplex) => void {
  return (stream) => {
    const upstream = net.connect({ port, host: '127.0.0.1' });
    upstream.setNoDelay(true);
    stream.pipe(upstream).pipe(stream);
    const end = (): void => {
      upstream.destroy();
      stream.destroy();
    };
    upstream.on('error', end);
    upstream.on('close', end);
    stream.on('error', end);
    stream.on('close', end);
  };
}

/**
 * Debian's mosquitto 2 as the local broker (MQTT 3.1, 3.1.1 and 5), run and supervised by
 * gridpilot: its configuration, password file and ACL are generated in a private temporary
 * directory from the options. Clients reach it through gridpilot's own listeners on `host:port`
 * (TCP) and `wsPort` (WebSocket at /mqtt, the same path and Origin rules as the embedded broker),
 * where the abuse limits apply (connection-guard.ts: what mosquitto 2.0.11 cannot do itself —
 * message rate, failed-CONNECT back-off per address, retained commands), bridged to a loopback
 * listener of mosquitto (`max_connections`, `max_packet_size` too). The controller's link has a
 * second loopback listener of its own (`controllerUrl`). A mosquitto that exits on its own is
 * logged and restarted after `restartDelayMs` on the same ports (clients reconnect); `close()`
 * stops it and removes its files.
 */
export async function startMosquittoBroker(opts: MosquittoBrokerOptions): Promise<MosquittoBroker> {
  const log = opts.logger ?? silentLogger;
  const host = opts.host ?? '127.0.0.1';
  if (opts.wssPort !== undefined && opts.wssPort !== null && !opts.tls) throw new GridpilotError('wssPort needs tls (keyFile, certFile)', 'broker.wssPort');
  // TLS ends at gridpilot's guarded listeners, like every public listener; without the CA, so that
  // no client (nor a browser) is asked for a certificate: mosquitto has no certificate login.
  const tlsFiles: TlsFiles | null = opts.tls ? (({ key, cert }) => ({ key, cert }))(loadBrokerTlsFiles(opts.tls, 'broker.tls')) : null;
  const maxPacketBytes = opts.maxPacketBytes ?? 16 * 1024 * 1024;
  const guard = new ConnectionGuard({ limits: opts.limits, maxPacketBytes, mayRetain: (topic) => mayRetainOn(topic, opts.topicPrefixes), logger: log });
  // mosquitto cannot bind port 0 and report it: its two loopback listeners get free ports.
  const bridgePort = await freePort('127.0.0.1');
  const controllerPort = await freePort('127.0.0.1');
  const dir = mkdtempSync(join(tmpdir(), 'gridpilot-mosquitto-'));
  let policy: AccessPolicy = opts.access ?? (opts.auth ? { accounts: accountsFromAuth(opts.auth), isAnonymousAllowed: false } : { accounts: [], isAnonymousAllowed: true });
  const auth = { passwordFile: join(dir, 'passwords'), aclFile: join(dir, 'acl') };
  const confFile = join(dir, 'mosquitto.conf');
  /** Writes the password file, ACL and mosquitto.conf of `policy`; returns the conf text. */
  const writeFiles = (p: AccessPolicy): string => {
    writeFileSync(auth.passwordFile, mosquittoPasswordFile(p.accounts), { mode: 0o600 });
    writeFileSync(auth.aclFile, mosquittoAcl(p, opts.topicPrefixes), { mode: 0o600 });
    const conf = mosquittoConf({
      // The guarded public listeners' sessions (TCP and WebSocket alike) all arrive on the bridge listener.
      listeners: [
        { port: bridgePort, host: '127.0.0.1', maxConnections: guard.limits.maxConnections },
        { port: controllerPort, host: '127.0.0.1' },
      ],
      auth: { ...auth, isAnonymousAllowed: p.isAnonymousAllowed },
      // No takeover of a controller's client id [issue 13]: only possible with anonymous access off.
      isClientIdBoundToUsername: !p.isAnonymousAllowed,
      maxPacketBytes,
      queues: { maxInflightMessages: 20, maxQueuedMessages: 1000 },
      // Started as root it would drop to the `mosquitto` user, who cannot read this private directory.
      extra: `user ${userInfo().username}`,
    });
    writeFileSync(confFile, conf, { mode: 0o600 });
    return conf;
  };
  writeFiles(policy);

  let child: ChildProcess | null = null;
  /** The child once it said it is running (its listeners are bound). */
  let ready: ChildProcess | null = null;
  let closing = false;
  let restarts = 0;
  let version = '';
  let restartTimer: NodeJS.Timeout | null = null;
  /** A child stopped on purpose to be replaced (not restarted by the supervisor). */
  let replacing: ChildProcess | null = null;

  const launch = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const c = spawn(opts.mosquittoPath, ['-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      let output = '';
      let running = false;
      const timer = setTimeout(() => {
        c.kill('SIGKILL');
        reject(new GridpilotError(`mosquitto did not start within 5 s: ${output.trim()}`, opts.mosquittoPath));
      }, 5000);
      const onData = (chunk: Buffer): void => {
        output = (output + chunk.toString()).slice(-8192);
        const m = /mosquitto version (\S+) running/.exec(output);
        if (!running && m) {
          running = true;
          ready = c;
          version = m[1] ?? '';
          clearTimeout(timer);
          resolve();
        }
      };
      c.stdout?.on('data', onData);
      c.stderr?.on('data', onData);
      c.once('error', (err) => {
        clearTimeout(timer);
        reject(new GridpilotError(`cannot run mosquitto: ${errorMessage(err)}`, opts.mosquittoPath));
      });
      c.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (child === c) child = null;
        if (ready === c) ready = null;
        if (!running) {
          reject(new GridpilotError(`mosquitto exited (${code ?? signal}) at start: ${output.trim().split('\n').slice(-3).join(' | ')}`, `broker 127.0.0.1:${bridgePort}`));
          return;
        }
        if (closing || c === replacing) return;
        log.warn({ code, signal, lastOutput: output.trim().split('\n').slice(-3) }, 'broker: mosquitto exited; restarting it');
        restartTimer = setTimeout(() => {
          restartTimer = null;
          if (closing) return;
          restarts += 1;
          launch().catch((err: unknown) => log.error({ err: errorMessage(err) }, 'broker: mosquitto did not restart'));
        }, opts.restartDelayMs ?? 1000);
      });
    });

  let tcpListener: Listener | null = null;
  let wsListener: Listener | null = null;
  let tlsListener: Listener | null = null;
  let wssListener: Listener | null = null;
  const stopChild = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const killer = setTimeout(() => c.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(killer);
  };
  const cleanup = async (): Promise<void> => {
    closing = true;
    if (restartTimer) clearTimeout(restartTimer);
    await Promise.all([tcpListener?.close(), wsListener?.close(), tlsListener?.close(), wssListener?.close(), stopChild()]);
    rmSync(dir, { recursive: true, force: true });
  };

  const listen = async (what: string, port: number, open: () => Promise<Listener>): Promise<Listener> => {
    try {
      return await open();
    } catch (err) {
      throw new GridpilotError(`cannot listen on ${host}:${port}: ${errorMessage(err)}`, `broker ${what}`);
    }
  };
  try {
    await launch();
    const bridge = bridgeTo(bridgePort);
    tcpListener = await listen('tcp', opts.port ?? 1883, () => listenTcp(host, opts.port ?? 1883, bridge, guard));
    if (opts.wsPort !== undefined && opts.wsPort !== null) {
      const wsAsked = opts.wsPort;
      wsListener = await listen('ws', wsAsked, () => listenWebSocket(host, wsAsked, null, bridge, { guard, allowedOrigins: opts.wsAllowedOrigins }));
    }
    if (opts.tls && tlsFiles) {
      const tlsAsked = opts.tls.port;
      const files = tlsFiles;
      tlsListener = await listen('tls', tlsAsked, () => listenTls(host, tlsAsked, files, bridge, guard));
      if (opts.wssPort !== undefined && opts.wssPort !== null) {
        const wssAsked = opts.wssPort;
        wssListener = await listen('wss', wssAsked, () => listenWebSocket(host, wssAsked, files, bridge, { guard, allowedOrigins: opts.wsAllowedOrigins }));
      }
    }
  } catch (err) {
    await cleanup();
    throw err instanceof GridpilotError ? err : new GridpilotError(`cannot start mosquitto: ${errorMessage(err)}`, `broker ${host}:${opts.port ?? 1883}`);
  }

  const port = tcpListener.port;
  const h = urlHost(host);
  const wsPort = wsListener?.port ?? null;
  const wssPort = (wssListener as Listener | null)?.port ?? null;
  const tlsPort = (tlsListener as Listener | null)?.port ?? null;
  let closed: Promise<void> | null = null;
  const broker: MosquittoBroker = {
    engine: 'mosquitto',
    version: `mosquitto ${version}`,
    protocolVersions: [3, 4, 5],
    port,
    wsPort,
    url: `mqtt://${h}:${port}`,
    wsUrl: wsPort === null ? null : `ws://${h}:${wsPort}${WS_PATH}`,
    tlsPort,
    wssPort,
    tlsUrl: tlsPort === null ? null : `mqtts://${h}:${tlsPort}`,
    wssUrl: wssPort === null ? null : `wss://${h}:${wssPort}${WS_PATH}`,
    isCertLoginOn: false,
    controllerUrl: `mqtt://127.0.0.1:${controllerPort}`,
    guard,
    restarts: () => restarts,
    isAnonymousAllowed: () => policy.isAnonymousAllowed,
    applyAccess: async (next) => {
      const bindingChanged = next.isAnonymousAllowed !== policy.isAnonymousAllowed;
      policy = next;
      writeFiles(next);
      if (closing) return;
      if (bindingChanged) {
        // use_username_as_clientid is not reloaded on SIGHUP: switching between open and closed restarts mosquitto once.
        replacing = child;
        await stopChild();
        replacing = null;
        if (!closing) await launch();
        log.info({ isAnonymousAllowed: next.isAnonymousAllowed }, 'broker: mosquitto restarted for the new access mode');
      } else {
        // mosquitto re-reads its config, password file and ACL on SIGHUP; connections stay [mosquitto.conf(5)].
        child?.kill('SIGHUP');
        log.info({ accounts: next.accounts.length }, 'broker: accounts reloaded (SIGHUP)');
      }
    },
    pid: () => (ready as ChildProcess | null)?.pid ?? null,
    close: () => (closed ??= cleanup().then(() => log.info({ port }, 'broker: closed'))),
  };
  log.info({ url: broker.url, wsUrl: broker.wsUrl, tlsUrl: broker.tlsUrl, wssUrl: broker.wssUrl, version: broker.version }, 'broker: listening');
  return broker;
}
