import { z } from 'zod';
import type { PriceSeries } from './price-series.ts';

/**
 * Prices pushed by the integrator over MQTT (topic `gridpilot/prices/<serial>`, see price-push.ts). One JSON message:
 *
 *     { "time": 1735732800,                      // when the message was made, Unix s
 *       "currency": "EUR",
 *       "prices": [ { "start": 1735772400, "end": 1735773300, "price_eur_mwh": 84.1 }, … ] }
 *
 * `prices`: 1–400 slots of one length ({@link PRICE_SLOT_MINUTES}: 5, 15, 30 or 60 min), ascending,
 * contiguous (each `start` is the previous `end`), each starting on a boundary of its length.
 * `price_eur_mwh` is the spot price in EUR/MWh (may be negative; |price| ≤ {@link MAX_ABS_PRICE_EUR_MWH}).
 * Unknown keys are errors. With `nowMs` (the MQTT channel), a message whose last slot ended more than
 * {@link MAX_PRICE_AGE_MS} ago, or whose first slot starts more than {@link MAX_PRICE_LEAD_MS} ahead, is refused.
 * A message replaces the prices it covers and keeps the rest (see PushedPriceProvider).
 */

/**
 * The slot lengths accepted, minutes [decided, docs/protocol.md § Price messages]: each divides the
 * next (5 | 15 | 30 | 60), so any two series combine on the finer one and every one resamples onto
 * the plan's 15-minute slots. 10 or 20 minutes would not: 10-minute prices stored once made every
 * later 15-minute message fail ("cannot resample 900000 ms slots to 600000 ms").
 */
export const PRICE_SLOT_MINUTES: readonly number[] = [5, 15, 30, 60];
/** Largest |price| accepted, EUR/MWh: the day-ahead market's limits are −500 and +4,000 (SDAC harmonised). */
export const MAX_ABS_PRICE_EUR_MWH = 10_000;
/** A message whose last slot ended longer ago than this (controller clock) is refused: 48 h. */
export const MAX_PRICE_AGE_MS = 48 * 3_600_000;
/** A message whose first slot starts later than this after now is refused: 7 days (it would replace every price known, not join them). */
export const MAX_PRICE_LEAD_MS = 7 * 86_400_000;

/** Whether a series' slot length is one of {@link PRICE_SLOT_MINUTES} (a stored series from before the rule may not be). */
export function isAcceptedPriceSlotMs(slotMs: number): boolean {
  return PRICE_SLOT_MINUTES.some((m) => m * 60_000 === slotMs);
}

const unixS = z.number().int('must be whole seconds').nonnegative().max(4_102_444_800, 'must be Unix seconds (before 2100)');

export const PriceSlotMessageSchema = z.strictObject({
  /** Slot start, Unix s. */
  start: unixS,
  /** Slot end (exclusive), Unix s, > start. */
  end: unixS,
  /** Spot price, EUR/MWh, finite, may be negative, |price| ≤ 10,000. */
  price_eur_mwh: z
    .number()
    .finite()
    .refine((p) => Math.abs(p) <= MAX_ABS_PRICE_EUR_MWH, { error: (issue) => `must be within ±${MAX_ABS_PRICE_EUR_MWH.toLocaleString('en-US')} EUR/MWh (the day-ahead market's limits are −500 and +4,000), got ${String(issue.input)}` }),
});

export const PriceMessageSchema = z.strictObject({
  /** When the integrator built the message, Unix s. */
  time: unixS,
  /** Only EUR is understood. */
  currency: z.literal('EUR'),
  prices: z.array(PriceSlotMessageSchema).min(1).max(400),
});

export type PriceMessage = z.infer<typeof PriceMessageSchema>;

/**
 * Result of {@link validatePriceMessage}: the series, or every problem with its path. `isTimeRefused`:
 * the message is well formed but too old or too far ahead (response_code 15, not 11).
 */
export type PriceMessageCheck = { ok: true; message: PriceMessage; series: PriceSeries } | { ok: false; errors: string[]; isTimeRefused?: boolean };

export interface PriceMessageOptions {
  /** The controller's now, Unix ms: enables the age and lead rules (the MQTT channel; a price file has none). */
  nowMs?: number;
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * Validates a parsed JSON value (or a JSON string) against the price message format and its
 * time rules. Never throws: bad input gives `{ ok: false, errors: ['prices[3].end: …'] }`.
 */
export function validatePriceMessage(input: unknown, options: PriceMessageOptions = {}): PriceMessageCheck {
  let value = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    try {
      value = JSON.parse(typeof input === 'string' ? input : new TextDecoder().decode(input));
    } catch (err) {
      return { ok: false, errors: [`(root): not valid JSON: ${(err as Error).message}`] };
    }
  }
  const parsed = PriceMessageSchema.safeParse(value);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`) };
  }
  const message = parsed.data;
  const errors: string[] = [];
  const first = message.prices[0];
  const lengthS = first ? first.end - first.start : 0;
  message.prices.forEach((slot, i) => {
    const at = `prices[${i}]`;
    if (slot.end <= slot.start) errors.push(`${at}.end: must be after start (${slot.start}), got ${slot.end}`);
    else if (slot.end - slot.start !== lengthS) errors.push(`${at}: all slots must have one length (${lengthS} s), this one has ${slot.end - slot.start} s`);
    const previous = message.prices[i - 1];
    if (previous && slot.start !== previous.end) {
      errors.push(`${at}.start: must equal the previous slot's end (${previous.end}), got ${slot.start}${slot.start < previous.end ? ' (overlap or wrong order)' : ' (gap)'}`);
    }
  });
  if (errors.length === 0 && first) {
    if (!isAcceptedPriceSlotMs(lengthS * 1000)) {
      const minutes = lengthS % 60 === 0 ? ` (${lengthS / 60} min)` : '';
      errors.push(
        `prices: slot length ${lengthS} s${minutes} is not accepted; use 15 or 60 min (also 5 or 30): each accepted length divides the next, so prices of different messages combine on the plan's 15-minute slots`,
      );
    } else if (first.start % lengthS !== 0) errors.push(`prices[0].start: ${first.start} is not on a ${lengthS / 60}-minute boundary`);
  }
  if (errors.length) return { ok: false, errors };
  const last = message.prices[message.prices.length - 1];
  if (options.nowMs !== undefined && first && last) {
    const endMs = last.end * 1000;
    if (endMs < options.nowMs - MAX_PRICE_AGE_MS) {
      const days = (options.nowMs - endMs) / 86_400_000;
      const ago = days >= 2 ? `${Math.floor(days)} days` : `${Math.round(days * 24)} h`;
      return {
        ok: false,
        isTimeRefused: true,
        errors: [`prices[${message.prices.length - 1}].end: the last slot ended ${isoOf(endMs)}, ${ago} before the controller's now (${isoOf(options.nowMs)}); prices that ended more than 48 h ago are refused`],
      };
    }
    const startMs = first.start * 1000;
    if (startMs > options.nowMs + MAX_PRICE_LEAD_MS) {
      return {
        ok: false,
        isTimeRefused: true,
        errors: [`prices[0].start: the first slot starts ${isoOf(startMs)}, more than 7 days after the controller's now (${isoOf(options.nowMs)}); refused (it would replace every price known)`],
      };
    }
  }
  return {
    ok: true,
    message,
    series: { startMs: (first?.start ?? 0) * 1000, slotMs: lengthS * 1000, pricesEurPerMwh: message.prices.map((p) => p.price_eur_mwh) },
  };
}

/** Builds a message from a series (for integrators' tests and the docs' examples). */
export function priceMessageFromSeries(series: PriceSeries, timeMs: number): PriceMessage {
  const s = (ms: number): number => Math.round(ms / 1000);
  return {
    time: s(timeMs),
    currency: 'EUR',
    prices: series.pricesEurPerMwh.map((p, i) => ({
      start: s(series.startMs + i * series.slotMs),
      end: s(series.startMs + (i + 1) * series.slotMs),
      price_eur_mwh: p,
    })),
  };
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}
