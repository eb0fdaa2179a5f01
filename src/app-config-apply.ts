// Saving a new site configuration and applying it to the running controller, without a restart [#16].
import type { Logger } from 'pino';
import { buildSiteParts, seedCostFromStore, type SiteParts } from './app-site.ts';
import type { Clock } from './core/clock.ts';
import { GridpilotError, errorMessage } from './core/errors.ts';
import { loadBrokerTlsFiles } from './broker/tls-files.ts';
import type { Controller } from './control/controller.ts';
import { rowOf, type ScheduleStore } from './schedule/schedule-store.ts';
import { resolveSiteConfig, type SiteConfig } from './site/site-config.ts';
import type { Store } from './store/store.ts';
import { checkSiteConfig } from './web/config-check.ts';
import type { ErrorDetail } from './web/http-errors.ts';
import { REDACTED } from './web/site-view.ts';
import { isSecretKey } from './site/secret-keys.ts';

/** Sections a running controller cannot switch: saved, and in force from the next start. */
export const RESTART_SECTIONS = ['mqtt', 'web'] as const;

export type ApplyOutcome =
  | { ok: true; revision: number | null; appliedAtMs: number; nrDevices: number; restartNeeded: string[]; isSimulationRebuilt: boolean }
  | { ok: false; status: 400 | 409 | 422; error: string; errors: ErrorDetail[] };

export interface ConfigApplierDeps {
  clock: Clock;
  logger: Logger;
  controller: Controller;
  schedules: ScheduleStore;
  store: Store | null;
  /** The parts in force; replaced by `swap` after a successful apply. */
  current: () => SiteParts;
  swap: (next: SiteParts) => void;
  /** The CLI's overrides laid over a config before validation (as at start). */
  applyOverrides: (raw: Record<string, unknown>) => void;
  /** Why this process cannot apply a config live (`--config` file, `--protocol-sim`); null when it can. */
  refusal: string | null;
}

export interface ConfigApplier {
  /** Validates, starts the new devices, switches at a cycle boundary, saves a revision. Bad input changes nothing. */
  apply(raw: unknown, actor: string | null): Promise<ApplyOutcome>;
  /** Applies a stored revision again (the same path). */
  restore(revision: number, actor: string | null): Promise<ApplyOutcome>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The simulated devices and meter of a config, as compared between two revisions. */
const simulatedPart = (s: SiteConfig): string =>
  JSON.stringify({ devices: s.devices.filter((d) => d.driver.type === 'simulated'), meter: s.grid.meter.driver.type === 'simulated', location: s.location });

/**
 * The UI edits the config as GET /api/site gives it, its secrets replaced by REDACTED: each such
 * placeholder takes the running value at the same place (a device's by its nodeId, so removing
 * another device does not shift it). Returns the paths it could not fill.
 */
export function restoreRedacted(raw: Record<string, unknown>, running: SiteConfig): string[] {
  const missing: string[] = [];
  const walk = (v: unknown, old: unknown, path: string): unknown => {
    if (Array.isArray(v)) {
      const oldList = Array.isArray(old) ? (old as unknown[]) : [];
      return v.map((x, i) => {
        const nodeId = isRecord(x) ? x.nodeId : undefined;
        const match = path === 'devices' ? oldList.find((o) => isRecord(o) && o.nodeId === nodeId) : oldList[i];
        return walk(x, match, `${path}[${i}]`);
      });
    }
    if (!isRecord(v)) return v;
    const oldRec = isRecord(old) ? old : {};
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = path ? `${path}.${k}` : k;
      if (x === REDACTED && isSecretKey(k)) {
        if (typeof oldRec[k] === 'string') out[k] = oldRec[k];
        else missing.push(p);
      } else out[k] = walk(x, oldRec[k], p);
    }
    return out;
  };
  const filled = walk(raw, running, '') as Record<string, unknown>;
  for (const k of Object.keys(raw)) delete raw[k];
  Object.assign(raw, filled);
  return missing;
}

const usesOcpp = (runtime: SiteParts['runtime']): boolean => [...runtime.driverTypes.values()].includes('ocpp');

/** The local broker's TLS files must be readable PEM before a config naming them is saved (they are used at the next start). */
function brokerTlsProblem(site: SiteConfig): { path: string; message: string } | null {
  const tls = site.mqtt.brokerUrl === undefined ? site.mqtt.embedded.tls : undefined;
  if (!tls) return null;
  try {
    loadBrokerTlsFiles(tls);
    return null;
  } catch (err) {
    const where = err instanceof GridpilotError && err.where ? err.where : 'mqtt.embedded.tls';
    const text = errorMessage(err);
    return { path: where, message: text.startsWith(`${where}: `) ? text.slice(where.length + 2) : text };
  }
}

function cannotStart(err: unknown): ApplyOutcome {
  return { ok: false, status: 422, error: `the devices of this configuration could not start: ${errorMessage(err)}; nothing changed`, errors: [{ path: 'devices', message: errorMessage(err) }] };
}

export function createConfigApplier(deps: ConfigApplierDeps): ConfigApplier {
  const { clock, logger, controller, store } = deps;
  let queue: Promise<unknown> = Promise.resolve();

  const run = async (raw: unknown, actor: string | null, detail: string | null): Promise<ApplyOutcome> => {
    if (deps.refusal) return { ok: false, status: 409, error: deps.refusal, errors: [] };
    if (!isRecord(raw)) return { ok: false, status: 400, error: 'a site configuration is a JSON object', errors: [{ path: '$', message: 'expected an object' }] };
    const given = structuredClone(raw);
    const missing = restoreRedacted(given, deps.current().site);
    if (missing.length) return { ok: false, status: 400, error: `give the secret${missing.length > 1 ? 's' : ''} at ${missing.join(', ')}: "${REDACTED}" stands for a value this configuration did not have`, errors: missing.map((path) => ({ path, message: 'a secret is needed here' })) };
    raw = given;
    const cfg = structuredClone(given);
    deps.applyOverrides(cfg);
    // Every problem at once, with its path (the schema's, then impossible combinations).
    const check = checkSiteConfig(cfg);
    if (!check.ok) return { ok: false, status: 400, error: `invalid configuration: ${check.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, errors: check.errors };
    const next = resolveSiteConfig(cfg, 'the new configuration');
    const old = deps.current();
    if (next.serial !== old.site.serial) {
      return { ok: false, status: 409, error: `the serial (${old.site.serial} → ${next.serial}) changes every topic and nodeId: change it with a restart (edit the config and start again)`, errors: [{ path: 'serial', message: 'changes only with a restart' }] };
    }
    const tlsProblem = brokerTlsProblem(next);
    if (tlsProblem) return { ok: false, status: 422, error: `${tlsProblem.path}: ${tlsProblem.message}; nothing changed`, errors: [tlsProblem] };
    const restartNeeded = RESTART_SECTIONS.filter((k) => JSON.stringify(next[k]) !== JSON.stringify(old.site[k]));
    // The running link and web server keep their sections until the next start.
    const live: SiteConfig = { ...next, mqtt: old.site.mqtt, web: old.site.web };
    const isSameWorld = old.sim !== null && simulatedPart(live) === simulatedPart(old.site);
    let parts: SiteParts;
    try {
      parts = buildSiteParts(live, { clock, logger, world: isSameWorld ? old.sim : null });
    } catch (err) {
      return { ok: false, status: 422, error: `the devices of this configuration cannot be built: ${errorMessage(err)}; nothing changed`, errors: [{ path: 'devices', message: errorMessage(err) }] };
    }
    const startError = await parts.runtime.start().then(
      () => null,
      (err: unknown) => err,
    );
    let isSwitched = false;
    if (startError !== null) {
      await parts.runtime.close().catch(() => undefined);
      await parts.cost.close().catch(() => undefined);
      // Both configs run an OCPP central system: the running one holds its port. Hand it over
      // between two cycles: close the old devices, start the new; if they still fail, the old
      // ones are built and started again and nothing changed.
      if (!(usesOcpp(old.runtime) && usesOcpp(parts.runtime))) return cannotStart(startError);
      const handover = await controller.exclusive(async (switchTo) => {
        await old.runtime.close().catch(() => undefined);
        const retry = buildSiteParts(live, { clock, logger, world: isSameWorld ? old.sim : null });
        const err = await retry.runtime.start().then(
          () => null,
          (e: unknown) => e,
        );
        if (err === null) {
          switchTo(live, retry.runtime.devices, retry.cost.service);
          return { ok: true as const, parts: retry };
        }
        await retry.runtime.close().catch(() => undefined);
        await retry.cost.close().catch(() => undefined);
        const again = buildSiteParts(old.site, { clock, logger, world: old.sim });
        await again.runtime.start();
        await again.cost.close().catch(() => undefined);
        switchTo(old.site, again.runtime.devices);
        deps.swap({ ...old, runtime: again.runtime });
        return { ok: false as const, err };
      });
      if (!handover.ok) return cannotStart(handover.err);
      parts = handover.parts;
      isSwitched = true;
    }
    // What the cost policy knew goes on: pushed prices, and the stored history its forecasts learn from.
    if (store) await seedCostFromStore(parts.cost, live, store, clock, logger);
    const pushed = old.cost.pushedPrices.current();
    if (pushed) parts.cost.pushedPrices.accept(pushed);

    // The switch, at a cycle boundary: the controller's chain runs it between two cycles.
    if (!isSwitched) await controller.reconfigure(live, parts.runtime.devices, parts.cost.service);
    deps.swap(parts);
    parts.cost.start(controller);
    await old.cost.close().catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'config: the previous cost wiring did not close cleanly'));
    if (!isSwitched) await old.runtime.close().catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'config: the previous devices did not close cleanly'));
    // Stored schedule slots are checked again against the new devices (a slot for a removed one is dropped).
    const { dropped } = deps.schedules.load(deps.schedules.list(0).map(rowOf), controller.commandContext(clock.now()));
    for (const d of dropped) logger.warn({ startMs: d.startMs, errors: d.errors }, 'config: stored schedule slot no longer valid with the new configuration; dropped');

    let revision: number | null = null;
    if (store) {
      store.setRetention(live.history);
      await store.saveConfig({ source: 'api', sourceDetail: detail ?? (actor ? `web: ${actor}` : 'web'), config: raw });
      revision = (await store.latestConfig())?.revision ?? null;
    }
    logger.info({ revision, actor, nrDevices: live.devices.length, restartNeeded, isSimulationRebuilt: !isSameWorld && parts.sim !== null }, 'config: applied live');
    return { ok: true, revision, appliedAtMs: clock.now(), nrDevices: live.devices.length, restartNeeded: [...restartNeeded], isSimulationRebuilt: !isSameWorld && parts.sim !== null };
  };

  // One at a time: a second save waits for the first to be in force.
  const serialized = (f: () => Promise<ApplyOutcome>): Promise<ApplyOutcome> => {
    const p = queue.then(f, f);
    queue = p.catch(() => undefined);
    return p;
  };

  return {
    apply: (raw, actor) => serialized(() => run(raw, actor, null)),
    restore: (revision, actor) =>
      serialized(async () => {
        if (!store) return { ok: false, status: 409, error: 'no data directory: there are no stored revisions', errors: [] };
        const r = await store.configRevision(revision);
        if (!r) return { ok: false, status: 400, error: `there is no configuration revision ${revision}`, errors: [{ path: 'revision', message: 'no such revision' }] };
        if (r.missingSecrets?.length) return { ok: false, status: 422, error: `revision ${revision}'s secrets are missing from secrets.json (${r.missingSecrets.join(', ')}); give them again`, errors: [] };
        return run(r.config, actor, `restored revision ${revision}${actor ? ` by ${actor}` : ''}`);
      }),
  };
}
