// A site in Lisbon (UTC+0/+1) and one in Helsinki (UTC+2/+3) plan and count days in their own time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { localDayIndexOf, MS_PER_DAY, toLocalTime, wallTimeToUtcMs } from '../../src/core/local-time.ts';
import { LoadProfile } from '../../src/environment/load-profile.ts';
import { Ledger } from '../../src/optimizer/backtest/ledger.ts';
import { localPeriod } from '../../src/optimizer/backtest/run-backtest.ts';
import { CostService, syncPlanner } from '../../src/optimizer/cost-service.ts';
import { ClearSkyPvForecast } from '../../src/optimizer/forecast/pv-forecast.ts';
import { loadSolver } from '../../src/optimizer/planner/highs-runner.ts';
import { solvePlan } from '../../src/optimizer/planner/solve-plan.ts';
import { dayAheadKnownUntilMs, StaticPriceProvider } from '../../src/optimizer/prices/price-provider.ts';
import type { PriceSeries } from '../../src/optimizer/prices/price-series.ts';
import { BELGIAN_DYNAMIC_TARIFF } from '../../src/optimizer/prices/tariff.ts';
import { resolveSiteConfig } from '../../src/site/site-config.ts';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const LISBON = { latitude: 38.72, longitude: -9.14, timeZone: 'Europe/Lisbon' };
const HELSINKI = { latitude: 60.17, longitude: 24.94, timeZone: 'Europe/Helsinki' };
const dayOf = (date: string) => Math.floor(at(`${date}T00:00:00Z`) / MS_PER_DAY);

/** Flat spot prices every 15 min over [fromMs, toMs), with a cheap night 01:00–05:00 UTC. */
function prices(fromMs: number, toMs: number): PriceSeries {
  const out: number[] = [];
  for (let ms = fromMs; ms < toMs; ms += 900_000) {
    const h = new Date(ms).getUTCHours();
    out.push(h >= 1 && h < 5 ? 20 : 120);
  }
  return { startMs: fromMs, slotMs: 900_000, pricesEurPerMwh: out };
}

function site(location: typeof LISBON) {
  return resolveSiteConfig({
    serial: 'TZ1',
    location,
    devices: [
      { group: 'solar', nodeId: 'pv', ratedPowerW: 5000 },
      { group: 'storage', nodeId: 'battery', capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 5000 },
    ],
  });
}

void describe('site time zones: Lisbon and Helsinki', () => {
  void it('the plan API counts savings per local day: each day starts at local midnight and is named by its local date', async () => {
    const highs = await loadSolver();
    for (const [location, midnightUtcHour] of [
      [LISBON, 23],
      [HELSINKI, 21],
    ] as const) {
      const s = site(location);
      const nowMs = at('2024-06-03T10:00:00Z');
      const clock = new FakeClock(nowMs);
      const service = new CostService({
        site: s,
        clock,
        prices: new StaticPriceProvider(prices(at('2024-06-02T00:00:00Z'), at('2024-06-06T00:00:00Z'))),
        planner: syncPlanner((p) => solvePlan(highs, p)),
        pvForecast: new ClearSkyPvForecast(0.5),
        maxHorizonMs: 40 * HOUR,
      });
      service.start();
      await service.idle();
      await service.stop();
      const days = service.explanation(nowMs).savingsByDay;
      assert.deepEqual(
        days.map((d) => d.day),
        ['2024-06-03', '2024-06-04', '2024-06-05'],
        location.timeZone,
      );
      // Local midnight of 4 June, in UTC: 23:00 (Lisbon, WEST) or 21:00 (Helsinki, EEST) on 3 June.
      assert.equal(days[1]?.fromMs, Date.UTC(2024, 5, 3, midnightUtcHour), location.timeZone);
      assert.equal(service.currentPlan()?.slots.length, 40 * 4);
    }
  });

  void it('the standard load profile peaks in the local evening (19:00–20:00 site time) in both zones', () => {
    for (const timeZone of ['Europe/Lisbon', 'Europe/Helsinki', 'Europe/Brussels']) {
      const profile = new LoadProfile({ timeZone });
      const from = wallTimeToUtcMs(dayOf('2024-06-03'), 0, timeZone);
      let best = { ms: from, w: -1 };
      for (let ms = from; ms < from + 24 * HOUR; ms += 5 * 60_000) {
        const w = profile.expectedBaseLoadW(ms);
        if (w > best.w) best = { ms, w };
      }
      const hour = toLocalTime(best.ms, timeZone).hourOfDay;
      assert.ok(hour >= 19 && hour <= 20, `${timeZone}: peak at ${hour} h local`);
    }
    // Same instant, different zones: 18:30 UTC is 19:30 in Lisbon (peak) but 21:30 in Helsinki.
    const ms = at('2024-06-03T18:30:00Z');
    assert.ok(new LoadProfile({ timeZone: 'Europe/Lisbon' }).expectedBaseLoadW(ms) > new LoadProfile({ timeZone: 'Europe/Helsinki' }).expectedBaseLoadW(ms));
  });

  void it('prices are known up to the end of tomorrow from 13:00 local, in the site time zone', async () => {
    const tz = 'Europe/Helsinki';
    // 12:59 Helsinki (EEST) = 09:59 UTC: only today, to 21:00 UTC.
    assert.equal(dayAheadKnownUntilMs(at('2024-06-03T09:59:00Z'), undefined, tz), at('2024-06-03T21:00:00Z'));
    assert.equal(dayAheadKnownUntilMs(at('2024-06-03T10:00:00Z'), undefined, tz), at('2024-06-04T21:00:00Z'));
    // Lisbon (WEST, UTC+1): 13:00 local = 12:00 UTC.
    assert.equal(dayAheadKnownUntilMs(at('2024-06-03T11:59:00Z'), undefined, 'Europe/Lisbon'), at('2024-06-03T23:00:00Z'));
    assert.equal(dayAheadKnownUntilMs(at('2024-06-03T12:00:00Z'), undefined, 'Europe/Lisbon'), at('2024-06-04T23:00:00Z'));
    // A provider replaying a file answers to the site's local day.
    const clock = new FakeClock(at('2024-06-03T09:00:00Z'));
    const series = prices(at('2024-06-01T00:00:00Z'), at('2024-06-08T00:00:00Z'));
    const helsinki = await new StaticPriceProvider(series, { clock, timeZone: tz }).readPrices(at('2024-06-03T09:00:00Z'), at('2024-06-05T09:00:00Z'));
    const lisbon = await new StaticPriceProvider(series, { clock, timeZone: 'Europe/Lisbon' }).readPrices(at('2024-06-03T09:00:00Z'), at('2024-06-05T09:00:00Z'));
    assert.equal((helsinki?.startMs ?? 0) + (helsinki?.pricesEurPerMwh.length ?? 0) * 900_000, at('2024-06-03T21:00:00Z'));
    assert.equal((lisbon?.startMs ?? 0) + (lisbon?.pricesEurPerMwh.length ?? 0) * 900_000, at('2024-06-03T23:00:00Z'));
  });

  void it('a backtest ledger counts 23-hour and 25-hour local days on the DST days of each zone', () => {
    for (const [timeZone, date, hours] of [
      ['Europe/Lisbon', '2024-03-31', 23],
      ['Europe/Lisbon', '2024-10-27', 25],
      ['Europe/Helsinki', '2024-03-31', 23],
      ['Europe/Helsinki', '2024-10-27', 25],
    ] as const) {
      const { fromMs, toMs } = localPeriod(date, date, timeZone);
      assert.equal(toMs - fromMs, hours * HOUR, `${timeZone} ${date}`);
      const ledger = new Ledger(prices(fromMs - MS_PER_DAY, toMs + MS_PER_DAY), BELGIAN_DYNAMIC_TARIFF, timeZone);
      // 1 kW import from an hour before the day to an hour after it.
      for (let ms = fromMs - HOUR; ms < toMs + HOUR; ms += 900_000) ledger.add(ms, 1000, 900_000);
      assert.deepEqual(
        ledger.days.map((d) => [d.date, Math.round(d.importKwh * 100) / 100]),
        [
          [new Date((localDayIndexOf(fromMs, timeZone) - 1) * MS_PER_DAY).toISOString().slice(0, 10), 1],
          [date, hours],
          [new Date((localDayIndexOf(fromMs, timeZone) + 1) * MS_PER_DAY).toISOString().slice(0, 10), 1],
        ],
        `${timeZone} ${date}`,
      );
    }
  });

  void it('plan reasons tell local times: the evening price peak at 17:00 UTC is 18:00 in Lisbon and 20:00 in Helsinki', async () => {
    const highs = await loadSolver();
    for (const [location, peak] of [
      [LISBON, '18:00'],
      [HELSINKI, '20:00'],
    ] as const) {
      const nowMs = at('2024-06-03T10:00:00Z');
      const clock = new FakeClock(nowMs);
      const flat = prices(at('2024-06-02T00:00:00Z'), at('2024-06-06T00:00:00Z'));
      // One expensive quarter hour, 17:00–17:15 UTC on 3 June.
      const peakIndex = (at('2024-06-03T17:00:00Z') - flat.startMs) / 900_000;
      const spot = { ...flat, pricesEurPerMwh: flat.pricesEurPerMwh.map((p, i) => (i === peakIndex ? 400 : p)) };
      const service = new CostService({
        site: site(location),
        clock,
        prices: new StaticPriceProvider(spot),
        planner: syncPlanner((p) => solvePlan(highs, p)),
        pvForecast: new ClearSkyPvForecast(0.5),
        maxHorizonMs: 12 * HOUR,
      });
      service.start();
      await service.idle();
      await service.stop();
      const plan = service.currentPlan();
      const peakSlot = plan?.slots.find((x) => x.startMs === at('2024-06-03T17:00:00Z'));
      assert.ok((peakSlot?.storage[0]?.powerW ?? 0) < -100, `${location.timeZone}: the battery discharges at the peak`);
      const reasons = (plan?.slots ?? []).flatMap((x) => x.storage.map((b) => b.reason)).join('\n');
      assert.match(reasons, new RegExp(`at ${peak} when it discharges|for ${peak}`), `${location.timeZone}: reasons name the peak in local time`);
      assert.doesNotMatch(reasons, /at 17:00 when it discharges|for 17:00/, `${location.timeZone}: not in UTC`);
    }
  });
});
