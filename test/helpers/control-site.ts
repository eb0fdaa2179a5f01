import { FakeClock } from '../../src/core/clock.ts';
import { Controller } from '../../src/control/controller.ts';
import { createSimulatedSite, type SimulatedSite } from '../../src/devices/simulated/simulated-site.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import type { SiteConfigInput } from '../../src/site/config-schema.ts';
import { demoSiteConfig, DEMO_SERIAL } from '../../src/site/demo-site.ts';
import { resolveSiteConfig, type SiteConfig } from '../../src/site/site-config.ts';

export const SITE_NODE = `${DEMO_SERIAL}_site_0`;
export const node = (suffix: string): string => `${DEMO_SERIAL}_${suffix}`;

export interface TestSite {
  clock: FakeClock;
  site: SiteConfig;
  sim: SimulatedSite;
  controller: Controller;
  /** Sends a command with the current time; resolves with the feedback. */
  send(fields: Record<string, unknown>): Promise<Feedback>;
  /** Advances the fake clock by `ms` and lets the cycles it triggered finish. */
  advance(ms: number): Promise<void>;
}

/**
 * A controller on the simulated demo site (or a patched config), on a fake clock, without MQTT.
 * Weather and base load are pinned for determinism unless `realWorld` is set.
 */
export async function startTestSite(
  patch: (cfg: SiteConfigInput) => SiteConfigInput = (c) => c,
  opts: { startMs?: number; irradianceWm2?: number | null; baseLoadW?: number | null; carPattern?: null } = {},
): Promise<TestSite> {
  const clock = new FakeClock(opts.startMs ?? Date.UTC(2024, 5, 21, 11, 0, 0));
  const site = resolveSiteConfig(patch(demoSiteConfig()));
  const sim = createSimulatedSite(site, clock, { carPattern: opts.carPattern === undefined ? null : opts.carPattern });
  if (opts.irradianceWm2 !== null) sim.world.setIrradianceOverride(opts.irradianceWm2 ?? 800);
  if (opts.baseLoadW !== null) sim.world.setBaseLoadOverride(opts.baseLoadW ?? 500);
  const controller = new Controller(site, sim, clock);
  await controller.start();
  const flush = async (): Promise<void> => {
    await controller.trigger();
  };
  return {
    clock,
    site,
    sim,
    controller,
    async send(fields) {
      const out = await controller.handleCommand(JSON.stringify({ extraTags: { nodeId: SITE_NODE }, time: Math.floor(clock.now() / 1000), fields }));
      return out.feedback;
    },
    async advance(ms) {
      // Step in cycle-sized pieces so every periodic cycle runs, as in real time.
      const step = site.control.cycleMs;
      for (let t = 0; t < ms; t += step) {
        clock.advance(Math.min(step, ms - t));
        await flush();
      }
    },
  };
}
