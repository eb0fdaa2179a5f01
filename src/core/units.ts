/** Small numeric helpers shared by every layer. Units live in names: W, Wh, A, V, Pct, Ms, S. */

export const MS_PER_S = 1000;
export const MS_PER_H = 3_600_000;

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

/** Energy in Wh delivered by `powerW` during `durationMs`. */
export function energyWh(powerW: number, durationMs: number): number {
  return (powerW * durationMs) / MS_PER_H;
}

/** Rounds to whole watts (the wire carries integers where it can). */
export function roundW(powerW: number): number {
  return Math.round(powerW);
}

/** Start of the UTC day containing `ms` (the `today_*` counters reset there). */
export function utcDayStartMs(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}
