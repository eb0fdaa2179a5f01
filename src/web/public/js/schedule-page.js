// The Schedule page (#schedule): the stored schedule's slots (GET /api/schedule) on a timeline of
// today and tomorrow in site time, the active slot marked, and the slots as a list.
import { api } from './api.js';
import { h, refreshWhileVisible, replace, svg } from './dom.js';
import { addDays, fmtDay, fmtDayTime, fmtSpan, localParts, siteMidnightMs, zoneSentence } from './format.js';

/** @typedef {import('../../history-routes.ts').ScheduleAnswer} ScheduleAnswer */

const REFRESH_MS = 30_000;
/** Wide: day names left of the lanes, a tick every 3 h; narrow (a phone): names above, every 6 h. */
const LAYOUTS = { wide: { W: 960, ROW_H: 46, LEFT: 90, TOP: 20, STEP_H: 3 }, narrow: { W: 380, ROW_H: 58, LEFT: 4, TOP: 34, STEP_H: 6 } };
const NARROW_PX = 560;

/**
 * A slot's fields in words: "storage setpoint 1500 W · solar off".
 * @param {Record<string, string | number>} fields
 */
export function slotWords(fields) {
  /** @type {string[]} */
  const parts = [];
  for (const [key, value] of Object.entries(fields)) {
    if (!key.endsWith('_policy')) continue;
    const target = key.slice(0, -'_policy'.length);
    const setpoint = fields[`${target}_power_setpoint_w`];
    parts.push(`${target} ${value}${setpoint !== undefined ? ` ${setpoint} W` : ''}`);
  }
  return parts.join(' · ') || 'local defaults';
}

/**
 * The timeline: one row per day (today, tomorrow), hours across, a bar per slot.
 * @param {ScheduleAnswer} s
 * @param {boolean} isNarrow
 */
function timeline(s, isNarrow) {
  const { W, ROW_H, LEFT, TOP, STEP_H } = isNarrow ? LAYOUTS.narrow : LAYOUTS.wide;
  const today = localParts(s.nowMs).day;
  const days = [today, addDays(today, 1)].map((key) => ({ key, fromMs: siteMidnightMs(key), toMs: siteMidnightMs(addDays(key, 1)) }));
  const inner = W - LEFT - 10;
  /** @type {SVGElement[]} */
  const parts = [];
  days.forEach((d, row) => {
    const y = TOP + row * ROW_H;
    const x = (/** @type {number} */ ms) => LEFT + ((ms - d.fromMs) / (d.toMs - d.fromMs)) * inner;
    const laneH = isNarrow ? ROW_H - 24 : ROW_H - 12;
    parts.push(isNarrow ? svg('text', { x: LEFT, y: y - 4, class: 'tl-day', text: fmtDay(d.fromMs) }) : svg('text', { x: 4, y: y + 24, class: 'tl-day', text: fmtDay(d.fromMs) }));
    parts.push(svg('rect', { x: LEFT, y, width: inner, height: laneH, class: 'tl-lane' }));
    for (let hour = 0; hour <= 24; hour += STEP_H) {
      const hx = LEFT + (hour / 24) * inner;
      parts.push(svg('line', { x1: hx, x2: hx, y1: y, y2: y + laneH, class: 'tl-tick' }));
      if (row === 0) parts.push(svg('text', { x: hx, y: 14, class: 'tl-hour', 'text-anchor': hour === 0 ? 'start' : hour === 24 ? 'end' : 'middle', text: `${String(hour % 24).padStart(2, '0')}:00` }));
    }
    for (const slot of s.slots) {
      const from = Math.max(slot.startMs, d.fromMs);
      const to = Math.min(slot.endMs, d.toMs);
      if (to <= from) continue;
      parts.push(
        svg(
          'rect',
          { x: x(from), y: y + 4, width: Math.max(2, x(to) - x(from)), height: laneH - 8, rx: 3, class: slot.isActive ? 'tl-slot active' : 'tl-slot', 'data-test': slot.isActive ? 'tl-slot-active' : 'tl-slot' },
          svg('title', { text: `${fmtSpan(slot.startMs, slot.endMs)}: ${slotWords(slot.fields)}` }),
        ),
      );
    }
    if (s.nowMs >= d.fromMs && s.nowMs < d.toMs) parts.push(svg('line', { x1: x(s.nowMs), x2: x(s.nowMs), y1: y - 2, y2: y + laneH + 2, class: 'tl-now', 'data-test': 'tl-now' }));
  });
  return svg('svg', { viewBox: `0 0 ${W} ${TOP + days.length * ROW_H - (isNarrow ? 10 : 0)}`, class: 'timeline', role: 'img', 'aria-label': `Schedule for ${fmtDay(days[0].fromMs)} and ${fmtDay(days[1].fromMs)}` }, parts);
}

/** @param {Document} doc */
export function createSchedulePage(doc) {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (doc.getElementById(id));

  async function load() {
    try {
      /** @type {ScheduleAnswer} */
      const s = await api.schedule();
      $('schedule-zone').textContent = zoneSentence();
      const box = $('schedule-timeline');
      replace(box, timeline(s, box.clientWidth > 0 && box.clientWidth < NARROW_PX));
      const active = s.slots.find((x) => x.isActive);
      $('schedule-status').textContent =
        s.slots.length === 0
          ? 'No schedule is stored: every component follows its local default unless a live command drives it.'
          : `${s.slots.length} slot${s.slots.length > 1 ? 's' : ''} stored. ${active ? `Active now until ${fmtDayTime(active.endMs)}: ${slotWords(active.fields)}.` : s.summary.next_start ? `Next starts ${fmtDayTime(s.summary.next_start * 1000)}.` : ''}`;
      replace(
        $('schedule-list'),
        s.slots.map((slot) =>
          h(
            'tr',
            { class: slot.isActive ? 'is-active' : '', 'data-test': 'schedule-row' },
            h('td', { 'data-label': 'From', text: fmtDayTime(slot.startMs) }),
            h('td', { 'data-label': 'Until', text: fmtDayTime(slot.endMs) }),
            h('td', { 'data-label': 'Does', text: slotWords(slot.fields) }),
            h('td', { 'data-label': 'Now' }, slot.isActive ? h('span', { class: 'src schedule', text: 'active' }) : h('span', { class: 'no', text: '—' })),
          ),
        ),
      );
    } catch (err) {
      $('schedule-status').textContent = `Could not load the schedule: ${/** @type {Error} */ (err).message}`;
    }
  }

  return {
    /** @param {boolean} visible */
    setVisible: refreshWhileVisible(doc, load, REFRESH_MS),
  };
}
