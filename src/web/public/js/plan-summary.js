// The Plan page's day summary, first on the page: for today and tomorrow, what the plan will do
// (battery charges and discharges, loads run, EV charging, solar curtailed), why (the day's price
// spread, the solar forecast) and what it saves against self-consumption. Derived from the plan's
// slots only; every time in site time (format.js).
import { h } from './dom.js';
import { fmtDay, fmtDayTime, fmtSpan, fmtTime, localParts } from './format.js';
import { batteryW, fmtEur, fmtEurPerKwh, fmtKwh, HOUR_MS, listWords, sum } from './plan-words.js';

/** Power below which an asset counts as idle, W (the planner's reasons use the same). */
const IDLE_W = 50;
/** Idle slots a period may span and still read as one ("02:00–05:00" rather than two). */
const GAP_SLOTS = 2;
/** More periods than this for one asset read as a count. */
const MAX_SPANS = 4;

/** The plan's slots by site-local day, in order: [{ day, slots }]. */
function slotsByDay(slots) {
  /** @type {Array<{ day: string, slots: any[] }>} */
  const days = [];
  for (const s of slots) {
    const day = localParts(s.startMs).day;
    if (days.length === 0 || days[days.length - 1].day !== day) days.push({ day, slots: [] });
    days[days.length - 1].slots.push(s);
  }
  return days;
}

/**
 * Periods of consecutive slots of the same class (`classOf(slot)`, null = none), where up to
 * GAP_SLOTS idle slots between two of the same class join them: [{ cls, slots, fromMs, toMs }].
 */
function periods(slots, slotMs, classOf) {
  const out = [];
  let open = null;
  let idle = 0;
  for (const s of slots) {
    const cls = classOf(s);
    if (cls === null) {
      idle += 1;
      if (open && idle > GAP_SLOTS) open = null;
      continue;
    }
    if (open && open.cls === cls) open.slots.push(s);
    else {
      open = { cls, slots: [s] };
      out.push(open);
    }
    idle = 0;
  }
  return out.map((p) => ({ ...p, fromMs: p.slots[0].startMs, toMs: p.slots[p.slots.length - 1].startMs + slotMs }));
}

/** Energy-weighted mean of `price(slot)` with `weightW(slot)` W, or null without energy. */
function weightedPrice(slots, weightW, price) {
  const w = sum(slots.map(weightW));
  return w > 0 ? sum(slots.map((s) => weightW(s) * price(s))) / w : null;
}

const spansOf = (list) => listWords(list.map((p) => fmtSpan(p.fromMs, p.toMs)));

/** One summary line: { kind, text } (kind names the action for tests and styling). */
const item = (kind, text) => ({ kind, text });

function batteryItems(day, plan) {
  const slotH = plan.slotMs / HOUR_MS;
  const who = plan.slots[0].storage.length > 1 ? 'the batteries' : 'the battery';
  const classOf = (s) => {
    const w = batteryW(s);
    if (w > IDLE_W) return s.gridW > IDLE_W ? 'charge-grid' : 'charge-solar';
    if (w < -IDLE_W) return s.gridW < -IDLE_W ? 'discharge-export' : 'discharge';
    return null;
  };
  const all = periods(day.slots, plan.slotMs, classOf);
  if (all.length === 0) {
    const why = (day.slots[0].storage[0]?.reason ?? '').replace(/^idle:?\s*/, '');
    return [item('battery-idle', `Keeps ${who} idle${why ? ` (${why})` : ''}.`)];
  }
  const energy = (list) => fmtKwh(sum(list.flatMap((p) => p.slots.map((s) => Math.abs(batteryW(s)) * slotH))));
  const of = (cls) => all.filter((p) => p.cls === cls);
  const out = [];
  const add = (cls, words) => {
    const list = of(cls);
    if (list.length) out.push({ at: list[0].fromMs, ...item(cls, words(list)) });
  };
  const priceOf = (list, price) => weightedPrice(list.flatMap((p) => p.slots), (s) => Math.abs(batteryW(s)), price);
  add('charge-grid', (l) => `Charges ${who} from the grid ${spansOf(l)} at ${fmtEurPerKwh(priceOf(l, (s) => s.importPriceEurPerKwh))} on average (${energy(l)}).`);
  add('charge-solar', (l) => `Charges ${who} from solar surplus ${spansOf(l)} (${energy(l)}).`);
  add('discharge', (l) => `Discharges ${who} ${spansOf(l)} instead of importing at ${fmtEurPerKwh(priceOf(l, (s) => s.importPriceEurPerKwh))} on average (${energy(l)}).`);
  add('discharge-export', (l) => `Discharges ${who} to the grid ${spansOf(l)}, export paying ${fmtEurPerKwh(priceOf(l, (s) => s.exportPriceEurPerKwh))} on average (${energy(l)}).`);
  return out.sort((a, b) => a.at - b.at);
}

function loadItems(day, plan, nameOf) {
  const slotH = plan.slotMs / HOUR_MS;
  const out = [];
  const describe = (list) => (list.length > MAX_SPANS ? `in ${list.length} periods` : spansOf(list));
  for (const [k, a] of plan.slots[0].onOff.entries()) {
    const on = periods(day.slots, plan.slotMs, (s) => (s.onOff[k]?.isOn ? 'on' : null));
    if (!on.length) continue;
    const slots = on.flatMap((p) => p.slots.filter((s) => s.onOff[k]?.isOn));
    const powerW = (s) => s.onOff[k]?.powerW ?? 0;
    const imported = slots.filter((s) => s.gridW >= powerW(s) / 2);
    const solarW = sum(slots.map((s) => sum(s.solar.map((p) => p.powerW))));
    const how =
      imported.length * 2 >= slots.length
        ? `at ${fmtEurPerKwh(weightedPrice(imported, powerW, (s) => s.importPriceEurPerKwh))} on average where it imports`
        : solarW >= sum(slots.map(powerW))
          ? 'mostly on solar surplus'
          : 'mostly on the battery’s energy';
    out.push({ at: on[0].fromMs, ...item(a.kind === 'heat_pump' ? 'heat-pump' : 'relay', `Runs ${nameOf(a.nodeId)} ${describe(on)} (${fmtKwh(sum(slots.map((s) => powerW(s) * slotH)))}, ${how}).`) });
  }
  for (const [k, e] of plan.slots[0].evs.entries()) {
    const charging = periods(day.slots, plan.slotMs, (s) => ((s.evs[k]?.powerW ?? 0) > IDLE_W ? 'charge' : null));
    if (!charging.length) continue;
    const wh = sum(day.slots.map((s) => (s.evs[k]?.powerW ?? 0) * slotH));
    out.push({ at: charging[0].fromMs, ...item('ev', `Charges ${nameOf(e.nodeId)} ${describe(charging)} (${fmtKwh(wh)}).`) });
  }
  return out;
}

function curtailItems(day, plan) {
  const slotH = plan.slotMs / HOUR_MS;
  const cutW = (s) => sum(s.solar.map((p) => (p.limitW === null ? 0 : Math.max(0, p.availableW - p.powerW))));
  const cut = periods(day.slots, plan.slotMs, (s) => (cutW(s) > 10 ? 'curtail' : null));
  if (!cut.length) return [];
  const slots = cut.flatMap((p) => p.slots);
  const negative = slots.filter((s) => s.exportPriceEurPerKwh < 0).length * 2 >= slots.length;
  const why = negative ? 'when the export price is negative' : 'at the export limit';
  return [{ at: cut[0].fromMs, ...item('curtail', `Curtails ${fmtKwh(sum(slots.map((s) => cutW(s) * slotH)))} of solar ${spansOf(cut)}, ${why}.`) }];
}

/** Why, in numbers: the day's import price range (cheapest and dearest hour), the solar forecast. */
function whyWords(day, plan) {
  const slotH = plan.slotMs / HOUR_MS;
  const cheap = day.slots.reduce((a, b) => (b.importPriceEurPerKwh < a.importPriceEurPerKwh ? b : a));
  const dear = day.slots.reduce((a, b) => (b.importPriceEurPerKwh > a.importPriceEurPerKwh ? b : a));
  const parts = [`import price from ${fmtEurPerKwh(cheap.importPriceEurPerKwh)} at ${fmtTime(cheap.startMs)} to ${fmtEurPerKwh(dear.importPriceEurPerKwh)} at ${fmtTime(dear.startMs)}`];
  if (day.slots[0].solar.length) parts.push(`solar forecast ${fmtKwh(sum(day.slots.map((s) => sum(s.solar.map((p) => p.availableW)) * slotH)))}`);
  const forecast = day.slots.find((s) => s.priceIsForecast);
  if (forecast) parts.push(`prices from ${fmtTime(forecast.startMs)} are a forecast`);
  return `Why: ${parts.join('; ')}.`;
}

/**
 * The summary's content for an explanation `x` (GET /api/plan): { headline, days: [{ day, title,
 * saving, why, items: [{ kind, text }] }] } for today and tomorrow, or null without a plan.
 */
export function summarise(x, nameOf) {
  const plan = x.plan;
  if (!plan || !plan.slots.length) return null;
  const today = localParts(x.nowMs).day;
  const end = plan.slots[plan.slots.length - 1].startMs + plan.slotMs;
  const days = slotsByDay(plan.slots).slice(0, 2).map((d, i) => {
    const first = d.slots[0].startMs;
    const last = d.slots[d.slots.length - 1].startMs + plan.slotMs;
    const isWhole = localParts(last).day !== d.day;
    const name = d.day === today ? 'Today' : i === 1 || d.day > today ? 'Tomorrow' : fmtDay(first);
    const range = [i === 0 ? `from ${fmtTime(first)}` : null, isWhole ? null : `until ${fmtTime(last)}`].filter(Boolean).join(' ');
    const saving = sum(d.slots.map((s) => s.savingEur));
    const items = [...batteryItems(d, plan), ...loadItems(d, plan, nameOf), ...curtailItems(d, plan)].sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
    return { day: d.day, title: `${name}, ${fmtDay(first)}${range ? ` (${range})` : ''}`, saving, why: whyWords(d, plan), items };
  });
  // The plan's expected saving per slot (PlanSlot.savingEur; Σ over the plan = expectedSavingEur), from now on.
  const headline = `Expected saving against self-consumption: ${fmtEur(sum(plan.slots.map((s) => s.savingEur)))} from now until ${fmtDayTime(end)}.`;
  return { headline, days };
}

/** The summary as DOM (data-test: plan-summary-day, plan-summary-item with data-kind). */
export function buildSummary(x, nameOf) {
  const s = summarise(x, nameOf);
  if (!s) return [];
  return [
    h('p', { class: 'plan-headline', 'data-test': 'plan-summary-headline', text: s.headline }),
    h(
      'div',
      { class: 'plan-days' },
      s.days.map((d) =>
        h(
          'section',
          { class: 'plan-day', 'data-test': 'plan-summary-day', 'data-day': d.day },
          h('h2', {}, d.title, h('span', { class: 'saving', text: ` · saves ${fmtEur(d.saving)}` })),
          h('ul', { class: 'plan-actions' }, d.items.map((it) => h('li', { 'data-test': 'plan-summary-item', 'data-kind': it.kind, text: it.text }))),
          h('p', { class: 'hint', 'data-test': 'plan-summary-why', text: d.why }),
        ),
      ),
    ),
  ];
}
