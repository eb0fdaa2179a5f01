// Benchmark (slow, ~3–10 min): the 24-hour soak [issue 14, acceptance: soak]. The same run as
// test/e2e/soak.test.ts (test/helpers/soak.ts) for 24 simulated hours instead of 2: the real app
// with its store on a real mosquitto, the demo site with tight grid limits (9 kW import, 4 kW
// export), its fake clock stepped one 1 s cycle at a time (as fast as the cycles run), a live
// command over MQTT every 2 simulated s, a device fault (reads / writes / both fail for 1–5 min)
// and a load or sky step every 10 simulated min.
// Baseline: the memory sample at the end of the warm-up (2 simulated hours); every later sample is
// given as a ratio to it. RSS and heap are read after two forced GCs.
// Run: npx tsx bench/soak.ts   (BENCH_SOAK_HOURS, default 24; BENCH_SOAK_WARMUP_HOURS, default 2)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSoak } from '../test/helpers/soak.ts';
import { fmt, printHeader, printTable, ratio } from './lib/report.ts';

const HOURS = Number(process.env['BENCH_SOAK_HOURS'] ?? 24);
const WARMUP_H = Number(process.env['BENCH_SOAK_WARMUP_HOURS'] ?? 2);

printHeader(`Soak: ${HOURS} simulated hours`, `Commands every 2 simulated s over MQTT (mosquitto, TCP_NODELAY), a device fault and a load/sky step every 10 simulated min, store on; warm-up ${WARMUP_H} h.`);
const dir = mkdtempSync(join(tmpdir(), 'gp-bench-soak-'));
try {
  const r = await runSoak({ simulatedHours: HOURS, warmupHours: WARMUP_H, dir, onSample: (s) => process.stderr.write(`soak: ${s.simulatedH.toFixed(2)} h, RSS ${s.rssMB.toFixed(0)} MB\n`) });
  const warm = r.samples.find((m) => m.simulatedH >= WARMUP_H) ?? r.samples[0];
  const everyTwoHours = r.samples.filter((m) => Math.abs(m.simulatedH * 30 - Math.round(m.simulatedH * 30)) < 1e-6 && Math.round(m.simulatedH * 30) % 60 === 0);
  printTable(
    ['simulated h', 'RSS MB', 'RSS vs warm-up', 'heap used MB', 'heap vs warm-up'],
    everyTwoHours.map((m) => [fmt(m.simulatedH, 0), fmt(m.rssMB, 1), warm ? ratio(m.rssMB / warm.rssMB) : '–', fmt(m.heapUsedMB, 1), warm ? ratio(m.heapUsedMB / warm.heapUsedMB) : '–']),
  );
  console.log('');
  printTable(
    ['measure', 'value'],
    [
      ['cycles', String(r.cycles)],
      ['commands sent / answered / in the command log', `${r.commandsSent} / ${r.commandsAnswered} / ${r.loggedCommands}`],
      ['commands by response_code', [...r.commandsByCode].map(([c, n]) => `${c}: ${n}`).join(', ')],
      ['device faults injected', String(r.faultsInjected)],
      ['cycles a grid limit held an asset back', String(r.limitedCycles)],
      ['cycles whose grid reading was over a limit / longest run / worst', `${r.violatingCycles} / ${r.longestViolationRun} / ${fmt(r.worstViolationW, 0)} W`],
      ['… of them after a cycle that said "no driven asset left" (beyond control)', String(r.beyondControlCycles)],
      ['longest run of over-limit readings within control', String(r.longestControllableViolationRun)],
      ['RSS growth after warm-up (end vs warm-up)', `${(r.rssGrowth * 100).toFixed(1)} %`],
      ['heap growth after warm-up (end vs warm-up)', `${(r.heapGrowth * 100).toFixed(1)} %`],
      ['wall time: stepped cycles / waiting for answers / total', `${fmt(r.cycleWallMs / 1000, 0)} s / ${fmt(r.commandWallMs / 1000, 0)} s / ${fmt(r.wallS, 0)} s`],
    ],
  );
  if (r.violationExamples.length) console.log(`\nControllable runs of 2+ cycles (first ${r.violationExamples.length}):\n${r.violationExamples.map((e) => `- ${e}`).join('\n')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
