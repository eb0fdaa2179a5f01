/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests: every line must be a
 * HELP, a TYPE, a comment or a sample of a declared family; histograms must be cumulative with a
 * `+Inf` bucket equal to their `_count`. Throws with the line number on the first violation.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(\\{(.*)\\})? (\\S+)( -?\\d+)?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/;

function parseValue(text: string, where: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: "${text}" is not a sample value`);
  return Number(text);
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const m = LABEL.exec(rest);
    if (!m) throw new Error(`${where}: bad label set {${text}}`);
    const [all, key = '', raw = ''] = m;
    if (key in labels) throw new Error(`${where}: label ${key} twice`);
    labels[key] = raw.replace(/\\(["\\n])/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(all.length);
  }
  return labels;
}

/** The family a sample name belongs to (histogram and summary series have suffixes). */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, i) => {
    const where = `line ${i + 1} ("${line}")`;
    if (line.startsWith('# HELP ')) {
      const m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
      if (!m?.[1]) throw new Error(`${where}: bad HELP`);
      const f = families.get(m[1]) ?? { name: m[1], type: 'untyped' as const, help: '', samples: [] };
      f.help = m[2] ?? '';
      families.set(m[1], f);
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
      if (!m?.[1]) throw new Error(`${where}: bad TYPE`);
      const f = families.get(m[1]) ?? { name: m[1], type: 'untyped' as const, help: '', samples: [] };
      if (f.samples.length > 0) throw new Error(`${where}: TYPE after samples of ${m[1]}`);
      f.type = m[2] as Family['type'];
      families.set(m[1], f);
      return;
    }
    if (line.startsWith('#')) return; // a comment
    const m = SAMPLE.exec(line);
    if (!m?.[1] || m[4] === undefined) throw new Error(`${where}: not a sample line`);
    const family = familyOf(m[1], families);
    if (!family) throw new Error(`${where}: sample of undeclared metric ${m[1]}`);
    family.samples.push({ name: m[1], labels: m[3] === undefined ? {} : parseLabels(m[3], where), value: parseValue(m[4], where) });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const byLabels = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    byLabels.set(key, [...(byLabels.get(key) ?? []), s]);
  }
  for (const [key, samples] of byLabels) {
    const buckets = samples.filter((s) => s.name === `${f.name}_bucket`);
    const count = samples.find((s) => s.name === `${f.name}_count`);
    if (!samples.some((s) => s.name === `${f.name}_sum`) || !count) throw new Error(`${f.name}${key}: _sum or _count missing`);
    let last = -Infinity;
    let lastCount = 0;
    for (const b of buckets) {
      const le = b.labels.le === undefined ? NaN : parseValue(b.labels.le, f.name);
      if (!(le > last)) throw new Error(`${f.name}${key}: buckets not ascending at le=${b.labels.le}`);
      if (b.value < lastCount) throw new Error(`${f.name}${key}: buckets not cumulative at le=${b.labels.le}`);
      last = le;
      lastCount = b.value;
    }
    if (last !== Infinity || lastCount !== count.value) throw new Error(`${f.name}${key}: the +Inf bucket must exist and equal _count`);
  }
}

/** The value of one series (labels must match exactly the given ones, ignoring others when `partial`), or undefined. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    const s = f.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v) && Object.keys(x.labels).length === Object.keys(labels).length);
    if (s) return s.value;
  }
  return undefined;
}
