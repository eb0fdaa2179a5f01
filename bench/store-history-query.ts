// Benchmark: history queries on a full store.
//
// A store filled with 90 days of 1-minute telemetry rows (129,600, each rolled up into its
// 15-minute row: 8,640) and 90 days of command log (one entry every 20 s: 388,800). Then the
// queries a UI makes, each repeated, in two ways:
//   direct  — HistoryReader (read-only better-sqlite3 connection, what the CLI uses)
//   worker  — Store.queryTelemetry / queryCommands inside the controller: the reader worker, plus
//             the structured clone of the result back to the control thread
// Target: the 90-day history for the UI (resolution auto → 15 min) < 100 ms.
//
// Run: npx tsx bench/store-history-query.ts   (BENCH_REPEAT: runs per query, default 25)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../src/core/clock.ts';
import type { CommandLogEntry } from '../src/store/command-log.ts';
import { dbFileOf, openDatabase, prepareDataDir } from '../src/store/open-database.ts';
import { HistoryReader, type TelemetryQuery } from '../src/store/queries.ts';
import { runWriteBatch, type WriteOp } from '../src/store/store-ops.ts';
import { Store } from '../src/store/store.ts';
import { MINUTE_MS, type TelemetryRow } from '../src/store/telemetry.ts';
import { fmt, printHeader, printTable, seededRandom, summarize } from './lib/report.ts';

const REPEAT = Number(process.env['BENCH_REPEAT'] ?? 25);
const DAYS = 90;
const DAY_MS = 86_400_000;
const END_MS = Date.UTC(2026, 0, 1);
const START_MS = END_MS - DAYS * DAY_MS;

function fill(dataDir: string): { rows: number; commands: number; seconds: number; bytes: number } {
  const t0 = performance.now();
  prepareDataDir(dataDir);
  const db = openDatabase(dbFileOf(dataDir));
  const r = seededRandom(7);
  let rows = 0;
  let commands = 0;
  let batch: WriteOp[] = [];
  let minutes: TelemetryRow[] = [];
  const flush = (): void => {
    runWriteBatch(db, [{ op: 'telemetry', rows: minutes }, ...batch]);
    batch = [];
    minutes = [];
  };
  for (let t = START_MS; t < END_MS; t += MINUTE_MS) {
    const hour = new Date(t).getUTCHours();
    const solar = Math.max(0, Math.sin(((hour - 6) / 12) * Math.PI)) * 6000 * r();
    const row: TelemetryRow = {
      bucketMs: t,
      samples: 60,
      grid_w: 800 - solar + r() * 500,
      grid_min_w: -solar,
      grid_max_w: 2500,
      solar_w: solar,
      solar_available_w: solar,
      storage_w: r() * 4000 - 2000,
      soc_pct: 20 + r() * 70,
      ev_w: r() < 0.1 ? 7000 : 0,
      heat_pump_w: r() < 0.3 ? 2500 : 0,
      switched_load_w: r() < 0.2 ? 2000 : 0,
      base_load_w: 300 + r() * 400,
      export_limit_w: 20_000,
      import_limit_w: 25_000,
    };
    minutes.push(row);
    rows += 1;
    for (let k = 0; k < 3; k += 1) {
      const at = t + k * 20_000;
      const entry: CommandLogEntry = {
        receivedAtMs: at,
        answeredAtMs: at + 4,
        kind: 'command',
        topic: 'standard1/rp_one_s/remoteControlMetrics/OM12404080000000000',
        isRetained: false,
        requestTime: Math.floor(at / 1000),
        payload: `{"extraTags":{"nodeId":"OM12404080000000000_site_0"},"time":${Math.floor(at / 1000)},"fields":{"storage_policy":"setpoint","storage_power_setpoint_w":${Math.round(r() * 5000)}}}`,
        payloadBytes: 130,
        responseCode: 0,
        errors: [],
        executed: { components: { storage: { policy: 'setpoint', executedW: 3000, activeSignal: 'remote' } }, exportLimitW: 20_000 },
      };
      batch.push({ op: 'command', entry });
      commands += 1;
    }
    if (batch.length >= 4000) flush();
  }
  flush();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = (db.prepare('SELECT page_count * page_size AS b FROM pragma_page_count(), pragma_page_size()').get() as { b: number }).b;
  db.close();
  return { rows, commands, seconds: (performance.now() - t0) / 1000, bytes };
}

async function time(fn: () => unknown): Promise<number[]> {
  await fn(); // warm-up (statement cache, page cache)
  const out: number[] = [];
  for (let i = 0; i < REPEAT; i += 1) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

async function main(): Promise<void> {
  printHeader('History queries on a store with 90 days of data', `Each query run ${REPEAT} times after one warm-up run; times in ms.`);
  const dir = mkdtempSync(join(tmpdir(), 'gp-bench-history-'));
  try {
    const filled = fill(dir);
    console.log(
      `Filled: ${filled.rows.toLocaleString('en')} 1-minute rows (+ their 15-minute roll-ups) and ${filled.commands.toLocaleString('en')} command log entries in ${filled.seconds.toFixed(1)} s; ` +
        `database ${(filled.bytes / 2 ** 20).toFixed(0)} MiB.\n`,
    );
    const reader = new HistoryReader(dir);
    const store = await Store.open({ dataDir: dir, clock: new FakeClock(END_MS) });
    const queries: Array<[string, TelemetryQuery]> = [
      ['90 days, auto (→ 15 min)', { fromMs: START_MS, toMs: END_MS }],
      ['90 days, 1 min', { fromMs: START_MS, toMs: END_MS, resolution: '1m' }],
      ['7 days, auto (→ 15 min)', { fromMs: END_MS - 7 * DAY_MS, toMs: END_MS }],
      ['1 day, auto (→ 1 min)', { fromMs: END_MS - DAY_MS, toMs: END_MS }],
    ];
    const rows: string[][] = [];
    for (const [name, q] of queries) {
      const points = reader.telemetry(q).atMs.length;
      for (const [how, fn] of [
        ['direct', () => reader.telemetry(q)],
        ['worker', () => store.queryTelemetry(q)],
      ] as const) {
        const s = summarize(await time(fn));
        rows.push([`telemetry ${name}`, how, points.toLocaleString('en'), fmt(s.p50, 1), fmt(s.p90, 1), fmt(s.max, 1), name.startsWith('90 days, auto') ? (s.p50 < 100 && s.p90 < 100 ? 'yes' : 'NO') : '–']);
      }
    }
    const cmdQueries: Array<[string, Parameters<HistoryReader['commands']>[0]]> = [
      ['command log, newest 100', { limit: 100 }],
      ['command log, one day (limit 10,000)', { fromMs: END_MS - 2 * DAY_MS, toMs: END_MS - DAY_MS, limit: 10_000 }],
    ];
    for (const [name, q] of cmdQueries) {
      const n = reader.commands(q).length;
      for (const [how, fn] of [
        ['direct', () => reader.commands(q)],
        ['worker', () => store.queryCommands(q)],
      ] as const) {
        const s = summarize(await time(fn));
        rows.push([name, how, n.toLocaleString('en'), fmt(s.p50, 1), fmt(s.p90, 1), fmt(s.max, 1), '–']);
      }
    }
    printTable(['query', 'via', 'points / rows', 'median ms', 'p90', 'max', '< 100 ms (UI 90 days)'], rows);
    reader.close();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
