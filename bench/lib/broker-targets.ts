// The brokers the broker benchmarks compare, each with the real app (startApp: remote link,
// controller, the simulated demo site) attached the way it would run:
// - 'default': what `gridpilot start` runs here — Debian's mosquitto supervised by gridpilot, behind
//   gridpilot's own listener (abuse limits, connection-guard.ts); the controller on its own
//   loopback listener;
// - 'aedes': the embedded in-process broker, the same guard in front; the controller on its own
//   loopback listener;
// - 'mosquitto': plain Debian mosquitto 2 (test/helpers/mosquitto.ts: the same generated config,
//   `set_tcp_nodelay true`, nothing in front), the app connected to it as to any external broker.
// TLS: `mqtt.embedded.tls` for the default broker and aedes (TLS ends at gridpilot's guarded
// listener), a TLS listener in plain mosquitto's own config (mosquitto ends TLS itself).
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type RunningApp } from '../../src/app.ts';
import type { BrokerAuth } from '../../src/broker/auth.ts';
import type { BrokerLimits, ConnectionGuard } from '../../src/broker/connection-guard.ts';
import { runAddIntegrator, runAddSite, runGrant } from '../../src/cli/commands/broker.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { startMosquitto } from '../../test/helpers/mosquitto.ts';
import { freePort } from '../../test/helpers/ports.ts';
import type { TestPki } from '../../test/helpers/tls-certs.ts';

export type TargetKind = 'default' | 'aedes' | 'mosquitto';

export const TARGET_NAMES: Record<TargetKind, string> = {
  default: "default broker (mosquitto behind gridpilot's listener)",
  aedes: 'aedes (embedded, guarded)',
  mosquitto: 'plain Debian mosquitto 2',
};

export interface TargetOptions {
  /** Integrators to serve over TLS with this PKI's server certificate; absent = plain TCP. */
  tls?: TestPki | undefined;
  /** Integrator accounts (name → password), granted the demo site; absent = open (anonymous, loopback). */
  integrators?: Record<string, string> | undefined;
  /** Abuse limits of the guarded targets. */
  limits?: Partial<BrokerLimits> | undefined;
}

export interface Target {
  kind: TargetKind;
  /** Where integrators connect. */
  url: string;
  caFile?: string | undefined;
  app: RunningApp;
  /** The guard in front of the broker, or null (plain mosquitto). */
  guard: ConnectionGuard | null;
  stop(): Promise<void>;
}

const never = (): Promise<string> => Promise.reject(new Error('no prompt'));

function siteConfigFile(dir: string, mqtt: Record<string, unknown>): string {
  const path = join(dir, 'site.json');
  writeFileSync(path, JSON.stringify({ ...demoSiteConfig(), mqtt }));
  return path;
}

/** Lets a mosquitto started as root (it drops to the `mosquitto` user) read the PKI. */
function readableByMosquitto(pki: TestPki): void {
  chmodSync(pki.dir, 0o755);
  for (const f of readdirSync(pki.dir)) chmodSync(join(pki.dir, f), 0o644);
}

export async function startTarget(kind: TargetKind, o: TargetOptions = {}): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'gp-bench-broker-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  const serial = (demoSiteConfig() as { serial: string }).serial;
  const appOptions = { httpPort: null, logLevel: 'silent' } as const;
  if (kind === 'mosquitto') {
    const controller = { username: `gp-${serial}`, password: 'bench-controller-password' };
    const auth: BrokerAuth | undefined = o.integrators
      ? {
          users: [
            { ...controller, role: 'controller', serials: [serial] },
            ...Object.entries(o.integrators).map(([username, password]) => ({ username, password, role: 'integrator' as const, serials: [serial] })),
          ],
        }
      : undefined;
    let tlsPort: number | null = null;
    const extra = ['set_tcp_nodelay true', 'max_packet_size 16777216'];
    if (o.tls) {
      readableByMosquitto(o.tls);
      tlsPort = await freePort();
      extra.push(`listener ${tlsPort} 127.0.0.1`, `certfile ${o.tls.serverCertFile}`, `keyfile ${o.tls.serverKeyFile}`);
    }
    const m = await startMosquitto({ wsPort: null, extraConfig: extra.join('\n'), ...(auth ? { auth } : {}) });
    const app = await startApp({ ...appOptions, configPath: siteConfigFile(dir, { brokerUrl: m.url, ...(auth ? { ...controller, clientId: controller.username } : {}) }) });
    return {
      kind,
      url: tlsPort === null ? m.url : `mqtts://127.0.0.1:${tlsPort}`,
      caFile: o.tls?.caFile,
      app,
      guard: null,
      async stop() {
        await app.stop();
        await m.stop();
        remove();
      },
    };
  }
  const dataDir = join(dir, 'data');
  if (o.integrators) {
    const io = memoryIo();
    await runAddSite(serial, { dataDir, password: 'regenerated-at-start' }, io, never);
    for (const [name, password] of Object.entries(o.integrators)) {
      await runAddIntegrator(name, { dataDir, password }, io, never);
      await runGrant(name, serial, { dataDir }, io);
    }
  }
  const app = await startApp({
    ...appOptions,
    ...(o.integrators ? { dataDir } : {}),
    configPath: siteConfigFile(dir, {
      embedded: {
        engine: kind === 'default' ? 'mosquitto' : 'aedes',
        port: 0,
        wsPort: null,
        ...(o.limits ? { limits: o.limits } : {}),
        ...(o.tls ? { tls: { port: 0, certFile: o.tls.serverCertFile, keyFile: o.tls.serverKeyFile } } : {}),
      },
    }),
  });
  const tlsUrl = app.broker?.tlsUrl ?? null;
  if (o.tls && tlsUrl === null) throw new Error(`${kind}: mqtt.embedded.tls gave no TLS listener`);
  return {
    kind,
    url: o.tls ? (tlsUrl ?? '') : app.info.brokerUrl,
    caFile: o.tls?.caFile,
    app,
    guard: (app.broker as unknown as { guard?: ConnectionGuard } | null)?.guard ?? null,
    async stop() {
      await app.stop();
      remove();
    },
  };
}
