// The Plan page's words and numbers: money, prices, signed power, the status line, the PV forecast's
// source and the price source (a replay of recorded prices says so). Times: format.js (site time).
import { fmtDay, fmtDayTime, fmtW } from './format.js';

export const HOUR_MS = 3_600_000;

/** "0.43 €", "−0.05 €". */
export function fmtEur(eur) {
  if (eur === null || eur === undefined || !Number.isFinite(eur)) return '—';
  return `${eur < 0 ? '−' : ''}${Math.abs(eur).toFixed(2)} €`;
}

/** A price, EUR/kWh, 3 decimals ("0.180"); a minus sign for negative prices. */
export function fmtPrice(p) {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  return `${p < 0 ? '−' : ''}${Math.abs(p).toFixed(3)}`;
}

/** A price with its unit, 2 decimals as in the planner's reasons: "0.18 €/kWh". */
export const fmtEurPerKwh = (p) => `${p < 0 ? '−' : ''}${Math.abs(p).toFixed(2)} €/kWh`;

/** Energy in kWh, one decimal: "4.2 kWh". */
export const fmtKwh = (wh) => `${(wh / 1000).toFixed(1)} kWh`;

/** Signed power: "+3.21 kW", "−500 W", "0 W". */
export function fmtSignedW(w) {
  if (Math.abs(w) < 1) return '0 W';
  return `${w > 0 ? '+' : '−'}${fmtW(Math.abs(w))}`;
}

/** The relative MIP gap in words ("within 0.21 % of the best possible"). */
function gapWords(gap) {
  if (gap === null || gap === undefined || !Number.isFinite(gap)) return null;
  return `within ${(gap * 100).toFixed(gap < 0.001 ? 3 : 2)} % of the best possible`;
}

/** The status line: { text, cls }. */
export function statusWords(x) {
  const plan = x.plan;
  const gap = plan ? gapWords(plan.mipGap) : null;
  switch (x.status) {
    case 'optimal':
      return { cls: 'ok', text: `Optimal plan${gap ? ` (${gap})` : ''}` };
    case 'time_limit':
      return { cls: 'warn', text: `Stopped at the time limit with the best plan found: ${gap ?? 'gap unknown'}` };
    case 'fallback':
      return { cls: 'warn', text: `Rule-based fallback: ${x.message ?? plan?.fallbackReason ?? 'the solver gave no plan'}` };
    default:
      return { cls: 'bad', text: `No plan: ${x.message ?? 'none has been made yet'}` };
  }
}

/** Relative time in words from the controller's now: "2 min ago", "in 13 min". */
export function relative(ms, nowMs) {
  const min = Math.round((ms - nowMs) / 60_000);
  if (min === 0) return 'now';
  const abs = Math.abs(min);
  const text = abs < 120 ? `${abs} min` : `${Math.round(abs / 60)} h`;
  return min > 0 ? `in ${text}` : `${text} ago`;
}

/** When: "Mon 3 Jun 10:00 (2 min ago)". */
export const when = (ms, nowMs) => `${fmtDayTime(ms)} (${relative(ms, nowMs)})`;

/** The PV forecast's service in words: when its forecast was fetched, or why it is not used. */
export function pvForecastWords(f, nowMs) {
  const fetched = f.fetchedAtMs === null ? null : when(f.fetchedAtMs, nowMs);
  const calibrated = f.calibration ? `, × ${f.calibration.factor.toFixed(2)} for this site (its PV over ${f.calibration.days} days)` : '';
  if (f.lastError === null) return fetched ? `${f.source}, fetched ${fetched}${calibrated}` : `${f.source}: not fetched yet`;
  return `${f.source} failed: ${f.lastError}; ${fetched ? `using the forecast fetched ${fetched}` : 'using the fallback forecast'}`;
}

/** "a", "a and b", "a, b and c". */
export function listWords(items) {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * Recorded prices replayed onto the plan's days (GET /api/plan `priceReplay`), in words:
 * "Prices: the bundled Belgian day-ahead prices of Wed 4 Dec 2024, replayed onto today (not today's market)".
 * `todayDay` is the site-local date of now ("2026-12-04").
 */
export function replayWords(replay, todayDay, nowMs) {
  const tomorrowDay = new Date(Date.parse(`${todayDay}T00:00:00Z`) + 24 * HOUR_MS).toISOString().slice(0, 10);
  const onto = replay.days.map((d) => (d.day === todayDay ? 'today' : d.day === tomorrowDay ? 'tomorrow' : fmtDay(d.fromMs, nowMs)));
  const market = onto.includes('today') ? 'today’s market' : 'the market’s prices';
  return `Prices: ${replay.source} of ${listWords(replay.days.map((d) => fmtDay(d.sourceFromMs, nowMs)))}, replayed onto ${listWords(onto)} (not ${market}).`;
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
export { sum };
export const mean = (xs) => (xs.length ? sum(xs) / xs.length : null);
/** Σ battery power of a slot, W, + charge. */
export const batteryW = (slot) => sum(slot.storage.map((s) => s.powerW));
/** Mean SoC of a slot's batteries at its end, %, or null without batteries. */
export const meanSoc = (slot) => mean(slot.storage.map((s) => s.socPct));
