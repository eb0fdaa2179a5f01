import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CostPlanExplanation } from '../../src/optimizer/cost-service.ts';
import type { PlanSlot, SitePlan } from '../../src/optimizer/planner/site-plan.ts';

// The Plan page's day summary is a plain ES module of the UI (no build step); its words are built
// from the plan's slots only, so they can be checked here on a crafted plan (the browser test checks
// the real one): a grid charge at night, curtailment at negative export prices, the evening discharge.
interface SummaryModule {
  summarise(x: CostPlanExplanation & { nowMs: number }, nameOf: (id: string) => string): { headline: string; days: Array<{ day: string; title: string; saving: number; why: string; items: Array<{ kind: string; text: string }> }> } | null;
}
interface FormatModule {
  setSiteTimeZone(zone: string): boolean;
}
const ui = new URL('../../src/web/public/js/', import.meta.url);
const { summarise } = (await import(new URL('plan-summary.js', ui).href)) as SummaryModule;
const { setSiteTimeZone } = (await import(new URL('format.js', ui).href)) as FormatModule;

const SLOT_MS = 900_000;
/** 2024-06-03 00:00 in Brussels. */
const DAY0 = Date.UTC(2024, 5, 2, 22);

/** One local day (and one slot of the next) of 15-min slots; `edit` shapes each. */
function planOf(edit: (s: PlanSlot, hour: number) => void): SitePlan {
  const slots: PlanSlot[] = Array.from({ length: 97 }, (_, i) => {
    const s: PlanSlot = {
      startMs: DAY0 + i * SLOT_MS,
      importPriceEurPerKwh: 0.25,
      exportPriceEurPerKwh: 0.05,
      baseLoadW: 500,
      gridW: 500,
      savingEur: 0.01,
      storage: [{ nodeId: 'bat', powerW: 0, socPct: 50, reason: 'idle: the price spread ahead does not pay for the losses' }],
      solar: [{ nodeId: 'pv', availableW: 0, powerW: 0, limitW: null, reason: 'produce: uncapped' }],
      onOff: [],
      evs: [],
    };
    edit(s, (i * SLOT_MS) / 3_600_000);
    return s;
  });
  return { status: 'optimal', strategy: 'decomposed', mipGap: 0, mipGapEur: 0, solveMs: 10, startMs: DAY0, slotMs: SLOT_MS, slots, expectedCostEur: 1, baselineCostEur: 2, expectedSavingEur: 0.97, terminalValueEurPerKwh: 0.2, violations: [] };
}

describe('the Plan page day summary (plan-summary.js)', () => {
  it('says what the battery and the solar do, when, at what price, why, and what it saves', () => {
    setSiteTimeZone('Europe/Brussels');
    const plan = planOf((s, hour) => {
      if (hour >= 2 && hour < 5) {
        s.importPriceEurPerKwh = 0.18;
        s.storage[0]!.powerW = 3000;
        s.gridW = 3500;
      }
      if (hour >= 11 && hour < 15) {
        s.solar[0]!.availableW = 6000;
        s.solar[0]!.powerW = 6000;
        s.gridW = 500 - 6000;
      }
      if (hour >= 12 && hour < 13) {
        s.exportPriceEurPerKwh = -0.02;
        s.solar[0]!.powerW = 3000;
        s.solar[0]!.limitW = 3000;
        s.gridW = 500 - 3000;
      }
      if (hour >= 18 && hour < 21) {
        s.importPriceEurPerKwh = 0.32;
        s.storage[0]!.powerW = -500;
        s.gridW = 0;
      }
    });
    const x = { status: 'optimal', plannedAtMs: DAY0, nextReplanAtMs: DAY0 + SLOT_MS, expectedSavingTodayEur: 0.96, savingsByDay: [], plan, nowMs: DAY0 + 60_000 } satisfies CostPlanExplanation & { nowMs: number };
    const s = summarise(x, (id) => id);
    assert.ok(s);
    assert.equal(s.headline, 'Expected saving against self-consumption: 0.97 € from now until Tue 4 Jun 00:15.');
    const [today, tomorrow] = s.days;
    assert.equal(today?.title, 'Today, Mon 3 Jun (from 00:00)');
    assert.equal(today?.saving.toFixed(2), '0.96');
    assert.deepEqual(today?.items.map((i) => [i.kind, i.text]), [
      ['charge-grid', 'Charges the battery from the grid 02:00–05:00 at 0.18 €/kWh on average (9.0 kWh).'],
      ['curtail', 'Curtails 3.0 kWh of solar 12:00–13:00, when the export price is negative.'],
      ['discharge', 'Discharges the battery 18:00–21:00 instead of importing at 0.32 €/kWh on average (1.5 kWh).'],
    ]);
    assert.equal(today?.why, 'Why: import price from 0.18 €/kWh at 02:00 to 0.32 €/kWh at 18:00; solar forecast 24.0 kWh.');
    assert.equal(tomorrow?.title, 'Tomorrow, Tue 4 Jun (until 00:15)');
    assert.deepEqual(tomorrow?.items.map((i) => i.text), ['Keeps the battery idle (the price spread ahead does not pay for the losses).']);
  });

  it('counts days and hours in the site’s zone', () => {
    setSiteTimeZone('America/New_York');
    const x = { status: 'optimal', plannedAtMs: DAY0, nextReplanAtMs: null, expectedSavingTodayEur: null, savingsByDay: [], plan: planOf(() => {}), nowMs: DAY0 } satisfies CostPlanExplanation & { nowMs: number };
    const s = summarise(x, (id) => id);
    // 00:00 Brussels is 18:00 the day before in New York: that evening, then Monday (until 18:15).
    assert.deepEqual(s?.days.map((d) => d.title), ['Today, Sun 2 Jun (from 18:00)', 'Tomorrow, Mon 3 Jun (until 18:15)']);
    setSiteTimeZone('Europe/Brussels');
  });
});
