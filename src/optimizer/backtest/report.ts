// How a backtest is shown: a table for people, one JSON object for scripts (docs/backtest.md).
import { localDateOf, localDayIndexOf } from '../../core/local-time.ts';
import { devicesOf, type SiteConfig } from '../../site/site-config.ts';
import type { Tariff } from '../prices/tariff.ts';
import { REGIMES, type BacktestResult, type Regime } from './run-backtest.ts';

/** What the backtest was run on, for the header. */
export interface BacktestMeta {
  site: SiteConfig;
  siteSource: string;
  pricesSource: string;
  weatherSource: string;
  /** The cost regime's PV forecast. */
  pvForecastSource: string;
  tariff: Tariff;
}

const r2 = (x: number): number => Math.round(x * 100) / 100;
const r1 = (x: number): number => Math.round(x * 10) / 10;
/** The local date of an instant in the site's time zone, YYYY-MM-DD. */
const localDateIn = (timeZone: string) => (ms: number): string => localDateOf(localDayIndexOf(ms, timeZone));

/**
 * The JSON output: the four costs (EUR, comparable: bill + battery wear − value of the energy
 * stored at the end), the days, the capture ratio, and the detail per regime.
 */
export function backtestJson(result: BacktestResult, meta: BacktestMeta): Record<string, unknown> {
  const cost = (r: Regime): number | null => {
    const x = result.regimes[r];
    return x ? r2(x.costEur) : null;
  };
  const localDate = localDateIn(meta.site.location.timeZone);
  return {
    from: localDate(result.fromMs),
    to: localDate(result.toMs - 1),
    days: result.days,
    no_control_eur: cost('no_control'),
    self_consumption_eur: cost('self_consumption'),
    cost_eur: cost('cost'),
    perfect_foresight_eur: cost('perfect_foresight'),
    capture_ratio: result.captureRatio === null ? null : Math.round(result.captureRatio * 10_000) / 10_000,
    cycle_s: result.cycleMs / 1000,
    replan_min: result.replanIntervalMs / 60_000,
    closing_value_eur_per_kwh: Math.round(result.closingValueEurPerKwh * 10_000) / 10_000,
    wall_s: r1(result.wallMs / 1000),
    site: siteSummary(meta.site),
    sources: { site: meta.siteSource, prices: meta.pricesSource, weather: meta.weatherSource, cost_pv_forecast: meta.pvForecastSource },
    tariff: meta.tariff,
    regimes: Object.fromEntries(
      REGIMES.flatMap((name) => {
        const x = result.regimes[name];
        if (!x) return [];
        return [
          [
            name,
            {
              cost_eur: r2(x.costEur),
              bill_eur: r2(x.billEur),
              wear_eur: r2(x.wearEur),
              stored_delta_kwh: r2(x.storedDeltaKwh),
              stored_value_eur: r2(x.storedValueEur),
              import_kwh: r1(x.importKwh),
              export_kwh: r1(x.exportKwh),
              pv_kwh: r1(x.pvKwh),
              curtailed_kwh: r1(x.curtailedKwh),
              battery_throughput_kwh: r1(x.batteryThroughputKwh),
              plans: x.plans,
              fallback_plans: x.fallbackPlans,
              wall_s: r1(x.wallMs / 1000),
              days: x.days.map((d) => ({ date: d.date, bill_eur: r2(d.billEur), import_kwh: r1(d.importKwh), export_kwh: r1(d.exportKwh), battery_throughput_kwh: r1(d.batteryThroughputKwh), price_spread_eur_per_kwh: Math.round(d.priceSpreadEurPerKwh * 1000) / 1000 })),
            },
          ],
        ];
      }),
    ),
  };
}

/** A one-line description of the site. */
export function siteSummary(site: SiteConfig): string {
  const pvKw = devicesOf(site, 'solar').reduce((s, d) => s + (d.peakPowerW ?? d.ratedPowerW), 0) / 1000;
  const bat = devicesOf(site, 'storage');
  const kwh = bat.reduce((s, d) => s + d.capacityWh, 0) / 1000;
  const kw = bat.reduce((s, d) => s + Math.max(d.maxChargeW, d.maxDischargeW), 0) / 1000;
  return `${r1(pvKw)} kWp PV, ${r1(kwh)} kWh / ${r1(kw)} kW battery, ${site.simulation.annualLoadKWh} kWh/yr household load`;
}

/** The table for people (Markdown, so it pastes into docs). */
export function backtestTable(result: BacktestResult, meta: BacktestMeta): string[] {
  const localDate = localDateIn(meta.site.location.timeZone);
  const t = meta.tariff;
  const lines: string[] = [
    `Backtest ${localDate(result.fromMs)} … ${localDate(result.toMs - 1)} (${result.days} days): ${siteSummary(meta.site)}`,
    `site ${meta.siteSource} · prices ${meta.pricesSource} · weather ${meta.weatherSource} · cost's PV forecast ${meta.pvForecastSource} · cycle ${result.cycleMs / 1000} s · cost re-plans every ${result.replanIntervalMs / 60_000} min`,
    `tariff: import ${t.offtakeSpotFactor}×spot + ${t.offtakeAdderEurPerKwh} EUR/kWh, export ${t.injectionSpotFactor}×spot − ${t.injectionFeeEurPerKwh} EUR/kWh, ${t.fixedFeesEurPerDay} EUR/day; battery wear ${meta.site.optimizer.batteryWearEurPerKwh} EUR/kWh in and out`,
    '',
  ];
  const head = ['regime', 'cost EUR', 'bill EUR', 'wear EUR', 'stored Δ kWh', 'import kWh', 'export kWh', 'curtailed kWh', 'battery in+out kWh', 'saving vs no control', 'saving vs self_consumption', 'run s'];
  const nc = result.regimes.no_control?.costEur;
  const sc = result.regimes.self_consumption?.costEur;
  const rows = REGIMES.flatMap((name) => {
    const x = result.regimes[name];
    if (!x) return [];
    return [
      [
        name,
        x.costEur.toFixed(2),
        x.billEur.toFixed(2),
        x.wearEur.toFixed(2),
        x.storedDeltaKwh.toFixed(1),
        x.importKwh.toFixed(0),
        x.exportKwh.toFixed(0),
        x.curtailedKwh.toFixed(0),
        x.batteryThroughputKwh.toFixed(0),
        nc === undefined ? '' : (nc - x.costEur).toFixed(2),
        sc === undefined ? '' : (sc - x.costEur).toFixed(2),
        (x.wallMs / 1000).toFixed(1),
      ],
    ];
  });
  const right = new Set(head.slice(1).map((_, i) => i + 1));
  lines.push(`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (right.has(i) ? '---:' : '---')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`));
  lines.push('');
  lines.push('cost = bill (energy at the tariff + fixed fees) + battery wear − value of the energy stored at the end (at the closing value of ' + `${result.closingValueEurPerKwh.toFixed(3)} EUR/kWh).`);
  if (result.captureRatio !== null) {
    lines.push(`cost captures ${(result.captureRatio * 100).toFixed(1)} % of the perfect-foresight saving over self_consumption ((self_consumption − cost) / (self_consumption − perfect_foresight)).`);
  }
  lines.push(`wall time ${(result.wallMs / 1000).toFixed(1)} s`);
  return lines;
}
