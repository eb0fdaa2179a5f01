/** What a forecast is asked for: values for `slotCount` slots of `slotMs` from `fromMs`, as known at `issuedAtMs`. */
export interface ForecastRequest {
  /** When the forecast is made, Unix ms: a forecast may use data up to here and no later (no peeking). */
  issuedAtMs: number;
  /** Start of the first slot, Unix ms. */
  fromMs: number;
  /** Slot length, ms, > 0. */
  slotMs: number;
  /** Number of slots, ≥ 0. */
  slotCount: number;
}

/** Start of slot `i` of a request, Unix ms. */
export function slotStartMs(request: ForecastRequest, i: number): number {
  return request.fromMs + i * request.slotMs;
}

/** Mean of `f` over [fromMs, fromMs + spanMs), by the midpoint rule on `samples` points. */
export function meanOver(f: (ms: number) => number, fromMs: number, spanMs: number, samples = 3): number {
  let sum = 0;
  for (let k = 0; k < samples; k++) sum += f(fromMs + ((k + 0.5) * spanMs) / samples);
  return sum / samples;
}
