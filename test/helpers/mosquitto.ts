import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, appendFileSync, chmodSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { accountsFromAuth, type BrokerAuth } from '../../src/broker/auth.ts';
import type { TopicPrefixesInput } from '../../src/protocol/topics.ts';
import { mosquittoAcl, mosquittoConf, mosquittoPasswordLine } from '../../src/broker/mosquitto-config.ts';
import { freePort } from './ports.ts';

/**
 * A real Debian mosquitto 2.0 for tests: generated config in a temp dir, loopback TCP listener and
 * (by default) a WebSocket listener beside it, optional accounts + ACL generated from the same
 * BrokerAuth the embedded broker takes. Resolves once mosquitto logs that it is running.
 */

export const MOSQUITTO_PATH = process.env['MOSQUITTO_PATH'] ?? '/usr/sbin/mosquitto';

export interface MosquittoOptions {
  /** TCP port; default a free one (pass the old one to restart "the same" broker). */
  port?: number;
  /** WebSocket port (any path); default a free one; null = no WebSocket listener. */
  wsPort?: number | null;
  /** Accounts and ACL (plain `password` only); absent = anonymous allowed. */
  auth?: BrokerAuth;
  prefixes?: TopicPrefixesInput;
  /** Appended to the generated mosquitto.conf. */
  extraConfig?: string;
}

export interface MosquittoBroker {
  readonly port: number;
  readonly wsPort: number | null;
  /** `mqtt://127.0.0.1:PORT` */
  readonly url: string;
  /** `ws://127.0.0.1:PORT/mqtt` or null. */
  readonly wsUrl: string | null;
  /** Everything mosquitto logged so far (for failure messages). */
  log(): string;
  /** mosquitto's process id (benchmarks read its CPU time from /proc). */
  readonly pid: number | undefined;
  /** SIGTERM (SIGKILL after 2 s), waits for the exit, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL at once (a crash: no DISCONNECT to anyone, no last words), waits for the exit, removes the temp dir. Idempotent. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function assertMosquittoInstalled(): void {
  try {
    accessSync(MOSQUITTO_PATH, constants.X_OK);
  } catch {
    throw new Error(`${MOSQUITTO_PATH} not found: install the Debian package mosquitto (apt-get install mosquitto), or set MOSQUITTO_PATH`);
  }
}

export { mosquittoAcl, mosquittoPasswordLine } from '../../src/broker/mosquitto-config.ts';

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoBroker> {
  assertMosquittoInstalled();
  // A port picked free may be taken before mosquitto binds it: retry with fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      const portsGiven = opts.port !== undefined || (opts.wsPort !== undefined && opts.wsPort !== null);
      if (attempt >= 3 || portsGiven || !String(err).includes('Address already in use')) throw err;
    }
  }
}

async function startOnce(opts: MosquittoOptions): Promise<MosquittoBroker> {
  const port = opts.port ?? (await freePort());
  const wsPort = opts.wsPort === null ? null : (opts.wsPort ?? (await freePort()));
  const dir = mkdtempSync(join(tmpdir(), 'gridpilot-mosquitto-'));
  // mosquitto started as root drops to the `mosquitto` user: let it read its files.
  chmodSync(dir, 0o755);
  let auth: { passwordFile: string; aclFile: string; isAnonymousAllowed: boolean } | undefined;
  if (opts.auth) {
    for (const u of opts.auth.users) {
      if (u.password === undefined) throw new Error(`mosquitto fixture: user ${u.username} needs a plain password`);
    }
    auth = { passwordFile: join(dir, 'passwords'), aclFile: join(dir, 'acl'), isAnonymousAllowed: false };
    writeFileSync(auth.passwordFile, opts.auth.users.map((u) => mosquittoPasswordLine(u.username, u.password ?? '')).join('\n') + '\n', { mode: 0o644 });
    writeFileSync(auth.aclFile, mosquittoAcl({ accounts: accountsFromAuth(opts.auth), isAnonymousAllowed: false }, opts.prefixes), { mode: 0o644 });
  }
  // No packet cap to speak of: the fixture is the plain broker the tests compare against.
  // libwebsockets takes an interface name for the WebSocket listener, not an address [design.md].
  const conf = [mosquittoConf({ listeners: [{ port, host: '127.0.0.1' }], webSocket: wsPort === null ? undefined : { port: wsPort, iface: 'lo' }, auth, maxPacketBytes: 268_435_455, extra: opts.extraConfig })];
  const confFile = join(dir, 'mosquitto.conf');
  writeFileSync(confFile, conf.join('\n') + '\n', { mode: 0o644 });

  const child = spawn(MOSQUITTO_PATH, ['-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));

  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mosquitto did not start within 5 s:\n${output}`)), 5000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (/mosquitto version \S+ running/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`mosquitto exited (${code ?? signal}) at start:\n${output}`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    cleanup();
    throw err;
  }

  let stopping: Promise<void> | null = null;
  return {
    port,
    wsPort,
    url: `mqtt://127.0.0.1:${port}`,
    wsUrl: wsPort === null ? null : `ws://127.0.0.1:${wsPort}/mqtt`,
    log: () => output,
    pid: child.pid,
    kill(): Promise<void> {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
        cleanup();
      })();
      return stopping;
    },
    stop(): Promise<void> {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
          await exited;
          clearTimeout(killer);
        }
        cleanup();
      })();
      return stopping;
    },
  };
}

/**
 * Runs Debian mosquitto on what `gridpilot broker mosquitto-config --out DIR` wrote, as the current
 * user (started as root, mosquitto would drop to the `mosquitto` user, who cannot read the 0600
 * files; a production install chowns them instead). Resolves once it runs, asserting that it logged
 * no error or warning about the files; returns its stop.
 */
export async function runGeneratedMosquitto(outDir: string): Promise<() => Promise<void>> {
  assertMosquittoInstalled();
  appendFileSync(join(outDir, 'mosquitto.conf'), `user ${userInfo().username}\n`);
  const child = spawn(MOSQUITTO_PATH, ['-c', join(outDir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (/mosquitto version \S+ running/.test(log)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`mosquitto exited (${String(code)}):\n${log}`)));
  });
  // Nothing to complain about in the generated files (the root warning is this test machine's).
  assert.doesNotMatch(log.replace(/^.*should not be run as root.*$/m, ''), /error|warning/i, log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return async () => {
    child.kill('SIGTERM');
    await exited;
  };
}
