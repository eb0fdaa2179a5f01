import type { PriceSeries } from './price-series.ts';

/**
 * What the site pays and earns per kWh, from the spot price (a dynamic contract):
 *
 *     offtake (import)   EUR/kWh = offtakeSpotFactor   × spot / 1000 + offtakeAdderEurPerKwh
 *     injection (export) EUR/kWh = injectionSpotFactor × spot / 1000 − injectionFeeEurPerKwh
 *
 * with spot in EUR/MWh. Fixed fees (per day) do not depend on what the site does, so they change no
 * decision; they are added to the plan's and the baseline's cost alike so the totals look like a bill.
 */
export interface Tariff {
  /** a: multiplier on spot for offtake, dimensionless (VAT on the energy part can go here). Default 1.0. */
  offtakeSpotFactor: number;
  /** b: added to every offtake kWh, EUR/kWh: supplier margin, network distribution and transmission, levies, excise, VAT. Default 0.12. */
  offtakeAdderEurPerKwh: number;
  /** c: multiplier on spot for injection, dimensionless. Default 1.0. */
  injectionSpotFactor: number;
  /** d: taken off every injected kWh, EUR/kWh (supplier's injection fee). Default 0.01. */
  injectionFeeEurPerKwh: number;
  /** Fixed network and supplier fees, EUR per day (data management, fixed term, capacity tariff averaged). Default 0.40 (≈ 146 EUR/year). */
  fixedFeesEurPerDay: number;
}

/**
 * Belgian-style defaults for a residential dynamic contract (Flanders, 2024–2025 order of magnitude):
 * offtake = spot + 0.12 EUR/kWh (≈ 0.01 supplier margin, 0.06 distribution and transmission,
 * 0.05 excise and levies incl. VAT), injection = spot − 0.01 EUR/kWh, 0.40 EUR/day fixed.
 * Every site should put its own contract here; the optimiser only needs it to be roughly right.
 */
export const BELGIAN_DYNAMIC_TARIFF: Tariff = {
  offtakeSpotFactor: 1.0,
  offtakeAdderEurPerKwh: 0.12,
  injectionSpotFactor: 1.0,
  injectionFeeEurPerKwh: 0.01,
  fixedFeesEurPerDay: 0.4,
};

/** Offtake (import) price, EUR/kWh, for a spot price in EUR/MWh. */
export function importPriceEurPerKwh(spotEurPerMwh: number, tariff: Tariff = BELGIAN_DYNAMIC_TARIFF): number {
  return (tariff.offtakeSpotFactor * spotEurPerMwh) / 1000 + tariff.offtakeAdderEurPerKwh;
}

/** Injection (export) price, EUR/kWh, for a spot price in EUR/MWh; negative means exporting costs money. */
export function exportPriceEurPerKwh(spotEurPerMwh: number, tariff: Tariff = BELGIAN_DYNAMIC_TARIFF): number {
  return (tariff.injectionSpotFactor * spotEurPerMwh) / 1000 - tariff.injectionFeeEurPerKwh;
}

/** What the site pays and earns per slot of a spot series. */
export interface SitePrices {
  startMs: number;
  slotMs: number;
  /** Offtake price per slot, EUR/kWh. */
  importEurPerKwh: number[];
  /** Injection price per slot, EUR/kWh (may be negative). */
  exportEurPerKwh: number[];
}

/** Applies the tariff to every slot of a spot series. */
export function applyTariff(series: PriceSeries, tariff: Tariff = BELGIAN_DYNAMIC_TARIFF): SitePrices {
  return {
    startMs: series.startMs,
    slotMs: series.slotMs,
    importEurPerKwh: series.pricesEurPerMwh.map((p) => importPriceEurPerKwh(p, tariff)),
    exportEurPerKwh: series.pricesEurPerMwh.map((p) => exportPriceEurPerKwh(p, tariff)),
  };
}

/** A tariff from partial settings over the Belgian defaults. */
export function makeTariff(overrides: Partial<Tariff> = {}): Tariff {
  return { ...BELGIAN_DYNAMIC_TARIFF, ...overrides };
}
