import type { Clock } from '../core/clock.ts';
import { GridpilotError, errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { DeviceGroup } from '../protocol/components.ts';
import type { DeviceConfig, SiteConfig } from '../site/site-config.ts';
import type { Battery, EvCharger, GridMeter, SolarInverter, Switchable } from './capabilities.ts';
import { BoundedWriter, CommTracker } from './comm-tracker.ts';
import type { BuiltDevice, BuiltMeter, CommStatus, DeviceLifecycle, DriverContext, DriverFactory } from './driver.ts';

/** The site's devices by capability, keyed by nodeId, as the control loop sees them. */
export interface SiteDevices {
  gridMeter: GridMeter;
  solar: ReadonlyMap<string, SolarInverter>;
  storage: ReadonlyMap<string, Battery>;
  heatPumps: ReadonlyMap<string, Switchable>;
  switchedLoads: ReadonlyMap<string, Switchable>;
  evChargers: ReadonlyMap<string, EvCharger>;
  /**
   * Communication status of every device by nodeId, and of the grid meter under the site's nodeId.
   * Absent for device sets built without the registry (tests that drive the simulator directly).
   */
  commStatus?(): ReadonlyMap<string, CommStatus>;
}

/** Everything the registry built for a site: the devices, their status, their lifecycle. */
export interface SiteRuntime {
  devices: SiteDevices;
  /** Which driver type each device (by nodeId) and the grid meter (site nodeId) runs on. */
  driverTypes: ReadonlyMap<string, string>;
  /** Starts the shared services (e.g. the OCPP central system), then every device's connection. */
  start(): Promise<void>;
  /** Closes every device, then the shared services; idempotent. */
  close(): Promise<void>;
}

export interface BuildOptions {
  clock: Clock;
  logger: Logger;
  /** One factory per driver type. */
  factories: readonly DriverFactory[];
}

/** Which SiteDevices map holds each group's devices (the simulated site uses the same keys). */
export const GROUP_KEY = {
  solar: 'solar',
  storage: 'storage',
  heat_pump: 'heatPumps',
  switched_load: 'switchedLoads',
  variable_power_load: 'evChargers',
} as const satisfies Record<DeviceGroup, keyof SiteDevices>;

/** The methods of each capability that read (status from their outcome) and that write (bounded). */
const READS = new Set(['readState', 'readPowerW']);
const WRITES = new Set(['setLimitW', 'setPowerW', 'setOn', 'setCurrentA']);

/**
 * Wraps a built device: its reads keep the communication status, its writes are bounded; any other
 * member (optional capabilities such as an EV charger's session) passes through unchanged.
 */
function track<T extends object>(device: T, tracker: CommTracker, writer: BoundedWriter): T {
  return new Proxy(device, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      if (READS.has(prop)) return (...args: unknown[]) => tracker.read(() => fn.apply(target, args));
      if (WRITES.has(prop)) return (...args: unknown[]) => writer.write(() => fn.apply(target, args) as Promise<void>);
      return fn.bind(target);
    },
  });
}

/**
 * Builds the site's devices from its config [issue 12 §1]: one factory per `driver.type`, the grid
 * meter from `grid.meter.driver`. Builds only (no I/O); `start` connects.
 */
export function buildSiteDevices(site: SiteConfig, options: BuildOptions): SiteRuntime {
  const { clock, logger } = options;
  const byType = new Map(options.factories.map((f) => [f.type, f]));
  const sharedServices = new Map<string, DeviceLifecycle>();
  const ctx: DriverContext = {
    site,
    clock,
    logger,
    shared<T extends DeviceLifecycle>(key: string, create: () => T): T {
      let s = sharedServices.get(key);
      if (!s) {
        s = create();
        sharedServices.set(key, s);
      }
      return s as T;
    },
  };
  const factoryFor = (type: string, where: string): DriverFactory => {
    const f = byType.get(type);
    if (!f) throw new GridpilotError(`no driver "${type}" in this build (known: ${[...byType.keys()].join(', ')})`, where);
    return f;
  };
  const trackers = new Map<string, CommTracker>();
  const lifecycles: Array<{ id: string; life: Partial<DeviceLifecycle> }> = [];
  const driverTypes = new Map<string, string>();
  const wrap = <T extends object>(id: string, built: T & Partial<DeviceLifecycle>, type: string): T => {
    const tracker = new CommTracker(id, clock, logger);
    trackers.set(id, tracker);
    lifecycles.push({ id, life: built });
    driverTypes.set(id, type);
    return track<T>(built, tracker, new BoundedWriter(id, site.control.writeTimeoutMs, tracker));
  };

  const groups = { solar: new Map(), storage: new Map(), heatPumps: new Map(), switchedLoads: new Map(), evChargers: new Map() } as {
    solar: Map<string, SolarInverter>;
    storage: Map<string, Battery>;
    heatPumps: Map<string, Switchable>;
    switchedLoads: Map<string, Switchable>;
    evChargers: Map<string, EvCharger>;
  };
  site.devices.forEach((d: DeviceConfig, i) => {
    const where = `devices[${i}] (${d.nodeId})`;
    const factory = factoryFor(d.driver.type, where);
    if (!factory.groups.includes(d.group)) throw new GridpilotError(`driver "${factory.type}" cannot drive a ${d.group} device`, where);
    const built: BuiltDevice = factory.createDevice(d, ctx);
    (groups[GROUP_KEY[d.group]] as Map<string, object>).set(d.nodeId, wrap(d.nodeId, built, factory.type));
  });
  const meterDriver = site.grid.meter.driver;
  const meterFactory = factoryFor(meterDriver.type, 'grid.meter.driver');
  if (!meterFactory.canMeter || !meterFactory.createMeter) throw new GridpilotError(`driver "${meterFactory.type}" cannot be the grid meter`, 'grid.meter.driver');
  const meter: BuiltMeter = meterFactory.createMeter(meterDriver, ctx);
  const gridMeter = wrap<GridMeter>(site.siteNodeId, meter, meterFactory.type);

  let closed = false;
  const devices: SiteDevices = {
    gridMeter,
    ...groups,
    commStatus: () => new Map([...trackers].map(([id, t]) => [id, t.status()])),
  };
  return {
    devices,
    driverTypes,
    async start() {
      for (const [key, s] of sharedServices) {
        try {
          await s.start();
        } catch (err) {
          throw new GridpilotError(`could not start ${key}: ${errorMessage(err)}`, key);
        }
      }
      await Promise.all(
        lifecycles.map(async ({ id, life }) => {
          try {
            await life.start?.();
          } catch (err) {
            // A device that cannot start is reported, not fatal: it stays offline and its driver retries.
            trackers.get(id)?.readFailed(`could not start: ${errorMessage(err)}`);
          }
        }),
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled(lifecycles.map(async ({ life }) => life.close?.()));
      await Promise.allSettled([...sharedServices.values()].reverse().map((s) => s.close()));
    },
  };
}
