// Benchmark: control cycle time on a FakeClock.
//
// "compute" = what CycleRecord.computeMs measures: arbitration of the control signals plus the pure
// computeCycle (policies, run-time guards, grid limits). "full cycle" = one whole periodic cycle as
// the controller runs it (controller.trigger()): read every simulated device in parallel, compute,
// write every setpoint back — no MQTT. A 50-device site (10 solar, 10 storage, 10 heat pumps,
// 10 relays, 10 EV chargers) against the 6-device demo site, in alternating blocks in one process.
// The world changes all the time: random irradiance and load steps, cars plugging in and leaving,
// and a remote command every 60 cycles (not timed: it only changes what the next cycles do).
//
// Run: npx tsx bench/control-cycle.ts   (BENCH_CYCLES: measured cycles per site, default 6000, after 2000 warm-up)
import { FakeClock } from '../src/core/clock.ts';
import { Controller } from '../src/control/controller.ts';
import { createSimulatedSite, type SimulatedSite } from '../src/devices/simulated/simulated-site.ts';
import type { SiteConfigInput } from '../src/site/config-schema.ts';
import { demoSiteConfig } from '../src/site/demo-site.ts';
import { resolveSiteConfig, type SiteConfig } from '../src/site/site-config.ts';
import { fmt, printHeader, printTable, ratio, seededRandom, summarize, type Summary } from './lib/report.ts';
import { FIFTY_DEVICES, mixedSite } from './lib/sites.ts';

// The first ~1500 cycles carry V8's tier-up (compilation, deopts): warm-up, not steady state.
const WARMUP = 2000;
const CYCLES = WARMUP + Number(process.env['BENCH_CYCLES'] ?? 6000);
const BLOCK = 500;
const START_MS = Date.UTC(2024, 5, 3, 9, 0, 0); // a June morning: sun rising, PV surplus, limits binding

const COMMANDS: ReadonlyArray<Record<string, unknown>> = [
  { storage_policy: 'setpoint', storage_power_setpoint_w: 8000, solar_policy: 'setpoint', solar_power_setpoint_w: 20_000 },
  { variable_power_load_policy: 'setpoint', variable_power_load_power_setpoint_w: 22_000, heat_pump_policy: 'power_on' },
  { storage_policy: 'setpoint', storage_power_setpoint_w: -6000, switched_load_policy: 'power_on', site_policy: 'limit', site_power_setpoint_w: 3000 },
  { storage_policy: 'fallback', solar_policy: 'fallback' },
  {},
];

interface Bench {
  name: string;
  devices: number;
  site: SiteConfig;
  clock: FakeClock;
  sim: SimulatedSite;
  controller: Controller;
  random: () => number;
  cycles: number;
  computeMs: number[];
  fullMs: number[];
  warmComputeMs: number[];
  warmFullMs: number[];
}

function makeBench(name: string, config: SiteConfigInput, seed: number): Bench {
  const clock = new FakeClock(START_MS);
  const site = resolveSiteConfig(config);
  const sim = createSimulatedSite(site, clock, { carPattern: null });
  const controller = new Controller(site, sim, clock);
  return { name, devices: site.devices.length, site, clock, sim, controller, random: seededRandom(seed), cycles: 0, computeMs: [], fullMs: [], warmComputeMs: [], warmFullMs: [] };
}

/** Changes the world between cycles: a cloud edge, a load step, a car — now and then. */
function perturb(b: Bench): void {
  const { world } = b.sim;
  const r = b.random;
  const scale = b.devices / 6;
  if (r() < 0.15) world.setIrradianceOverride(r() < 0.2 ? null : Math.round(r() * 1000));
  if (r() < 0.1) world.setBaseLoadOverride(r() < 0.2 ? null : Math.round((200 + r() * 3000) * scale));
  if (r() < 0.1) world.setExtraLoadW(r() < 0.5 ? 0 : Math.round(r() * 3000 * scale));
  if (r() < 0.02) {
    const chargers = [...b.sim.evChargers.values()];
    const c = chargers[Math.floor(r() * chargers.length)];
    if (c) {
      if (c.snapshot().isConnected) c.unplug();
      else c.plugIn({ energyNeededWh: 5000 + r() * 40_000 });
    }
  }
}

async function runBlock(b: Bench, cycles: number): Promise<void> {
  for (let i = 0; i < cycles; i += 1) {
    perturb(b);
    if (b.cycles % 60 === 30) {
      const fields = COMMANDS[Math.floor(b.cycles / 60) % COMMANDS.length];
      await b.controller.handleCommand(JSON.stringify({ extraTags: { nodeId: b.site.siteNodeId }, time: Math.floor(b.clock.now() / 1000), fields }));
    }
    b.clock.advance(b.site.control.cycleMs);
    const t0 = performance.now();
    await b.controller.trigger();
    const full = performance.now() - t0;
    const rec = b.controller.lastCycle();
    if (!rec) throw new Error(`${b.name}: no cycle ran`);
    (b.cycles >= WARMUP ? b.fullMs : b.warmFullMs).push(full);
    (b.cycles >= WARMUP ? b.computeMs : b.warmComputeMs).push(rec.computeMs);
    b.cycles += 1;
  }
}

async function main(): Promise<void> {
  printHeader(
    'Control cycle time (FakeClock, simulated devices)',
    `${CYCLES - WARMUP} measured cycles per site after ${WARMUP} warm-up cycles (JIT tier-up), the two sites in alternating blocks of ${BLOCK}. ` +
      `compute = arbitration + computeCycle (CycleRecord.computeMs); full cycle = controller.trigger(): parallel device reads + compute + writes.`,
  );
  const demo = makeBench('demo site (baseline)', demoSiteConfig(), 1);
  const big = makeBench('50-device site', mixedSite(FIFTY_DEVICES), 2);
  for (const b of [demo, big]) {
    // Half of the chargers start with a car that wants energy.
    [...b.sim.evChargers.values()].forEach((c, i) => {
      if (i % 2 === 0) c.plugIn({ energyNeededWh: 30_000 });
    });
  }
  for (let done = 0; done < CYCLES; done += BLOCK) {
    for (const b of [demo, big]) await runBlock(b, Math.min(BLOCK, CYCLES - done));
  }

  const rows: Array<{ name: string; b: Bench; compute: Summary; full: Summary }> = [
    ...[demo, big].map((b) => ({ name: b.name, b, compute: summarize(b.computeMs), full: summarize(b.fullMs) })),
    ...[demo, big].map((b) => ({ name: `${b.name}: first ${WARMUP} cycles (warm-up)`, b, compute: summarize(b.warmComputeMs), full: summarize(b.warmFullMs) })),
  ];
  const base = rows[0];
  printTable(
    ['site', 'devices', 'cycles', 'compute median ms', 'p90', 'p99', 'max', 'full cycle median ms', 'p90', 'p99', 'max', 'compute p50 vs demo', 'full p50 vs demo', 'compute p99 < 2 ms'],
    rows.map(({ name, b, compute, full }) => [
      name,
      String(b.devices),
      String(compute.n),
      fmt(compute.p50, 3),
      fmt(compute.p90, 3),
      fmt(compute.p99, 3),
      fmt(compute.max, 2),
      fmt(full.p50, 3),
      fmt(full.p90, 3),
      fmt(full.p99, 3),
      fmt(full.max, 2),
      ratio(compute.p50 / (base?.compute.p50 ?? Number.NaN)),
      ratio(full.p50 / (base?.full.p50 ?? Number.NaN)),
      compute.p99 < 2 ? 'yes' : 'NO',
    ]),
  );
  const last = big.controller.lastCycle();
  console.log(`\nLast 50-device cycle: predicted grid ${Math.round(last?.plan.predictedGridW ?? 0)} W, ${last?.plan.constraints.length ?? 0} constraint notes.`);
}

await main();
