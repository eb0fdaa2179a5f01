import { z } from 'zod';
import type { PriceSeries } from './price-series.ts';

/**
 * Prices pushed by the integrator over MQTT (topic `gridpilot/prices/<serial>`, see price-push.ts). One JSON message:
 *
 *     { "time": 1735732800,                      // when the message was made, Unix s
 *       "currency": "EUR",
 *       "prices": [ { "start": 1735772400, "end": 1735773300, "price_eur_mwh": 84.1 }, … ] }
 *
 * `prices`: 1–400 slots of one length (15 or 60 min, or any whole number of minutes that divides a
 * day), ascending, contiguous (each `start` is the previous `end`), each starting on a boundary of its
 * length. `price_eur_mwh` is the spot price in EUR/MWh (may be negative). Unknown keys are errors.
 * A message replaces the prices it covers and keeps the rest (see PushedPriceProvider).
 */

const unixS = z.number().int('must be whole seconds').nonnegative().max(4_102_444_800, 'must be Unix seconds (before 2100)');

export const PriceSlotMessageSchema = z.strictObject({
  /** Slot start, Unix s. */
  start: unixS,
  /** Slot end (exclusive), Unix s, > start. */
  end: unixS,
  /** Spot price, EUR/MWh, finite, may be negative. */
  price_eur_mwh: z.number().finite(),
});

export const PriceMessageSchema = z.strictObject({
  /** When the integrator built the message, Unix s. */
  time: unixS,
  /** Only EUR is understood. */
  currency: z.literal('EUR'),
  prices: z.array(PriceSlotMessageSchema).min(1).max(400),
});

export type PriceMessage = z.infer<typeof PriceMessageSchema>;

/** Result of {@link validatePriceMessage}: the series, or every problem with its path. */
export type PriceMessageCheck = { ok: true; message: PriceMessage; series: PriceSeries } | { ok: false; errors: string[] };

/**
 * Validates a parsed JSON value (or a JSON string) against the price message format and its
 * time rules. Never throws: bad input gives `{ ok: false, errors: ['prices[3].end: …'] }`.
 */
export function validatePriceMessage(input: unknown): PriceMessageCheck {
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
    if (lengthS % 60 !== 0 || 86_400 % lengthS !== 0) errors.push(`prices: slot length ${lengthS} s must be whole minutes dividing a day (900 or 3600)`);
    else if (first.start % lengthS !== 0) errors.push(`prices[0].start: ${first.start} is not on a ${lengthS / 60}-minute boundary`);
  }
  if (errors.length) return { ok: false, errors };
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
