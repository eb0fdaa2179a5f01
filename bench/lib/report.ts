// Shared helpers of the benchmarks: quantiles, a machine header, markdown tables.
// Benchmarks measure time; tests never do [design §Conventions]. Every table carries a baseline
// measured in the same process run, so a noisy 2-core box still gives meaningful ratios.
import { cpus, loadavg, totalmem } from 'node:os';
import { mulberry32 } from '../../src/environment/prng.ts';

/** Quantile `q` (0–1) of `values` by linear interpolation between order statistics; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  return {
    n,
    mean: n ? values.reduce((s, v) => s + v, 0) / n : Number.NaN,
    p50: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    p99: quantile(values, 0.99),
    max: n ? Math.max(...values) : Number.NaN,
  };
}

/** A number with `digits` decimals (fewer for large values), or "–" when not finite. */
export function fmt(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  const d = abs >= 1000 ? 0 : abs >= 100 ? Math.min(digits, 1) : digits;
  return v.toFixed(d);
}

/** "×12.3" style ratio. */
export function ratio(v: number): string {
  if (!Number.isFinite(v)) return '–';
  return `×${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}`;
}

const NUMERIC = /^(–|[-+×≤<>~]?\s?[\d.,]+( ?(%|ms|s|W|MB|MiB|cycles?))?( \/ [\d.,–]+)?)$/;

/** Prints a markdown table (header row, separator, rows); columns of numbers are right-aligned. */
export function printTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const align = headers.map((_, i) => (rows.length > 0 && rows.every((r) => NUMERIC.test(r[i] ?? '')) ? '---:' : '---'));
  console.log([line(headers), line(align), ...rows.map(line)].join('\n'));
}

/** The header every benchmark prints first: what ran, where and when. */
export function printHeader(title: string, what: string): void {
  const c = cpus();
  const model = c[0]?.model.trim() ?? 'unknown CPU';
  console.log(`## ${title}\n`);
  console.log(`${what}\n`);
  console.log(
    `Machine: ${c.length} × ${model}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; Node ${process.version} (${process.platform}/${process.arch}); ${new Date().toISOString()}\n`,
  );
}

/** A seeded PRNG (the simulator's mulberry32), so a benchmark's random steps repeat run to run. Returns [0, 1). */
export const seededRandom: (seed: number) => () => number = mulberry32;
