import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { startApp } from '../../src/app.ts';
import { FakeClock } from '../../src/core/clock.ts';
import type { SimFault } from '../../src/devices/simulated/sim-world.ts';
import { mulberry32 } from '../../src/environment/prng.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import { keepSocketsUndelayed } from '../../src/protocol/transport.ts';
import { mqttConnectOptions } from '../../src/remote/mqtt-options.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { hardExportLimitW, hardImportLimitW } from '../../src/site/site-config.ts';
import { collector, memoryAfterGc } from './gc.ts';
import { startMosquitto } from './mosquitto.ts';

/**
 * The soak [issue 14, acceptance: soak], shared by test/e2e/soak.test.ts (2 simulated hours) and
 * bench/soak.ts (24): the real app (store in a data directory, remote link on a real mosquitto) on
 * the demo site with tight grid limits, its fake clock stepped one 1 s cycle at a time — the highest
 * clock speed there is: a cycle as soon as the previous one is done. Every 2 simulated s a live
 * command over MQTT (storage, solar, EV, heat pump, site limit, fallbacks); every 10 simulated min
 * a device fault (reads or writes or both fail for 1–5 min; SimWorld.setFault) and a step of the
 * household load or the sky. Measured: RSS and heap after a GC every 10 simulated min, every cycle's
 * grid reading against the hard limits, and the command log against every command sent.
 */

export interface SoakOptions {
  simulatedHours: number;
  /** Samples before this are warm-up (not compared). */
  warmupHours: number;
  /** Seed of the command / fault sequence. */
  seed?: number;
  /** A temp directory for the data directory and the config. */
  dir: string;
  /** Called at every memory sample (progress of long runs). */
  onSample?: (s: MemorySample) => void;
}

export interface MemorySample {
  simulatedH: number;
  rssMB: number;
  heapUsedMB: number;
}

export interface SoakResult {
  cycles: number;
  commandsSent: number;
  commandsAnswered: number;
  commandsByCode: Map<number, number>;
  /** Command-log rows of kind `command`, and the sent `time`s without one. */
  loggedCommands: number;
  missingFromLog: number[];
  faultsInjected: number;
  /** Cycles whose grid reading was outside a hard limit, and the longest run of consecutive ones. */
  /** Cycles in which a grid limit held an asset back (the limits were in play, not idle). */
  limitedCycles: number;
  violatingCycles: number;
  longestViolationRun: number;
  /** The longest run of over-limit readings the previous cycle did not call beyond control. */
  longestControllableViolationRun: number;
  /** Over-limit readings after a cycle that said "exceeded … no driven asset left to shed/reduce". */
  beyondControlCycles: number;
  /** The first few controllable runs of two or more cycles, with their context. */
  violationExamples: string[];
  worstViolationW: number;
  samples: MemorySample[];
  /** RSS and heap at the end vs the end of the warm-up, as a fraction (0.05 = +5 %). */
  rssGrowth: number;
  heapGrowth: number;
  wallS: number;
  /** Wall time spent in the stepped cycles and waiting for the commands' answers, ms. */
  cycleWallMs: number;
  commandWallMs: number;
}

function memory(simulatedH: number, gc: () => void): MemorySample {
  return { simulatedH, ...memoryAfterGc(gc) };
}

/** An integrator that keeps nothing: resolves the waiter for a `requestTime`, drops every other message. */
async function leanIntegrator(url: string, feedbackTopic: string): Promise<{ client: MqttClient; answer(requestTime: number): Promise<Feedback> }> {
  const client = connect(url, { ...mqttConnectOptions({ url, protocolVersion: 4, clientId: `soak-${process.pid}` }), reconnectPeriod: 0 });
  keepSocketsUndelayed(client);
  const waiters = new Map<number, (f: Feedback) => void>();
  client.on('message', (topic, payload) => {
    if (topic !== feedbackTopic) return;
    const f = JSON.parse(payload.toString()) as Feedback;
    if (typeof f.requestTime !== 'number') return;
    waiters.get(f.requestTime)?.(f);
    waiters.delete(f.requestTime);
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(feedbackTopic, { qos: 1 });
  return {
    client,
    answer: (requestTime) =>
      new Promise<Feedback>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to the command of time ${requestTime} within 10 s`)), 10_000);
        waiters.set(requestTime, (f) => {
          clearTimeout(timer);
          resolve(f);
        });
      }),
  };
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const wall0 = performance.now();
  const gc = collector();
  const random = mulberry32(opts.seed ?? 14);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  // Tight limits, so commands and steps meet them: 9 kW import, 4 kW export (the demo site has 25/20).
  const cfg = demoSiteConfig() as Record<string, unknown> & { grid: Record<string, unknown> };
  cfg.grid = { ...cfg.grid, importLimitW: 9000, exportLimitW: 4000 };
  const configPath = join(opts.dir, 'site.json');
  writeFileSync(configPath, JSON.stringify(cfg));
  const broker = await startMosquitto({ wsPort: null, extraConfig: 'set_tcp_nodelay true' });
  const clock = new FakeClock(Date.UTC(2024, 5, 21, 4, 0, 0));
  const app = await startApp({ configPath, clock, brokerUrl: broker.url, dataDir: join(opts.dir, 'data'), httpPort: null, logLevel: 'silent' });
  const sim = app.sim;
  if (!sim) throw new Error('the soak needs the simulated site');
  const integrator = await leanIntegrator(broker.url, app.info.topics.feedback);
  const importLimitW = hardImportLimitW(app.site);
  const exportLimitW = hardExportLimitW(app.site);
  let cycles = 0;
  let run = 0;
  let longestRun = 0;
  let violating = 0;
  let worstW = 0;
  let limitedCycles = 0;
  // A reading over a limit in cycle k+1 after cycle k said "exceeded … no driven asset left" is
  // beyond control (uncontrolled load, a faulted device holding its setpoint): counted apart.
  let wasBeyondControl = false;
  let controllableRun = 0;
  let longestControllableRun = 0;
  let beyondControl = 0;
  const examples: string[] = [];
  let previousConstraints: string[] = [];
  const stopWatching = app.controller.onCycle((r) => {
    cycles++;
    if (r.plan.constraints.some((c) => /^(import|export) limit/.test(c.message))) limitedCycles++;
    const g = r.snapshot.gridPowerW;
    const overW = Math.max(g - importLimitW, -exportLimitW - g);
    if (overW > 0) {
      violating++;
      run++;
      worstW = Math.max(worstW, overW);
      longestRun = Math.max(longestRun, run);
      if (wasBeyondControl) {
        beyondControl++;
        controllableRun = 0;
      } else {
        controllableRun++;
        longestControllableRun = Math.max(longestControllableRun, controllableRun);
        if (controllableRun === 2 && examples.length < 5) {
          examples.push(`${new Date(r.atMs).toISOString()} grid ${Math.round(g)} W, fault ${faulted ?? 'none'}${faulted ? ` (${sim.world.faultOf(faulted) ?? ''})` : ''}, previous cycle: ${previousConstraints.join(' | ') || 'no constraint'}`);
        }
      }
    } else {
      run = 0;
      controllableRun = 0;
    }
    wasBeyondControl = r.plan.constraints.some((c) => /exceeded by .*no driven asset left/.test(c.message));
    previousConstraints = r.plan.constraints.map((c) => c.message);
  });
  const deviceIds = app.site.devices.map((d) => d.nodeId);
  const storageIds = app.site.devices.filter((d) => d.group === 'storage').map((d) => d.nodeId);
  const sent: number[] = [];
  const byCode = new Map<number, number>();
  const samples: MemorySample[] = [];
  let faults = 0;
  let healAtS = -1;
  let faulted: string | null = null;
  const commandFields = (): Record<string, unknown> => {
    switch (Math.floor(random() * 8)) {
      case 0:
        return { storage_policy: 'setpoint', storage_power_setpoint_w: Math.round((random() * 2 - 1) * 8000) };
      case 1:
        return { solar_policy: 'setpoint', solar_power_setpoint_w: Math.round(random() * 9000), storage_policy: 'self_consumption' };
      case 2:
        return { variable_power_load_policy: 'setpoint', variable_power_load_power_setpoint_w: Math.round(random() * 11_000), storage_policy: 'setpoint', storage_power_setpoint_w: 7000 };
      case 3:
        return { heat_pump_policy: pick(['power_on', 'power_off']), switched_load_policy: pick(['power_on', 'power_off']) };
      case 4:
        return { site_policy: 'limit', site_power_setpoint_w: Math.round(random() * 4000), solar_policy: 'feed_in_limitation' };
      case 5: {
        const id = pick(storageIds);
        return { [`${id}_policy`]: 'setpoint', [`${id}_power_setpoint_w`]: Math.round((random() * 2 - 1) * 5000) };
      }
      case 6:
        return { storage_policy: 'fallback', solar_policy: 'fallback' };
      default:
        return {};
    }
  };
  const totalS = Math.round(opts.simulatedHours * 3600);
  let cycleWallMs = 0;
  let cmdWallMs = 0;
  try {
    samples.push(memory(0, gc));
    for (let s = 1; s <= totalS; s++) {
      clock.advance(1000);
      const c0 = performance.now();
      await app.controller.trigger();
      cycleWallMs += performance.now() - c0;
      if (s % 600 === 0) {
        // A fault on one device for 1–5 min, and a step of the load or the sky.
        faulted = pick(deviceIds);
        sim.world.setFault(faulted, pick<SimFault>(['read', 'write', 'both']));
        healAtS = s + 60 + Math.floor(random() * 240);
        faults++;
        if (random() < 0.5) sim.world.setExtraLoadW(Math.round(random() * 6000));
        else sim.world.setPvFactor(pick([0.2, 0.6, 1]));
      }
      if (s === healAtS && faulted !== null) {
        sim.world.setFault(faulted, null);
        faulted = null;
      }
      if (s % 2 === 0) {
        const timeS = Math.floor(clock.now() / 1000);
        const answered = integrator.answer(timeS);
        await integrator.client.publishAsync(app.info.topics.command, JSON.stringify({ extraTags: { nodeId: app.info.siteNodeId }, time: timeS, fields: commandFields() }), { qos: 1 });
        sent.push(timeS);
        const q0 = performance.now();
        const f = await answered;
        cmdWallMs += performance.now() - q0;
        byCode.set(f.data.response_code, (byCode.get(f.data.response_code) ?? 0) + 1);
      }
      if (s % 600 === 0) {
        const m = memory(s / 3600, gc);
        samples.push(m);
        opts.onSample?.(m);
      }
    }
    await app.store?.flush();
    // The command log, newest first, 10,000 rows at a time (a query's most), paging on receivedAtMs.
    const logged = new Set<number>();
    for (let toMs: number | undefined; ; ) {
      const rows = (await app.store?.queryCommands({ kind: 'command', limit: 10_000, ...(toMs === undefined ? {} : { toMs }) })) ?? [];
      for (const r of rows) if (typeof r.requestTime === 'number') logged.add(r.requestTime);
      if (rows.length < 10_000) break;
      // Rows of the boundary millisecond come again on the next page; the set keeps each once.
      toMs = Math.min(...rows.map((r) => r.receivedAtMs)) + 1;
    }
    const warm = samples.filter((m) => m.simulatedH >= opts.warmupHours)[0] ?? samples[0];
    const last = samples[samples.length - 1];
    if (!warm || !last) throw new Error('no memory samples');
    return {
      cycles,
      commandsSent: sent.length,
      commandsAnswered: [...byCode.values()].reduce((a, b) => a + b, 0),
      commandsByCode: byCode,
      loggedCommands: logged.size,
      missingFromLog: sent.filter((t) => !logged.has(t)),
      faultsInjected: faults,
      limitedCycles,
      violatingCycles: violating,
      longestViolationRun: longestRun,
      longestControllableViolationRun: longestControllableRun,
      beyondControlCycles: beyondControl,
      violationExamples: examples,
      worstViolationW: worstW,
      samples,
      rssGrowth: last.rssMB / warm.rssMB - 1,
      heapGrowth: last.heapUsedMB / warm.heapUsedMB - 1,
      wallS: (performance.now() - wall0) / 1000,
      cycleWallMs,
      commandWallMs: cmdWallMs,
    };
  } finally {
    stopWatching();
    await integrator.client.endAsync(true);
    await app.stop();
    await broker.stop();
  }
}
