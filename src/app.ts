// Composition root: builds everything from config, starts and stops it in order.
import { pino, type Logger } from 'pino';
import type { AppOptions, RunningAppInfo } from './app-options.ts';
import type { LocalBroker } from './broker/local-broker.ts';
import { startLocalBroker } from './broker/start-local-broker.ts';
import { ScaledClock, type Clock } from './core/clock.ts';
import { errorMessage } from './core/errors.ts';
import { Controller } from './control/controller.ts';
import { createCostWiring, SKY_HISTORY_DAYS, type CostWiring } from './optimizer/cost-wiring.ts';
import { handlePriceMessage } from './optimizer/price-push.ts';
import { isAcceptedPriceSlotMs } from './optimizer/prices/price-message.ts';
import { priceSeriesEndMs } from './optimizer/prices/price-series.ts';
import { localDateOf, localDayIndexOf } from './core/local-time.ts';
import type { SimulatedSite } from './devices/simulated/simulated-site.ts';
import { allDrivers } from './devices/drivers/index.ts';
import { buildSiteDevices, type SiteRuntime } from './devices/registry.ts';
import { startProtocolSimulatedSite, type ProtocolSimulatedSite } from './devices/simulators/protocol-site.ts';
import type { Feedback } from './protocol/feedback.ts';
import { definedPrefixes, topicsFor } from './protocol/topics.ts';
import { connectRemoteLink, type MessageMeta, type RemoteLink } from './remote/remote-link.ts';
import { handleScheduleMessage } from './schedule/schedule-handler.ts';
import { ScheduleStore } from './schedule/schedule-store.ts';
import { demoSiteConfig } from './site/demo-site.ts';
import { loadSiteConfigFile, resolveSiteConfig, type SiteConfig } from './site/site-config.ts';
import { commandLogEntry, type LoggedMessageKind, type PricesLogSummary } from './store/command-log.ts';
import type { ConfigSource } from './store/config-revisions.ts';
import { Store } from './store/store.ts';
import { startWebServer, type WebServer } from './web/server.ts';
import { newCommandId } from './core/command-id.ts';
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
  let sim: SimulatedSite | null;
  let runtime: SiteRuntime;
  let protocolSite: ProtocolSimulatedSite | null = null;
  let cost: CostWiring;
  try {
    const loaded = loadSiteWithSource(opts, await store?.latestConfig());
    site = loaded.site;
    if (opts.protocolSim) {
      // The same site, its devices now behind SunSpec servers and OCPP charge points of one simulated world.
      protocolSite = await startProtocolSimulatedSite(structuredClone(loaded.resolvedInput), { clock, ocppVersion: opts.protocolSim.ocppVersion, logger: logger.child({ part: 'protocol-sim' }) });
      site = resolveSiteConfig(protocolSite.config, 'protocol-simulated site');
    }
    await store?.saveConfig({ source: loaded.source, sourceDetail: opts.configPath ?? null, config: loaded.raw });
    // Pruning waited for the site's retention (`history`), which may come from the store itself.
    store?.setRetention(site.history);
    const drivers = allDrivers({}, protocolSite?.sim ?? null);
    runtime = buildSiteDevices(site, { clock, logger: logger.child({ part: 'devices' }), factories: drivers.factories });
    sim = drivers.simulated.simulation();
    schedules = new ScheduleStore({ clock, persist: store ? (rows) => store.saveSchedule(rows) : null });
    cost = createCostWiring(site, {
      clock,
      devices: { evChargers: runtime.devices.evChargers },
      // The simulated world, when there is one, is the demo's perfect weather forecast and its outdoor temperature.
      ...(sim ? { environment: { weather: sim.world.weather, temperature: sim.world } } : {}),
      logger: logger.child({ part: 'cost' }),
    });
    controller = new Controller(site, runtime.devices, clock, { logger: logger.child({ part: 'control' }), schedule: schedules, costPlan: cost.service });
    if (store) {
      // [scheduled §Behaviour] stored schedules survive a restart: validated again against this config.
      const { dropped } = schedules.load(await store.loadSchedule(), controller.commandContext(clock.now()));
      for (const d of dropped) logger.warn({ startMs: d.startMs, errors: d.errors }, 'stored schedule slot no longer valid with this configuration; dropped');
      const stats = schedules.summary(clock.now());
      if (stats.slots > 0) logger.info({ slots: stats.slots, activeUntil: stats.active_until, nextStart: stats.next_start }, 'schedule: loaded from the store');
      controller.onCycle((record) => store.recordCycle(record));
      // The forecasts' past survives a restart: the stored 15-min base load of the weeks the load
      // forecast averages, and the PV's available power of the 60 days the PV forecast learns from.
      try {
        const nowMs = clock.now();
        const days = Math.max(site.optimizer.loadHistoryWeeks * 7, SKY_HISTORY_DAYS);
        const past = await store.queryTelemetry({ fromMs: nowMs - days * 86_400_000, toMs: nowMs, resolution: '15m' });
        const seeded = cost.seedLoadHistory({ atMs: past.atMs, samples: past.samples, baseLoadW: past.values.base_load_w });
        const sky = cost.seedSky({ atMs: past.atMs, samples: past.samples, solarAvailableW: past.values.solar_available_w });
        if (seeded > 0 || sky > 0) logger.info({ loadQuarters: seeded, skyQuarters: sky, fromMs: past.atMs[0] }, 'cost: forecast history loaded from the store');
      } catch (err) {
        logger.warn({ err: errorMessage(err) }, 'cost: stored forecast history not read; the load forecast starts from the standard profile, the PV forecast from the climate');
      }
      // Pushed prices survive a restart: the last saved series, before the cost service plans.
      // An unreadable row is logged and ignored (the next accepted message replaces it).
      try {
        const saved = await store.loadPushedPrices();
        if (saved && !isAcceptedPriceSlotMs(saved.slotMs)) {
          // Stored before the slot-length rule (docs/protocol.md § Price messages): it cannot resample onto the plan's slots.
          logger.warn({ slotMs: saved.slotMs }, 'prices: stored pushed prices ignored (slot length no longer accepted); the next accepted message replaces them');
        } else if (saved) {
          cost.pushedPrices.accept(saved);
          logger.info({ slots: saved.pricesEurPerMwh.length, fromMs: saved.startMs, toMs: priceSeriesEndMs(saved) }, 'prices: pushed prices loaded from the store');
        }
      } catch (err) {
        logger.warn({ err: errorMessage(err) }, 'prices: stored pushed prices ignored');
      }
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
  /** The command log entry is durable before the feedback that acknowledges the message is published. */
  let lastJournalError: string | null = null;
  const journal = async (commandId: string, kind: LoggedMessageKind, payload: Buffer, meta: MessageMeta, feedback: Feedback, prices?: PricesLogSummary): Promise<void> => {
    // One line per answered message, tied to its command-log row by commandId (docs/operations.md).
    const code = feedback.data.response_code;
    logger[code >= 10 ? 'warn' : 'info']({ commandId, kind, responseCode: code, requestTime: feedback.requestTime, topic: meta.topic, isRetained: meta.retain }, `${kind}: answered`);
    if (!store) return;
    try {
      await store.logCommand(
        commandLogEntry({ commandId, kind, payload, topic: meta.topic, isRetained: meta.retain, receivedAtMs: meta.receivedAtMs, answeredAtMs: clock.now(), feedback, ...(prices ? { prices } : {}) }),
      );
      if (lastJournalError !== null) logger.info({ file: store.file }, 'command log: entries are stored again');
      lastJournalError = null;
    } catch (err) {
      // Every message still gets its answer [design principle 5]; the gap in the log is reported
      // here, once per distinct failure rather than once per message.
      const msg = errorMessage(err);
      if (msg !== lastJournalError) logger.error({ err: msg, commandId, kind, requestTime: feedback.requestTime }, 'command log entry not stored (answers are still published)');
      lastJournalError = msg;
    }
  };
  const answer = (payload: Buffer, meta: MessageMeta): void => {
    const commandId = newCommandId();
    void controller
      .handleCommand(payload, { isRetained: meta.retain })
      .then(async (outcome) => {
        await journal(commandId, 'command', payload, meta, outcome.feedback);
        const l = await (linkPromise as Promise<RemoteLink>);
        await l.publishFeedback(outcome.feedback);
      })
      .catch((err: unknown) => logger.error({ err: errorMessage(err), commandId }, 'could not answer a command'));
  };
  const answerSchedule = (payload: Buffer, meta: MessageMeta): void => {
    const commandId = newCommandId();
    void handleScheduleMessage(payload, { controller, schedules, nowMs: clock.now() })
      .then(async (outcome) => {
        if (outcome.accepted) logger.info({ commandId, code: outcome.code, schedule: outcome.feedback.data.schedule }, 'schedule: stored');
        else logger.warn({ commandId, code: outcome.code, errors: outcome.feedback.data.errors }, 'schedule: rejected');
        await journal(commandId, 'schedule', payload, meta, outcome.feedback);
        const l = await (linkPromise as Promise<RemoteLink>);
        await l.publishFeedback(outcome.feedback);
      })
      .catch((err: unknown) => logger.error({ err: errorMessage(err), commandId }, 'could not answer a schedule'));
  };
  /** Saves the provider's whole series (durable before the answer); a failure is logged once per distinct error. */
  let lastPricesSaveError: string | null = null;
  const savePrices = async (): Promise<void> => {
    const series = cost.pushedPrices.current();
    if (!store || !series) return;
    try {
      await store.savePushedPrices(series);
      lastPricesSaveError = null;
    } catch (err) {
      const msg = errorMessage(err);
      if (msg !== lastPricesSaveError) logger.error({ err: msg }, 'prices: pushed prices in force but not stored (lost at the next restart)');
      lastPricesSaveError = msg;
    }
  };
  const answerPrices = (payload: Buffer, meta: MessageMeta): void => {
    const commandId = newCommandId();
    void handlePriceMessage(payload, { controller, prices: cost.pushedPrices, onAccepted: () => cost.service.onPricesUpdated(), nowMs: clock.now() })
      .then(async (outcome) => {
        if (outcome.accepted) logger.info({ commandId, prices: outcome.stored }, 'prices: pushed prices stored; re-planning');
        else logger.warn({ commandId, code: outcome.code, errors: outcome.feedback.data.errors }, 'prices: rejected');
        // Both writes queued in the same turn share one commit (one fsync).
        await Promise.all([outcome.accepted ? savePrices() : null, journal(commandId, 'prices', payload, meta, outcome.feedback, outcome.stored)]);
        const l = await (linkPromise as Promise<RemoteLink>);
        await l.publishFeedback(outcome.feedback);
      })
      .catch((err: unknown) => logger.error({ err: errorMessage(err), commandId }, 'could not answer a price message'));
  };
  let link: RemoteLink;
  try {
    linkPromise = connectRemoteLink({
      url: brokerUrl,
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
      onCommand: answer,
      onSchedule: answerSchedule,
      onPrices: answerPrices,
    });
    link = await linkPromise;
  } catch (err) {
    await schedules.close();
    await cost.close();
    await protocolSite?.close();
    await broker?.close();
    await store?.close();
    throw err;
  }
  try {
    await runtime.start();
    await protocolSite?.connectChargePoints();
  } catch (err) {
    await protocolSite?.close();
    await link.close();
    await schedules.close();
    await cost.close();
    await broker?.close();
    await store?.close();
    await runtime.close();
    throw err;
  }
  controller.onFeedback((f) => {
    link.publishFeedback(f).catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'periodic feedback not published'));
  });
  const ops = observe({ site, clock, controller, store, link, commStatus: () => runtime.devices.commStatus?.() ?? new Map(), plans: cost.service });
  await controller.start();
  cost.start(controller);

  const info: RunningAppInfo = {
    serial: site.serial,
    siteNodeId: site.siteNodeId,
    brokerUrl,
    isEmbeddedBroker: broker !== null,
    localBroker: broker ? { engine: broker.engine, version: broker.version, protocolVersions: broker.protocolVersions, isAnonymousAllowed: broker.isAnonymousAllowed() } : null,
    wsUrl: broker?.wsUrl ?? null,
    httpUrl: null,
    topics,
    fallbackTimeoutS: site.remoteSignal.fallbackTimeoutS,
    devices: site.devices.map((d) => ({ nodeId: d.nodeId, group: d.group, name: d.name, driver: d.driver.type })),
    gridMeterDriver: site.grid.meter.driver.type,
    ...(protocolSite ? { protocolSimulators: protocolSite.endpoints } : {}),
    prices: {
      source: site.optimizer.prices,
      replay: await cost.priceReplay(clock.now()).catch(() => null),
      today: localDateOf(localDayIndexOf(clock.now(), site.location.timeZone)),
    },
  };
  const httpPort = opts.httpPort === undefined ? 8080 : opts.httpPort;
  let web: WebServer | null = null;
  let stopped = false;
  /** Stops everything in the reverse order of start; idempotent. */
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await web?.close();
    ops.close();
    await schedules.close();
    await cost.close();
    await controller.stop();
    await runtime.close();
    await protocolSite?.close();
    await link.close();
    await broker?.close();
    await store?.close();
  };
  if (httpPort !== null) {
    try {
      web = await startWebServer({ controller, site, info, ...(sim ? { sim } : {}), commStatus: () => runtime.devices.commStatus?.() ?? new Map(), clock, host: site.web.host, port: httpPort, costPlan: cost.service, ops, logger: logger.child({ part: 'web' }) });
    } catch (err) {
      await stop();
      throw err;
    }
    info.httpUrl = web.url;
  }
  return {
    info,
    site,
    clock,
    controller,
    sim,
    devices: runtime,
    broker,
    link,
    logger,
    store,
    schedules,
    cost,
    ops,
    stop,
  };
}
