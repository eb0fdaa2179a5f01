import { MS_PER_H } from '../../core/units.ts';
import { wallTimeToUtcMs } from '../../core/local-time.ts';

/**
 * A learned intraday blend: the clear-sky index of the hour starting `lead` after the issue time is
 * predicted as  c + p × prior + r × recent  (the forecast's prior for that hour as known at the issue
 * time, and the index measured over the last 30 min), with (c, p, r) fitted per lead by weighted
 * least squares on the forecast's own past (see PersistencePvForecast, `intradayBlend: 'learned'`).
 * A good prior (a weather service's forecast) earns a large p; a weak one (the price dip) a large r
 * in the first hours. Leads are the hours below; in between the coefficients are interpolated.
 */
export const BLEND_LEADS_H: readonly number[] = [0, 1, 2, 3, 4, 6, 8];

/** One past case: what the forecast would have had, and what came (weight: the clear-sky energy of the hour). */
export interface BlendObservation {
  prior: number;
  recent: number;
  actual: number;
  weight: number;
}

/** Coefficients (c, p, r) per lead of {@link BLEND_LEADS_H}. */
export type BlendFit = ReadonlyArray<readonly [number, number, number]>;

/**
 * Fits (c, p, r) per lead (`observations[i]` for lead BLEND_LEADS_H[i]) by weighted least squares
 * with a tiny ridge on p and r; null when a lead has fewer than `minCount` observations.
 */
export function fitIntradayBlend(observations: ReadonlyArray<readonly BlendObservation[]>, minCount = 60): BlendFit | null {
  const fit: Array<[number, number, number]> = [];
  for (const obs of observations) {
    if (obs.length < minCount) return null;
    const a = [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ];
    const b = [0, 0, 0];
    let total = 0;
    for (const o of obs) {
      const x = [1, o.prior, o.recent];
      for (let i = 0; i < 3; i++) {
        b[i] = (b[i] ?? 0) + o.weight * (x[i] ?? 0) * o.actual;
        for (let j = 0; j < 3; j++) (a[i] as number[])[j] = (a[i]?.[j] ?? 0) + o.weight * (x[i] ?? 0) * (x[j] ?? 0);
      }
      total += o.weight;
    }
    for (const i of [1, 2]) (a[i] as number[])[i] = (a[i]?.[i] ?? 0) + 1e-6 * total;
    const solved = solve3(a, b);
    if (!solved) return null;
    fit.push(solved);
  }
  return fit;
}

/**
 * The coefficients at `leadMs` (the middle of the predicted slot after the issue time): each fitted
 * lead stands for its hour's middle (lead + 30 min), linear in between, the first one before it;
 * null beyond the last fitted hour.
 */
export function blendAt(fit: BlendFit, leadMs: number): readonly [number, number, number] | null {
  const centre = (k: number): number => ((BLEND_LEADS_H[k] ?? 0) + 0.5) * MS_PER_H;
  const last = fit.length - 1;
  if (leadMs > centre(last) + MS_PER_H / 2) return null;
  let k = 0;
  while (k < last - 1 && centre(k + 1) <= leadMs) k++;
  const u = Math.min(1, Math.max(0, (leadMs - centre(k)) / (centre(k + 1) - centre(k))));
  const lo = fit[k] ?? [0, 0, 0];
  const hi = fit[k + 1] ?? lo;
  const lerp = (j: 0 | 1 | 2): number => (1 - u) * lo[j] + u * hi[j];
  return [lerp(0), lerp(1), lerp(2)];
}

/** What {@link sampleIntradayBlend} reads from the forecast, all as it was at the time asked. */
export interface BlendSources {
  /** The index measured over the 30 min before `t`, or null when the sun gave too little. */
  recentAt(t: number): number | null;
  /** The forecast's prior for the instant `ms` as known at `t`. */
  priorAt(ms: number, t: number): number;
  /** Measured index and clear-sky energy (Wh/m²) over [fromMs, toMs), or null where the weather is unknown. */
  skyOver(fromMs: number, toMs: number): { index: number; clearWh: number } | null;
}

/**
 * The past cases of the `days` local days before `localDay`: issued on every whole hour 06:00–19:00
 * whose recent index is known, one observation per lead whose hour is over before `localDay` starts
 * (local days and hours in `timeZone`, the site's; so nothing from the issue day itself is read) and had at least 10 Wh/m² of clear sky.
 */
export function sampleIntradayBlend(sources: BlendSources, localDay: number, days: number, timeZone = 'Europe/Brussels'): BlendObservation[][] {
  const observations: BlendObservation[][] = BLEND_LEADS_H.map(() => []);
  const untilMs = wallTimeToUtcMs(localDay, 0, timeZone);
  for (let day = localDay - days; day < localDay; day++) {
    for (let hour = 6; hour <= 19; hour++) {
      const t = wallTimeToUtcMs(day, hour * 60, timeZone);
      const recent = sources.recentAt(t);
      if (recent === null) continue;
      BLEND_LEADS_H.forEach((leadH, k) => {
        const from = t + leadH * MS_PER_H;
        if (from + MS_PER_H > untilMs) return;
        const sky = sources.skyOver(from, from + MS_PER_H);
        if (!sky || sky.clearWh < 10) return;
        observations[k]?.push({ prior: sources.priorAt(from + MS_PER_H / 2, t), recent, actual: sky.index, weight: sky.clearWh });
      });
    }
  }
  return observations;
}

/** Solves a 3×3 system by Cramer's rule; null when it is singular. */
function solve3(a: number[][], b: number[]): [number, number, number] | null {
  const m = (r: number, c: number): number => a[r]?.[c] ?? 0;
  const det = (c0: number[], c1: number[], c2: number[]): number =>
    (c0[0] ?? 0) * ((c1[1] ?? 0) * (c2[2] ?? 0) - (c2[1] ?? 0) * (c1[2] ?? 0)) -
    (c1[0] ?? 0) * ((c0[1] ?? 0) * (c2[2] ?? 0) - (c2[1] ?? 0) * (c0[2] ?? 0)) +
    (c2[0] ?? 0) * ((c0[1] ?? 0) * (c1[2] ?? 0) - (c1[1] ?? 0) * (c0[2] ?? 0));
  const col = (c: number): number[] => [m(0, c), m(1, c), m(2, c)];
  const d = det(col(0), col(1), col(2));
  if (!(Math.abs(d) > 1e-12)) return null;
  return [det(b, col(1), col(2)) / d, det(col(0), b, col(2)) / d, det(col(0), col(1), b) / d];
}
