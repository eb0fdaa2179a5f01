import { DEVICE_GROUPS } from '../../../protocol/components.ts';
import { createSimulatedSite, type SimulatedSite, type SimulatedSiteOptions } from '../../simulated/simulated-site.ts';
import type { DeviceLifecycle, DriverContext, DriverFactory } from '../../driver.ts';
import { GROUP_KEY } from '../../registry.ts';

/** The one simulated world of a site (shared by its simulated devices and meter). */
class SimulationService implements DeviceLifecycle {
  constructor(readonly sim: SimulatedSite) {}
  async start(): Promise<void> {}
  async close(): Promise<void> {}
}

/** The simulated driver plus access to the world it built (the simulator's own controls: web /api/sim, tests). */
export interface SimulatedDriver extends DriverFactory {
  /** The simulated site, once a device or meter was built; null when nothing is simulated. */
  simulation(): SimulatedSite | null;
}

export type { SimulatedSite, SimulatedSiteOptions };

/**
 * `driver: { type: simulated }` (the default): every simulated device of the site lives in one
 * simulated world (weather, household load, clock), and the simulated grid meter balances them.
 * `existing`: a world built elsewhere (the protocol-level simulators front some of its devices; the
 * simulated driver then drives the rest of that same world).
 */
export function simulatedDriver(options: SimulatedSiteOptions = {}, existing: SimulatedSite | null = null): SimulatedDriver {
  let built: SimulatedSite | null = existing;
  const world = (ctx: DriverContext): SimulatedSite =>
    existing ??
    ctx.shared('simulated', () => {
      // Only the simulated devices live in the world; the validated config guarantees a
      // simulated meter only when every device is simulated.
      const site = { ...ctx.site, devices: ctx.site.devices.filter((d) => d.driver.type === 'simulated') };
      built = createSimulatedSite(site, ctx.clock, options);
      return new SimulationService(built);
    }).sim;
  return {
    type: 'simulated',
    groups: DEVICE_GROUPS,
    canMeter: true,
    createDevice(device, ctx) {
      const sim = world(ctx);
      const d = (sim[GROUP_KEY[device.group]] as ReadonlyMap<string, object>).get(device.nodeId);
      if (!d) throw new Error(`simulated ${device.group} ${device.nodeId} was not built`);
      return d as never;
    },
    createMeter(_driver, ctx) {
      return world(ctx).gridMeter;
    },
    simulation: () => built,
  };
}
