import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import { Controller } from '../control/controller.ts';
import { allDrivers } from '../devices/drivers/index.ts';
import { buildSiteDevices, type SiteRuntime } from '../devices/registry.ts';
import { PushedPriceProvider } from '../optimizer/prices/price-provider.ts';
import { connectRemoteLink, type MessageMeta, type RemoteLink } from '../remote/remote-link.ts';
import { createMessageIntake } from '../remote/message-intake.ts';
import { ScheduleStore } from '../schedule/schedule-store.ts';
import type { LoggedMessageKind } from '../store/command-log.ts';
import type { SiteConfig } from '../site/site-config.ts';

/** How one simulated controller of the fleet reaches its broker. */
export interface FleetSiteLink {
  brokerUrl: string;
  username?: string | undefined;
  password?: string | undefined;
  /** 3 = MQTT 3.1, 4 = 3.1.1, 5 = 5.0. */
  protocolVersion: 3 | 4 | 5;
  caFile?: string | undefined;
}

/** One simulated controller: the real Controller on simulated devices, with its own MQTT session. */
export interface FleetSite {
  readonly site: SiteConfig;
  readonly controller: Controller;
  readonly link: RemoteLink;
  /** Commands and schedules answered so far. */
  answered(): number;
  close(): Promise<void>;
}

/**
 * Starts one site of the fleet: its simulated devices (the simulated driver, behind the same
 * registry a real site uses), its Controller (watchdog, limits, periodic cycle and feedback), the
 * one message path (`createMessageIntake`, no store: the fleet keeps no command log) and its own
 * remote link as `gp-<serial>`-style account of its own. Prices are not subscribed (no optimiser
 * runs in a fleet site: `cost` runs its documented no-plan behaviour).
 */
export async function startFleetSite(site: SiteConfig, link: FleetSiteLink, deps: { clock: Clock; logger: Logger }): Promise<FleetSite> {
  const { clock, logger } = deps;
  const drivers = allDrivers();
  const runtime: SiteRuntime = buildSiteDevices(site, { clock, logger, factories: drivers.factories });
  const schedules = new ScheduleStore({ clock, persist: null });
  const controller = new Controller(site, runtime.devices, clock, { logger, schedule: schedules });
  schedules.onBoundary(() => {
    controller.trigger().catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'schedule: cycle at a slot boundary failed'));
  });
  const pushed = new PushedPriceProvider();
  let linkPromise: Promise<RemoteLink> | null = null;
  let answered = 0;
  const intake = createMessageIntake({
    controller,
    schedules,
    prices: () => pushed,
    onPricesAccepted: () => undefined,
    store: null,
    clock,
    logger,
    publish: async (f) => (await (linkPromise as Promise<RemoteLink>)).publishFeedback(f),
  });
  const fromMqtt = (kind: LoggedMessageKind) => (payload: Buffer, meta: MessageMeta): void => {
    intake.handle(kind, payload, { source: 'mqtt', topic: meta.topic, isRetained: meta.retain, receivedAtMs: meta.receivedAtMs }).then(
      () => answered++,
      () => undefined,
    );
  };
  await runtime.start();
  let remote: RemoteLink;
  try {
    linkPromise = connectRemoteLink({
      url: link.brokerUrl,
      clock,
      serial: site.serial,
      protocolVersion: link.protocolVersion,
      ...(link.username !== undefined ? { username: link.username, clientId: link.username } : {}),
      ...(link.password !== undefined ? { password: link.password } : {}),
      ...(link.caFile !== undefined ? { caFile: link.caFile } : {}),
      reconnect: { maxDelayMs: site.mqtt.reconnectMaxMs, initialDelayMs: Math.min(250, site.mqtt.reconnectMaxMs) },
      logger,
      onCommand: fromMqtt('command'),
      onSchedule: fromMqtt('schedule'),
    });
    remote = await linkPromise;
  } catch (err) {
    await schedules.close();
    await runtime.close();
    throw err;
  }
  controller.onFeedback((f) => {
    remote.publishFeedback(f).catch(() => undefined);
  });
  await controller.start();
  return {
    site,
    controller,
    link: remote,
    answered: () => answered,
    async close() {
      await controller.stop();
      await remote.close();
      await schedules.close();
      await runtime.close();
    },
  };
}
