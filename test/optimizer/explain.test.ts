import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { explainPlan } from '../../src/optimizer/planner/explain.ts';
import type { PlanProblem } from '../../src/optimizer/planner/plan-problem.ts';
import { evaluateSchedule, type Schedule } from '../../src/optimizer/planner/schedule.ts';
import type { SitePlan } from '../../src/optimizer/planner/site-plan.ts';
import { loadBundledPrices } from '../../src/optimizer/prices/price-file.ts';
import { loadWeather } from '../../src/environment/weather.ts';
import { DEMO_SERIAL, demoSiteConfig } from '../../src/site/demo-site.ts';
import { startCostSite, type CostSite } from '../helpers/cost-site.ts';
import { battery, ev, onOff, problem, SLOT_MS, T0 } from './planner-helpers.ts';

const HOUR = 3_600_000;
const HOUR_SLOTS = HOUR / SLOT_MS;

/** Per slot of `hours` hours, from hourly values. */
const perSlot = (hourly: readonly number[]): number[] => hourly.flatMap((v) => new Array<number>(HOUR_SLOTS).fill(v));
/** An on/off series: on in the listed slots. */
const onIn = (n: number, slots: readonly number[]): boolean[] => Array.from({ length: n }, (_, t) => slots.includes(t));

/** The reasons a crafted schedule gets (no solver: the schedule is the decision being explained). */
function explain(p: PlanProblem, s: Partial<Schedule>): ReturnType<typeof explainPlan> {
  const schedule: Schedule = { storageW: p.storage.map(() => []), solarW: p.solar.map(() => []), onOff: p.onOff.map(() => []), evW: p.evs.map(() => []), ...s };
  return explainPlan(p, schedule, evaluateSchedule(p, schedule));
}

const EUR = String.raw`(−?-?\d+\.\d\d) €\/kWh`;

/**
 * Every comparison a reason makes must hold for the numbers it prints (as printed, to the cent):
 * "cheap…" with "A vs B average" needs A ≤ B, "expensive"/"dear…" needs A ≥ B; "in cheaper slots
 * (A here, B on average where it runs)" needs B < A; "runs on the battery's energy (… at B) instead
 * of importing at A" needs B < A. Returns the reasons that break one.
 */
function contradictions(reasons: readonly string[]): string[] {
  const num = (s: string | undefined): number => Number((s ?? '').replace('−', '-'));
  return reasons.filter((r) => {
    const vs = new RegExp(`${EUR} vs ${EUR} average`).exec(r);
    if (vs) {
      const [a, b] = [num(vs[1]), num(vs[2])];
      if (/cheap/.test(r) && a > b) return true;
      if (/expensive|dear/.test(r) && a < b) return true;
    }
    const above = new RegExp(`\\(${EUR}, above the ${EUR} average\\)`).exec(r);
    if (above && num(above[1]) <= num(above[2])) return true;
    const here = new RegExp(`in cheaper slots.*\\(${EUR} here, ${EUR} on average where it`).exec(r);
    if (here && num(here[2]) >= num(here[1])) return true;
    const battery = new RegExp(`battery's energy \\(.*${EUR}.*\\) instead of importing at ${EUR}`).exec(r);
    if (battery && num(battery[1]) >= num(battery[2])) return true;
    return false;
  });
}

/** Every reason of every asset in every slot of a plan. */
function allReasons(plan: Pick<SitePlan, 'slots'>): string[] {
  return plan.slots.flatMap((s) => [...s.storage, ...s.solar, ...s.onOff, ...s.evs].map((a) => a.reason));
}

void describe('plan reasons say what the numbers say', () => {
  void it('the property check itself catches the old contradiction', () => {
    assert.deepEqual(contradictions(['on: among the cheaper slots for its 29.6 kWh need by 00:00 (0.23 €/kWh vs 0.22 €/kWh average)']).length, 1);
    assert.deepEqual(contradictions(['on: among the cheaper slots for its 8.0 kWh need by 00:00 (0.08 €/kWh vs 0.22 €/kWh average)']), []);
    assert.equal(contradictions(['off: its need is met in cheaper slots (0.10 €/kWh here, 0.12 €/kWh on average where it runs)']).length, 1);
    assert.equal(contradictions(["on: runs on the battery's energy (stored at 0.30 €/kWh at 03:00) instead of importing at 0.25 €/kWh"]).length, 1);
  });

  void it('a heat pump the battery powers through the evening peak names the battery, not "the cheaper slots"', () => {
    // 18:00–22:00 need window, dearer from 19:00; the battery covers the house and the heat pump at 19:00–20:00.
    const prices = perSlot([0.2, 0.3, 0.22, 0.21]);
    const n = prices.length;
    const hp = onOff({ ratedPowerW: 2000, minOnS: 900, minOffS: 900, needs: [{ fromMs: T0, untilMs: T0 + 4 * HOUR, energyWh: 4000 }] });
    const p = problem({ timeZone: 'UTC', importPriceEurPerKwh: prices, onOff: [hp], storage: [battery({ socPct: 90 })] });
    const on = [4, 5, 6, 7, 8, 9, 10, 11];
    const storageW = prices.map((_, t) => (on.includes(t) && t < 8 ? -2500 : 0));
    const slots = explain(p, { onOff: [onIn(n, on)], storageW: [storageW] });
    const peak = slots[5]?.onOff[0]?.reason ?? '';
    assert.equal(peak, "on: runs on the battery's energy (already in the battery, valued 0.20 €/kWh) instead of importing at 0.30 €/kWh");
    assert.deepEqual(contradictions(slots.flatMap((s) => s.onOff.map((a) => a.reason))), []);
  });

  void it('a heat pump on above the window average says its need takes those slots, never "cheaper"', () => {
    // 4 h window, need 6 kWh at 2 kW = 12 of 16 slots: some must be above the average.
    const prices = perSlot([0.1, 0.2, 0.3, 0.25]);
    const n = prices.length;
    const hp = onOff({ ratedPowerW: 2000, minOnS: 900, minOffS: 900, needs: [{ fromMs: T0, untilMs: T0 + 4 * HOUR, energyWh: 6000 }] });
    const p = problem({ timeZone: 'UTC', importPriceEurPerKwh: prices, onOff: [hp] });
    const slots = explain(p, { onOff: [onIn(n, [0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15])] });
    assert.equal(slots[0]?.onOff[0]?.reason, 'on: among the cheaper slots for its 6.0 kWh need by 04:00 (0.10 €/kWh vs 0.21 €/kWh average)');
    assert.equal(slots[12]?.onOff[0]?.reason, 'on: its 6.0 kWh need by 04:00 takes 12 of the 16 slots left, and at 0.25 €/kWh this one is the 9th lowest-priced (0.21 €/kWh average)');
    assert.equal(slots[8]?.onOff[0]?.reason, 'off: its need is met in cheaper slots (0.30 €/kWh here, 0.18 €/kWh on average where it runs)');
    // A need that takes every slot left says so.
    const full = explain(problem({ timeZone: 'UTC', importPriceEurPerKwh: prices, onOff: [{ ...hp, needs: [{ fromMs: T0, untilMs: T0 + 4 * HOUR, energyWh: 9000 }] }] }), { onOff: [onIn(n, [...Array(n).keys()])] });
    assert.equal(full[9]?.onOff[0]?.reason, 'on: its 9.0 kWh need by 04:00 takes every slot left (16 × 15 min; 0.30 €/kWh here)');
    assert.deepEqual(contradictions([...slots, ...full].flatMap((s) => s.onOff.map((a) => a.reason))), []);
  });

  void it('a heat pump off in a cheap slot does not claim its need is met in cheaper slots', () => {
    const prices = perSlot([0.3, 0.1, 0.3]);
    const n = prices.length;
    const hp = onOff({ ratedPowerW: 2000, minOnS: 3600, minOffS: 3600, needs: [{ fromMs: T0, untilMs: T0 + 3 * HOUR, energyWh: 2000 }] });
    const p = problem({ timeZone: 'UTC', importPriceEurPerKwh: prices, onOff: [hp] });
    const slots = explain(p, { onOff: [onIn(n, [8, 9, 10, 11])] });
    assert.equal(slots[5]?.onOff[0]?.reason, 'off: its need is met in other slots (0.10 €/kWh here, 0.30 €/kWh on average where it runs)');
  });

  void it('solar surplus is named only when the sun makes it', () => {
    const prices = perSlot([0.2, 0.2]);
    const n = prices.length;
    const hp = onOff({ ratedPowerW: 2000, minOnS: 900, minOffS: 900, needs: [] });
    const sunny = problem({ timeZone: 'UTC', importPriceEurPerKwh: prices, onOff: [hp], solar: [{ nodeId: 'pv', availableW: new Array<number>(n).fill(4000) }] });
    const bySun = explain(sunny, { onOff: [onIn(n, [0])], solarW: [new Array<number>(n).fill(4000)] });
    assert.equal(bySun[0]?.onOff[0]?.reason, 'on: runs on solar surplus');
    const dark = problem({ timeZone: 'UTC', importPriceEurPerKwh: prices, onOff: [hp], storage: [battery({ socPct: 90 })] });
    const byBattery = explain(dark, { onOff: [onIn(n, [0])], storageW: [[-2500, ...new Array<number>(n - 1).fill(0)]] });
    assert.match(byBattery[0]?.onOff[0]?.reason ?? '', /^on: runs on the battery's energy/);
  });

  void it('an EV charging above the session average, or paused where its charging slots are dearer, says so in true words', () => {
    const prices = perSlot([0.1, 0.3, 0.2, 0.2]);
    const car = ev({ minPowerW: 4000, maxPowerW: 4000, sessions: [{ fromMs: T0, untilMs: T0 + 4 * HOUR, energyWh: 12_000 }] });
    const p = problem({ timeZone: 'UTC', importPriceEurPerKwh: prices, evs: [car] });
    const evW = prices.map((_, t) => ([0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15].includes(t) ? 4000 : 0));
    const slots = explain(p, { evW: [evW] });
    assert.equal(slots[0]?.evs[0]?.reason, 'charge 4.0 kW: among the cheaper slots for its 12.0 kWh by departure at 04:00 (0.10 €/kWh vs 0.20 €/kWh average)');
    assert.equal(slots[8]?.evs[0]?.reason, 'charge 4.0 kW: its 12.0 kWh by departure at 04:00 takes 12 of the 16 slots left, and at 0.20 €/kWh this one is the 5th lowest-priced (0.20 €/kWh average)');
    assert.equal(slots[4]?.evs[0]?.reason, 'paused: charges in cheaper slots before departure at 04:00 (0.30 €/kWh here, 0.17 €/kWh on average where it charges)');
    assert.deepEqual(contradictions(slots.flatMap((s) => s.evs.map((a) => a.reason))), []);
  });
});

// Real plans of the demo site (two batteries, PV, a heat pump, a boiler relay, an EV charger) on the
// bundled prices and weather, planned by HiGHS: no reason may contradict the numbers it prints.
void describe('plan reasons over real plans of the demo site', () => {
  const sites: CostSite[] = [];
  const plans: Array<{ at: string; plan: SitePlan }> = [];
  const prices = loadBundledPrices();
  const weather = loadWeather('bundled');
  // A winter evening (the battery carries the heat pump through the peak), a summer morning, a spring night.
  const starts = ['2024-12-04T17:45:00Z', '2024-06-03T08:00:00Z', '2024-03-14T23:00:00Z'];

  before(async () => {
    for (const at of starts) {
      const cs = await startCostSite({
        config: demoSiteConfig(),
        prices,
        weather,
        startMs: Date.parse(at),
        baseLoadW: 600,
        service: { planInputs: { heatPumpEnergyPerDayWh: { [`${DEMO_SERIAL}_heat_pump_0`]: 30_000 } } },
      });
      sites.push(cs);
      const plan = cs.service.currentPlan();
      assert.ok(plan, `a plan at ${at}`);
      plans.push({ at, plan });
    }
  });
  after(async () => {
    for (const cs of sites) await cs.stop();
  });

  void it('no "cheap" reason prints a price above the average it prints, no "dear"/"expensive" one below, and every other comparison holds', () => {
    for (const { at, plan } of plans) {
      const reasons = allReasons(plan);
      assert.ok(reasons.length > 100, `${at}: ${reasons.length} reasons`);
      assert.deepEqual(contradictions(reasons), [], `${at}`);
    }
    // The check has something to check: the plans compare prices with averages.
    assert.ok(plans.some(({ plan }) => allReasons(plan).some((r) => / vs .* average/.test(r))), 'some reason compares with an average');
  });
});
