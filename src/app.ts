// Composition root: builds everything from config, starts and stops it in order.
import { pino, type Logger } from 'pino';
import { deviceInfosOf, type AppOptions, type RunningAppInfo } from './app-options.ts';
import type { LocalBroker } from './broker/local-broker.ts';
import { startLocalBroker } from './broker/start-local-broker.ts';
import { loadBrokerTlsFiles } from './broker/tls-files.ts';
import { ScaledClock, type Clock } from './core/clock.ts';
import { errorMessage } from './core/errors.ts';
import { Controller } from './control/controller.ts';
import type { CostWiring } from './optimizer/cost-wiring.ts';
import { localDateOf, localDayIndexOf } from './core/local-time.ts';
import type { SimulatedSite } from './devices/simulated/simulated-site.ts';
import type { SiteRuntime } from './devices/registry.ts';
import { allDrivers } from './devices/drivers/index.ts';
import { probeDevice } from './devices/probe.ts';
import { startProtocolSimulatedSite, type ProtocolSimulatedSite } from './devices/simulators/protocol-site.ts';
import { definedPrefixes, topicsFor } from './protocol/topics.ts';
import { createMessageIntake, type MessageIntake } from './remote/message-intake.ts';
import { buildSiteParts, seedCostFromStore, type SiteParts } from './app-site.ts';
import { createConfigApplier, type ConfigApplier } from './app-config-apply.ts';
import { connectRemoteLink, type MessageMeta, type RemoteLink } from './remote/remote-link.ts';
import { ScheduleStore } from './schedule/schedule-store.ts';
import { demoSiteConfig } from './site/demo-site.ts';
import { loadSiteConfigFile, resolveSiteConfig, type SiteConfig } from './site/site-config.ts';
import type { LoggedMessageKind } from './store/command-log.ts';
import type { ConfigSource } from './store/config-revisions.ts';
import { Store } from './store/store.ts';
import { startWebServer, type WebServer } from './web/server.ts';
import { createWebAuth } from './web/auth/web-auth.ts';
import { fileWebUsers, memoryWebUsers } from './web/auth/web-users.ts';
import { observe, type Observability } from './ops/observability.ts';

export interface RunningApp {
  info: RunningAppInfo;
  site: SiteConfig;
  clock: Clock;
  controller: Controller;
  /** The simulated world and devices (the simulator's own controls); null when no device is simulated. */
  sim: SimulatedSite | null;
  /** The site's devices as built by the driver registry (status, lifecycle). */
  devices: SiteRuntime;
  broker: LocalBroker | null;
  link: RemoteLink;
  logger: Logger;
  /** The durable store (config, schedule, command log, history); null without a data directory. */
  store: Store | null;
  /** The stored schedule the controller follows (persisted in `store` when there is one). */
  schedules: ScheduleStore;
  /** The `cost` policy's planning side: the plan source, its explanation, the pushed prices. */
  cost: CostWiring;
  /** Metrics (Prometheus text) and health, as `/metrics` and `/healthz` serve them. */
  ops: Observability;
  /** The one path of incoming messages (MQTT and the web API). */
  intake: MessageIntake;
  /** Applies a new site config live (the web API's `POST /api/config`). */
  config: ConfigApplier;
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
  return loadSiteWithSource(opts).site;
}

/**
 * The site config and where it came from: `--config` file, else a config saved through the API
 * in the data directory (source `api`), else the demo site. `raw` is the config as given, before
 * the CLI's overrides (what the store records).
 */
function loadSiteWithSource(
  opts: AppOptions,
  stored?: { source: ConfigSource; config: unknown } | null,
): { site: SiteConfig; raw: unknown; source: ConfigSource; resolvedInput: Record<string, unknown> } {
  if (opts.configPath) {
    let raw: unknown = null;
    let input: Record<string, unknown> = {};
    const site = loadSiteConfigFile(opts.configPath, (cfg) => {
      raw = structuredClone(cfg);
      applyOverrides(cfg, opts);
      input = cfg;
    });
    return { site, raw, source: 'file', resolvedInput: input };
  }
  if (stored?.source === 'api' && typeof stored.config === 'object' && stored.config !== null) {
    const cfg = structuredClone(stored.config) as Record<string, unknown>;
    applyOverrides(cfg, opts);
    return { site: resolveSiteConfig(cfg, 'the configuration saved in the data directory'), raw: stored.config, source: 'api', resolvedInput: cfg };
  }
  const raw = demoSiteConfig() as Record<string, unknown>;
  const cfg = structuredClone(raw);
  applyOverrides(cfg, opts);
  return { site: resolveSiteConfig(cfg, 'demo site'), raw, source: 'demo', resolvedInput: cfg };
}

/** Opens the data directory's store; a clear StoreError (which file, what to do) when it cannot. */
async function openStoreFor(opts: AppOptions, clock: Clock, logger: Logger): Promise<Store | null> {
  if (opts.dataDir === undefined) return null;
  const store = await Store.open({ dataDir: opts.dataDir, clock, logger: logger.child({ part: 'store' }), deferPruning: true });
  logger.info({ file: store.file }, 'store: open');
  return store;
}

/** Starts controller + (embedded broker) + simulated site; resolves once commands can be sent. */
export async function startApp(opts: AppOptions): Promise<RunningApp> {
  const logger = opts.logDestination ? pino({ level: opts.logLevel ?? 'info', base: null }, opts.logDestination) : pino({ level: opts.logLevel ?? 'info', base: null });
  const clock = opts.clock ?? new ScaledClock(opts.speed ?? 1, opts.simStartMs ?? Date.now());
  const store = await openStoreFor(opts, clock, logger);
  let site: SiteConfig;
  let schedules: ScheduleStore;
  let controller: Controller;
  /** Devices, simulated world and cost wiring of the config in force (a live reconfiguration replaces them). */
  let parts: SiteParts;
  let protocolSite: ProtocolSimulatedSite | null = null;
  try {
    const loaded = loadSiteWithSource(opts, await store?.latestConfig());
    site = loaded.site;
    if (opts.protocolSim) {
      // The same site, its devices now behind SunSpec servers and OCPP charge points of one simulated world.
      protocolSite = await startProtocolSimulatedSite(structuredClone(loaded.resolvedInput), { clock, ocppVersion: opts.protocolSim.ocppVersion, logger: logger.child({ part: 'protocol-sim' }) });
      site = resolveSiteConfig(protocolSite.config, 'protocol-simulated site');
    }
    // Bad TLS files of the local broker stop the start here, before the config is recorded (nothing changed).
    if (site.mqtt.brokerUrl === undefined && site.mqtt.embedded.tls) loadBrokerTlsFiles(site.mqtt.embedded.tls);
    await store?.saveConfig({ source: loaded.source, sourceDetail: opts.configPath ?? null, config: loaded.raw });
    // Pruning waited for the site's retention (`history`), which may come from the store itself.
    store?.setRetention(site.history);
    parts = buildSiteParts(site, { clock, logger, world: protocolSite?.sim ?? null });
    schedules = new ScheduleStore({ clock, persist: store ? (rows) => store.saveSchedule(rows) : null });
    controller = new Controller(site, parts.runtime.devices, clock, { logger: logger.child({ part: 'control' }), schedule: schedules, costPlan: parts.cost.service });
    if (store) {
      // [scheduled §Behaviour] stored schedules survive a restart: validated again against this config.
      const { dropped } = schedules.load(await store.loadSchedule(), controller.commandContext(clock.now()));
      for (const d of dropped) logger.warn({ startMs: d.startMs, errors: d.errors }, 'stored schedule slot no longer valid with this configuration; dropped');
      const stats = schedules.summary(clock.now());
      if (stats.slots > 0) logger.info({ slots: stats.slots, activeUntil: stats.active_until, nextStart: stats.next_start }, 'schedule: loaded from the store');
      controller.onCycle((record) => store.recordCycle(record));
      // [ordering rule] the last applied command's time survives a restart (docs/protocol.md § Rules).
      controller.restoreLastAppliedTimeMs(await store.lastAppliedCommandTimeMs());
      await seedCostFromStore(parts.cost, site, store, clock, logger);
    }
  } catch (err) {
    await protocolSite?.close();
    await store?.close();
    throw err;
  }
  // The controller runs a cycle at every slot start and end, so a slot starts and ends on time.
  schedules.onBoundary(() => {
    controller.trigger().catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'schedule: cycle at a slot boundary failed'));
  });
  const prefixes = definedPrefixes(site.mqtt.topicPrefixes);
  const topics = topicsFor(site.serial, prefixes);

  let broker: (LocalBroker & { controllerLogin: { username: string; password: string } }) | null = null;
  let brokerUrl = site.mqtt.brokerUrl;
  if (brokerUrl === undefined) {
    broker = await startLocalBroker(site.mqtt.embedded, prefixes, logger.child({ part: 'broker' }), { serial: site.serial, dataDir: opts.dataDir });
    brokerUrl = broker.url;
  }
  // Commands may arrive before connectRemoteLink resolves (e.g. retained ones): answer through the promise.
  let linkPromise: Promise<RemoteLink> | null = null;
  // One path for every message, from MQTT or the web API: parse, answer, log (durably), publish.
  const intake = createMessageIntake({
    controller,
    schedules,
    prices: () => parts.cost.pushedPrices,
    onPricesAccepted: () => parts.cost.service.onPricesUpdated(),
    store,
    clock,
    logger,
    publish: async (f) => (await (linkPromise as Promise<RemoteLink>)).publishFeedback(f),
  });
  const fromMqtt = (kind: LoggedMessageKind) => (payload: Buffer, meta: MessageMeta): void => {
    // A message that cannot be answered at all is logged by the intake; nothing more to do here.
    intake.handle(kind, payload, { source: 'mqtt', topic: meta.topic, isRetained: meta.retain, receivedAtMs: meta.receivedAtMs }).catch(() => undefined);
  };
  let link: RemoteLink;
  try {
    linkPromise = connectRemoteLink({
      // The local broker's own loopback listener for its controller: outside the abuse limits, so nobody's floods or failed logins lock it out.
      url: broker?.controllerUrl ?? brokerUrl,
      // The controller's clock: a message's arrival time in the command log is the same clock as a web command's (and --speed's).
      clock,
      serial: site.serial,
      prefixes,
      protocolVersion: site.mqtt.protocolVersion,
      ...(site.mqtt.username !== undefined ? { username: site.mqtt.username } : broker ? { username: broker.controllerLogin.username, password: broker.controllerLogin.password, clientId: broker.controllerLogin.username } : {}),
      ...(site.mqtt.password !== undefined ? { password: site.mqtt.password } : {}),
      ...(site.mqtt.clientId !== undefined ? { clientId: site.mqtt.clientId } : {}),
      ...(site.mqtt.caFile !== undefined ? { caFile: site.mqtt.caFile } : {}),
      ...(site.mqtt.certFile !== undefined ? { certFile: site.mqtt.certFile } : {}),
      ...(site.mqtt.keyFile !== undefined ? { keyFile: site.mqtt.keyFile } : {}),
      rejectUnauthorized: site.mqtt.rejectUnauthorized,
      reconnect: { maxDelayMs: site.mqtt.reconnectMaxMs, initialDelayMs: Math.min(250, site.mqtt.reconnectMaxMs) },
      logger: logger.child({ part: 'remote' }),
      onCommand: fromMqtt('command'),
      onSchedule: fromMqtt('schedule'),
      onPrices: fromMqtt('prices'),
    });
    link = await linkPromise;
  } catch (err) {
    await schedules.close();
    await parts.cost.close();
    await protocolSite?.close();
    await broker?.close();
    await store?.close();
    throw err;
  }
  try {
    await parts.runtime.start();
    await protocolSite?.connectChargePoints();
  } catch (err) {
    await protocolSite?.close();
    await link.close();
    await schedules.close();
    await parts.cost.close();
    await broker?.close();
    await store?.close();
    await parts.runtime.close();
    throw err;
  }
  controller.onFeedback((f) => {
    link.publishFeedback(f).catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'periodic feedback not published'));
  });
  const ops = observe({ site, clock, controller, store, link, commStatus: () => parts.runtime.devices.commStatus?.() ?? new Map(), plans: { currentPlan: () => parts.cost.service.currentPlan() } });
  await controller.start();
  parts.cost.start(controller);

  const info: RunningAppInfo = {
    serial: site.serial,
    siteNodeId: site.siteNodeId,
    brokerUrl,
    isEmbeddedBroker: broker !== null,
    localBroker: broker ? { engine: broker.engine, version: broker.version, protocolVersions: broker.protocolVersions, isAnonymousAllowed: broker.isAnonymousAllowed(), tlsUrl: broker.tlsUrl, wssUrl: broker.wssUrl, isCertLoginOn: broker.isCertLoginOn } : null,
    wsUrl: broker?.wsUrl ?? null,
    httpUrl: null,
    topics,
    fallbackTimeoutS: site.remoteSignal.fallbackTimeoutS,
    devices: deviceInfosOf(site),
    gridMeterDriver: site.grid.meter.driver.type,
    ...(protocolSite ? { protocolSimulators: protocolSite.endpoints } : {}),
    prices: {
      source: site.optimizer.prices,
      replay: await parts.cost.priceReplay(clock.now()).catch(() => null),
      today: localDateOf(localDayIndexOf(clock.now(), site.location.timeZone)),
    },
  };
  const httpPort = opts.httpPort === undefined ? 8080 : opts.httpPort;
  let web: WebServer | null = null;
  // A new config from the web API: validated, its devices started, switched at a cycle boundary.
  const applier = createConfigApplier({
    clock,
    logger: logger.child({ part: 'config' }),
    controller,
    schedules,
    store,
    current: () => parts,
    swap: (next) => {
      parts = next;
      info.devices = deviceInfosOf(next.site);
      info.fallbackTimeoutS = next.site.remoteSignal.fallbackTimeoutS;
      web?.setSite(next.site, next.sim ?? undefined);
    },
    applyOverrides: (raw) => applyOverrides(raw, opts),
    refusal: opts.configPath
      ? `this controller runs the config file ${opts.configPath}: edit that file and restart (a config saved here would be overridden by it at the next start)`
      : opts.protocolSim
        ? 'with --protocol-sim the devices run behind simulators made for the config at start: restart with the new config'
        : null,
  });
  let stopped = false;
  /** Stops everything in the reverse order of start; idempotent. */
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await web?.close();
    ops.close();
    await schedules.close();
    await parts.cost.close();
    await controller.stop();
    await parts.runtime.close();
    await protocolSite?.close();
    await link.close();
    await broker?.close();
    await store?.close();
  };
  if (httpPort !== null) {
    try {
      // The UI's accounts: in the data directory (gridpilot web passwd changes them there), else in memory.
      const users = opts.dataDir !== undefined ? fileWebUsers(opts.dataDir) : memoryWebUsers();
      const auth = createWebAuth({ users, logger: logger.child({ part: 'web' }) });
      info.webLogin = { usersAt: users.where, setupCode: auth.setupCode() };
      if (info.webLogin.setupCode !== null) logger.warn({ setupCode: info.webLogin.setupCode }, 'web: no admin password yet: the first visit sets it (from another machine, with this setup code)');
      web = await startWebServer({
        auth,
        controller,
        site,
        info,
        ...(parts.sim ? { sim: parts.sim } : {}),
        commStatus: () => parts.runtime.devices.commStatus?.() ?? new Map(),
        clock,
        host: site.web.host,
        port: httpPort,
        costPlan: { explanation: (nowMs?: number) => parts.cost.service.explanation(nowMs) },
        messages: intake,
        ...(store ? { history: store } : {}),
        schedule: schedules,
        // The prices the planner reads now (a live reconfiguration rebuilds the cost wiring).
        prices: {
          readPrices: (fromMs: number, toMs: number, signal?: AbortSignal) => parts.cost.prices.readPrices(fromMs, toMs, signal),
          replayOf: async (fromMs: number, toMs: number, signal?: AbortSignal) => (await parts.cost.prices.replayOf?.(fromMs, toMs, signal)) ?? null,
        },
        config: {
          apply: applier.apply,
          restore: applier.restore,
          probe: (target) => probeDevice(target, { site: parts.site, clock, logger: logger.child({ part: 'probe' }), factories: allDrivers().factories }),
          revisions: async (limit) => (store ? store.listConfigRevisions(limit) : null),
        },
        ops,
        logger: logger.child({ part: 'web' }),
      });
    } catch (err) {
      await stop();
      throw err;
    }
    info.httpUrl = web.url;
  }
  return {
    info,
    get site() {
      return parts.site;
    },
    clock,
    controller,
    get sim() {
      return parts.sim;
    },
    get devices() {
      return parts.runtime;
    },
    broker,
    link,
    logger,
    store,
    schedules,
    get cost() {
      return parts.cost;
    },
    ops,
    intake,
    config: applier,
    stop,
  };
}
