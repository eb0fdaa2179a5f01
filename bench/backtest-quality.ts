// Benchmark: how much of the perfect-foresight saving the honest `cost` policy captures, by the
// backtest engine (docs/backtest.md), on the reference site (data/reference-site.yaml) over the
// bundled Belgian 2024 prices and weather.
//
// All four regimes run in this process, one after the other, on a fake clock (60 s cycle; cost
// re-plans every 15 min, perfect_foresight every hour), exactly as `gridpilot backtest` runs them.
// The target (issue #5): capture = (self_consumption − cost) / (self_consumption − perfect_foresight)
// ≥ 95 % over the full year. Costs are the engine's: bill + battery wear − stored energy gained at
// the closing value. The quarter table compares bill + wear per quarter (the stored-energy term is a
// whole-period correction, applied in the year's row only).
//
// Run: npx tsx bench/backtest-quality.ts [--from 2024-01-01] [--to 2024-12-31]   (~11 min for the year
// on a 2-core box; `npm run bench` skips it unless named: `npm run bench -- backtest`)
import { parseArgs } from 'node:util';
import { fmt, printHeader, printTable } from './lib/report.ts';
import { loadWeather } from '../src/environment/weather.ts';
import { siteSummary } from '../src/optimizer/backtest/report.ts';
import { localPeriod, REGIMES, runBacktest, type RegimeResult } from '../src/optimizer/backtest/run-backtest.ts';
import { loadBundledPrices } from '../src/optimizer/prices/price-file.ts';
import { loadSiteConfigFile } from '../src/site/site-config.ts';

const TARGET = 0.95;
const { values } = parseArgs({ options: { from: { type: 'string', default: '2024-01-01' }, to: { type: 'string', default: '2024-12-31' } } });
const from = values.from;
const to = values.to;
const site = loadSiteConfigFile(new URL('../data/reference-site.yaml', import.meta.url).pathname);
const { fromMs, toMs } = localPeriod(from, to);

printHeader(
  'Backtest quality: the cost policy against perfect foresight',
  `Reference site (data/reference-site.yaml): ${siteSummary(site)}; bundled Belgian day-ahead prices and weather, ${from} … ${to}; 60 s control cycle, cost re-plans every 15 min with published prices only, PriceInformedPvForecast (measured past weather + published prices) and the site's own load history; perfect_foresight re-plans hourly with the actual PV and load and all prices 48 h ahead. Target: capture ≥ ${TARGET * 100} %.`,
);

let lastLine = '';
const result = await runBacktest({
  site,
  prices: loadBundledPrices(),
  weather: loadWeather('bundled'),
  fromMs,
  toMs,
  onProgress: (regime, done) => {
    const line = `${regime} ${Math.floor(done * 4) * 25} %`;
    if (line !== lastLine) process.stderr.write(`backtest: ${line}\n`);
    lastLine = line;
  },
});

const r = result.regimes;
const sc = r.self_consumption;
const headers = ['regime', 'cost EUR', 'bill EUR', 'wear EUR', 'stored Δ kWh', 'import kWh', 'export kWh', 'curtailed kWh', 'throughput kWh', 'saving vs self_consumption EUR', 'wall s'];
const rows = REGIMES.flatMap((name) => {
  const x = r[name];
  if (!x) return [];
  return [[name, fmt(x.costEur), fmt(x.billEur), fmt(x.wearEur), fmt(x.storedDeltaKwh, 1), fmt(x.importKwh, 0), fmt(x.exportKwh, 0), fmt(x.curtailedKwh, 0), fmt(x.batteryThroughputKwh, 0), sc ? fmt(sc.costEur - x.costEur) : '–', fmt(x.wallMs / 1000, 1)]];
});
console.log(`### ${from} … ${to} (${result.days} days)\n`);
printTable(headers, rows);
const capture = result.captureRatio;
console.log(
  `\nCapture: ${capture === null ? '–' : `${(capture * 100).toFixed(1)} %`} of the perfect-foresight saving over self_consumption; target ≥ ${TARGET * 100} %: **${capture !== null && capture >= TARGET ? 'PASS' : 'FAIL'}**. Closing value ${result.closingValueEurPerKwh.toFixed(3)} EUR/kWh; wall time ${(result.wallMs / 1000).toFixed(0)} s.\n`,
);

// Per quarter: bill + wear from the day rows (no stored-energy term; see the header comment).
const wear = site.optimizer.batteryWearEurPerKwh;
const quarterOf = (date: string): string => `${date.slice(0, 4)} Q${Math.floor((Number(date.slice(5, 7)) - 1) / 3) + 1}`;
const byQuarter = (x: RegimeResult | undefined): Map<string, number> => {
  const m = new Map<string, number>();
  for (const d of x?.days ?? []) m.set(quarterOf(d.date), (m.get(quarterOf(d.date)) ?? 0) + d.billEur + d.batteryThroughputKwh * wear);
  return m;
};
const qSc = byQuarter(r.self_consumption);
const qCost = byQuarter(r.cost);
const qPf = byQuarter(r.perfect_foresight);
const qRows = [...qSc.keys()].map((q) => {
  const s = qSc.get(q) ?? NaN;
  const c = qCost.get(q) ?? NaN;
  const p = qPf.get(q) ?? NaN;
  return [q, fmt(s), fmt(c), fmt(p), fmt(s - c), fmt(s - p), s - p > 1e-9 ? `${((100 * (s - c)) / (s - p)).toFixed(1)} %` : '–'];
});
console.log('### Per quarter (bill + wear, EUR)\n');
printTable(['quarter', 'self_consumption', 'cost', 'perfect_foresight', 'cost saving', 'perfect saving', 'capture'], qRows);
