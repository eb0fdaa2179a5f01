import { MS_PER_H } from '../../core/units.ts';

/**
 * ∫ powerW(t) dt from `fromMs` to `toMs`, Wh, by the midpoint rule on equal steps of at most
 * `maxStepMs` (default 60 000). Used for energy counters whose power follows the weather.
 * Returns 0 when `toMs ≤ fromMs`.
 */
export function integrateEnergyWh(fromMs: number, toMs: number, powerW: (ms: number) => number, maxStepMs = 60_000): number {
  const spanMs = toMs - fromMs;
  if (!(spanMs > 0)) return 0;
  const steps = Math.ceil(spanMs / maxStepMs);
  const stepMs = spanMs / steps;
  let sumW = 0;
  for (let i = 0; i < steps; i++) sumW += powerW(fromMs + (i + 0.5) * stepMs);
  return (sumW * stepMs) / MS_PER_H;
}
