/* global window */
// The Plan page: what the `cost` policy's planner decided (GET /api/plan) and why. First a day
// summary (plan-summary.js), then the status and facts, a chart (plan-chart.js) and the slot table,
// closed by default (plan-table.js). Loaded when the tab opens and every 30 s while it is visible
// (the plan changes every 15 min). Every time is site time (format.js), the zone said once.
import { api, ApiError } from './api.js';
import { h, replace } from './dom.js';
import { DEFAULT_SITE_TIME_ZONE, fmtDay, fmtDayTime, fmtSpan, fmtTime, localParts, setSiteTimeZone, siteTimeZone } from './format.js';
import { buildChart, chartSummary } from './plan-chart.js';
import { buildSummary } from './plan-summary.js';
import { renderSlotTable, TABLE_HOURS } from './plan-table.js';
import { fmtEur, HOUR_MS, pvForecastWords, replayWords, statusWords, when } from './plan-words.js';

const REFRESH_MS = 30_000;

export function createPlanPage(doc) {
  const el = {
    zone: doc.getElementById('plan-time-zone'),
    replay: doc.getElementById('plan-prices-replay'),
    summary: doc.getElementById('plan-summary'),
    status: doc.getElementById('plan-status'),
    facts: doc.getElementById('plan-facts'),
    violations: doc.getElementById('plan-violations'),
    loaded: doc.getElementById('plan-loaded'),
    refresh: doc.getElementById('plan-refresh'),
    body: doc.getElementById('plan-body'),
    chart: doc.getElementById('plan-chart'),
    chartSummary: doc.getElementById('plan-chart-summary'),
    legend: doc.getElementById('plan-legend'),
    table: doc.getElementById('plan-table'),
    tableTitle: doc.getElementById('plan-table-title'),
    tableCount: doc.getElementById('plan-table-count'),
    all: doc.getElementById('plan-all'),
  };
  let isVisible = false;
  let timer = null;
  let inFlight = null;
  let last = null;
  let showAll = false;
  let names = new Map();

  const nameOf = (nodeId) => names.get(nodeId) ?? nodeId;

  /** The site's zone (the plan answer carries it; the site view too): every time below is in it. */
  function useTimeZone(timeZone) {
    setSiteTimeZone(timeZone ?? DEFAULT_SITE_TIME_ZONE);
    el.zone.textContent = siteTimeZone();
  }

  function setStatus(text, cls) {
    el.status.textContent = text;
    el.status.className = `plan-status ${cls}`;
  }

  function renderFacts(x) {
    const rows = [];
    const fact = (dt, dd, test) => rows.push(h('dt', { text: dt }), h('dd', { 'data-test': test }, dd));
    fact('Planned', x.plannedAtMs === null ? 'not yet' : when(x.plannedAtMs, x.nowMs), 'plan-planned');
    fact('Next re-plan', x.nextReplanAtMs === null ? 'not scheduled (planning is stopped)' : `${when(x.nextReplanAtMs, x.nowMs)}, and at once when prices or forecasts change`, 'plan-next');
    fact('Saving today since midnight', x.expectedSavingTodayEur === null ? '—' : `${fmtEur(x.expectedSavingTodayEur)} compared with self-consumption`, 'plan-saving-today');
    if (x.savingsByDay.length) {
      const n = x.savingsByDay.length;
      const items = x.savingsByDay.map((d, i) => h('li', {}, `${fmtDay(d.fromMs + 12 * HOUR_MS)}${i === 0 ? ' (from now)' : i === n - 1 ? ' (to the plan’s end)' : ''}: `, h('b', { text: fmtEur(d.savingEur) })));
      fact('Per day', h('ul', { class: 'inline-list' }, items), 'plan-saving-days');
    }
    if (x.pvForecast) fact('PV forecast', pvForecastWords(x.pvForecast, x.nowMs), 'plan-pv-forecast');
    const p = x.plan;
    if (p && p.slots.length) {
      const end = p.slots[p.slots.length - 1].startMs + p.slotMs;
      fact('Horizon', `until ${fmtDayTime(end)} · ${p.slots.length} slots of ${p.slotMs / 60_000} min · expected saving over it ${fmtEur(p.expectedSavingEur)}`, 'plan-horizon');
      fact('Method', `${p.strategy}, solved in ${Math.round(p.solveMs)} ms`, 'plan-method');
    }
    replace(el.facts, rows);
  }

  function renderViolations(x) {
    const v = x.plan ? x.plan.violations : [];
    if (!v.length) {
      el.violations.className = 'plan-violations none';
      replace(el.violations, x.plan ? 'Every need and limit is met.' : '');
      return;
    }
    el.violations.className = 'plan-violations note';
    replace(
      el.violations,
      h('b', { text: `${v.length} need${v.length > 1 ? 's or limits' : ' or limit'} the plan cannot meet:` }),
      h('ul', {}, v.map((d) => h('li', { 'data-test': 'plan-violation' }, h('code', { text: d.name }), ` ${nameOf(d.nodeId)}: ${d.message} (${(d.amountWh / 1000).toFixed(1)} kWh, ${fmtSpan(d.fromMs, d.untilMs)})`))),
    );
  }

  function renderReplay(x) {
    const replay = x.plan ? x.priceReplay : undefined;
    el.replay.hidden = !replay;
    el.replay.textContent = replay ? replayWords(replay, localParts(x.nowMs).day, x.nowMs) : '';
  }

  function renderChart() {
    if (!last || !last.plan || !last.plan.slots.length) return;
    const width = el.chart.clientWidth || 900;
    replace(el.chart, buildChart(last.plan, last.nowMs, width));
  }

  function renderLegend(plan) {
    const item = (cls, text) => h('li', {}, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), text);
    const hasForecast = plan.slots.some((s) => s.priceIsForecast);
    replace(
      el.legend,
      item('import', 'import price'),
      item('export', 'export price'),
      plan.slots[0].storage.length ? [item('charge', 'battery charges'), item('discharge', 'battery discharges'), item('soc', 'battery SoC (right axis)')] : null,
      item('grid', 'grid (+ import, − export)'),
      item('now', 'now'),
      hasForecast ? item('forecast', 'price is a forecast') : null,
    );
    el.chartSummary.textContent = chartSummary(plan);
  }

  function renderTable(plan, nowMs) {
    const t = renderSlotTable(el.table, plan, nowMs, { showAll, nameOf });
    el.tableTitle.textContent = t.title;
    el.tableCount.textContent = ` · ${t.rows} rows with the planner’s reason per asset`;
    el.all.setAttribute('aria-pressed', String(showAll));
    el.all.textContent = showAll ? `Show the next ${TABLE_HOURS} hours` : 'Show the whole plan';
  }

  function render(x) {
    if (x.timeZone) useTimeZone(x.timeZone);
    renderReplay(x);
    replace(el.summary, buildSummary(x, nameOf));
    const s = statusWords(x);
    setStatus(s.text, s.cls);
    renderFacts(x);
    renderViolations(x);
    const plan = x.plan;
    if (!plan || !plan.slots.length) {
      el.body.hidden = true;
      return;
    }
    el.body.hidden = false;
    renderChart();
    renderLegend(plan);
    renderTable(plan, x.nowMs);
  }

  function renderError(err) {
    if (err instanceof ApiError && err.status === 404) {
      last = null;
      setStatus('No optimiser runs in this process, so there is no plan to show. The Plan page shows what the cost policy plans; start the controller with its optimiser (gridpilot start) to see it.', 'none');
      replace(el.summary);
      el.replay.hidden = true;
      replace(el.facts);
      replace(el.violations, h('span', { class: 'hint', text: `The server answered 404: ${err.message}.` }));
      el.violations.className = 'plan-violations';
      el.body.hidden = true;
      return;
    }
    setStatus(`Could not load the plan: ${err.message}${last ? ' — showing the plan loaded before.' : ''}`, 'bad');
    if (!last) el.body.hidden = true;
  }

  /** Loads and shows the plan; a second call while one runs waits for it. */
  function load() {
    if (inFlight) return inFlight;
    el.refresh.disabled = true;
    el.refresh.setAttribute('aria-busy', 'true');
    inFlight = (async () => {
      try {
        const x = await api.plan();
        last = x;
        render(x);
        el.loaded.textContent = `Loaded at ${fmtTime(x.nowMs)} (controller clock); refreshed every ${REFRESH_MS / 1000} s while this page is open.`;
      } catch (err) {
        renderError(err);
      } finally {
        el.refresh.disabled = false;
        el.refresh.removeAttribute('aria-busy');
        inFlight = null;
      }
    })();
    return inFlight;
  }

  function startTimer() {
    if (timer === null && doc.visibilityState !== 'hidden') timer = window.setInterval(() => void load(), REFRESH_MS);
  }
  function stopTimer() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
  }

  el.refresh.addEventListener('click', () => void load());
  el.all.addEventListener('click', () => {
    showAll = !showAll;
    if (last && last.plan && last.plan.slots.length) renderTable(last.plan, last.nowMs);
  });
  doc.addEventListener('visibilitychange', () => {
    if (!isVisible) return;
    if (doc.visibilityState === 'hidden') stopTimer();
    else {
      void load();
      startTimer();
    }
  });
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    if (!isVisible) return;
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(renderChart, 150);
  });

  return {
    /** Called on every page switch: loads at once and every 30 s while the Plan page is shown. */
    setVisible(visible) {
      if (visible === isVisible) return;
      isVisible = visible;
      if (visible) {
        void load();
        startTimer();
      } else stopTimer();
    },
    /** Device names for the table and the summary (nodeIds until the site is known), and the site's time zone. */
    setSite(site) {
      names = new Map(site.devices.map((d) => [d.nodeId, d.name]));
      useTimeZone(site.location?.timeZone);
      if (last && isVisible) render(last);
    },
    load,
  };
}
