/**
 * A minimal Prometheus registry and text exposition writer (format 0.0.4,
 * https://prometheus.io/docs/instrumenting/exposition_formats/): counters, gauges and histograms
 * with labels, `# HELP` / `# TYPE` lines, escaped label values, cumulative `_bucket{le}` series
 * with `+Inf`, `_sum` and `_count`. Enough for gridpilot's few metrics without a dependency
 * (prom-client would do the same with default process metrics on top).
 *
 * Values that are read rather than counted (a device's online state, the broker connection, a
 * count another part keeps) come from `collect` callbacks, called at every scrape.
 */

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string>>;
type MetricType = 'counter' | 'gauge' | 'histogram';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the format writes it: integers plainly, `+Inf`/`-Inf`/`NaN` by name. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(labels: Labels, extra?: readonly [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** The series key of a label set (label order does not matter). */
function keyOf(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new Error(`invalid metric name "${name}"`);
    for (const l of labelNames) if (!LABEL_NAME.test(l) || l.startsWith('__') || l === 'le') throw new Error(`invalid label name "${l}" on ${name}`);
  }

  protected checkLabels(labels: Labels): void {
    const given = Object.keys(labels);
    if (given.length !== this.labelNames.length || !given.every((k) => this.labelNames.includes(k))) {
      throw new Error(`${this.name} takes the labels [${this.labelNames.join(', ')}], got [${given.join(', ')}]`);
    }
  }

  /** The sample lines (without HELP/TYPE). */
  abstract samples(): string[];
}

/** A value per label set that only goes up (or is read from something that only goes up). */
export class Counter extends Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    /** Read at every scrape instead of counted here: the series it returns replace the counted ones. */
    private readonly collect?: () => Iterable<{ labels: Labels; value: number }>,
  ) {
    super(name, help, 'counter', labelNames);
  }

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: a counter only goes up (got ${by})`);
    this.checkLabels(labels);
    const key = keyOf(labels);
    const cur = this.values.get(key);
    if (cur) cur.value += by;
    else this.values.set(key, { labels: { ...labels }, value: by });
  }

  samples(): string[] {
    // A counter without labels shows 0 before its first increment, so the series exists from the start.
    const counted = this.values.size === 0 && this.labelNames.length === 0 ? [{ labels: {}, value: 0 }] : [...this.values.values()];
    const series = this.collect ? [...this.collect()] : counted;
    if (this.collect) for (const s of series) this.checkLabels(s.labels);
    return series.map((s) => `${this.name}${labelText(s.labels)} ${formatValue(s.value)}`);
  }
}

/** A value per label set that is read at every scrape. */
export class Gauge extends Metric {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly collect: () => Iterable<{ labels: Labels; value: number }>,
  ) {
    super(name, help, 'gauge', labelNames);
  }

  samples(): string[] {
    const out: string[] = [];
    for (const s of this.collect()) {
      this.checkLabels(s.labels);
      out.push(`${this.name}${labelText(s.labels)} ${formatValue(s.value)}`);
    }
    return out;
  }
}

/** Observations counted into cumulative buckets (upper bounds, ascending), with their sum and count. */
export class Histogram extends Metric {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(
    name: string,
    help: string,
    readonly buckets: readonly number[],
    labelNames: readonly string[] = [],
  ) {
    super(name, help, 'histogram', labelNames);
    if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (buckets[i - 1] as number)))) {
      throw new Error(`${name}: buckets must be finite and strictly ascending`);
    }
  }

  observe(value: number, labels: Labels = {}): void {
    if (!Number.isFinite(value)) return; // a NaN would poison the sum forever
    this.checkLabels(labels);
    const key = keyOf(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...labels }, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    // Counts are stored per bucket (not cumulative) and summed when written.
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i] = (s.counts[i] as number) + 1;
    s.sum += value;
    s.count += 1;
  }

  /** Observations so far with these labels (tests, health). */
  countOf(labels: Labels = {}): number {
    return this.series.get(keyOf(labels))?.count ?? 0;
  }

  samples(): string[] {
    const out: string[] = [];
    // A histogram without labels shows zeros before its first observation, so the series exists from the start.
    const all = this.series.size === 0 && this.labelNames.length === 0 ? [{ labels: {}, counts: this.buckets.map(() => 0), sum: 0, count: 0 }] : [...this.series.values()];
    for (const s of all) {
      let cumulative = 0;
      this.buckets.forEach((b, i) => {
        cumulative += s.counts[i] as number;
        out.push(`${this.name}_bucket${labelText(s.labels, ['le', formatValue(b)])} ${cumulative}`);
      });
      out.push(`${this.name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${s.count}`);
      out.push(`${this.name}_sum${labelText(s.labels)} ${formatValue(s.sum)}`);
      out.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return out;
  }
}

/** The metrics of one process, written in registration order. */
export class Registry {
  private readonly metrics: Metric[] = [];

  register<M extends Metric>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.metrics.push(metric);
    return metric;
  }

  /**
   * The text exposition. A collect callback that throws drops that metric from this scrape
   * (with a comment line saying so) rather than the whole answer.
   */
  render(): string {
    const lines: string[] = [];
    for (const m of this.metrics) {
      let samples: string[];
      try {
        samples = m.samples();
      } catch (err) {
        lines.push(`# ${m.name} not collected: ${escapeHelp(err instanceof Error ? err.message : String(err))}`);
        continue;
      }
      lines.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`, ...samples);
    }
    return `${lines.join('\n')}\n`;
  }
}
