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
// The `cost` regime runs once per PV forecast named by --forecasts (default: the honest default,
// the price-informed persistence forecast, and the Elia day-ahead forecasts with each kind of
// scenarios), each against the same self_consumption and perfect_foresight.
//
// Run: npx tsx bench/backtest-quality.ts [--from 2024-01-01] [--to 2024-12-31] [--forecasts price-informed,elia,elia-quantiles]
// (~11 min per cost forecast for the year on a 2-core box; `npm run bench` skips it unless named: `npm run bench -- backtest`)
import { parseArgs } from 'node:util';
import { fmt, printHeader, printTable } from './lib/report.ts';
import { loadWeather } from '../src/environment/weather.ts';
import { siteSummary } from '../src/optimizer/backtest/report.ts';
import { localPeriod, runBacktest, type Regime, type RegimeResult } from '../src/optimizer/backtest/run-backtest.ts';
import { archivedPvForecast } from '../src/optimizer/forecast/pv-forecast-file.ts';
import type { PvForecast } from '../src/optimizer/forecast/pv-forecast.ts';
import { loadBundledPrices } from '../src/optimizer/prices/price-file.ts';
import { siteLocation } from '../src/optimizer/site-location.ts';
import { loadSiteConfigFile } from '../src/site/site-config.ts';

const TARGET = 0.95;
const { values } = parseArgs({
  options: {
    from: { type: 'string', default: '2024-01-01' },
    to: { type: 'string', default: '2024-12-31' },
    forecasts: { type: 'string', default: 'price-informed,elia,elia-quantiles' },
  },
});
const from = values.from;
const to = values.to;
const site = loadSiteConfigFile(new URL('../data/reference-site.yaml', import.meta.url).pathname);
const { fromMs, toMs } = localPeriod(from, to, site.location.timeZone);
const prices = loadBundledPrices();
const weather = loadWeather('bundled');
const place = { location: siteLocation(site), timeZone: site.location.timeZone };

/** The cost regime's PV forecasts by name (undefined = the engine's default, PriceInformedPvForecast). */
const FORECASTS: Record<string, { label: string; make: () => PvForecast | undefined }> = {
  'price-informed': { label: 'price-informed persistence (the default without a forecast service)', make: () => undefined },
  elia: { label: 'Elia day-ahead, scenarios from its past errors', make: () => archivedPvForecast('elia', weather, place, { scenarios: 'past-errors' }).forecast },
  'elia-quantiles': { label: "Elia day-ahead, scenarios from Elia's P10/P90", make: () => archivedPvForecast('elia', weather, place, { scenarios: 'quantiles' }).forecast },
};
const names = values.forecasts.split(',').map((s) => s.trim()).filter(Boolean);
for (const n of names) if (!FORECASTS[n]) throw new Error(`unknown forecast "${n}" (${Object.keys(FORECASTS).join(', ')})`);

printHeader(
  'Backtest quality: the cost policy against perfect foresight',
  `Reference site (data/reference-site.yaml): ${siteSummary(site)}; bundled Belgian day-ahead prices and weather, ${from} … ${to}; 60 s control cycle, cost re-plans every 15 min with published prices only, the PV forecasts below (nothing read before its publication) and the site's own load history; perfect_foresight re-plans hourly with the actual PV and load and all prices 48 h ahead. Target: capture ≥ ${TARGET * 100} %.`,
);

let lastLine = '';
const onProgress = (label: string) => (regime: Regime, done: number) => {
  const line = `${label || regime} ${Math.floor(done * 4) * 25} %`;
  if (line !== lastLine) process.stderr.write(`backtest: ${line}\n`);
  lastLine = line;
};
const base = await runBacktest({ site, prices, weather, fromMs, toMs, regimes: ['no_control', 'self_consumption', 'perfect_foresight'], onProgress: onProgress('') });
const costs: Array<{ name: string; label: string; result: RegimeResult }> = [];
for (const name of names) {
  const f = FORECASTS[name];
  if (!f) continue;
  const pv = f.make();
  const run = await runBacktest({ site, prices, weather, fromMs, toMs, regimes: ['cost'], ...(pv ? { costPvForecast: pv } : {}), onProgress: onProgress(`cost (${name})`) });
  if (run.regimes.cost) costs.push({ name, label: f.label, result: run.regimes.cost });
}

const r = base.regimes;
const sc = r.self_consumption;
const pf = r.perfect_foresight;
const captureOf = (x: RegimeResult): number | null => (sc && pf && sc.costEur - pf.costEur > 1e-9 ? (sc.costEur - x.costEur) / (sc.costEur - pf.costEur) : null);
const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);
const headers = ['regime', 'cost EUR', 'bill EUR', 'wear EUR', 'stored Δ kWh', 'import kWh', 'export kWh', 'curtailed kWh', 'throughput kWh', 'saving vs self_consumption EUR', 'capture', 'wall s'];
const row = (name: string, x: RegimeResult | undefined, capture: string): string[] =>
  x ? [name, fmt(x.costEur), fmt(x.billEur), fmt(x.wearEur), fmt(x.storedDeltaKwh, 1), fmt(x.importKwh, 0), fmt(x.exportKwh, 0), fmt(x.curtailedKwh, 0), fmt(x.batteryThroughputKwh, 0), sc ? fmt(sc.costEur - x.costEur) : '–', capture, fmt(x.wallMs / 1000, 1)] : [];
const rows = [row('no_control', r.no_control, '–'), row('self_consumption', sc, '0 %'), ...costs.map((c) => row(`cost, ${c.label}`, c.result, pct(captureOf(c.result)))), row('perfect_foresight', pf, '100 %')].filter((x) => x.length > 0);
console.log(`### ${from} … ${to} (${base.days} days)\n`);
printTable(headers, rows);
for (const c of costs) {
  const capture = captureOf(c.result);
  console.log(`\nCapture with ${c.label}: ${pct(capture)}; target ≥ ${TARGET * 100} %: **${capture !== null && capture >= TARGET ? 'PASS' : 'FAIL'}**.`);
}
console.log(`\nClosing value ${base.closingValueEurPerKwh.toFixed(3)} EUR/kWh.\n`);

// Per quarter: bill + wear from the day rows (no stored-energy term; see the header comment).
const wear = site.optimizer.batteryWearEurPerKwh;
const quarterOf = (date: string): string => `${date.slice(0, 4)} Q${Math.floor((Number(date.slice(5, 7)) - 1) / 3) + 1}`;
const byQuarter = (x: RegimeResult | undefined): Map<string, number> => {
  const m = new Map<string, number>();
  for (const d of x?.days ?? []) m.set(quarterOf(d.date), (m.get(quarterOf(d.date)) ?? 0) + d.billEur + d.batteryThroughputKwh * wear);
  return m;
};
const qSc = byQuarter(sc);
const qPf = byQuarter(pf);
const qCosts = costs.map((c) => byQuarter(c.result));
const qRows = [...qSc.keys()].map((q) => {
  const s = qSc.get(q) ?? NaN;
  const p = qPf.get(q) ?? NaN;
  return [q, fmt(s), fmt(p), ...qCosts.flatMap((m) => {
    const c = m.get(q) ?? NaN;
    return [fmt(c), s - p > 1e-9 ? `${((100 * (s - c)) / (s - p)).toFixed(1)} %` : '–'];
  })];
});
console.log('### Per quarter (bill + wear, EUR)\n');
printTable(['quarter', 'self_consumption', 'perfect_foresight', ...costs.flatMap((c) => [`cost (${c.name})`, 'capture'])], qRows);
