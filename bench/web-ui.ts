// Benchmark: the web UI's cost — the Overview's page load, and what open live streams do to the
// control cycle.
//
// 1. Overview page load on loopback: the real app (demo site, store in a temporary data directory)
//    and Debian chromium through playwright-core, cache disabled, from navigation start until the
//    power-flow picture and today's energy are drawn. Bytes = every HTTP response's encoded size
//    (CDP Network.loadingFinished), the live WebSocket's first state not included. Baseline in the
//    same browser: a bare static file from the same server (the navigation floor).
// 2. Control cycle with 0 vs 10 open `/api/live` streams: a Controller on the demo site (FakeClock,
//    advanced 1 s per cycle) with the web server observing it, cycles paced 2 ms apart (the thread
//    sleeps between cycles as it does at the production 1 s cycle) and pushes throttled to 1 ms so
//    every cycle is pushed (production: 500 ms throttle, 1 s cycle, so also one push per cycle).
//    The 10 clients run in a child process (browsers are not in the controller's process). Baseline:
//    the same controller without a web server. Set-ups in alternating blocks in one process.
//    "cycle" = controller.trigger() (it includes the web's onCycle listener); "late" = how long the
//    paced timer fired after it was due (a push that blocked the thread shows here).
// Target: p99 of the cycle with 10 streams within 10 % of 0 streams.
//
// Run: npx tsx bench/web-ui.ts   (BENCH_LOADS: page loads, default 20; BENCH_CYCLES: cycles per set-up, default 12000)
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApp } from '../src/app.ts';
import { siteInfoFor } from '../test/helpers/site-info.ts';
import { FakeClock } from '../src/core/clock.ts';
import { Controller } from '../src/control/controller.ts';
import { createSimulatedSite, type SimulatedSite } from '../src/devices/simulated/simulated-site.ts';
import { demoSiteConfig } from '../src/site/demo-site.ts';
import { resolveSiteConfig, type SiteConfig } from '../src/site/site-config.ts';
import { startWebServer, type WebServer } from '../src/web/server.ts';
import { launchChromium } from '../test/helpers/chromium.ts';
import { fmt, printHeader, printTable, ratio, summarize } from './lib/report.ts';

const LOADS = Number(process.env['BENCH_LOADS'] ?? 20);
const CYCLES = Number(process.env['BENCH_CYCLES'] ?? 12000);
const WARMUP = 1500;
const BLOCK = 250;
const PACE_MS = 2;
const STREAMS = 10;
const START_MS = Date.UTC(2024, 5, 3, 9, 0, 0);

async function pageLoad(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gp-bench-web-'));
  const app = await startApp({ brokerPort: 0, wsPort: null, httpPort: 0, dataDir, logLevel: 'silent' });
  const browser = await launchChromium();
  try {
    const url = app.info.httpUrl ?? '';
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    let bytes = 0;
    let requests = 0;
    cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => {
      bytes += e.encodedDataLength;
      requests += 1;
    });
    const measure = async (target: string, ready: () => Promise<unknown>): Promise<{ ms: number[]; bytes: number[]; requests: number[] }> => {
      const out = { ms: [] as number[], bytes: [] as number[], requests: [] as number[] };
      for (let i = 0; i < LOADS + 2; i++) {
        await page.goto('about:blank');
        bytes = 0;
        requests = 0;
        const t0 = performance.now();
        await page.goto(target);
        await ready();
        const ms = performance.now() - t0;
        if (i < 2) continue; // warm-up: the server's and the browser's first loads
        out.ms.push(ms);
        out.bytes.push(bytes);
        out.requests.push(requests);
      }
      return out;
    };
    const floor = await measure(`${url}/vendor/uplot/LICENSE`, () => page.waitForSelector('body'));
    const overview = await measure(`${url}/#status`, async () => {
      await page.waitForSelector('[data-test=flow-svg] [data-test=flow-grid]');
      await page.waitForSelector('[data-test=energy-imported]');
    });
    const rows = [
      { name: 'static file (navigation floor, baseline)', r: floor },
      { name: 'Overview: power flow + today’s energy drawn', r: overview },
    ];
    const base = summarize(floor.ms).p50;
    printTable(
      ['page', 'loads', 'median ms', 'p90 ms', 'max ms', 'requests', 'bytes transferred (median)', 'p50 vs floor'],
      rows.map(({ name, r }) => {
        const s = summarize(r.ms);
        return [name, String(s.n), fmt(s.p50), fmt(s.p90), fmt(s.max), fmt(summarize(r.requests).p50, 0), `${fmt(summarize(r.bytes).p50 / 1024, 1)} KiB`, ratio(s.p50 / base)];
      }),
    );
  } finally {
    await browser.close();
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Setup {
  name: string;
  site: SiteConfig;
  clock: FakeClock;
  sim: SimulatedSite;
  controller: Controller;
  web: WebServer | null;
  clients: ChildProcess | null;
  cycleMs: number[];
  lateMs: number[];
  done: number;
}


async function makeSetup(name: string, web: 'none' | 'server' | 'streams'): Promise<Setup> {
  const clock = new FakeClock(START_MS);
  const site = resolveSiteConfig(demoSiteConfig());
  const sim = createSimulatedSite(site, clock, { carPattern: null });
  const controller = new Controller(site, sim, clock);
  const server = web === 'none' ? null : await startWebServer({ controller, site, info: siteInfoFor(site), sim, clock, port: 0, liveIntervalMs: 1 });
  let clients: ChildProcess | null = null;
  if (web === 'streams' && server) {
    const script = fileURLToPath(new URL('./lib/live-clients.ts', import.meta.url));
    clients = spawn(process.execPath, ['--import', 'tsx', script, server.url, String(STREAMS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(clients.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    if (!line.toString().includes('ready')) throw new Error(`live clients: ${line.toString()}`);
  }
  return { name, site, clock, sim, controller, web: server, clients, cycleMs: [], lateMs: [], done: 0 };
}

async function runBlock(s: Setup, cycles: number): Promise<void> {
  for (let i = 0; i < cycles; i++) {
    const due = performance.now() + PACE_MS;
    await new Promise((r) => setTimeout(r, PACE_MS));
    const late = performance.now() - due;
    s.clock.advance(s.site.control.cycleMs);
    const t0 = performance.now();
    await s.controller.trigger();
    const ms = performance.now() - t0;
    if (s.done >= WARMUP) {
      s.cycleMs.push(ms);
      s.lateMs.push(Math.max(0, late));
    }
    s.done += 1;
  }
}

async function stopClients(s: Setup): Promise<string> {
  const c = s.clients;
  if (!c || c.pid === undefined) return '–';
  const out = new Promise<string>((resolve) => {
    let text = '';
    c.stdout?.on('data', (d: Buffer) => (text += d.toString()));
    c.once('exit', () => resolve(text.trim()));
  });
  process.kill(c.pid, 'SIGTERM');
  return out;
}

async function cycleWithStreams(): Promise<void> {
  const setups = [await makeSetup('no web server (baseline)', 'none'), await makeSetup('web server, 0 live streams', 'server'), await makeSetup(`web server, ${STREAMS} live streams`, 'streams')];
  const total = WARMUP + CYCLES;
  for (let done = 0; done < total; done += BLOCK) for (const s of setups) await runBlock(s, Math.min(BLOCK, total - done));
  const received = await stopClients(setups[2] as Setup);
  for (const s of setups) await s.web?.close();
  const base = summarize(setups[0]?.cycleMs ?? []);
  const zero = summarize(setups[1]?.cycleMs ?? []);
  printTable(
    ['set-up', 'cycles', 'cycle median ms', 'p90', 'p99', 'max', 'timer late p99 ms', 'p99 vs no web', 'p99 vs 0 streams', 'within 10 %'],
    setups.map((s) => {
      const c = summarize(s.cycleMs);
      const l = summarize(s.lateMs);
      const vsZero = c.p99 / zero.p99;
      return [s.name, String(c.n), fmt(c.p50, 3), fmt(c.p90, 3), fmt(c.p99, 3), fmt(c.max, 2), fmt(l.p99, 2), ratio(c.p99 / base.p99), ratio(vsZero), s.clients ? (vsZero < 1.1 ? 'yes' : 'NO') : '–'];
    }),
  );
  const [, n, b] = received.split(' ');
  console.log(`\nThe ${STREAMS} clients received ${n ?? '?'} pushes (${fmt(Number(b) / Math.max(1, Number(n)) / 1024, 1)} KiB each) over ${CYCLES + WARMUP} cycles.`);
}

async function main(): Promise<void> {
  printHeader('Web UI: Overview page load and live streams vs the control cycle', `Page load: ${LOADS} loads after 2 warm-up loads. Cycle: ${CYCLES} measured cycles per set-up after ${WARMUP} warm-up, paced ${PACE_MS} ms apart, blocks of ${BLOCK}.`);
  console.log('### Overview page load (loopback, chromium, cache disabled)\n');
  await pageLoad();
  console.log(`\n### Control cycle with ${STREAMS} open /api/live streams\n`);
  await cycleWithStreams();
}

await main();
