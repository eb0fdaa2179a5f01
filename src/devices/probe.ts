import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { DeviceSchema, DriverSchema } from '../site/config-schema.ts';
import type { DeviceConfig, SiteConfig } from '../site/site-config.ts';
import { SunSpecSession } from './drivers/sunspec/sunspec-session.ts';
import type { DeviceLifecycle, DriverContext, DriverFactory } from './driver.ts';
import { hasModelDefinition, loadModelDefinition } from './sunspec/model-definition.ts';

/**
 * "Test connection" for a device being commissioned [#16]: builds the device (or a grid meter)
 * from its config alone with the real driver, connects, reads it once, and says what it found —
 * the reading, and for SunSpec the model chain — then closes everything. Nothing of the running
 * site is touched. An OCPP charger is not probed (the charge point connects to the central system).
 */

export interface ProbeResult {
  ok: boolean;
  driver: string;
  /** What one read returned (the capability's reading: W, SoC, on/off…). */
  reading?: unknown;
  /** SunSpec: the models discovered, with their labels. */
  models?: Array<{ id: number; label: string | null }>;
  /** Why it failed, or what a driver cannot test. */
  message: string;
  durationMs: number;
}

export type ProbeTarget = { device: unknown } | { meter: { driver: unknown } };

function problems(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>, at: string): string {
  return issues.map((i) => `${[at, ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
}

export async function probeDevice(target: ProbeTarget, deps: { site: SiteConfig; clock: Clock; logger: Logger; factories: readonly DriverFactory[]; timeoutMs?: number }): Promise<ProbeResult> {
  const started = Date.now();
  const done = (r: Omit<ProbeResult, 'durationMs'>): ProbeResult => ({ ...r, durationMs: Date.now() - started });
  let driverType: string;
  let build: (f: DriverFactory, ctx: DriverContext) => object;
  if ('device' in target) {
    const parsed = DeviceSchema.safeParse(target.device);
    if (!parsed.success) return done({ ok: false, driver: '?', message: problems(parsed.error.issues, 'device') });
    const device = { ...parsed.data, nodeId: `${deps.site.serial}_probe`, name: parsed.data.name ?? 'probe', isRemoteEnabled: false } as DeviceConfig;
    driverType = device.driver.type;
    build = (f, ctx) => f.createDevice(device, ctx);
  } else {
    const parsed = DriverSchema.safeParse(target.meter?.driver);
    if (!parsed.success) return done({ ok: false, driver: '?', message: problems(parsed.error.issues, 'meter.driver') });
    driverType = parsed.data.type;
    build = (f, ctx) => (f.createMeter ? f.createMeter(parsed.data, ctx) : {});
  }
  if (driverType === 'simulated') return done({ ok: true, driver: driverType, message: 'a simulated device needs no connection' });
  if (driverType === 'ocpp') return done({ ok: false, driver: driverType, message: 'an OCPP charge point connects to the central system itself: save the device, then its link column shows whether it is connected' });
  const factory = deps.factories.find((f) => f.type === driverType);
  if (!factory) return done({ ok: false, driver: driverType, message: `no driver "${driverType}" in this build` });

  const shared = new Map<string, DeviceLifecycle>();
  const ctx: DriverContext = {
    site: deps.site,
    clock: deps.clock,
    logger: deps.logger,
    shared<T extends DeviceLifecycle>(key: string, create: () => T): T {
      let s = shared.get(key);
      if (!s) shared.set(key, (s = create()));
      return s as T;
    },
  };
  const signal = AbortSignal.timeout(deps.timeoutMs ?? 5000);
  let built: (object & Partial<DeviceLifecycle>) | null = null;
  try {
    built = build(factory, ctx) as object & Partial<DeviceLifecycle>;
    for (const s of shared.values()) await s.start();
    await built.start?.();
    const reader = built as { readState?: (s: AbortSignal) => Promise<unknown>; readPowerW?: (s: AbortSignal) => Promise<number> };
    const readOnce = async (): Promise<unknown> => (reader.readState ? reader.readState(signal) : reader.readPowerW ? { powerW: await reader.readPowerW(signal) } : null);
    // The connection comes up in the background (start never waits for it): read until it answers or the time is up.
    let reading: unknown;
    for (;;) {
      try {
        reading = await readOnce();
        break;
      } catch (err) {
        if (signal.aborted) throw err;
        await new Promise((r) => setTimeout(r, 200));
        if (signal.aborted) throw err;
      }
    }
    const session = [...shared.values()].find((s): s is SunSpecSession => s instanceof SunSpecSession);
    const models = session ? (await session.models(signal)).map((m) => ({ id: m.id, label: hasModelDefinition(m.id) ? (loadModelDefinition(m.id).group.label ?? null) : null })) : undefined;
    return done({ ok: true, driver: driverType, reading, ...(models ? { models } : {}), message: models ? `found SunSpec models ${models.map((m) => m.id).join(', ')}` : 'read once' });
  } catch (err) {
    return done({ ok: false, driver: driverType, message: signal.aborted ? `no answer within ${deps.timeoutMs ?? 5000} ms (${errorMessage(err)})` : errorMessage(err) });
  } finally {
    await built?.close?.().catch(() => undefined);
    for (const s of shared.values()) await s.close().catch(() => undefined);
  }
}
