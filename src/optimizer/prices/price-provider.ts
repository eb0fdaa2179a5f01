import type { Clock } from '../../core/clock.ts';
import { localDateOf, localDayIndexOf, MS_PER_DAY, toLocalTime, wallTimeToUtcMs } from '../../core/local-time.ts';
import { fetchEntsoeDayAheadPrices, type EntsoeFetchOptions } from './entsoe.ts';
import { mergePriceSeries, priceSeriesEndMs, slicePriceSeries, type PriceSeries } from './price-series.ts';

/**
 * Where spot prices come from. Replaceable: a file (simulation, backtests), the ENTSO-E API, or
 * prices the integrator pushes over MQTT.
 */
export interface PriceProvider {
  /**
   * Spot prices overlapping [fromMs, toMs) that are known now: the answer may start later or end
   * earlier than asked (day-ahead prices for tomorrow appear around 13:00), and is null when nothing
   * is known. Rejects only on I/O failure (the caller keeps its last plan).
   */
  readPrices(fromMs: number, toMs: number, signal?: AbortSignal): Promise<PriceSeries | null>;
  /**
   * Which days of [fromMs, toMs) it answers with another day's prices (a replay of recorded prices
   * onto dates they were not made for), or null when every price it gives is its own date's.
   * Optional: a provider without it never replays. Never rejects for a provider that holds its data.
   */
  replayOf?(fromMs: number, toMs: number, signal?: AbortSignal): Promise<PriceReplay | null>;
}

/** Prices that are another period's, replayed (see {@link PriceProvider.replayOf}): the plan page and the start banner say so. */
export interface PriceReplay {
  /** What is replayed, in words: "the bundled Belgian day-ahead prices". */
  source: string;
  /** Each local day (the site's time zone) answered with another day's prices, in order; never empty. */
  days: ReplayedDay[];
}

/** One day of a {@link PriceReplay}. */
export interface ReplayedDay {
  /** The day the prices are used for: local date YYYY-MM-DD and its local midnight, Unix ms. */
  day: string;
  fromMs: number;
  /** The recorded day whose prices it gets (a whole number of weeks away: the same weekday), local date and midnight. */
  sourceDay: string;
  sourceFromMs: number;
}

/** Minutes after local midnight (the site's time zone) at which the next day's day-ahead prices are taken as known. Default 13:00. */
export const DAY_AHEAD_PUBLICATION_MINUTE = 13 * 60;

/**
 * End of the day-ahead prices known at `nowMs`, Unix ms: the end of tomorrow (local midnight in
 * `timeZone`, the site's; default Europe/Brussels) from 13:00 local time on, else the end of today.
 * EPEX SDAC publishes its results about 12:45 CET; 13:00 leaves a margin. Counted in the site's own
 * days (its plan's days), which for a site an hour off CET (Lisbon, Helsinki) is the market's within
 * an hour. Used by backtests and replays so a plan never sees prices before they exist.
 */
export function dayAheadKnownUntilMs(nowMs: number, publicationMinute = DAY_AHEAD_PUBLICATION_MINUTE, timeZone = 'Europe/Brussels'): number {
  const local = toLocalTime(nowMs, timeZone);
  const days = local.hourOfDay * 60 >= publicationMinute ? 2 : 1;
  return wallTimeToUtcMs(local.localDayIndex + days, 0, timeZone);
}

/** Options shared by the providers that answer like the market would at the clock's time. */
export interface MarketTimeOptions {
  /** Minutes after local midnight at which tomorrow's prices are known. Default {@link DAY_AHEAD_PUBLICATION_MINUTE}. */
  publicationMinute?: number;
  /** IANA time zone the days and the publication time are counted in (the site's). Default Europe/Brussels. */
  timeZone?: string;
}

/**
 * Prices from a series held in memory (a file, a fixture). With a `clock`, it answers like the real
 * market would at the clock's time: only up to {@link dayAheadKnownUntilMs} (no peeking in backtests).
 */
export class StaticPriceProvider implements PriceProvider {
  constructor(
    private readonly series: PriceSeries,
    private readonly options: { clock?: Clock } & MarketTimeOptions = {},
  ) {}

  readPrices(fromMs: number, toMs: number): Promise<PriceSeries | null> {
    const clock = this.options.clock;
    const until = clock ? Math.min(toMs, dayAheadKnownUntilMs(clock.now(), this.options.publicationMinute, this.options.timeZone)) : toMs;
    const slice = slicePriceSeries(this.series, fromMs, until);
    return Promise.resolve(slice.pricesEurPerMwh.length ? slice : null);
  }
}

/**
 * Prices pushed by the integrator (validated messages, see price-message.ts). Each message replaces
 * the slots it covers; slots that ended more than `keepMs` before the newest message are dropped.
 */
export class PushedPriceProvider implements PriceProvider {
  private series: PriceSeries | null = null;

  constructor(private readonly options: { keepMs?: number } = {}) {}

  /**
   * Takes the series of a validated message (validatePriceMessage(...).series). Slots that ended
   * more than `keepMs` before this series starts are dropped (measured on the prices themselves,
   * not on the sender's clock, so a sender whose clock is off never loses what it just sent).
   */
  accept(series: PriceSeries): void {
    const keepMs = this.options.keepMs ?? 2 * 86_400_000;
    const kept = this.series ? slicePriceSeries(this.series, series.startMs - keepMs, priceSeriesEndMs(this.series)) : null;
    // A series is contiguous: old prices that would leave a gap beside the new ones are dropped.
    const isJoined = kept !== null && kept.pricesEurPerMwh.length > 0 && priceSeriesEndMs(kept) >= series.startMs && priceSeriesEndMs(series) >= kept.startMs;
    // Slot lengths that do not divide each other cannot combine (a series stored before the slot-length
    // rule, e.g. 10 min): the new message wins alone rather than every later one failing.
    const isCombinable = kept !== null && (kept.slotMs % series.slotMs === 0 || series.slotMs % kept.slotMs === 0);
    // Assigned only once merged: a failure leaves the held series as it was.
    this.series = mergePriceSeries(isJoined && isCombinable ? [kept, series] : [series]);
  }

  /** The whole series held now (what the store persists), or null before any message. */
  current(): PriceSeries | null {
    return this.series;
  }

  readPrices(fromMs: number, toMs: number): Promise<PriceSeries | null> {
    if (!this.series) return Promise.resolve(null);
    const slice = slicePriceSeries(this.series, fromMs, toMs);
    return Promise.resolve(slice.pricesEurPerMwh.length ? slice : null);
  }
}

/**
 * The ENTSO-E API as a provider, with a cache: the published day-ahead prices do not change, so a
 * span already fetched is answered from memory, and a fetch is made at most once per `minFetchIntervalMs`.
 */
export class EntsoePriceProvider implements PriceProvider {
  private cache: PriceSeries | null = null;
  private lastFetchMs = -Infinity;

  constructor(
    private readonly options: Omit<EntsoeFetchOptions, 'fromMs' | 'toMs' | 'signal'> & { clock: Clock; minFetchIntervalMs?: number; timeZone?: string },
  ) {}

  async readPrices(fromMs: number, toMs: number, signal?: AbortSignal): Promise<PriceSeries | null> {
    const now = this.options.clock.now();
    const cachedEnd = this.cache ? priceSeriesEndMs(this.cache) : -Infinity;
    const wantedEnd = Math.min(toMs, dayAheadKnownUntilMs(now, DAY_AHEAD_PUBLICATION_MINUTE, this.options.timeZone));
    if (cachedEnd < wantedEnd && now - this.lastFetchMs >= (this.options.minFetchIntervalMs ?? 15 * 60_000)) {
      this.lastFetchMs = now;
      const fetched = await fetchEntsoeDayAheadPrices({ ...this.options, fromMs, toMs: wantedEnd, ...(signal ? { signal } : {}) });
      this.cache = mergePriceSeries(this.cache ? [this.cache, fetched] : [fetched]);
    }
    if (!this.cache) return null;
    const slice = slicePriceSeries(this.cache, fromMs, toMs);
    return slice.pricesEurPerMwh.length ? slice : null;
  }
}

const REPLAY_SHIFT_MS = 364 * 86_400_000;

/**
 * A recorded series replayed for any date: inside the series it answers as a StaticPriceProvider
 * with a clock; outside it answers with the same weekday and time 52 weeks (364 days) earlier or
 * later, as many times as needed to land inside the series. For simulated sites and demos after the
 * bundled data ends (like the bundled weather); never for a real site's bill. {@link replayOf} says
 * which recorded days it is answering with.
 */
export class ReplayPriceProvider implements PriceProvider {
  constructor(
    private readonly series: PriceSeries,
    private readonly options: { clock: Clock; /** What the series is, in words (default "the recorded prices"). */ label?: string } & MarketTimeOptions,
  ) {}

  readPrices(fromMs: number, toMs: number): Promise<PriceSeries | null> {
    const span = this.span(fromMs, toMs);
    if (!span) return Promise.resolve(null);
    const slice = slicePriceSeries(this.series, fromMs - span.shiftMs, span.untilMs - span.shiftMs);
    if (slice.pricesEurPerMwh.length === 0) return Promise.resolve(null);
    return Promise.resolve({ ...slice, startMs: slice.startMs + span.shiftMs });
  }

  /** The local days of [fromMs, toMs) known now that get another day's prices, and which: null inside the series' own span. */
  replayOf(fromMs: number, toMs: number): Promise<PriceReplay | null> {
    const span = this.span(fromMs, toMs);
    if (!span || span.shiftMs === 0) return Promise.resolve(null);
    const timeZone = this.options.timeZone ?? 'Europe/Brussels';
    const shiftDays = Math.round(span.shiftMs / MS_PER_DAY);
    const first = Math.max(fromMs, this.series.startMs + span.shiftMs);
    const last = Math.min(span.untilMs, priceSeriesEndMs(this.series) + span.shiftMs);
    const days: ReplayedDay[] = [];
    if (last > first) {
      for (let d = localDayIndexOf(first, timeZone); d <= localDayIndexOf(last - 1, timeZone); d++) {
        days.push({ day: localDateOf(d), fromMs: wallTimeToUtcMs(d, 0, timeZone), sourceDay: localDateOf(d - shiftDays), sourceFromMs: wallTimeToUtcMs(d - shiftDays, 0, timeZone) });
      }
    }
    return Promise.resolve(days.length ? { source: this.options.label ?? 'the recorded prices', days } : null);
  }

  /** What an answer for [fromMs, toMs) covers now: the end of the known prices, and the shift (target − recorded, ms; 0 inside the series). */
  private span(fromMs: number, toMs: number): { untilMs: number; shiftMs: number } | null {
    const untilMs = Math.min(toMs, dayAheadKnownUntilMs(this.options.clock.now(), this.options.publicationMinute, this.options.timeZone));
    if (untilMs <= fromMs) return null;
    const first = this.series.startMs;
    const end = priceSeriesEndMs(this.series);
    let shiftMs = 0;
    while (untilMs - shiftMs > end) shiftMs += REPLAY_SHIFT_MS;
    while (fromMs - shiftMs < first && untilMs - (shiftMs - REPLAY_SHIFT_MS) <= end) shiftMs -= REPLAY_SHIFT_MS;
    return { untilMs, shiftMs };
  }
}
