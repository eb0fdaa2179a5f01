// The History page (#history): power, SoC and prices over a day, a week or a month of site time,
// with previous / next, from GET /api/history (the store's telemetry and the planner's prices).
import { api } from './api.js';
import { replace } from './dom.js';
import { addDays, fmtDay, localParts, NO_STORE, siteMidnightMs, weekdayOf, zoneSentence } from './format.js';
import { drawHistory } from './history-chart.js';

/** @typedef {'day' | 'week' | 'month'} Span */

/**
 * The range of `span` that contains `dayKey`, in site time: a day, the week from Monday, the calendar month.
 * @param {Span} span
 * @param {string} dayKey
 * @returns {{ fromKey: string, toKey: string, fromMs: number, toMs: number }}
 */
export function rangeOf(span, dayKey) {
  let fromKey = dayKey;
  let toKey = addDays(dayKey, 1);
  if (span === 'week') {
    fromKey = addDays(dayKey, -weekdayOf(dayKey));
    toKey = addDays(fromKey, 7);
  } else if (span === 'month') {
    fromKey = `${dayKey.slice(0, 7)}-01`;
    const [y, m] = fromKey.split('-').map(Number);
    toKey = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
  }
  return { fromKey, toKey, fromMs: siteMidnightMs(fromKey), toMs: siteMidnightMs(toKey) };
}

/**
 * @param {Document} doc
 */
export function createHistoryPage(doc) {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (doc.getElementById(id));
  const els = { power: $('history-power'), soc: $('history-soc'), price: $('history-price') };
  const label = $('history-range');
  const status = $('history-status');
  /** @type {Span} */
  let span = 'day';
  /** @type {string | null} */
  let dayKey = null;
  /** @type {{ destroy(): void } | null} */
  let drawn = null;
  let isVisible = false;
  let isAvailable = true;
  let seq = 0;
  /** @type {() => number} */
  let nowMs = () => Date.now();

  async function load() {
    if (dayKey === null) dayKey = localParts(nowMs()).day;
    const r = rangeOf(span, dayKey);
    const lastDay = siteMidnightMs(addDays(r.toKey, -1));
    label.textContent = span === 'day' ? fmtDay(r.fromMs, nowMs()) : `${fmtDay(r.fromMs, nowMs())} – ${fmtDay(lastDay, nowMs())}`;
    $('history-zone').textContent = zoneSentence();
    $('history-next').toggleAttribute('disabled', r.toMs > nowMs());
    if (!isAvailable) {
      status.textContent = `History is read from the stored telemetry. ${NO_STORE}`;
      return;
    }
    status.textContent = 'Loading…';
    const mine = ++seq;
    try {
      const h = await api.history(r.fromMs, Math.min(r.toMs, Math.max(r.fromMs + 60_000, nowMs())));
      if (mine !== seq) return; // a newer range was asked for meanwhile
      drawn?.destroy();
      drawn = null;
      [els.power, els.soc, els.price].forEach((el) => replace(el));
      const hasSoc = h.values.soc_pct.some((v) => v !== null);
      els.soc.parentElement?.toggleAttribute('hidden', !hasSoc);
      if (h.atMs.length === 0) {
        status.textContent = 'No telemetry is stored for this range (the controller was not running, or it is before its first minute).';
      } else {
        status.textContent = `${h.atMs.length} points of ${h.resolution === '1m' ? '1-minute' : h.resolution === '15m' ? '15-minute' : 'per-cycle'} averages.`;
      }
      const result = drawHistory(els, h);
      drawn = result;
      els.power.setAttribute('data-points', String(result.powerPoints));
      els.price.setAttribute('data-points', String(result.pricePoints));
      $('history-price-note').textContent = h.prices
        ? 'What the site pays (import) and earns (export) per kWh: the planner’s spot prices through the site’s tariff.'
        : h.pricesError
          ? `Prices could not be read: ${h.pricesError}`
          : 'No prices are known for this range.';
    } catch (err) {
      if (mine !== seq) return;
      const e = /** @type {import('./api.js').ApiError} */ (err);
      status.textContent = e.status === 404 ? `History needs the store: ${e.message}.` : `Could not load the history: ${e.message}`;
    }
  }

  /** @param {number} step */
  function move(step) {
    if (dayKey === null) return;
    const r = rangeOf(span, dayKey);
    dayKey = step < 0 ? addDays(r.fromKey, -1) : r.toKey;
    void load();
  }

  for (const b of doc.querySelectorAll('[data-span]')) {
    b.addEventListener('click', () => {
      span = /** @type {Span} */ (b.getAttribute('data-span'));
      for (const x of doc.querySelectorAll('[data-span]')) x.setAttribute('aria-pressed', String(x === b));
      void load();
    });
  }
  $('history-prev').addEventListener('click', () => move(-1));
  $('history-next').addEventListener('click', () => move(1));
  $('history-today').addEventListener('click', () => {
    dayKey = localParts(nowMs()).day;
    void load();
  });

  return {
    /** @param {boolean} hasHistory  whether the server has a store (GET /api/site `hasHistory`) */
    setAvailable(hasHistory) {
      isAvailable = hasHistory;
    },
    /** @param {() => number} clock */
    setClock(clock) {
      nowMs = clock;
    },
    /** @param {boolean} visible */
    setVisible(visible) {
      const wasVisible = isVisible;
      isVisible = visible;
      if (visible && !wasVisible) void load();
    },
  };
}
