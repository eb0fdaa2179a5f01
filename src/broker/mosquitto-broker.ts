import { spawn, type ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { GridpilotError, errorMessage } from '../core/errors.ts';
import { freePort } from '../core/free-port.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import { accountsFromAuth, type AccessPolicy, type BrokerAuth, type TopicPrefixesInput } from './auth.ts';
import { listenWebSocket, WS_PATH, type Listener, type TlsFiles } from './listeners.ts';
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
}

const isLoopback = (host: string): boolean => host === '127.0.0.1' || host === 'localhost';

/**
 * Debian's mosquitto 2 as the local broker (MQTT 3.1, 3.1.1 and 5), run and supervised by
 * gridpilot: its configuration, password file and ACL are generated in a private temporary
 * directory from the options; it listens on `host:port` itself; MQTT over WebSocket at /mqtt is
 * served by gridpilot's own listener (the same path rules as the embedded broker) and bridged to a
 * loopback listener of mosquitto. A mosquitto that exits on its own is logged and restarted after
 * `restartDelayMs` on the same ports (clients reconnect); `close()` stops it and removes its files.
 */
export async function startMosquittoBroker(opts: MosquittoBrokerOptions): Promise<MosquittoBroker> {
  const log = opts.logger ?? silentLogger;
  const host = opts.host ?? '127.0.0.1';
  // mosquitto cannot bind port 0 and report it: pick a free one.
  const asked = opts.port ?? 1883;
  const port = asked === 0 ? await freePort(isLoopback(host) ? '127.0.0.1' : host) : asked;
  const bridgePort = isLoopback(host) ? port : await freePort();
  if (opts.wssPort !== undefined && opts.wssPort !== null && !opts.tls) throw new GridpilotError('wssPort needs tls (keyFile, certFile)', 'broker.wssPort');
  const tlsFiles: TlsFiles | null = opts.tls ? loadBrokerTlsFiles(opts.tls, 'broker.tls') : null;
  const tlsListener = opts.tls
    ? {
        port: opts.tls.port === 0 ? await freePort(isLoopback(host) ? '127.0.0.1' : host) : opts.tls.port,
        host,
        ...confPaths({ certFile: opts.tls.certFile, keyFile: opts.tls.keyFile, ...(opts.tls.caFile !== undefined ? { caFile: opts.tls.caFile } : {}) }),
      }
    : null;
  const dir = mkdtempSync(join(tmpdir(), 'gridpilot-mosquitto-'));
  let policy: AccessPolicy = opts.access ?? (opts.auth ? { accounts: accountsFromAuth(opts.auth), isAnonymousAllowed: false } : { accounts: [], isAnonymousAllowed: true });
  const auth = { passwordFile: join(dir, 'passwords'), aclFile: join(dir, 'acl') };
  const confFile = join(dir, 'mosquitto.conf');
  /** Writes the password file, ACL and mosquitto.conf of `policy`; returns the conf text. */
  const writeFiles = (p: AccessPolicy): string => {
    writeFileSync(auth.passwordFile, mosquittoPasswordFile(p.accounts), { mode: 0o600 });
    writeFileSync(auth.aclFile, mosquittoAcl(p, opts.topicPrefixes), { mode: 0o600 });
    const conf = mosquittoConf({
      listeners: [{ port, host }, ...(bridgePort === port ? [] : [{ port: bridgePort, host: '127.0.0.1' }])],
      tls: tlsListener ?? undefined,
      auth: { ...auth, isAnonymousAllowed: p.isAnonymousAllowed },
      // No takeover of a controller's client id [issue 13]: only possible with anonymous access off.
      isClientIdBoundToUsername: !p.isAnonymousAllowed,
      maxPacketBytes: opts.maxPacketBytes ?? 16 * 1024 * 1024,
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
          reject(new GridpilotError(`mosquitto exited (${code ?? signal}) at start: ${output.trim().split('\n').slice(-3).join(' | ')}`, `broker ${host}:${port}`));
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

  let wsListener: Listener | null = null;
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
    await Promise.all([wsListener?.close(), wssListener?.close(), stopChild()]);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await launch();
    if (opts.wsPort !== undefined && opts.wsPort !== null) wsListener = await listenWebSocket(host, opts.wsPort, null, bridgeTo(bridgePort));
    // Without the CA: mosquitto takes no certificate login, so browsers are not asked for one.
    if (opts.wssPort !== undefined && opts.wssPort !== null && tlsFiles) wssListener = await listenWebSocket(host, opts.wssPort, { key: tlsFiles.key, cert: tlsFiles.cert }, bridgeTo(bridgePort));
  } catch (err) {
    await cleanup();
    throw err instanceof GridpilotError ? err : new GridpilotError(`cannot start mosquitto: ${errorMessage(err)}`, `broker ${host}:${port}`);
  }

  const h = urlHost(host);
  const wsPort = wsListener?.port ?? null;
  const wssPort = (wssListener as Listener | null)?.port ?? null;
  const tlsPort = tlsListener?.port ?? null;
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

/** One TCP connection to mosquitto's loopback listener per WebSocket session, torn down together. */
function bridgeTo(bridgePort: number): (stream: Duplex) => void {
  return (stream) => {
    const upstream = net.connect({ port: bridgePort, host: '127.0.0.1' });
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

/** Absolute paths for mosquitto.conf (one per line: a line break in a path would be a config line of its own). */
function confPaths<T extends Record<string, string>>(paths: T): T {
  const out: Record<string, string> = {};
  for (const [key, path] of Object.entries(paths)) {
    if (/[\r\n]/.test(path)) throw new GridpilotError(`a line break in the path ${JSON.stringify(path)}`, `broker.tls.${key}`);
    out[key] = resolve(path);
  }
  return out as T;
}
