// Composition root: builds everything from config, starts and stops it in order.
import { pino, type Logger } from 'pino';
import type { AppOptions, RunningAppInfo } from './app-options.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker/embedded-broker.ts';
import { ScaledClock, type Clock } from './core/clock.ts';
import { errorMessage } from './core/errors.ts';
import { Controller } from './control/controller.ts';
import { createSimulatedSite, type SimulatedSite } from './devices/simulated/simulated-site.ts';
import { definedPrefixes, topicsFor } from './protocol/topics.ts';
import { connectRemoteLink, type RemoteLink } from './remote/remote-link.ts';
import { demoSiteConfig } from './site/demo-site.ts';
import { loadSiteConfigFile, resolveSiteConfig, type SiteConfig } from './site/site-config.ts';

export interface RunningApp {
  info: RunningAppInfo;
  site: SiteConfig;
  clock: Clock;
  controller: Controller;
  /** The simulated world and devices (every device is simulated in this version). */
  sim: SimulatedSite;
  broker: EmbeddedBroker | null;
  link: RemoteLink;
  logger: Logger;
  stop(): Promise<void>;
}

/** Applies the CLI's overrides onto a raw config object before validation. */
function applyOverrides(raw: Record<string, unknown>, opts: AppOptions): void {
  const section = (key: string): Record<string, unknown> => {
    const v = raw[key];
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    const fresh: Record<string, unknown> = {};
    raw[key] = fresh;
    return fresh;
  };
  if (opts.serial !== undefined) raw.serial = opts.serial;
  if (opts.fallbackTimeoutS !== undefined) section('remoteSignal').fallbackTimeoutS = opts.fallbackTimeoutS;
  if (opts.brokerUrl !== undefined) section('mqtt').brokerUrl = opts.brokerUrl;
  if (opts.brokerPort !== undefined || opts.wsPort !== undefined) {
    const mqtt = section('mqtt');
    const embedded = (typeof mqtt.embedded === 'object' && mqtt.embedded !== null ? mqtt.embedded : {}) as Record<string, unknown>;
    if (opts.brokerPort !== undefined) embedded.port = opts.brokerPort;
    if (opts.wsPort !== undefined) embedded.wsPort = opts.wsPort;
    mqtt.embedded = embedded;
  }
}

export function loadSite(opts: AppOptions): SiteConfig {
  if (opts.configPath) return loadSiteConfigFile(opts.configPath, (raw) => applyOverrides(raw, opts));
  const raw = demoSiteConfig() as Record<string, unknown>;
  applyOverrides(raw, opts);
  return resolveSiteConfig(raw, 'demo site');
}

/** Starts controller + (embedded broker) + simulated site; resolves once commands can be sent. */
export async function startApp(opts: AppOptions): Promise<RunningApp> {
  const logger = pino({ level: opts.logLevel ?? 'info', base: null });
  const site = loadSite(opts);
  const clock = opts.clock ?? new ScaledClock(opts.speed ?? 1, opts.simStartMs ?? Date.now());
  const sim = createSimulatedSite(site, clock);
  const controller = new Controller(site, sim, clock, { logger: logger.child({ part: 'control' }) });
  const prefixes = definedPrefixes(site.mqtt.topicPrefixes);
  const topics = topicsFor(site.serial, prefixes);

  let broker: EmbeddedBroker | null = null;
  let brokerUrl = site.mqtt.brokerUrl;
  if (brokerUrl === undefined) {
    const e = site.mqtt.embedded;
    broker = await startEmbeddedBroker({ host: e.host, port: e.port, wsPort: e.wsPort, topicPrefixes: prefixes, logger: logger.child({ part: 'broker' }) });
    brokerUrl = broker.url;
  }
  // Commands may arrive before connectRemoteLink resolves (e.g. retained ones): answer through the promise.
  let linkPromise: Promise<RemoteLink> | null = null;
  const answer = (payload: Buffer): void => {
    void controller
      .handleCommand(payload)
      .then(async (outcome) => {
        const l = await (linkPromise as Promise<RemoteLink>);
        await l.publishFeedback(outcome.feedback);
      })
      .catch((err: unknown) => logger.error({ err: errorMessage(err) }, 'could not answer a command'));
  };
  let link: RemoteLink;
  try {
    linkPromise = connectRemoteLink({
      url: brokerUrl,
      serial: site.serial,
      prefixes,
      protocolVersion: site.mqtt.protocolVersion,
      ...(site.mqtt.username !== undefined ? { username: site.mqtt.username } : {}),
      ...(site.mqtt.password !== undefined ? { password: site.mqtt.password } : {}),
      ...(site.mqtt.clientId !== undefined ? { clientId: site.mqtt.clientId } : {}),
      ...(site.mqtt.caFile !== undefined ? { caFile: site.mqtt.caFile } : {}),
      ...(site.mqtt.certFile !== undefined ? { certFile: site.mqtt.certFile } : {}),
      ...(site.mqtt.keyFile !== undefined ? { keyFile: site.mqtt.keyFile } : {}),
      rejectUnauthorized: site.mqtt.rejectUnauthorized,
      logger: logger.child({ part: 'remote' }),
      onCommand: answer,
      onSchedule: () => {
        // Scheduled control arrives with the store (see the scheduled-control issue).
      },
    });
    link = await linkPromise;
  } catch (err) {
    await broker?.close();
    throw err;
  }
  controller.onFeedback((f) => {
    link.publishFeedback(f).catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'periodic feedback not published'));
  });
  await controller.start();

  const info: RunningAppInfo = {
    serial: site.serial,
    siteNodeId: site.siteNodeId,
    brokerUrl,
    isEmbeddedBroker: broker !== null,
    wsUrl: broker?.wsUrl ?? null,
    httpUrl: null,
    topics,
    fallbackTimeoutS: site.remoteSignal.fallbackTimeoutS,
    devices: site.devices.map((d) => ({ nodeId: d.nodeId, group: d.group, name: d.name })),
  };
  let stopped = false;
  return {
    info,
    site,
    clock,
    controller,
    sim,
    broker,
    link,
    logger,
    async stop() {
      if (stopped) return;
      stopped = true;
      await controller.stop();
      await link.close();
      await broker?.close();
    },
  };
}
