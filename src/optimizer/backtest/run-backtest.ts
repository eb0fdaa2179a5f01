// The backtest: replays a period of real day-ahead prices and weather through the simulated site
// with the real controller on a fake clock, once per regime, and bills each (docs/backtest.md).
import { FakeClock } from '../../core/clock.ts';
import { GridpilotError } from '../../core/errors.ts';
import { Controller } from '../../control/controller.ts';
import { localDayStartMs, wallTimeToUtcMs } from '../../core/local-time.ts';
import { createSimulatedSite } from '../../devices/simulated/simulated-site.ts';
import type { Weather } from '../../environment/weather.ts';
import type { SiteConfig } from '../../site/site-config.ts';
import { CostService, syncPlanner, type CostServiceOptions } from '../cost-service.ts';
import { HistoryLoadForecast, ProfileLoadForecast, RecordedLoadHistory } from '../forecast/load-forecast.ts';
import { PriceInformedPvForecast } from '../forecast/price-informed-pv-forecast.ts';
import { siteLocation } from '../site-location.ts';
import { WeatherPvForecast, type PvForecast } from '../forecast/pv-forecast.ts';
import { loadSolver } from '../planner/highs-runner.ts';
import { median, type PlanProblem } from '../planner/plan-problem.ts';
import { solvePlan } from '../planner/solve-plan.ts';
import { StaticPriceProvider } from '../prices/price-provider.ts';
import { priceSeriesEndMs, type PriceSeries } from '../prices/price-series.ts';
import { importPriceEurPerKwh, type Tariff } from '../prices/tariff.ts';
import { LoadProfile } from '../../environment/load-profile.ts';
import { ActualLoadForecast } from './actual-load-forecast.ts';
import { dayRows, Ledger, type DayLedger } from './ledger.ts';

/**
 * The regimes compared:
 * - `no_control`: battery idle (not driven), solar uncurtailed;
 * - `self_consumption`: the local default regime (storage self_consumption, solar feed_in_limitation);
 * - `cost`: the cost policy with honest inputs only: prices as published (no day-ahead price before
 *   13:00 the day before), PriceInformedPvForecast (the measured past weather and the published
 *   prices), HistoryLoadForecast fed by the site's own past;
 * - `perfect_foresight`: the same planner and executor, told the actual PV and load and every price
 *   48 h ahead: the bound no forecast can beat.
 */
export const REGIMES = ['no_control', 'self_consumption', 'cost', 'perfect_foresight'] as const;
export type Regime = (typeof REGIMES)[number];

export interface BacktestOptions {
  /** The site: solar and storage devices only (see docs/backtest.md). */
  site: SiteConfig;
  /** Day-ahead spot prices covering the period, EUR/MWh. */
  prices: PriceSeries;
  /** Actual weather covering the period (the PV persistence forecast also looks 24 h back before it). */
  weather: Weather & { firstMs?: number; lastMs?: number };
  /** First instant, Unix ms (use local midnight); last instant (exclusive). */
  fromMs: number;
  toMs: number;
  /** Default: site.optimizer.tariff. */
  tariff?: Tariff;
  /** Control cycle, ms. Default 60 000. */
  cycleMs?: number;
  /** Re-plan period of `cost`, ms. Default 900 000 (15 min). */
  replanIntervalMs?: number;
  /** Re-plan period of `perfect_foresight`, ms. Default 3 600 000 (its forecasts never change). */
  perfectReplanIntervalMs?: number;
  /** Regimes to run. Default all. */
  regimes?: readonly Regime[];
  /** History of the site's base load before the period the load forecast may use, ms. Default 28 days. */
  historyWarmupMs?: number;
  /** Extra planner inputs of the `cost` regime (e.g. a price forecast beyond the published prices). Default `{ pvScenarios: true }` (what is given here is merged over it; `pvScenarios: false` plans the point forecast only). */
  costPlanInputs?: CostServiceOptions['planInputs'];
  /** Extra planner inputs of the `perfect_foresight` regime. */
  perfectPlanInputs?: CostServiceOptions['planInputs'];
  /**
   * Gives the `cost` regime one perfect input to measure what each forecast costs (attribution, see
   * docs/backtest.md): the actual PV, the actual load, or every price 48 h ahead. Default none.
   */
  costPerfect?: { pv?: boolean; load?: boolean; prices?: boolean };
  /** The `cost` regime's PV forecast. Default: PriceInformedPvForecast over the actual weather (reads only its past) and the prices the regime was shown. */
  costPvForecast?: PvForecast;
  /** Changes every problem before it is solved (experiments; e.g. another terminal value). */
  adjustProblem?: (problem: PlanProblem, regime: Regime) => PlanProblem;
  /** Called after every control step with the grid meter's reading (traces). */
  onStep?: (regime: Regime, atMs: number, step: { gridW: number; storageW: number; socPct: number; pvW: number }) => void;
  /** Called about once per simulated day. */
  onProgress?: (regime: Regime, doneFraction: number) => void;
}

export interface RegimeResult {
  regime: Regime;
  /** What the supplier bills over the period, EUR (energy at the tariff + fixed fees). */
  billEur: number;
  /** Change of the energy stored in the batteries from start to end, kWh. */
  storedDeltaKwh: number;
  /** That change valued at the closing value, EUR (added to the bill's credit side). */
  storedValueEur: number;
  /** Battery wear: throughput × site.optimizer.batteryWearEurPerKwh, EUR (what the planner also minimises). */
  wearEur: number;
  /** The comparable cost: bill + battery wear − value of the stored energy gained, EUR. */
  costEur: number;
  importKwh: number;
  exportKwh: number;
  /** PV energy produced, kWh. */
  pvKwh: number;
  /** PV energy the panels could have given but were curtailed, kWh. */
  curtailedKwh: number;
  /** Energy into plus out of the batteries, kWh. */
  batteryThroughputKwh: number;
  /** Plans made (cost regimes), and how many were the rule-based fallback. */
  plans: number;
  fallbackPlans: number;
  /** Wall time of this regime, ms. */
  wallMs: number;
  days: DayLedger[];
}

export interface BacktestResult {
  fromMs: number;
  toMs: number;
  days: number;
  cycleMs: number;
  replanIntervalMs: number;
  /** Value of 1 kWh stored at the end, EUR/kWh: median import price of the last 7 days × efficiency. */
  closingValueEurPerKwh: number;
  regimes: Partial<Record<Regime, RegimeResult>>;
  /** (self_consumption − cost) / (self_consumption − perfect_foresight), or null when not all three ran or the denominator is ≤ 0. */
  captureRatio: number | null;
  /** Wall time of the whole backtest, ms. */
  wallMs: number;
}

const DAY_MS = 86_400_000;

/** Start of the local day (in `timeZone`, default Europe/Brussels) containing `ms`. */
export function localMidnightMs(ms: number, timeZone = 'Europe/Brussels'): number {
  return localDayStartMs(ms, timeZone);
}

/** Refuses what the backtest cannot compare fairly, naming why. */
export function assertBacktestable(o: BacktestOptions): void {
  const others = o.site.devices.filter((d) => d.group !== 'solar' && d.group !== 'storage');
  if (others.length > 0) {
    throw new GridpilotError(
      `the backtest compares sites with solar and storage only; ${others.map((d) => `${d.nodeId} (${d.group})`).join(', ')} would need a comfort or car model for the regimes to consume the same energy (see docs/backtest.md)`,
      'backtest site',
    );
  }
  if (!(o.toMs > o.fromMs)) throw new GridpilotError('the period is empty: --to must be on or after --from', 'backtest period');
  if (o.prices.startMs > o.fromMs || priceSeriesEndMs(o.prices) < o.toMs) {
    throw new GridpilotError(
      `the prices cover ${new Date(o.prices.startMs).toISOString()} … ${new Date(priceSeriesEndMs(o.prices)).toISOString()}, not the whole period ${new Date(o.fromMs).toISOString()} … ${new Date(o.toMs).toISOString()}`,
      'backtest prices',
    );
  }
  const w = o.weather;
  if (w.firstMs !== undefined && w.lastMs !== undefined && (w.firstMs > o.fromMs || w.lastMs < o.toMs - 3_600_000)) {
    throw new GridpilotError(
      `the weather covers ${new Date(w.firstMs).toISOString()} … ${new Date(w.lastMs).toISOString()}; not the whole period`,
      'backtest weather',
    );
  }
}

/** Runs every regime in turn (one thread; see docs/backtest.md for the run times). */
export async function runBacktest(o: BacktestOptions): Promise<BacktestResult> {
  assertBacktestable(o);
  const t0 = performance.now();
  const tariff = o.tariff ?? o.site.optimizer.tariff;
  const cycleMs = o.cycleMs ?? 60_000;
  const replanIntervalMs = o.replanIntervalMs ?? 900_000;
  const regimes: Partial<Record<Regime, RegimeResult>> = {};
  for (const regime of o.regimes ?? REGIMES) regimes[regime] = await runRegime(regime, o, tariff, cycleMs, replanIntervalMs);
  const closing = closingValue(o, tariff);
  const sc = regimes.self_consumption?.costEur;
  const cost = regimes.cost?.costEur;
  const pf = regimes.perfect_foresight?.costEur;
  const captureRatio = sc !== undefined && cost !== undefined && pf !== undefined && sc - pf > 1e-9 ? (sc - cost) / (sc - pf) : null;
  return {
    fromMs: o.fromMs,
    toMs: o.toMs,
    days: Math.round((o.toMs - o.fromMs) / DAY_MS),
    cycleMs,
    replanIntervalMs,
    closingValueEurPerKwh: closing,
    regimes,
    captureRatio,
    wallMs: performance.now() - t0,
  };
}

function closingValue(o: BacktestOptions, tariff: Tariff): number {
  const from = Math.max(o.fromMs, o.toMs - 7 * DAY_MS);
  const spots: number[] = [];
  for (let ms = from; ms < o.toMs; ms += o.prices.slotMs) {
    const p = o.prices.pricesEurPerMwh[Math.floor((ms - o.prices.startMs) / o.prices.slotMs)];
    if (p !== undefined) spots.push(importPriceEurPerKwh(p, tariff));
  }
  const efficiency = median(o.site.devices.flatMap((d) => (d.group === 'storage' ? [d.efficiency] : [])));
  return median(spots) * (efficiency || 1);
}

/** One regime over the whole period. */
export async function runRegime(regime: Regime, o: BacktestOptions, tariff: Tariff, cycleMs: number, replanIntervalMs: number): Promise<RegimeResult> {
  const t0 = performance.now();
  const policies = {
    no_control: { solar: 'off', storage: 'off' },
    self_consumption: { solar: 'feed_in_limitation', storage: 'self_consumption' },
    cost: { solar: 'cost', storage: 'cost' },
    perfect_foresight: { solar: 'cost', storage: 'cost' },
  } as const;
  const site: SiteConfig = {
    ...o.site,
    defaults: { ...o.site.defaults, ...policies[regime] },
    control: { ...o.site.control, cycleMs },
    optimizer: { ...o.site.optimizer, tariff },
  };
  const clock = new FakeClock(o.fromMs);
  const sim = createSimulatedSite(site, clock, { weather: o.weather, carPattern: null });
  let service: CostService | null = null;
  let plans = 0;
  let fallbackPlans = 0;
  if (regime === 'cost' || regime === 'perfect_foresight') {
    const highs = await loadSolver();
    const planner = syncPlanner((problem) => {
      const plan = solvePlan(highs, o.adjustProblem ? o.adjustProblem(problem, regime) : problem, { timeLimitMs: 5000 });
      plans += 1;
      if (plan.status === 'fallback') fallbackPlans += 1;
      return plan;
    });
    const common: Pick<CostServiceOptions, 'site' | 'clock' | 'planner' | 'tariff' | 'temperatureC'> = { site, clock, planner, tariff, temperatureC: (ms) => o.weather.temperatureC(ms) };
    if (regime === 'cost') {
      // Honest inputs: what was published by then, the measured past sky, the site's own past load.
      const history = new RecordedLoadHistory();
      const warmupMs = o.historyWarmupMs ?? 28 * DAY_MS;
      for (let ms = o.fromMs - warmupMs; ms < o.fromMs; ms += cycleMs) history.record(ms, sim.world.baseLoadW(ms));
      const perfect = o.costPerfect ?? {};
      service = new CostService({
        ...common,
        prices: perfect.prices ? new StaticPriceProvider(o.prices) : new StaticPriceProvider(o.prices, { clock, timeZone: site.location.timeZone }),
        pvForecast: perfect.pv ? new WeatherPvForecast(o.weather) : (o.costPvForecast ?? new PriceInformedPvForecast(o.weather, { location: siteLocation(site), timeZone: site.location.timeZone })),
        history,
        loadForecast: perfect.load
          ? new ActualLoadForecast((ms) => sim.world.baseLoadW(ms))
          : new HistoryLoadForecast(history, new ProfileLoadForecast(new LoadProfile({ annualLoadKWh: site.optimizer.annualLoadKWh, timeZone: site.location.timeZone })), {
              weeks: site.optimizer.loadHistoryWeeks,
            }),
        replanIntervalMs,
        // Forecast-robust plan (PV scenarios sharing every decision before their PV differs) over the forecast's own past residuals: 93.8 % vs 90.2 % capture in 2024 (docs/backtest.md).
        planInputs: { pvScenarios: true, ...o.costPlanInputs },
      });
    } else {
      service = new CostService({
        ...common,
        prices: new StaticPriceProvider(o.prices),
        pvForecast: new WeatherPvForecast(o.weather),
        loadForecast: new ActualLoadForecast((ms) => sim.world.baseLoadW(ms)),
        replanIntervalMs: o.perfectReplanIntervalMs ?? 3_600_000,
        ...(o.perfectPlanInputs ? { planInputs: o.perfectPlanInputs } : {}),
      });
    }
  }
  const controller = new Controller(site, sim, clock, service ? { costPlan: service } : {});
  if (service) {
    const s = service;
    controller.onCycle((r) => s.observe(r));
    s.start();
    await s.idle();
  }
  const ledger = new Ledger(o.prices, tariff, site.location.timeZone);
  const batteries = [...sim.storage.values()];
  const inverters = [...sim.solar.values()];
  const storedKwh = (): number => batteries.reduce((s, b) => {
    const x = b.snapshot();
    return s + (x.socPct / 100) * x.capacityWh;
  }, 0) / 1000;
  const storedAtStartKwh = storedKwh();
  let pvWh = 0;
  let availableWh = 0;
  let throughputWh = 0;
  const steps = Math.round((o.toMs - o.fromMs) / cycleMs);
  const progressEvery = Math.max(1, Math.round(DAY_MS / cycleMs));
  for (let k = 0; k < steps; k++) {
    const nowMs = clock.now();
    await controller.trigger();
    // The setpoints just written hold until the next cycle.
    const meter = sim.gridMeter.snapshot();
    ledger.add(nowMs, meter.powerW, cycleMs, meter.storageW);
    for (const inv of inverters) {
      const x = inv.snapshot();
      pvWh += (x.powerW * cycleMs) / 3_600_000;
      availableWh += (x.availablePowerW * cycleMs) / 3_600_000;
    }
    throughputWh += (Math.abs(meter.storageW) * cycleMs) / 3_600_000;
    if (o.onStep) o.onStep(regime, nowMs, { gridW: meter.powerW, storageW: meter.storageW, socPct: batteries[0]?.snapshot().socPct ?? 0, pvW: inverters.reduce((s, inv) => s + inv.snapshot().powerW, 0) });
    clock.advance(cycleMs);
    if (service) await service.idle();
    if (o.onProgress && (k + 1) % progressEvery === 0) o.onProgress(regime, (k + 1) / steps);
  }
  await service?.stop();
  await controller.stop();
  const closing = closingValue(o, tariff);
  const storedDeltaKwh = storedKwh() - storedAtStartKwh;
  const billEur = ledger.totalBillEur();
  const days = dayRows(ledger.days);
  const wearEur = (throughputWh / 1000) * site.optimizer.batteryWearEurPerKwh;
  return {
    regime,
    billEur,
    storedDeltaKwh,
    storedValueEur: storedDeltaKwh * closing,
    wearEur,
    costEur: billEur + wearEur - storedDeltaKwh * closing,
    importKwh: days.reduce((s, d) => s + d.importKwh, 0),
    exportKwh: days.reduce((s, d) => s + d.exportKwh, 0),
    pvKwh: pvWh / 1000,
    curtailedKwh: Math.max(0, availableWh - pvWh) / 1000,
    batteryThroughputKwh: throughputWh / 1000,
    plans,
    fallbackPlans,
    wallMs: performance.now() - t0,
    days,
  };
}

/** The period [from 00:00, to 24:00) in local time (`timeZone`, the site's; default Europe/Brussels) for two local dates (YYYY-MM-DD, inclusive). */
export function localPeriod(fromDate: string, toDate: string, timeZone = 'Europe/Brussels'): { fromMs: number; toMs: number } {
  const dayIndex = (date: string): number => {
    const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(date);
    if (!m) throw new GridpilotError(`not a date (YYYY-MM-DD): "${date}"`, 'backtest period');
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    if (new Date(ms).toISOString().slice(0, 10) !== date) throw new GridpilotError(`not a calendar date: "${date}"`, 'backtest period');
    return Math.floor(ms / DAY_MS);
  };
  return { fromMs: wallTimeToUtcMs(dayIndex(fromDate), 0, timeZone), toMs: wallTimeToUtcMs(dayIndex(toDate) + 1, 0, timeZone) };
}
