import { localDateOf, localDayIndexOf } from '../../core/local-time.ts';
import { exportPriceEurPerKwh, importPriceEurPerKwh, type Tariff } from '../prices/tariff.ts';
import { priceAtEurPerMwh, type PriceSeries } from '../prices/price-series.ts';

/** One local day (the site's time zone) of a backtest regime. */
export interface DayLedger {
  /** Local date, YYYY-MM-DD. */
  date: string;
  /** What the supplier bills for the day, EUR: imports − exports at the slot prices after the tariff, plus the fixed fees. */
  billEur: number;
  importKwh: number;
  exportKwh: number;
  /** Energy into plus out of the batteries, kWh. */
  batteryThroughputKwh: number;
  /** Highest minus lowest import price of the day, EUR/kWh (how much there was to gain). */
  priceSpreadEurPerKwh: number;
}

const WH_PER_W_MS = 1 / 3_600_000;

/**
 * The meter and the bill: import and export energy are counted separately per control step (no
 * netting inside a quarter hour, as a digital meter registers them) and priced at the slot's
 * day-ahead price through the tariff; the fixed fees accrue per day.
 */
export class Ledger {
  readonly days: DayLedger[] = [];
  private day: (DayLedger & { index: number; minPrice: number; maxPrice: number }) | null = null;

  constructor(
    private readonly prices: PriceSeries,
    private readonly tariff: Tariff,
    /** IANA time zone the days are counted in (the site's). Default Europe/Brussels. */
    private readonly timeZone = 'Europe/Brussels',
  ) {}

  /** Adds a step of `durationMs` from `atMs` at grid power `gridW` (+ import) and battery power `storageW` (+ charge). */
  add(atMs: number, gridW: number, durationMs: number, storageW = 0): void {
    const localDay = localDayIndexOf(atMs, this.timeZone);
    if (!this.day || this.day.index !== localDay) this.openDay(localDay);
    const day = this.day as NonNullable<typeof this.day>;
    const spot = priceAtEurPerMwh(this.prices, atMs);
    if (spot === undefined) throw new RangeError(`no price for ${new Date(atMs).toISOString()}`);
    const pi = importPriceEurPerKwh(spot, this.tariff);
    const pe = exportPriceEurPerKwh(spot, this.tariff);
    day.minPrice = Math.min(day.minPrice, pi);
    day.maxPrice = Math.max(day.maxPrice, pi);
    day.priceSpreadEurPerKwh = day.maxPrice - day.minPrice;
    day.batteryThroughputKwh += (Math.abs(storageW) * durationMs * WH_PER_W_MS) / 1000;
    const kwh = (Math.abs(gridW) * durationMs * WH_PER_W_MS) / 1000;
    if (gridW >= 0) {
      day.importKwh += kwh;
      day.billEur += kwh * pi;
    } else {
      day.exportKwh += kwh;
      day.billEur -= kwh * pe;
    }
  }

  /** Σ billEur over the days. */
  totalBillEur(): number {
    return this.days.reduce((s, d) => s + d.billEur, 0);
  }

  private openDay(index: number): void {
    const day = {
      date: localDateOf(index),
      billEur: this.tariff.fixedFeesEurPerDay,
      importKwh: 0,
      exportKwh: 0,
      batteryThroughputKwh: 0,
      priceSpreadEurPerKwh: 0,
      index,
      minPrice: Infinity,
      maxPrice: -Infinity,
    };
    this.days.push(day);
    this.day = day;
  }
}

/** The public view of the days (without the ledger's bookkeeping). */
export function dayRows(days: readonly DayLedger[]): DayLedger[] {
  return days.map((d) => ({ date: d.date, billEur: d.billEur, importKwh: d.importKwh, exportKwh: d.exportKwh, batteryThroughputKwh: d.batteryThroughputKwh, priceSpreadEurPerKwh: d.priceSpreadEurPerKwh }));
}
