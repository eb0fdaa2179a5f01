// Benchmark: the controller's idle footprint — CPU and memory of the app with a 10-device
// simulated site at the default 1 s cycle (2 solar, 3 storage, 2 heat pumps, 2 relays, 1 EV
// charger; embedded broker, no client connected), in its own process.
// Baseline: the same child script that only starts node + tsx and idles (the runtime floor).
// Both children run side by side: 5 s warm-up, then 30 one-second samples each.
//
// CPU per 1 s sample: process.cpuUsage() the child reports over IPC (µs, all its threads).
// Cross-check: /proc/<pid>/stat utime+stime over the window, for the node process and for its
// whole tree (node + the esbuild service tsx keeps running, as `bin/gridpilot.js` does too).
// RSS: /proc/<pid>/status VmRSS per sample (the target is the controller process; the tree also
// holds the cost planner's child process while it plans). Child stderr lines are counted (warnings at 1 Hz cost CPU).
//
// Run: npx tsx bench/idle-resources.ts   (BENCH_IDLE_S, default 30)
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, printHeader, printTable, ratio, summarize, type Summary } from './lib/report.ts';
import { deviceCount, mixedSite, TEN_DEVICES } from './lib/sites.ts';

const WARMUP_S = 5;
const SAMPLE_S = Number(process.env['BENCH_IDLE_S'] ?? 30);
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'lib', 'idle-child.ts');
const CLK_TCK = 100; // Linux USER_HZ

interface Sample {
  userUs: number;
  systemUs: number;
  rssBytes: number;
}

interface Child {
  name: string;
  proc: ChildProcess;
  stderrLines: number;
  /** The first few stderr lines in the measured window, to name what was written. */
  stderrSample: string[];
  ready: Promise<{ devices: number }>;
  sample(): Promise<Sample>;
}

function startChild(name: string, args: string[]): Child {
  const proc = fork(CHILD, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const child: Child = {
    name,
    proc,
    stderrLines: 0,
    stderrSample: [],
    ready: new Promise((resolve, reject) => {
      const onMessage = (m: unknown): void => {
        if (typeof m === 'object' && m !== null && 'ready' in m) {
          proc.off('message', onMessage);
          resolve(m as unknown as { devices: number });
        }
      };
      proc.on('message', onMessage);
      proc.once('exit', (code) => reject(new Error(`${name} child exited (${code ?? 'signal'}) before it was ready`)));
    }),
    sample: () =>
      new Promise((resolve) => {
        const onMessage = (m: unknown): void => {
          if (typeof m === 'object' && m !== null && 'userUs' in m) {
            proc.off('message', onMessage);
            resolve(m as Sample);
          }
        };
        proc.on('message', onMessage);
        proc.send('sample');
      }),
  };
  proc.stderr?.on('data', (chunk: Buffer) => {
    const lines = chunk.toString().split('\n').filter((l) => l.trim() !== '');
    child.stderrLines += lines.length;
    for (const l of lines) if (child.stderrSample.length < 3) child.stderrSample.push(l);
  });
  return child;
}

/** utime + stime of one process, in clock ticks (all its threads). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of proc(5), counted from state = 3
}

/** The pids of `pid` and all its descendants (by scanning every /proc/<pid>/stat for its parent). */
function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended meanwhile
    }
  }
  const out: number[] = [];
  const visit = (p: number): void => {
    out.push(p);
    for (const k of parents.get(p) ?? []) visit(k);
  };
  visit(pid);
  return out;
}

/** VmRSS in MiB; 0 when the process is gone (or a kernel thread). */
function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU ticks of several processes; one that ended meanwhile counts with `fallback`'s value. */
function ticksOf(pids: readonly number[], fallback?: ReadonlyMap<number, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of pids) {
    try {
      out.set(p, cpuTicks(p));
    } catch {
      out.set(p, fallback?.get(p) ?? 0);
    }
  }
  return out;
}

const total = (m: ReadonlyMap<number, number>): number => [...m.values()].reduce((s, v) => s + v, 0);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Result {
  child: Child;
  devices: number;
  cpuPct: Summary; // per 1 s sample, % of one core
  meanCpuPct: number; // over the window, from process.cpuUsage
  procCpuPct: number; // over the window, /proc node process
  treeCpuPct: number; // over the window, /proc node + descendants
  rss: Summary; // MiB, node process
  treeRss: Summary; // MiB, node + descendants
  stderrLines: number;
  processes: number;
}

async function main(): Promise<void> {
  printHeader(
    'Idle footprint (10-device site, 1 s cycle)',
    `Child processes side by side: the app (startApp, embedded broker, ${deviceCount(TEN_DEVICES)} simulated devices, real clock, 1 s cycle) and the runtime floor (node + tsx, idle). ` +
      `${WARMUP_S} s warm-up, then ${SAMPLE_S} samples of 1 s. CPU in % of one core.`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'gridpilot-bench-idle-'));
  const configPath = join(dir, 'site.json');
  writeFileSync(configPath, JSON.stringify({ ...mixedSite(TEN_DEVICES), mqtt: { embedded: { port: 0, wsPort: null } } }, null, 2));
  const children = [startChild('runtime floor: node + tsx, idle', ['floor']), startChild(`app, ${deviceCount(TEN_DEVICES)}-device site`, ['app', configPath])];
  try {
    const ready = await Promise.all(children.map((c) => c.ready));
    await sleep(WARMUP_S * 1000);
    for (const c of children) {
      c.stderrLines = 0;
      c.stderrSample = [];
    }

    const pids = children.map((c) => c.proc.pid as number);
    const trees = pids.map(processTree);
    const first = await Promise.all(children.map((c) => c.sample()));
    const t0 = performance.now();
    const ticks0 = pids.map(cpuTicks);
    const treeTicks0 = trees.map((t) => ticksOf(t));
    const last = [...first];
    const cpuPct: number[][] = children.map(() => []);
    const rss: number[][] = children.map(() => []);
    const treeRss: number[][] = children.map(() => []);
    let lastAt = t0;
    for (let i = 0; i < SAMPLE_S; i += 1) {
      await sleep(t0 + (i + 1) * 1000 - performance.now());
      const now = performance.now();
      const samples = await Promise.all(children.map((c) => c.sample()));
      samples.forEach((s, k) => {
        const prev = last[k] as Sample;
        cpuPct[k]?.push(((s.userUs + s.systemUs - prev.userUs - prev.systemUs) / 1000 / (now - lastAt)) * 100);
        rss[k]?.push(rssMiB(pids[k] as number));
        treeRss[k]?.push(processTree(pids[k] as number).reduce((sum, p) => sum + rssMiB(p), 0));
        last[k] = s;
      });
      lastAt = now;
    }
    const elapsedS = (performance.now() - t0) / 1000;
    const ticks1 = pids.map(cpuTicks);
    const treeTicks1 = trees.map((t, k) => ticksOf(t, treeTicks0[k]));

    const results: Result[] = children.map((child, k) => {
      const f = first[k] as Sample;
      const l = last[k] as Sample;
      return {
        child,
        devices: ready[k]?.devices ?? 0,
        cpuPct: summarize(cpuPct[k] ?? []),
        meanCpuPct: ((l.userUs + l.systemUs - f.userUs - f.systemUs) / 1e6 / elapsedS) * 100,
        procCpuPct: (((ticks1[k] ?? 0) - (ticks0[k] ?? 0)) / CLK_TCK / elapsedS) * 100,
        treeCpuPct: ((total(treeTicks1[k] ?? new Map()) - total(treeTicks0[k] ?? new Map())) / CLK_TCK / elapsedS) * 100,
        rss: summarize(rss[k] ?? []),
        treeRss: summarize(treeRss[k] ?? []),
        stderrLines: child.stderrLines,
        processes: trees[k]?.length ?? 0,
      };
    });
    const floor = results[0] as Result;
    printTable(
      ['process', 'processes', 'CPU mean %', 'CPU median % (1 s)', 'p90', 'p99', 'CPU /proc % (node / tree)', 'RSS median MiB', 'p90', 'p99', 'RSS tree median / max MiB', 'CPU vs floor', 'RSS vs floor', 'stderr lines'],
      results.map((r) => [
        r.child.name,
        String(r.processes),
        fmt(r.meanCpuPct, 3),
        fmt(r.cpuPct.p50, 3),
        fmt(r.cpuPct.p90, 3),
        fmt(r.cpuPct.p99, 3),
        `${fmt(r.procCpuPct, 2)} / ${fmt(r.treeCpuPct, 2)}`,
        fmt(r.rss.p50, 1),
        fmt(r.rss.p90, 1),
        fmt(r.rss.p99, 1),
        `${fmt(r.treeRss.p50, 1)} / ${fmt(r.treeRss.max, 1)}`,
        ratio(r.meanCpuPct / floor.meanCpuPct),
        ratio(r.rss.p50 / floor.rss.p50),
        String(r.stderrLines),
      ]),
    );
    const app = results[1] as Result;
    console.log(
      `\nTargets: CPU < 1 % of a core: ${app.meanCpuPct < 1 ? 'yes' : 'NO'} (${fmt(app.meanCpuPct, 3)} %; above the floor ${fmt(app.meanCpuPct - floor.meanCpuPct, 3)} %). ` +
        `RSS < 150 MB: ${app.rss.max * 1.048576 < 150 ? 'yes' : 'NO'} (controller process: median ${fmt(app.rss.p50 * 1.048576, 1)} MB, max ${fmt(app.rss.max * 1.048576, 1)} MB). ` +
        `Whole tree max ${fmt(app.treeRss.max * 1.048576, 1)} MB: it adds any esbuild service tsx runs and, for a few seconds after start and every 15 min, the cost planner's child process (HiGHS), which exits 5 s after each plan.`,
    );
    console.log(
      app.stderrLines === 0
        ? `The app wrote nothing to stderr in ${SAMPLE_S} s.`
        : `The app wrote ${app.stderrLines} stderr lines in ${SAMPLE_S} s, e.g.:\n${app.child.stderrSample.map((l) => `    ${l}`).join('\n')}`,
    );
  } finally {
    for (const c of children) {
      if (c.proc.exitCode === null) {
        const exited = new Promise((r) => c.proc.once('exit', r));
        c.proc.send('stop');
        const killer = setTimeout(() => c.proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
