// The Plan page's chart (inline SVG drawn at the panel's width): import/export price step lines,
// battery bars, grid and SoC lines, hour ticks in site time, a "now" marker; and the chart in words.
import { svg } from './dom.js';
import { fmtDay, fmtDayTime, fmtTime, fmtW, localParts } from './format.js';
import { batteryW, fmtPrice, HOUR_MS, meanSoc, sum } from './plan-words.js';

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

  const title = `Plan from ${fmtDayTime(t0)} to ${fmtDayTime(t1)} (site time)`;
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
  const at = (ms) => (localParts(ms).day === firstDay ? fmtTime(ms) : fmtDayTime(ms));
  const parts = [`Import price from ${fmtPrice(cheap.importPriceEurPerKwh)} €/kWh (${at(cheap.startMs)}) to ${fmtPrice(dear.importPriceEurPerKwh)} €/kWh (${at(dear.startMs)}).`];
  if (slots[0].storage.length) {
    const chargeWh = sum(slots.map((s) => Math.max(0, batteryW(s)) * h));
    const dischargeWh = sum(slots.map((s) => Math.max(0, -batteryW(s)) * h));
    const first = meanSoc(slots[0]);
    const last = meanSoc(slots[slots.length - 1]);
    parts.push(`The battery charges ${(chargeWh / 1000).toFixed(1)} kWh and discharges ${(dischargeWh / 1000).toFixed(1)} kWh; SoC ${(first ?? 0).toFixed(0)} % after the first slot, ${(last ?? 0).toFixed(0)} % at the end.`);
  }
  const importWh = sum(slots.map((s) => Math.max(0, s.gridW) * h));
  const exportWh = sum(slots.map((s) => Math.max(0, -s.gridW) * h));
  parts.push(`Grid: ${(importWh / 1000).toFixed(1)} kWh imported, ${(exportWh / 1000).toFixed(1)} kWh exported.`);
  return parts.join(' ');
}
