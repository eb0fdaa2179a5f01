import { GridpilotError } from '../../core/errors.ts';
import { localDayIndexOf, wallTimeToUtcMs } from '../../core/local-time.ts';
import { devicesOf, hardExportLimitW, hardImportLimitW, type SiteConfig } from '../../site/site-config.ts';
import type { LoadForecast } from '../forecast/load-forecast.ts';
import type { PvForecast } from '../forecast/pv-forecast.ts';
import { priceAtEurPerMwh, priceSeriesEndMs, resamplePriceSeries, slicePriceSeries, type PriceSeries } from '../prices/price-series.ts';
import { applyTariff, BELGIAN_DYNAMIC_TARIFF, type Tariff } from '../prices/tariff.ts';
import { median, type EnergyNeed, type EvSession, type PlanProblem, type PvScenario, type TerminalTier } from './plan-problem.ts';

/** What the executor knows about the site now (from its snapshot and its own counters). */
export interface SitePlanState {
  /** Per battery nodeId: SoC now, %. Default: the config's initialSocPct. */
  storageSocPct?: Record<string, number>;
  /** Per heat pump / relay nodeId: on now?, for how long (s), and energy already used today (local day), Wh. */
  onOff?: Record<string, { isOn: boolean; stateForS: number; energyTodayWh?: number }>;
  /** Per EV charger nodeId: the sessions known or expected (a plugged-in car has fromMs ≤ now). */
  evSessions?: Record<string, EvSession[]>;
}

/** Options of {@link buildPlanProblem}. */
export interface PlanInputs {
  site: SiteConfig;
  /** Now, Unix ms. Slot 0 is the slot containing now. */
  nowMs: number;
  /** Spot prices known now (any slot length dividing or divided by slotMs). */
  spotPrices: PriceSeries;
  /** Default: BELGIAN_DYNAMIC_TARIFF. */
  tariff?: Tariff;
  pvForecast: PvForecast;
  loadForecast: LoadForecast;
  /** Outdoor temperature forecast, °C, for heat-pump needs (degree days). Default: 10 °C. */
  temperatureC?: (ms: number) => number;
  state?: SitePlanState;
  /** Slot length, ms. Default 900 000 (15 min). */
  slotMs?: number;
  /** Longest horizon, ms; the plan also stops where the prices end. Default and at most 48 h. */
  maxHorizonMs?: number;
  /** Daily energy need per heat pump nodeId, Wh, overriding the degree-day model. */
  heatPumpEnergyPerDayWh?: Record<string, number>;
  /** Daily run time per relay nodeId, s (a relay without one only runs when it pays: negative prices). */
  relayRunPerDayS?: Record<string, number>;
  /** Battery wear, EUR per kWh in or out. Default 0.02. */
  cycleCostEurPerKwh?: number;
  /** Degree-day model of heat pumps (see {@link heatPumpEnergyPerDayWh}). */
  heating?: Partial<HeatingModel>;
  /**
   * Spot prices beyond the known ones, up to the horizon (the slots so planned are marked
   * `priceIsForecast`). Default none: the plan ends where the known prices end.
   */
  priceForecast?: PriceForecast;
  /**
   * How energy left in the batteries at the end is valued (see docs/optimizer.md "Terminal value"):
   * 'flat' = all of it at the median import price × efficiency; 'tiered' = what the site will need
   * after the horizon until the sun next covers its load (from the forecasts) at that value, the
   * rest (which the next PV surplus would displace) at `surplusValue`. Default 'tiered'.
   */
  terminalValue?: 'flat' | 'tiered';
  /** Value of the stored energy beyond that need, per kWh stored: 'export' = median export price × η, 'mid' = the mean of the median import and export prices × η. Default 'mid'. */
  surplusValue?: 'export' | 'mid';
  /**
   * Plan robustly against the PV forecast (two-stage stochastic MPC, see PlanProblem.pvScenarios):
   * when true and the PV forecast offers `forecastScenarios`, the problem carries its scenarios (the
   * planner uses them only on sites without on/off assets or EVs). Default false.
   */
  pvScenarios?: boolean;
}

/** Forecasts spot prices for slots after the known ones. Replaceable. */
export interface PriceForecast {
  /** `count` prices, EUR/MWh, for the slots of `slotMs` from `fromMs` (the end of `known`). */
  forecastSpotEurPerMwh(known: PriceSeries, fromMs: number, slotMs: number, count: number): number[];
}

/**
 * Day-ahead price persistence: each slot gets the price of the same time one day earlier (or
 * two, …: the latest day that is known). The day-ahead shape repeats from day to day far more than
 * its level, and it uses only published prices. Across a DST change the local hour is off by one
 * for a day (accepted).
 */
export class PersistencePriceForecast implements PriceForecast {
  forecastSpotEurPerMwh(known: PriceSeries, fromMs: number, slotMs: number, count: number): number[] {
    const endMs = priceSeriesEndMs(known);
    return Array.from({ length: count }, (_, i) => {
      const ms = fromMs + i * slotMs;
      const back = Math.ceil((ms + slotMs - endMs) / 86_400_000);
      const price = priceAtEurPerMwh(known, ms - Math.max(1, back) * 86_400_000);
      return price ?? known.pricesEurPerMwh[known.pricesEurPerMwh.length - 1] ?? 0;
    });
  }
}

/** Heat-pump daily need from the day's mean temperature. */
export interface HeatingModel {
  /** No heating above this daily mean, °C. Default 16. */
  baseTemperatureC: number;
  /** Daily mean at which the pump runs all day, °C. Default −8 (Belgian design temperature). */
  designTemperatureC: number;
  /** Share of the day it runs whatever the weather (hot water), 0–1. Default 0.1. */
  minDutyFraction: number;
}

const DEFAULT_HEATING: HeatingModel = { baseTemperatureC: 16, designTemperatureC: -8, minDutyFraction: 0.1 };

/**
 * Heat-pump energy for one day, Wh: rated power × 24 h × duty, duty = (base − mean T) / (base − design),
 * clamped to [minDutyFraction, 1]. A deliberately simple degree-day model (documented in docs/optimizer.md).
 */
export function heatPumpEnergyPerDayWh(ratedPowerW: number, meanTemperatureC: number, model: Partial<HeatingModel> = {}): number {
  const m = { ...DEFAULT_HEATING, ...model };
  const duty = Math.min(1, Math.max(m.minDutyFraction, (m.baseTemperatureC - meanTemperatureC) / (m.baseTemperatureC - m.designTemperatureC)));
  return ratedPowerW * 24 * duty;
}

/**
 * Builds the planner's problem for a configured site: prices through the tariff on the slot grid,
 * forecasts per slot, device ratings from the config, state from the executor, needs per local
 * day (the site's time zone, site.location.timeZone). Throws a GridpilotError when no price covers the current slot.
 */
export function buildPlanProblem(inputs: PlanInputs): PlanProblem {
  const { site, nowMs } = inputs;
  const slotMs = inputs.slotMs ?? 900_000;
  const startMs = Math.floor(nowMs / slotMs) * slotMs;
  const maxHorizonMs = Math.min(inputs.maxHorizonMs ?? 48 * 3_600_000, 48 * 3_600_000);
  const grid = resamplePriceSeries(inputs.spotPrices, slotMs);
  const known = slicePriceSeries(grid, startMs, Math.min(startMs + maxHorizonMs, priceSeriesEndMs(grid)));
  if (known.startMs !== startMs || known.pricesEurPerMwh.length === 0) {
    throw new GridpilotError(`no price known for the slot starting ${new Date(startMs).toISOString()}`, 'plan inputs');
  }
  const knownUntilMs = priceSeriesEndMs(known);
  const missing = Math.floor((startMs + maxHorizonMs - knownUntilMs) / slotMs);
  const spot: PriceSeries =
    inputs.priceForecast && missing > 0
      ? { ...known, pricesEurPerMwh: [...known.pricesEurPerMwh, ...inputs.priceForecast.forecastSpotEurPerMwh(grid, knownUntilMs, slotMs, missing)] }
      : known;
  const n = spot.pricesEurPerMwh.length;
  const endMs = startMs + n * slotMs;
  const prices = applyTariff(spot, inputs.tariff ?? BELGIAN_DYNAMIC_TARIFF);
  const request = { issuedAtMs: nowMs, fromMs: startMs, slotMs, slotCount: n };
  const state = inputs.state ?? {};
  const days = localDays(startMs, endMs, site.location.timeZone);
  const temperature = inputs.temperatureC ?? (() => 10);

  const onOffOf = (group: 'heat_pump' | 'switched_load') =>
    devicesOf(site, group).map((d) => {
      const s = state.onOff?.[d.nodeId] ?? { isOn: false, stateForS: 86_400 };
      const slotWh = (d.ratedPowerW * slotMs) / 3_600_000;
      const needs: EnergyNeed[] = days.flatMap(({ fromMs, untilMs }, i) => {
        let perDayWh: number;
        if (group === 'heat_pump') {
          const meanC = meanOf(temperature, fromMs, untilMs);
          perDayWh = inputs.heatPumpEnergyPerDayWh?.[d.nodeId] ?? heatPumpEnergyPerDayWh(d.ratedPowerW, meanC, inputs.heating);
        } else {
          const runS = inputs.relayRunPerDayS?.[d.nodeId];
          if (runS === undefined) return [];
          perDayWh = (d.ratedPowerW * runS) / 3600;
        }
        const doneWh = i === 0 ? (s.energyTodayWh ?? 0) : 0;
        // Today's need is what is left of it; a day the horizon cuts short needs its share pro rata.
        const shareOfDay = untilMs > endMs ? Math.max(0, endMs - Math.max(fromMs, startMs)) / (untilMs - fromMs) : 1;
        const needWh = Math.max(0, perDayWh * shareOfDay - doneWh);
        // Heat pumps may take a little more (comfort band); relays run their time, rounded up to a slot.
        const maxWh = group === 'heat_pump' ? needWh * 1.2 + slotWh : Math.ceil(needWh / slotWh - 1e-9) * slotWh;
        return [{ fromMs: Math.max(fromMs, startMs), untilMs: Math.min(untilMs, endMs), energyWh: needWh, maxEnergyWh: maxWh }];
      });
      return { nodeId: d.nodeId, kind: group, ratedPowerW: d.ratedPowerW, minOnS: d.minOnS, minOffS: d.minOffS, maxOnS: d.maxOnS, maxStartsPerHour: d.maxStartsPerHour, isOn: s.isOn, stateForS: s.stateForS, needs };
    });

  const tiers = (efficiency: number): TerminalTier[] | undefined => {
    if ((inputs.terminalValue ?? 'tiered') === 'flat') return undefined;
    // Forecast of the day after the horizon: the net deficit until PV next covers the load.
    const after = { issuedAtMs: nowMs, fromMs: endMs, slotMs, slotCount: Math.round(86_400_000 / slotMs) };
    const load = inputs.loadForecast.forecastBaseLoadW(after);
    const pv = new Array<number>(after.slotCount).fill(0);
    for (const d of devicesOf(site, 'solar')) {
      inputs.pvForecast.forecastAvailableW({ ratedPowerW: d.ratedPowerW, ...(d.peakPowerW ? { peakPowerW: d.peakPowerW } : {}) }, after).forEach((w, t) => (pv[t] = (pv[t] ?? 0) + w));
    }
    let needWh = 0;
    for (let t = 0; t < after.slotCount; t++) {
      const net = (load[t] ?? 0) - (pv[t] ?? 0);
      if (net < 0) break;
      needWh += (net * slotMs) / 3_600_000;
    }
    const importMedian = median(prices.importEurPerKwh);
    const exportMedian = Math.min(median(prices.exportEurPerKwh), importMedian);
    const surplus = (inputs.surplusValue ?? 'mid') === 'export' ? exportMedian : (importMedian + exportMedian) / 2;
    return [
      { energyWh: needWh / efficiency, eurPerKwh: importMedian * efficiency },
      { energyWh: Infinity, eurPerKwh: surplus * efficiency },
    ];
  };

  const solarDevices = devicesOf(site, 'solar');
  const systemOf = (d: (typeof solarDevices)[number]) => ({ ratedPowerW: d.ratedPowerW, ...(d.peakPowerW ? { peakPowerW: d.peakPowerW } : {}) });
  let pvScenarios: PvScenario[] | undefined;
  const scenariosOf = inputs.pvForecast.forecastScenarios?.bind(inputs.pvForecast);
  if (inputs.pvScenarios && scenariosOf && solarDevices.length > 0) {
    const perArray = solarDevices.map((d) => scenariosOf(systemOf(d), request));
    const count = perArray[0]?.length ?? 0;
    if (count >= 2 && perArray.every((a) => a.length === count)) {
      pvScenarios = Array.from({ length: count }, (_, k) => ({ weight: perArray[0]?.[k]?.weight ?? 0, solarAvailableW: perArray.map((a) => a[k]?.availableW ?? []) }));
    }
  }

  return {
    startMs,
    slotMs,
    importPriceEurPerKwh: prices.importEurPerKwh,
    exportPriceEurPerKwh: prices.exportEurPerKwh,
    baseLoadW: inputs.loadForecast.forecastBaseLoadW(request),
    importLimitW: Math.max(1, hardImportLimitW(site) - site.grid.safetyMarginW),
    exportLimitW: Math.max(0, hardExportLimitW(site) - site.grid.safetyMarginW),
    fixedFeesEurPerDay: (inputs.tariff ?? BELGIAN_DYNAMIC_TARIFF).fixedFeesEurPerDay,
    timeZone: site.location.timeZone,
    ...(priceSeriesEndMs(spot) > knownUntilMs ? { knownPricesUntilMs: knownUntilMs } : {}),
    storage: devicesOf(site, 'storage').map((d) => ({
      nodeId: d.nodeId,
      capacityWh: d.capacityWh,
      socPct: state.storageSocPct?.[d.nodeId] ?? d.initialSocPct,
      minSocPct: Math.max(d.minSocPct, d.reserveSocPct),
      maxSocPct: d.maxSocPct,
      maxChargeW: d.maxChargeW,
      maxDischargeW: d.maxDischargeW,
      efficiency: d.efficiency,
      cycleCostEurPerKwh: inputs.cycleCostEurPerKwh ?? 0.02,
      ...withTiers(tiers(d.efficiency)),
    })),
    solar: devicesOf(site, 'solar').map((d) => ({
      nodeId: d.nodeId,
      availableW: inputs.pvForecast.forecastAvailableW({ ratedPowerW: d.ratedPowerW, ...(d.peakPowerW ? { peakPowerW: d.peakPowerW } : {}) }, request),
      canCurtail: true,
    })),
    onOff: [...onOffOf('heat_pump'), ...onOffOf('switched_load')],
    evs: devicesOf(site, 'variable_power_load').map((d) => ({
      nodeId: d.nodeId,
      minPowerW: d.minCurrentA * d.phases * d.voltageV,
      maxPowerW: d.maxCurrentA * d.phases * d.voltageV,
      canPause: d.allowZeroCurrent,
      sessions: (state.evSessions?.[d.nodeId] ?? []).filter((s) => s.untilMs > startMs && s.fromMs < endMs),
    })),
    ...(pvScenarios ? { pvScenarios } : {}),
  };
}

const withTiers = (tiers: TerminalTier[] | undefined): { terminalTiers?: TerminalTier[] } => (tiers ? { terminalTiers: tiers } : {});

/** Local days (in `timeZone`) overlapping [fromMs, toMs), as UTC instants. */
function localDays(fromMs: number, toMs: number, timeZone: string): Array<{ fromMs: number; untilMs: number }> {
  const out: Array<{ fromMs: number; untilMs: number }> = [];
  for (let day = localDayIndexOf(fromMs, timeZone); ; day++) {
    const dayStart = wallTimeToUtcMs(day, 0, timeZone);
    if (dayStart >= toMs) break;
    out.push({ fromMs: dayStart, untilMs: wallTimeToUtcMs(day + 1, 0, timeZone) });
  }
  return out;
}

function meanOf(f: (ms: number) => number, fromMs: number, toMs: number): number {
  let sum = 0;
  const steps = 24;
  for (let k = 0; k < steps; k++) sum += f(fromMs + ((k + 0.5) * (toMs - fromMs)) / steps);
  return sum / steps;
}
