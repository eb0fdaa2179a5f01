// Runs every benchmark (bench/*.ts except this file), one after the other, each in its own
// process so that one's JIT state, heap and sockets cannot colour the next one's numbers.
// Not run: bench/lib/ (helpers), `*-fixtures*` files (data other benchmarks import) and
// `*-scratch*` files (throw-away experiments). Slow benchmarks (SLOW, minutes each) run only when a
// filter names them or with --all.
// Usage: npm run bench [-- name-substring …]   e.g. `npm run bench -- cycle limit`, `npm run bench -- --all`
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const isAll = args.includes('--all');
const filters = args.filter((a) => a !== '--all');
/** Benchmarks that take many minutes (the full-year backtest: ~9 min, the 24 h soak: ~3–10 min): only when named or with --all. */
const SLOW = new Set(['backtest-quality.ts', 'soak.ts']);
const isBenchmark = (f: string): boolean => f.endsWith('.ts') && f !== self && !f.includes('-fixtures') && !f.includes('-scratch');
const files = readdirSync(here, { withFileTypes: true })
  .filter((e) => e.isFile() && isBenchmark(e.name))
  .map((e) => e.name)
  .filter((f) => (filters.length === 0 ? isAll || !SLOW.has(f) : filters.some((x) => f.includes(x))))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(' ')}`);
  process.exit(1);
}

const outcomes: Array<{ file: string; status: string; seconds: number }> = [];
for (const file of files) {
  console.log(`\n<!-- bench/${file} -->\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, file)], { stdio: 'inherit' });
  const seconds = (performance.now() - t0) / 1000;
  const status = r.error ? `failed to start: ${r.error.message}` : r.status === 0 ? 'ok' : `exit ${r.status ?? r.signal ?? '?'}`;
  outcomes.push({ file, status, seconds });
}

console.log('\n| benchmark | result | wall time s |\n| --- | --- | ---: |');
for (const o of outcomes) console.log(`| bench/${o.file} | ${o.status} | ${o.seconds.toFixed(1)} |`);
process.exit(outcomes.every((o) => o.status === 'ok') ? 0 : 1);
