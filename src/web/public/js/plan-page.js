/* global window */
// The Plan page: what the `cost` policy's planner decided (GET /api/plan) and why. A status line,
// a chart of prices and planned power over the horizon, and the next slots with a reason per asset.
// Loaded when the tab opens and every 30 s while it is visible (the plan changes every 15 min).
import { api, ApiError } from './api.js';
import { h, replace, svg } from './dom.js';
import { fmtW } from './format.js';

/**
 * The planner counts days and hours in the site's time zone (site.location.timeZone, from GET /api/site;
 * src/core/local-time.ts); so does this page. Until the site is loaded: the config's default.
 */
export const DEFAULT_SITE_TIME_ZONE = 'Europe/Brussels';
const REFRESH_MS = 30_000;
const TABLE_HOURS = 24;
const HOUR_MS = 3_600_000;

let siteTimeZone = DEFAULT_SITE_TIME_ZONE;
let hmFormat;
let dayFormat;
let partsFormat;

/** The site's IANA time zone the page shows times in. */
export const timeZoneOfSite = () => siteTimeZone;

/** Shows every time in `timeZone` (an IANA name; an unknown one keeps the current zone). Returns whether it changed. */
export function setSiteTimeZone(timeZone) {
  if (hmFormat && timeZone === siteTimeZone) return false;
  try {
    // en-GB: a 24-hour clock whatever the browser's language, so times read the same as the planner's reasons.
    const hm = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const day = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short' });
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    [hmFormat, dayFormat, partsFormat, siteTimeZone] = [hm, day, parts, timeZone];
    return true;
  } catch {
    return false;
  }
}
setSiteTimeZone(DEFAULT_SITE_TIME_ZONE);

/** "14:30" in site time. */
export const fmtTime = (ms) => hmFormat.format(ms);
/** "Mon 3 Jun" in site time. */
export const fmtDay = (ms) => dayFormat.format(ms);

/** Site-time day key ("2024-06-03"), hour and minute of an instant. */
function localParts(ms) {
  const p = Object.fromEntries(partsFormat.formatToParts(ms).map((x) => [x.type, x.value]));
  return { day: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour), minute: Number(p.minute) };
}

/** "0.43 €", "−0.05 €". */
export function fmtEur(eur) {
  if (eur === null || eur === undefined || !Number.isFinite(eur)) return '—';
  return `${eur < 0 ? '−' : ''}${Math.abs(eur).toFixed(2)} €`;
}

/** A price, EUR/kWh, 3 decimals ("0.180"); a minus sign for negative prices. */
function fmtPrice(p) {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  return `${p < 0 ? '−' : ''}${Math.abs(p).toFixed(3)}`;
}

/** Signed power: "+3.21 kW", "−500 W", "0 W". */
function fmtSignedW(w) {
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

/** The PV forecast's service in words: when its forecast was fetched, or why it is not used. */
export function pvForecastWords(f, nowMs) {
  const fetched = f.fetchedAtMs === null ? null : `${fmtDay(f.fetchedAtMs)} ${fmtTime(f.fetchedAtMs)} (${relative(f.fetchedAtMs, nowMs)})`;
  const calibrated = f.calibration ? `, × ${f.calibration.factor.toFixed(2)} for this site (its PV over ${f.calibration.days} days)` : '';
  if (f.lastError === null) return fetched ? `${f.source}, fetched ${fetched}${calibrated}` : `${f.source}: not fetched yet`;
  return `${f.source} failed: ${f.lastError}; ${fetched ? `using the forecast fetched ${fetched}` : 'using the fallback forecast'}`;
}

/** Relative time in words from the controller's now: "2 min ago", "in 13 min". */
function relative(ms, nowMs) {
  const min = Math.round((ms - nowMs) / 60_000);
  if (min === 0) return 'now';
  const abs = Math.abs(min);
  const text = abs < 120 ? `${abs} min` : `${Math.round(abs / 60)} h`;
  return min > 0 ? `in ${text}` : `${text} ago`;
}

/** When: "Mon 3 Jun 10:00 (2 min ago)". */
function when(ms, nowMs) {
  return `${fmtDay(ms)} ${fmtTime(ms)} (${relative(ms, nowMs)})`;
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const mean = (xs) => (xs.length ? sum(xs) / xs.length : null);
const batteryW = (slot) => sum(slot.storage.map((s) => s.powerW));
const meanSoc = (slot) => mean(slot.storage.map((s) => s.socPct));

/** Tick values from lo to hi at a "nice" step (1, 2, 2.5, 5 × 10^n), about `count` of them. */
function niceTicks(lo, hi, count) {
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(lo / step + 1e-9) * step;
  const last = Math.ceil(hi / step - 1e-9) * step;
  const ticks = [];
  for (let v = first; v <= last + step / 2; v += step) ticks.push(Math.round(v / step) * step);
  return { ticks, lo: first, hi: last, step };
}

/** A step line through (slot start → slot end, value) pairs. */
function stepPath(slots, value, x, y, slotMs) {
  let d = '';
  for (const s of slots) {
    const v = value(s);
    const x0 = x(s.startMs).toFixed(1);
    const x1 = x(s.startMs + slotMs).toFixed(1);
    const yv = y(v).toFixed(1);
    d += d === '' ? `M${x0},${yv}H${x1}` : `V${yv}H${x1}`;
  }
  return d;
}

/**
 * The chart: import/export price (step lines, €/kWh, upper panel), battery power (bars, + charge),
 * grid power (step line, + import) and mean battery SoC (line, right axis) in the lower panel; hour
 * ticks in site time; a "now" marker. Sized in pixels to `width` (re-drawn when the page resizes).
 */
export function buildChart(plan, nowMs, width) {
  const slots = plan.slots;
  const slotMs = plan.slotMs;
  const t0 = slots[0].startMs;
  const t1 = slots[slots.length - 1].startMs + slotMs;
  const W = Math.max(320, Math.round(width));
  const narrow = W < 560;
  const m = { left: narrow ? 40 : 52, right: narrow ? 34 : 44, top: 18, bottom: 26 };
  const priceH = narrow ? 100 : 120;
  const gap = 26;
  const powerH = narrow ? 130 : 160;
  const H = m.top + priceH + gap + powerH + m.bottom;
  const plotW = W - m.left - m.right;
  const x = (ms) => m.left + ((ms - t0) / (t1 - t0)) * plotW;

  // Price panel.
  const prices = slots.flatMap((s) => [s.importPriceEurPerKwh, s.exportPriceEurPerKwh]);
  const pt = niceTicks(Math.min(0, ...prices), Math.max(0.01, ...prices), narrow ? 3 : 4);
  const pTop = m.top;
  const yPrice = (v) => pTop + priceH - ((v - pt.lo) / (pt.hi - pt.lo)) * priceH;

  // Power panel: battery and grid, kW; SoC 0–100 % on the right.
  const powers = slots.flatMap((s) => [batteryW(s), s.gridW]);
  const kt = niceTicks(Math.min(0, ...powers) / 1000, Math.max(0.5, ...powers.map((p) => p / 1000)), narrow ? 4 : 5);
  const wTop = m.top + priceH + gap;
  const yPower = (w) => wTop + powerH - ((w / 1000 - kt.lo) / (kt.hi - kt.lo)) * powerH;
  const ySoc = (pct) => wTop + powerH - (pct / 100) * powerH;

  const grid = svg('g', { class: 'grid' });
  const axes = svg('g', { class: 'axis' });
  for (const v of pt.ticks) {
    grid.append(svg('line', { x1: m.left, x2: W - m.right, y1: yPrice(v), y2: yPrice(v), class: v === 0 ? 'zero' : null }));
    axes.append(svg('text', { x: m.left - 6, y: yPrice(v) + 4, 'text-anchor': 'end', text: v.toFixed(pt.step < 0.01 ? 3 : 2) }));
  }
  for (const v of kt.ticks) {
    grid.append(svg('line', { x1: m.left, x2: W - m.right, y1: yPower(v * 1000), y2: yPower(v * 1000), class: v === 0 ? 'zero' : null }));
    axes.append(svg('text', { x: m.left - 6, y: yPower(v * 1000) + 4, 'text-anchor': 'end', text: String(Math.round(v * 10) / 10) }));
  }
  for (const pct of [0, 50, 100]) axes.append(svg('text', { x: W - m.right + 6, y: ySoc(pct) + 4, 'text-anchor': 'start', class: 'soc-axis', text: `${pct}%` }));
  axes.append(svg('text', { x: m.left, y: pTop - 6, 'text-anchor': 'start', class: 'unit', text: 'price €/kWh' }));
  axes.append(svg('text', { x: m.left, y: wTop - 6, 'text-anchor': 'start', class: 'unit', text: 'power kW (battery + charge, grid + import)' }));
  axes.append(svg('text', { x: W - m.right + 6, y: wTop - 6, 'text-anchor': 'start', class: 'unit soc-axis', text: 'SoC' }));

  // Hour ticks in site time: the smallest step that leaves ≥ 46 px between labels; days at midnight.
  const hourPx = (HOUR_MS / (t1 - t0)) * plotW;
  const step = [1, 2, 3, 4, 6, 12, 24].find((s) => s * hourPx >= 46) ?? 24;
  for (const s of slots) {
    const p = localParts(s.startMs);
    if (p.minute !== 0 || p.hour % step !== 0) continue;
    const xs = x(s.startMs);
    const isMidnight = p.hour === 0;
    grid.append(svg('line', { x1: xs, x2: xs, y1: pTop, y2: wTop + powerH, class: isMidnight ? 'day' : 'hour' }));
    axes.append(svg('text', { x: xs, y: H - 8, 'text-anchor': 'middle', class: isMidnight ? 'day' : null, text: isMidnight ? fmtDay(s.startMs).replace(/ \w+$/, '') : `${String(p.hour).padStart(2, '0')}:00` }));
  }

  // Slots priced by forecast (beyond the published day-ahead prices): shaded.
  const forecast = svg('g', { class: 'forecast-zone' });
  for (const s of slots) if (s.priceIsForecast) forecast.append(svg('rect', { x: x(s.startMs), y: pTop, width: x(s.startMs + slotMs) - x(s.startMs), height: priceH }));

  const bars = svg('g', { class: 'battery-bars', 'data-test': 'battery-bars' });
  const zeroY = yPower(0);
  for (const s of slots) {
    const w = batteryW(s);
    if (Math.abs(w) < 1) continue;
    const x0 = x(s.startMs);
    const bw = Math.max(1, x(s.startMs + slotMs) - x0 - (plotW / slots.length > 3 ? 1 : 0));
    const y = yPower(w);
    bars.append(
      svg(
        'rect',
        { x: x0.toFixed(1), y: Math.min(y, zeroY).toFixed(1), width: bw.toFixed(1), height: Math.max(0.5, Math.abs(zeroY - y)).toFixed(1), class: w > 0 ? 'bar-charge' : 'bar-discharge' },
        svg('title', { text: `${fmtTime(s.startMs)} battery ${w > 0 ? 'charges' : 'discharges'} ${fmtW(Math.abs(w))}` }),
      ),
    );
  }

  const lines = svg(
    'g',
    { class: 'lines' },
    svg('path', { d: stepPath(slots, (s) => s.exportPriceEurPerKwh, x, yPrice, slotMs), class: 'line-export', 'data-test': 'export-price-line' }),
    svg('path', { d: stepPath(slots, (s) => s.importPriceEurPerKwh, x, yPrice, slotMs), class: 'line-import', 'data-test': 'import-price-line' }),
    svg('path', { d: stepPath(slots, (s) => s.gridW, x, yPower, slotMs), class: 'line-grid', 'data-test': 'grid-line' }),
  );
  const socSlots = slots.filter((s) => meanSoc(s) !== null);
  if (socSlots.length) {
    const pts = socSlots.map((s) => `${x(s.startMs + slotMs).toFixed(1)},${ySoc(meanSoc(s)).toFixed(1)}`);
    lines.append(svg('polyline', { points: pts.join(' '), class: 'line-soc', 'data-test': 'soc-line' }));
  }

  const marks = svg('g', { class: 'now' });
  if (nowMs >= t0 && nowMs <= t1) {
    const xn = x(nowMs);
    marks.append(svg('line', { x1: xn, x2: xn, y1: pTop - 4, y2: wTop + powerH, 'data-test': 'now-marker' }), svg('text', { x: xn + 3, y: pTop + 10, text: 'now' }));
  }

  const title = `Plan from ${fmtDay(t0)} ${fmtTime(t0)} to ${fmtDay(t1)} ${fmtTime(t1)} (site time)`;
  return svg(
    'svg',
    { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'plan-chart-title plan-chart-desc', class: 'plan-svg', 'data-test': 'plan-svg' },
    svg('title', { id: 'plan-chart-title', text: title }),
    svg('desc', { id: 'plan-chart-desc', text: chartSummary(plan) }),
    forecast,
    grid,
    bars,
    lines,
    marks,
    axes,
  );
}

/** The chart in words (its accessible description, and the line under it). */
export function chartSummary(plan) {
  const slots = plan.slots;
  const h = plan.slotMs / HOUR_MS;
  // The first cheapest and first dearest slot; the day is named when it is not the first slot's.
  const cheap = slots.reduce((best, s) => (s.importPriceEurPerKwh < best.importPriceEurPerKwh ? s : best));
  const dear = slots.reduce((best, s) => (s.importPriceEurPerKwh > best.importPriceEurPerKwh ? s : best));
  const firstDay = localParts(slots[0].startMs).day;
  const at = (ms) => (localParts(ms).day === firstDay ? fmtTime(ms) : `${fmtDay(ms)} ${fmtTime(ms)}`);
  const parts = [`Import price from ${fmtPrice(cheap.importPriceEurPerKwh)} €/kWh (${at(cheap.startMs)}) to ${fmtPrice(dear.importPriceEurPerKwh)} €/kWh (${at(dear.startMs)}).`];
  if (slots[0].storage.length) {
    const chargeWh = sum(slots.map((s) => Math.max(0, batteryW(s)) * h));
    const dischargeWh = sum(slots.map((s) => Math.max(0, -batteryW(s)) * h));
    const first = meanSoc(slots[0]);
    const last = meanSoc(slots[slots.length - 1]);
    parts.push(`The battery charges ${(chargeWh / 1000).toFixed(1)} kWh and discharges ${(dischargeWh / 1000).toFixed(1)} kWh; SoC ${first.toFixed(0)} % after the first slot, ${last.toFixed(0)} % at the end.`);
  }
  const importWh = sum(slots.map((s) => Math.max(0, s.gridW) * h));
  const exportWh = sum(slots.map((s) => Math.max(0, -s.gridW) * h));
  parts.push(`Grid: ${(importWh / 1000).toFixed(1)} kWh imported, ${(exportWh / 1000).toFixed(1)} kWh exported.`);
  return parts.join(' ');
}

// ---- the slot table ----

/** What a row shows, so identical consecutive slots can be merged (SoC is shown at the row's end). */
function rowKey(s) {
  return JSON.stringify([
    fmtPrice(s.importPriceEurPerKwh),
    fmtPrice(s.exportPriceEurPerKwh),
    Math.round(s.gridW / 10),
    s.storage.map((b) => [b.nodeId, Math.round(b.powerW / 10), b.reason]),
    s.solar.map((p) => [p.nodeId, p.limitW === null ? null : Math.round(p.limitW / 10), p.reason]),
    s.onOff.map((l) => [l.nodeId, l.isOn, l.reason]),
    s.evs.map((e) => [e.nodeId, Math.round(e.powerW / 10), e.reason]),
    Boolean(s.priceIsForecast),
  ]);
}

/** Consecutive slots with the same key as one group: { slots: [...] }. */
export function groupSlots(slots) {
  const groups = [];
  let key = null;
  for (const s of slots) {
    const k = rowKey(s);
    if (k === key) groups[groups.length - 1].slots.push(s);
    else groups.push({ slots: [s] });
    key = k;
  }
  return groups;
}

export function createPlanPage(doc) {
  const el = {
    status: doc.getElementById('plan-status'),
    facts: doc.getElementById('plan-facts'),
    violations: doc.getElementById('plan-violations'),
    loaded: doc.getElementById('plan-loaded'),
    refresh: doc.getElementById('plan-refresh'),
    body: doc.getElementById('plan-body'),
    chart: doc.getElementById('plan-chart'),
    summary: doc.getElementById('plan-chart-summary'),
    legend: doc.getElementById('plan-legend'),
    table: doc.getElementById('plan-table'),
    tableTitle: doc.getElementById('plan-table-title'),
    all: doc.getElementById('plan-all'),
  };
  let isVisible = false;
  let timer = null;
  let inFlight = null;
  let last = null;
  let showAll = false;
  let names = new Map();

  const nameOf = (nodeId) => names.get(nodeId) ?? nodeId;

  function setStatus(text, cls) {
    el.status.textContent = text;
    el.status.className = `plan-status ${cls}`;
  }

  function renderFacts(x) {
    const rows = [];
    const fact = (dt, dd, test) => rows.push(h('dt', { text: dt }), h('dd', { 'data-test': test }, dd));
    fact('Planned', x.plannedAtMs === null ? 'not yet' : when(x.plannedAtMs, x.nowMs), 'plan-planned');
    fact('Next re-plan', x.nextReplanAtMs === null ? 'not scheduled (planning is stopped)' : `${when(x.nextReplanAtMs, x.nowMs)}, and at once when prices or forecasts change`, 'plan-next');
    fact('Expected saving today', x.expectedSavingTodayEur === null ? '—' : `${fmtEur(x.expectedSavingTodayEur)} compared with self-consumption`, 'plan-saving-today');
    if (x.savingsByDay.length) {
      fact(
        'Per day',
        h(
          'ul',
          { class: 'inline-list' },
          x.savingsByDay.map((d, i) => h('li', {}, `${fmtDay(d.fromMs + 12 * HOUR_MS)}${i === 0 ? ' (from now)' : i === x.savingsByDay.length - 1 ? ' (to the plan’s end)' : ''}: `, h('b', { text: fmtEur(d.savingEur) }))),
        ),
        'plan-saving-days',
      );
    }
    if (x.pvForecast) fact('PV forecast', pvForecastWords(x.pvForecast, x.nowMs), 'plan-pv-forecast');
    const p = x.plan;
    if (p && p.slots.length) {
      const end = p.slots[p.slots.length - 1].startMs + p.slotMs;
      fact('Horizon', `until ${fmtDay(end)} ${fmtTime(end)} · ${p.slots.length} slots of ${p.slotMs / 60_000} min · expected saving over it ${fmtEur(p.expectedSavingEur)}`, 'plan-horizon');
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
      h('ul', {}, v.map((d) => h('li', { 'data-test': 'plan-violation' }, h('code', { text: d.name }), ` ${nameOf(d.nodeId)}: ${d.message} (${(d.amountWh / 1000).toFixed(1)} kWh, ${fmtTime(d.fromMs)}–${fmtTime(d.untilMs)})`))),
    );
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
    el.summary.textContent = chartSummary(plan);
  }

  function renderTable(plan, nowMs) {
    const horizonEnd = showAll ? Infinity : nowMs + TABLE_HOURS * HOUR_MS;
    const slots = plan.slots.filter((s) => s.startMs < horizonEnd);
    const first = slots[0];
    const has = {
      storage: first.storage.length > 0,
      solar: first.solar.length > 0,
      onOff: first.onOff.length > 0,
      evs: first.evs.length > 0,
    };
    const many = (list) => list.length > 1;
    const lines = (list, fmt) => list.map((a) => h('div', { class: 'nowrap' }, many(list) ? `${nameOf(a.nodeId)} ` : null, fmt(a)));
    const head = h(
      'tr',
      {},
      h('th', { text: 'Time' }),
      h('th', { class: 'num', text: 'Import €/kWh' }),
      h('th', { class: 'num', text: 'Export €/kWh' }),
      h('th', { class: 'num', text: 'Grid (+ import)' }),
      has.storage ? h('th', { class: 'num', text: 'Battery (+ charge) → SoC' }) : null,
      has.solar ? h('th', { class: 'num', text: 'Solar (cap)' }) : null,
      has.onOff ? h('th', { text: 'Loads' }) : null,
      has.evs ? h('th', { class: 'num', text: 'EV' }) : null,
    );
    const columns = head.children.length;
    let prevDay = null;
    const rows = groupSlots(slots).map((g) => {
      const s = g.slots[0];
      const end = g.slots[g.slots.length - 1];
      const endMs = end.startMs + plan.slotMs;
      const day = localParts(s.startMs).day;
      const isNow = nowMs >= s.startMs && nowMs < endMs;
      const timeCell = h(
        'td',
        { class: 'nowrap', 'data-test': 'plan-time' },
        day !== prevDay ? h('span', { class: 'day', text: `${fmtDay(s.startMs)} ` }) : null,
        `${fmtTime(s.startMs)}–${fmtTime(endMs)}`,
        g.slots.length > 1 ? h('span', { class: 'hint', text: ` · ${g.slots.length} slots` }) : null,
        isNow ? h('span', { class: 'now-tag', text: 'now' }) : null,
      );
      prevDay = day;
      const reasons = [
        ...s.storage.map((a) => [a.nodeId, a.reason]),
        ...s.solar.map((a) => [a.nodeId, a.reason]),
        ...s.onOff.map((a) => [a.nodeId, a.reason]),
        ...s.evs.map((a) => [a.nodeId, a.reason]),
      ];
      const forecastMark = s.priceIsForecast ? h('span', { class: 'forecast-tag', title: 'forecast: beyond the published day-ahead prices', text: ' ~' }) : null;
      // One tbody per row: the values, then the planner's reasons across the whole width under them.
      return h(
        'tbody',
        { class: isNow ? 'slot is-now' : 'slot', 'data-test': 'plan-row' },
        h(
          'tr',
          {},
          timeCell,
          h('td', { class: 'num', 'data-test': 'plan-import' }, fmtPrice(s.importPriceEurPerKwh), forecastMark),
          h('td', { class: 'num', 'data-test': 'plan-export' }, fmtPrice(s.exportPriceEurPerKwh)),
          h('td', { class: `num ${s.gridW > 1 ? 'import' : s.gridW < -1 ? 'export' : ''}`, 'data-test': 'plan-grid', text: fmtSignedW(s.gridW) }),
          has.storage ? h('td', { class: 'num', 'data-test': 'plan-battery' }, lines(end.storage, (b) => `${fmtSignedW(s.storage.find((x) => x.nodeId === b.nodeId)?.powerW ?? 0)} → ${b.socPct.toFixed(0)} %`)) : null,
          has.solar ? h('td', { class: 'num', 'data-test': 'plan-solar' }, lines(s.solar, (p) => (p.limitW === null ? `${fmtW(p.powerW)} · no cap` : `${fmtW(p.powerW)} · cap ${fmtW(p.limitW)}`))) : null,
          has.onOff ? h('td', { 'data-test': 'plan-loads' }, s.onOff.map((l) => h('div', { class: `nowrap ${l.isOn ? 'on' : 'off'}`, text: `${nameOf(l.nodeId)} ${l.isOn ? 'on' : 'off'}` }))) : null,
          has.evs ? h('td', { class: 'num', 'data-test': 'plan-ev' }, lines(s.evs, (e) => (e.powerW > 0 ? fmtW(e.powerW) : 'paused'))) : null,
        ),
        h(
          'tr',
          { class: 'why' },
          h('td', { colSpan: columns }, h('ul', { class: 'reasons', 'aria-label': 'why' }, reasons.map(([id, reason]) => h('li', { class: 'reason', 'data-test': 'reason' }, h('span', { class: 'who', text: `${nameOf(id)}: ` }), reason)))),
        ),
      );
    });
    replace(el.table, h('thead', {}, head), rows);
    const lastEnd = slots[slots.length - 1].startMs + plan.slotMs;
    el.tableTitle.textContent = showAll ? `The whole plan, slot by slot (until ${fmtDay(lastEnd)} ${fmtTime(lastEnd)})` : `The next ${TABLE_HOURS} hours, slot by slot`;
    el.all.setAttribute('aria-pressed', String(showAll));
    el.all.textContent = showAll ? `Show the next ${TABLE_HOURS} hours` : 'Show the whole plan';
  }

  function render(x) {
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
        el.loaded.textContent = `Loaded at ${new Date().toLocaleTimeString()}; refreshed every ${REFRESH_MS / 1000} s while this page is open.`;
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
    /** Device names for the table (nodeIds until the site is known). */
    setSite(site) {
      names = new Map(site.devices.map((d) => [d.nodeId, d.name]));
      setSiteTimeZone(site.location?.timeZone ?? DEFAULT_SITE_TIME_ZONE);
      const zone = doc.getElementById('plan-time-zone');
      if (zone) zone.textContent = siteTimeZone;
      if (last && isVisible) render(last);
    },
    load,
  };
}
