import { FakeClock } from '../../src/core/clock.ts';
import { Controller, type CycleRecord } from '../../src/control/controller.ts';
import { createSimulatedSite, type SimulatedSite, type SimulatedSiteOptions } from '../../src/devices/simulated/simulated-site.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import type { SiteConfigInput } from '../../src/site/config-schema.ts';
import { resolveSiteConfig, type SiteConfig } from '../../src/site/site-config.ts';

/**
 * A whole-day scenario: the real controller on a fake clock over simulated devices, with the real
 * irradiance and household load (unless the test overrides them). Cycles are driven one by one, so
 * a test can look at the physical outcome after every cycle.
 */
export interface Scenario {
  clock: FakeClock;
  site: SiteConfig;
  sim: SimulatedSite;
  controller: Controller;
  /** Moves time by one cycle and runs it; returns its record. */
  cycle(): Promise<CycleRecord>;
  /** Runs cycles until `ms` has passed, calling `each` after every one. */
  run(ms: number, each?: (r: CycleRecord) => void | Promise<void>): Promise<void>;
  send(fields: Record<string, unknown>): Promise<Feedback>;
  /** Measured grid power now, W (+ import). */
  gridW(): number;
}

export function startScenario(config: SiteConfigInput, startMs: number, simOptions: SimulatedSiteOptions = { carPattern: null }): Scenario {
  const clock = new FakeClock(startMs);
  const site = resolveSiteConfig(config);
  const sim = createSimulatedSite(site, clock, simOptions);
  const controller = new Controller(site, sim, clock);
  return { clock, site, sim, controller, ...scenarioDriver({ clock, site, sim, controller }) };
}

/**
 * Drives a controller cycle by cycle on its fake clock: `cycle`, `run`, `send`, `gridW`.
 * `beforeTrigger` runs after the clock moved and before the cycle (e.g. waiting for a re-plan).
 */
export function scenarioDriver(
  s: Pick<Scenario, 'clock' | 'site' | 'sim' | 'controller'>,
  beforeTrigger?: () => Promise<void>,
): Pick<Scenario, 'cycle' | 'run' | 'send' | 'gridW'> {
  const { clock, site, sim, controller } = s;
  const cycle = async (): Promise<CycleRecord> => {
    clock.advance(site.control.cycleMs);
    await beforeTrigger?.();
    await controller.trigger();
    const r = controller.lastCycle();
    if (!r) throw new Error('no cycle ran');
    return r;
  };
  return {
    cycle,
    async run(ms, each) {
      const end = clock.now() + ms;
      while (clock.now() < end) {
        const r = await cycle();
        await each?.(r);
      }
    },
    async send(fields) {
      const out = await controller.handleCommand(JSON.stringify({ extraTags: { nodeId: site.siteNodeId }, time: Math.floor(clock.now() / 1000), fields }));
      return out.feedback;
    },
    gridW: () => sim.gridMeter.snapshot().powerW,
  };
}

/** A site of one of each (two where `twoOfEach`) with the given defaults; easy to tweak per test. */
export function scenarioSite(patch: Partial<SiteConfigInput> = {}): SiteConfigInput {
  return {
    serial: 'GP0000000000000001',
    grid: { importLimitW: 17_000, exportLimitW: 10_000, safetyMarginW: 100 },
    control: { cycleMs: 1000, deadbandW: 50 },
    devices: [
      { group: 'solar', ratedPowerW: 8000, peakPowerW: 8800 },
      { group: 'storage', capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 5000, initialSocPct: 20 },
    ],
    ...patch,
  };
}
