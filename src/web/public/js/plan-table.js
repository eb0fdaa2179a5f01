// The Plan page's slot table: the next 24 h (or the whole plan), identical consecutive slots merged
// into one row, and under each row the planner's reason per asset. Shown inside a <details>, closed
// by default (the day summary comes first).
import { h, replace } from './dom.js';
import { fmtDay, fmtDayTime, fmtSpan, fmtW, localParts } from './format.js';
import { fmtPrice, fmtSignedW, HOUR_MS } from './plan-words.js';

export const TABLE_HOURS = 24;

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

/**
 * Fills `table` with the slots from now on (the next TABLE_HOURS, or all with `showAll`); `nameOf`
 * gives a device's name. Returns { rows, title }: how many rows, and the heading in words.
 */
export function renderSlotTable(table, plan, nowMs, { showAll, nameOf }) {
  const horizonEnd = showAll ? Infinity : nowMs + TABLE_HOURS * HOUR_MS;
  const slots = plan.slots.filter((s) => s.startMs < horizonEnd);
  const first = slots[0];
  const has = { storage: first.storage.length > 0, solar: first.solar.length > 0, onOff: first.onOff.length > 0, evs: first.evs.length > 0 };
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
      fmtSpan(s.startMs, endMs),
      g.slots.length > 1 ? h('span', { class: 'hint', text: ` · ${g.slots.length} slots` }) : null,
      isNow ? h('span', { class: 'now-tag', text: 'now' }) : null,
    );
    prevDay = day;
    const reasons = [...s.storage, ...s.solar, ...s.onOff, ...s.evs].map((a) => [a.nodeId, a.reason]);
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
  replace(table, h('thead', {}, head), rows);
  const lastEnd = slots[slots.length - 1].startMs + plan.slotMs;
  const title = showAll ? `The whole plan, slot by slot (until ${fmtDayTime(lastEnd)})` : `The next ${TABLE_HOURS} hours, slot by slot`;
  return { rows: rows.length, title };
}
