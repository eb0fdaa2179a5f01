/* global document, getComputedStyle, ResizeObserver */
// History charts with uPlot (MIT, served from /vendor/uplot/, a global `uPlot` from its IIFE build):
// power (kW), state of charge (%) and prices (€/kWh), on a time axis in site time with the UI's
// one date format. Colours come from style.css custom properties (canvas cannot read classes).
import { fmtDay, fmtDayTime, fmtPct, fmtTime, localParts, siteTimeZone } from './format.js';

/** @typedef {import('../../history-routes.ts').HistoryAnswer} HistoryAnswer */

/** uPlot's IIFE build (a classic <script> in index.html, before the modules) defines the global; typed from the package. */
const uPlot = /** @type {typeof import('uplot')} */ (/** @type {any} */ (globalThis).uPlot);
/** @typedef {{ label: string, values: Array<number | null>, color: string, dash?: number[] }} Line */

/** Telemetry columns on the power chart: label, column, colour variable, W → kW. */
const POWER_LINES = /** @type {const} */ ([
  ['Grid (+ import)', 'grid_w', '--c-grid'],
  ['Solar', 'solar_w', '--c-solar'],
  ['Battery (+ charge)', 'storage_w', '--c-battery'],
  ['EV', 'ev_w', '--c-ev'],
  ['Heat pump', 'heat_pump_w', '--c-heat-pump'],
  ['Relays', 'switched_load_w', '--c-relays'],
  ['House', 'base_load_w', '--c-house'],
]);

/** @param {string} name */
const cssColor = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

/**
 * Points further apart than 2.5 steps get a null between them, so a gap in the telemetry (the
 * controller was off) shows as a gap, not a line across it.
 * @param {number[]} atMs
 * @param {Array<Array<number | null>>} columns
 * @param {number} stepMs
 * @returns {[number[], Array<Array<number | null>>]} x in seconds (uPlot's unit), columns
 */
export function withGaps(atMs, columns, stepMs) {
  /** @type {number[]} */
  const xs = [];
  const out = columns.map(() => /** @type {Array<number | null>} */ ([]));
  atMs.forEach((at, i) => {
    const prev = atMs[i - 1];
    if (prev !== undefined && at - prev > 2.5 * stepMs) {
      xs.push((prev + stepMs) / 1000);
      out.forEach((c) => c.push(null));
    }
    xs.push(at / 1000);
    columns.forEach((c, j) => out[j].push(c[i] ?? null));
  });
  return [xs, out];
}

/**
 * Tick labels on the UI's one format: hours ("14:00") within a day, days ("Mon 3 Jun") at midnight.
 * @param {number} spanMs
 */
function timeAxis(spanMs) {
  return {
    space: spanMs > 2 * 86_400_000 ? 70 : 50,
    /** @param {unknown} _u @param {number[]} splits */
    values: (_u, splits) =>
      splits.map((s) => {
        const ms = s * 1000;
        const p = localParts(ms);
        return p.hour === 0 && p.minute === 0 ? fmtDay(ms) : spanMs > 2 * 86_400_000 ? '' : fmtTime(ms);
      }),
  };
}

/**
 * One uPlot chart in `el`, sized to it; returns it (destroy() before drawing another).
 * @param {HTMLElement} el
 * @param {{ xs: number[], lines: Line[], unit: string, fmt: (v: number) => string, spanMs: number, isStepped?: boolean, range?: [number, number] }} spec
 */
function chart(el, spec) {
  const width = Math.max(280, el.clientWidth);
  const stepped = spec.isStepped ? uPlot.paths.stepped?.({ align: 1 }) : undefined;
  const opts = {
    width,
    height: width < 500 ? 200 : 240,
    // The site's zone, whatever the browser's [one time zone per page].
    tzDate: (/** @type {number} */ ts) => uPlot.tzDate(new Date(ts * 1000), siteTimeZone()),
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    scales: { x: { time: true }, y: spec.range ? { range: spec.range } : {} },
    series: [
      { label: 'Time', value: (/** @type {unknown} */ _u, /** @type {number | null} */ v) => (v === null ? '—' : fmtDayTime(v * 1000)) },
      ...spec.lines.map((l) => ({
        label: l.label,
        stroke: l.color,
        width: 1.5,
        ...(l.dash ? { dash: l.dash } : {}),
        ...(stepped ? { paths: stepped } : {}),
        value: (/** @type {unknown} */ _u, /** @type {number | null} */ v) => (v === null ? '—' : spec.fmt(v)),
      })),
    ],
    axes: [
      { ...timeAxis(spec.spanMs), stroke: cssColor('--muted'), grid: { stroke: cssColor('--line') }, ticks: { stroke: cssColor('--line') } },
      { label: spec.unit, stroke: cssColor('--muted'), grid: { stroke: cssColor('--line') }, ticks: { stroke: cssColor('--line') }, size: 55 },
    ],
  };
  const u = new uPlot(opts, [spec.xs, ...spec.lines.map((l) => l.values)], el);
  const resize = new ResizeObserver(() => u.setSize({ width: Math.max(280, el.clientWidth), height: opts.height }));
  resize.observe(el);
  const destroy = u.destroy.bind(u);
  u.destroy = () => {
    resize.disconnect();
    destroy();
  };
  return u;
}

/** @param {number} kw */
const fmtKw = (kw) => `${kw.toFixed(2)} kW`;

/**
 * Draws the three charts; returns a function that removes them. Lines of assets the site does not
 * have (all zero or null) are left out.
 * @param {{ power: HTMLElement, soc: HTMLElement, price: HTMLElement }} els
 * @param {HistoryAnswer} h
 * @returns {{ destroy(): void, powerPoints: number, pricePoints: number }}
 */
export function drawHistory(els, h) {
  const spanMs = h.toMs - h.fromMs;
  const stepMs = h.resolution === '15m' ? 900_000 : h.resolution === '1m' ? 60_000 : 1000;
  const used = POWER_LINES.filter(([, col]) => h.values[col].some((v) => v !== null && Math.abs(v) >= 1));
  const [xs, cols] = withGaps(h.atMs, [...used.map(([, col]) => h.values[col]), h.values.soc_pct], stepMs);
  const charts = [
    chart(els.power, {
      xs,
      spanMs,
      unit: 'kW',
      fmt: fmtKw,
      lines: used.map(([label, , color], i) => ({ label, color: cssColor(color), values: cols[i].map((v) => (v === null ? null : v / 1000)) })),
    }),
    chart(els.soc, { xs, spanMs, unit: '%', fmt: fmtPct, range: [0, 100], lines: [{ label: 'Battery SoC', color: cssColor('--c-battery'), values: cols[cols.length - 1] }] }),
  ];
  let pricePoints = 0;
  if (h.prices) {
    const p = h.prices;
    // A step holds until the next slot: one more point at the end closes the last slot.
    const px = p.importEurPerKwh.map((_, i) => (p.startMs + i * p.slotMs) / 1000);
    px.push((p.startMs + p.importEurPerKwh.length * p.slotMs) / 1000);
    const last = (/** @type {number[]} */ a) => [...a, a[a.length - 1] ?? null];
    pricePoints = p.importEurPerKwh.length;
    charts.push(
      chart(els.price, {
        xs: px,
        spanMs,
        unit: '€/kWh',
        fmt: (v) => `${v.toFixed(3)} €/kWh`,
        isStepped: true,
        lines: [
          { label: 'Import price', color: cssColor('--c-price-import'), values: last(p.importEurPerKwh) },
          { label: 'Export price', color: cssColor('--c-price-export'), values: last(p.exportEurPerKwh), dash: [6, 4] },
        ],
      }),
    );
  }
  return {
    powerPoints: h.atMs.length,
    pricePoints,
    destroy: () => charts.forEach((c) => c.destroy()),
  };
}
