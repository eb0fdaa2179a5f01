// The Overview's power-flow picture: every asset around the site's connection point, a line to it
// whose moving dashes show which way the power goes, updated from each /api/live push. Hand-made
// SVG (a diagram, not a chart); colours and the dash animation come from style.css (CSP: no inline styles).
import { replace, svg } from './dom.js';
import { fmtPct, fmtW } from './format.js';

/** @typedef {import('../../state-view.ts').WebState} WebState */

/**
 * @typedef {object} FlowNode
 * @property {string} key        data-test suffix and CSS class
 * @property {string} label
 * @property {number} powerW     W along the line; + towards the hub (into the site), − away from it
 * @property {string} value      what the node says (power, SoC …)
 * @property {string} [sub]
 */

/** Where each box sits: landscape on a wide panel, portrait on a phone (so the text stays readable). */
const LAYOUTS = {
  wide: { width: 600, height: 350, hub: { x: 300, y: 175 }, at: { grid: [75, 175], house: [300, 315], solar: [300, 40], battery: [110, 300], ev: [490, 300], 'heat-pump': [525, 70], relays: [525, 185] } },
  narrow: { width: 360, height: 470, hub: { x: 180, y: 235 }, at: { grid: [65, 235], house: [180, 435], solar: [180, 40], battery: [65, 360], ev: [295, 360], 'heat-pump': [295, 120], relays: [295, 235] } },
};
/** Below this panel width (px) the portrait layout is used. */
const NARROW_PX = 560;
/** Below this the line shows no flow, W (a meter's noise). */
const IDLE_W = 20;

/**
 * The measured power of a group's devices (heat pumps and relays have no measured power in feedback), W.
 * @param {WebState} s
 * @param {string} group
 */
function readingsW(s, group) {
  let sum = 0;
  for (const d of s.devices) {
    const p = d.group === group && d.reading ? d.reading.powerW : undefined;
    if (typeof p === 'number') sum += p;
  }
  return sum;
}

/**
 * What the picture shows, from one state. Wire signs: grid + import, storage + charge, solar +
 * production, loads + consumption; the house is what the meter balance leaves:
 * house = grid + solar − storage − EV − heat pump − relays.
 * @param {WebState} s
 * @returns {FlowNode[]}
 */
export function flowNodes(s) {
  const { grid, solar, storage, heat_pump: hp, switched_load: sl, variable_load: ev } = s.state;
  const hpW = hp.nr_devices ? readingsW(s, 'heat_pump') : 0;
  const slW = sl.nr_devices ? readingsW(s, 'switched_load') : 0;
  const houseW = grid.active_power_W + solar.active_power_W - storage.active_power_W - ev.active_power_W - hpW - slW;
  /** @type {FlowNode[]} */
  const nodes = [
    { key: 'grid', label: 'Grid', powerW: grid.active_power_W, value: fmtW(Math.abs(grid.active_power_W)), sub: Math.abs(grid.active_power_W) < IDLE_W ? 'balanced' : grid.active_power_W > 0 ? 'importing' : 'exporting' },
    { key: 'house', label: 'House', powerW: -Math.max(0, houseW), value: fmtW(Math.max(0, houseW)), sub: 'other loads' },
  ];
  if (solar.nr_devices) nodes.push({ key: 'solar', label: 'Solar', powerW: solar.active_power_W, value: fmtW(solar.active_power_W), sub: `of ${fmtW(solar.capacity_W)}` });
  if (storage.nr_devices) {
    const w = storage.active_power_W;
    nodes.push({ key: 'battery', label: 'Battery', powerW: -w, value: fmtPct(storage.mean_soc_perc), sub: Math.abs(w) < IDLE_W ? 'idle' : `${w > 0 ? 'charging' : 'discharging'} ${fmtW(Math.abs(w))}` });
  }
  if (s.devices.some((d) => d.group === 'variable_power_load')) nodes.push({ key: 'ev', label: 'EV', powerW: -ev.active_power_W, value: fmtW(ev.active_power_W), sub: ev.active_power_W > IDLE_W ? 'charging' : 'not charging' });
  if (hp.nr_devices) nodes.push({ key: 'heat-pump', label: 'Heat pump', powerW: -hpW, value: fmtW(hpW), sub: hp.operation_modes.join(', ') || undefined });
  if (sl.nr_devices) nodes.push({ key: 'relays', label: 'Relays', powerW: -slW, value: fmtW(slW), sub: `${sl.devices_on} on, ${sl.devices_off} off` });
  return nodes;
}

/**
 * A line from the node to the hub, drawn in the direction the power flows (the dashes move along it).
 * @param {FlowNode} n
 * @param {{ x: number, y: number }} at
 * @param {{ x: number, y: number }} hub
 */
function flowLine(n, at, hub) {
  const isIdle = Math.abs(n.powerW) < IDLE_W;
  const towardsHub = n.powerW > 0;
  const [a, b] = towardsHub ? [at, hub] : [hub, at];
  return svg('path', {
    d: `M ${a.x} ${a.y} L ${b.x} ${b.y}`,
    class: `flow-line flow-${n.key}${isIdle ? ' idle' : ''}`,
    'data-test': `flow-line-${n.key}`,
    'data-direction': isIdle ? 'idle' : towardsHub ? 'in' : 'out',
  });
}

/**
 * @param {FlowNode} n
 * @param {{ x: number, y: number }} at
 */
function flowBox(n, at) {
  const w = 120;
  const hgt = n.sub ? 62 : 48;
  return svg(
    'g',
    { class: `flow-node node-${n.key}`, 'data-test': `flow-${n.key}`, transform: `translate(${at.x - w / 2} ${at.y - hgt / 2})` },
    svg('rect', { width: w, height: hgt, rx: 10, class: 'flow-box' }),
    svg('text', { x: w / 2, y: 17, class: 'flow-label', 'text-anchor': 'middle', text: n.label }),
    svg('text', { x: w / 2, y: 37, class: 'flow-value', 'text-anchor': 'middle', 'data-test': 'flow-value', text: n.value }),
    n.sub ? svg('text', { x: w / 2, y: 54, class: 'flow-sub', 'text-anchor': 'middle', text: n.sub }) : null,
  );
}

/**
 * Draws the picture into `el` (replacing what was there).
 * @param {HTMLElement} el
 * @param {WebState} s
 */
export function renderFlow(el, s) {
  const nodes = flowNodes(s);
  const layout = el.clientWidth > 0 && el.clientWidth < NARROW_PX ? LAYOUTS.narrow : LAYOUTS.wide;
  const place = (/** @type {FlowNode} */ n) => {
    const [x, y] = layout.at[/** @type {keyof typeof layout.at} */ (n.key)];
    return { x, y };
  };
  const words = nodes.map((n) => `${n.label} ${n.value}${n.sub ? ` (${n.sub})` : ''}`).join(', ');
  replace(
    el,
    svg(
      'svg',
      { viewBox: `0 0 ${layout.width} ${layout.height}`, class: `flow ${layout === LAYOUTS.narrow ? 'narrow' : 'wide'}`, role: 'img', 'aria-labelledby': 'flow-title flow-desc', 'data-test': 'flow-svg' },
      svg('title', { id: 'flow-title', text: 'Power flow now' }),
      svg('desc', { id: 'flow-desc', text: words }),
      nodes.map((n) => flowLine(n, place(n), layout.hub)),
      svg('circle', { cx: layout.hub.x, cy: layout.hub.y, r: 9, class: 'flow-hub' }),
      nodes.map((n) => flowBox(n, place(n))),
    ),
  );
}
