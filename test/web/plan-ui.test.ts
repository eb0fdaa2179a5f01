import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import type { CostPlanExplanation } from '../../src/optimizer/cost-service.ts';
import { startWebServer, type WebServer } from '../../src/web/server.ts';
import { infoFor, REPLAYED_LABEL, startPlanSite, type PlanSiteUnderTest } from './plan-fixture.ts';
import { until } from '../helpers/schedule-peer.ts';
import { watchPageProblems } from './web-harness.ts';


/** Polls an element's text until `match` holds; rejects with the last text after timeoutMs. */
async function waitForText(page: Page, selector: string, match: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  for (;;) {
    text = (await page.locator(selector).first().textContent({ timeout: timeoutMs }).catch(() => null)) ?? '';
    if (match(text)) return text;
    if (Date.now() > deadline) throw new Error(`${selector} still shows "${text}" after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The Plan page over a real plan: the cost site (PV, battery, a boiler relay) planned by HiGHS on a
// fake clock at 10:00 Brussels time on a sunny June Monday, served by the real web server.
describe('Plan page in a real browser (Debian chromium)', () => {
  let p: PlanSiteUnderTest;
  let browser: Browser;
  let page: Page;
  const extra: WebServer[] = [];
  /** Console errors, page errors, failed requests and requests elsewhere: the page must produce none. */
  let problems: string[] = [];
  const allowed: string[] = [];

  before(async () => {
    p = await startPlanSite();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: 'America/New_York' });
    problems = watchPageProblems(page, () => [p.web.url, ...extra.map((w) => w.url)]);
  });
  after(async () => {
    await browser?.close();
    for (const w of extra) await w.close();
    await p?.stop();
  });

  async function serverWith(costPlan: { explanation(nowMs?: number): CostPlanExplanation } | undefined): Promise<WebServer> {
    const web = await startWebServer({ controller: p.cs.controller, site: p.cs.site, info: infoFor(p.cs), sim: p.cs.sim, clock: p.cs.clock, port: 0, costPlan });
    extra.push(web);
    return web;
  }

  const unexpected = (): string[] => problems.filter((x) => !allowed.some((a) => x.includes(a)));

  it('shows the status, when it was planned (site time), the next re-plan and the expected savings', async () => {
    await page.goto(`${p.web.url}/#plan`);
    assert.equal(await page.getAttribute('.tabs a[data-page=plan]', 'aria-current'), 'page');
    const status = await waitForText(page, '[data-test=plan-status]', (t) => /^(Optimal plan|Stopped at the time limit)/.test(t));
    const x = p.cs.service.explanation();
    assert.ok(x.plan && x.plan.mipGap !== null);
    const gap = `within ${(x.plan.mipGap * 100).toFixed(x.plan.mipGap < 0.001 ? 3 : 2)} % of the best possible`;
    // HiGHS normally proves the gap target on this small problem; on a loaded machine it may stop at its time limit.
    if (x.status === 'optimal') {
      assert.equal(status, `Optimal plan (${gap})`);
      assert.equal(await page.getAttribute('[data-test=plan-status]', 'class'), 'plan-status ok');
    } else {
      assert.equal(status, `Stopped at the time limit with the best plan found: ${gap}`);
      assert.equal(await page.getAttribute('[data-test=plan-status]', 'class'), 'plan-status warn');
    }
    // Site time (Brussels), whatever the browser's time zone (New York here); the fake clock is at 10:01.
    assert.equal(await page.textContent('[data-test=plan-planned]'), 'Mon 3 Jun 10:00 (1 min ago)');
    assert.match((await page.textContent('[data-test=plan-next]')) ?? '', /^Mon 3 Jun 10:15 \(in 14 min\)/);
    assert.equal(await page.textContent('[data-test=plan-saving-today]'), `${x.expectedSavingTodayEur?.toFixed(2)} € compared with self-consumption`);
    const days = await page.locator('[data-test=plan-saving-days] li').allTextContents();
    assert.equal(days.length, x.savingsByDay.length);
    assert.equal(days[0], `Mon 3 Jun (from now): ${x.savingsByDay[0]?.savingEur.toFixed(2)} €`);
    assert.match(days[1] ?? '', /^Tue 4 Jun/);
    assert.equal(await page.textContent('[data-test=plan-violations]'), 'Every need and limit is met.');
    assert.match((await page.textContent('[data-test=plan-method]')) ?? '', /solved in \d+ ms/);
    assert.deepEqual(unexpected(), []);
  });

  it('draws the chart: price step lines, battery bars (charge and discharge), grid, SoC, the now marker and hour ticks', async () => {
    await page.waitForSelector('[data-test=plan-svg]');
    const importD = (await page.getAttribute('[data-test=import-price-line]', 'd')) ?? '';
    assert.match(importD, /^M[\d.]+,[\d.]+H[\d.]+(V[\d.]+H[\d.]+)+$/, 'the import price is a step line');
    assert.match((await page.getAttribute('[data-test=export-price-line]', 'd')) ?? '', /^M/);
    assert.match((await page.getAttribute('[data-test=grid-line]', 'd')) ?? '', /^M/);
    assert.ok(((await page.getAttribute('[data-test=soc-line]', 'points')) ?? '').split(' ').length > 100);
    const charge = await page.locator('[data-test=battery-bars] rect.bar-charge').count();
    const discharge = await page.locator('[data-test=battery-bars] rect.bar-discharge').count();
    assert.ok(charge > 4 && discharge > 4, `battery bars: ${charge} charging, ${discharge} discharging`);
    assert.equal(await page.locator('[data-test=now-marker]').count(), 1);
    const ticks = await page.locator('[data-test=plan-svg] .axis text').allTextContents();
    assert.ok(ticks.includes('12:00') && ticks.includes('18:00'), `hour ticks in site time: ${ticks.join(' ')}`);
    assert.ok(ticks.includes('Tue 4'), 'midnight is labelled with the day');
    // Accessible: an image with a title and a summary in words; the width follows the page.
    assert.equal(await page.getAttribute('[data-test=plan-svg]', 'role'), 'img');
    assert.match((await page.textContent('[data-test=plan-svg] title')) ?? '', /^Plan from Mon 3 Jun 10:00 to Wed 5 Jun 10:00 \(site time\)$/);
    assert.match((await page.textContent('[data-test=plan-svg] desc')) ?? '', /^Import price from 0\.125 €\/kWh \(13:00\) to 0\.360 €\/kWh \(19:00\)\. The battery charges [\d.]+ kWh and discharges [\d.]+ kWh; SoC 30 % after the first slot/);
    const chartWidth = await page.evaluate<number>("document.querySelector('[data-test=plan-chart]').clientWidth");
    assert.equal(Number(await page.getAttribute('[data-test=plan-svg]', 'width')), chartWidth);
    assert.deepEqual(unexpected(), []);
  });

  it('shows a day summary first, above the fold: what the plan does today and tomorrow, why, and what it saves', async () => {
    await page.goto(`${p.web.url}/#plan`);
    await page.waitForSelector('[data-test=plan-summary-day]');
    const x = p.cs.service.explanation();
    const plan = x.plan;
    assert.ok(plan);
    // Above the fold (900 px): the headline and today's whole section, before the status, the chart and the table.
    const viewport = page.viewportSize()?.height ?? 900;
    const today = page.locator('[data-test=plan-summary-day]').first();
    const box = await today.boundingBox();
    assert.ok(box && box.y + box.height <= viewport, `today's summary ends at ${box ? box.y + box.height : '?'} px, the fold is at ${viewport} px`);
    assert.ok(await today.isVisible());
    const order = await page.evaluate<string[]>("[...document.querySelectorAll('#page-plan [data-test]')].map((e) => e.getAttribute('data-test')).filter((t) => ['plan-summary', 'plan-status', 'plan-chart', 'plan-table'].includes(t))");
    assert.deepEqual(order, ['plan-summary', 'plan-status', 'plan-chart', 'plan-table'], 'the summary comes first');

    // What it saves: the plan's own expected savings against self-consumption (planned at 10:00, shown at 10:01: every slot).
    assert.equal(
      await page.textContent('[data-test=plan-summary-headline]'),
      `Expected saving against self-consumption: ${plan.expectedSavingEur.toFixed(2)} € from now until Wed 5 Jun 10:00.`,
    );
    const titles = await page.locator('[data-test=plan-summary-day] h2').allTextContents();
    assert.deepEqual(titles, [`Today, Mon 3 Jun (from 10:00) · saves ${x.savingsByDay[0]?.savingEur.toFixed(2)} €`, `Tomorrow, Tue 4 Jun · saves ${x.savingsByDay[1]?.savingEur.toFixed(2)} €`]);

    // What it does: every battery action the plan has today, from its first slot (site time), and the boiler's runs.
    const hm = (ms: number): string => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Brussels', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
    const endOfToday = Date.UTC(2024, 5, 3, 22);
    const todaySlots = plan.slots.filter((s) => s.startMs < endOfToday && s.startMs + plan.slotMs > p.cs.clock.now());
    const batteryOf = (s: (typeof plan.slots)[number]): number => s.storage.reduce((a, b) => a + b.powerW, 0);
    const kindOf = (s: (typeof plan.slots)[number]): string | null => {
      const w = batteryOf(s);
      if (w > 50) return s.gridW > 50 ? 'charge-grid' : 'charge-solar';
      if (w < -50) return s.gridW < -50 ? 'discharge-export' : 'discharge';
      return null;
    };
    const expected = new Map<string, number>();
    for (const s of todaySlots) {
      const k = kindOf(s);
      if (k && !expected.has(k)) expected.set(k, s.startMs);
    }
    assert.ok(expected.has('charge-solar') && expected.has('discharge'), `the fixture charges at noon and discharges in the evening: ${[...expected.keys()].join(', ')}`);
    const items = await today.locator('[data-test=plan-summary-item]').evaluateAll((lis) => lis.map((li) => ({ kind: li.getAttribute('data-kind') ?? '', text: li.textContent ?? '' })));
    for (const [kind, firstMs] of expected) {
      const found = items.find((i) => i.kind === kind);
      assert.ok(found, `the summary mentions ${kind}: ${JSON.stringify(items)}`);
      assert.ok(found.text.includes(`${hm(firstMs)}–`), `${kind} from ${hm(firstMs)}: ${found.text}`);
    }
    assert.match(items.find((i) => i.kind === 'charge-solar')?.text ?? '', /^Charges the battery from solar surplus \d\d:\d\d–\d\d:\d\d.* \([\d.]+ kWh\)\.$/);
    assert.match(items.find((i) => i.kind === 'discharge')?.text ?? '', /^Discharges the battery \d\d:\d\d–\d\d:\d\d.* instead of importing at 0\.\d\d €\/kWh on average \([\d.]+ kWh\)\.$/);
    assert.match(items.find((i) => i.kind === 'relay')?.text ?? '', /^Runs boiler \d\d:\d\d–\d\d:\d\d.* \([\d.]+ kWh, /);
    // Why: the day's price spread and the solar forecast, from the plan's own numbers.
    const cheapest = todaySlots.reduce((a, b) => (b.importPriceEurPerKwh < a.importPriceEurPerKwh ? b : a));
    const dearest = todaySlots.reduce((a, b) => (b.importPriceEurPerKwh > a.importPriceEurPerKwh ? b : a));
    const solarKwh = todaySlots.reduce((a, s) => a + s.solar.reduce((b, q) => b + q.availableW, 0) * 0.25, 0) / 1000;
    assert.equal(
      await today.locator('[data-test=plan-summary-why]').textContent(),
      `Why: import price from ${cheapest.importPriceEurPerKwh.toFixed(2)} €/kWh at ${hm(cheapest.startMs)} to ${dearest.importPriceEurPerKwh.toFixed(2)} €/kWh at ${hm(dearest.startMs)}; solar forecast ${solarKwh.toFixed(1)} kWh.`,
    );
    assert.deepEqual(unexpected(), []);
  });

  it('keeps the slot table closed until it is opened, so the page stays short', async () => {
    assert.equal(await page.isVisible('[data-test=plan-table]'), false, 'the table is collapsed');
    assert.equal(await page.getAttribute('[data-test=plan-slots]', 'open'), null);
    assert.match((await page.textContent('[data-test=plan-slots-toggle]')) ?? '', /^The next 24 hours, slot by slot · \d+ rows with the planner’s reason per asset$/);
    const closedHeight = await page.evaluate<number>('document.documentElement.scrollHeight');
    assert.ok(closedHeight < 2500, `the page is ${closedHeight} px tall with the table closed`);
    await page.click('[data-test=plan-slots-toggle]');
    assert.equal(await page.isVisible('[data-test=plan-table]'), true, 'opened');
    assert.ok((await page.evaluate<number>('document.documentElement.scrollHeight')) > closedHeight + 1000);
    assert.deepEqual(unexpected(), []);
  });

  it('lists the next 24 h slot by slot (identical slots merged) with prices, powers and the planner’s reasons', async () => {
    const rows = page.locator('[data-test=plan-table] [data-test=plan-row]');
    const n = await rows.count();
    assert.ok(n > 10 && n < 96, `24 h of 15-min slots, identical ones merged: ${n} rows`);
    const first = rows.first();
    assert.match((await first.locator('[data-test=plan-time]').textContent()) ?? '', /^Mon 3 Jun 10:00–\d\d:\d\d.*now$/);
    assert.equal(await first.getAttribute('class'), 'slot is-now');
    const x = p.cs.service.explanation();
    const s0 = x.plan?.slots[0];
    assert.ok(s0);
    assert.equal(await first.locator('[data-test=plan-import]').textContent(), s0.importPriceEurPerKwh.toFixed(3));
    assert.equal(await first.locator('[data-test=plan-export]').textContent(), s0.exportPriceEurPerKwh.toFixed(3));
    const reasons = await first.locator('[data-test=reason]').allTextContents();
    assert.deepEqual(reasons, [`bat: ${s0.storage[0]?.reason}`, `pv: ${s0.solar[0]?.reason}`, `boiler: ${s0.onOff[0]?.reason}`]);
    assert.match((await first.locator('[data-test=plan-loads]').textContent()) ?? '', /^boiler (on|off)$/);
    // A charging row and a discharging row, each with its reason and the SoC at its end.
    const all = await rows.evaluateAll((trs) => trs.map((tr) => ({ battery: tr.querySelector('[data-test=plan-battery]')?.textContent ?? '', why: tr.querySelector('[data-test=reason]')?.textContent ?? '' })));
    const charging = all.find((r) => r.battery.startsWith('+'));
    const discharging = all.find((r) => r.battery.startsWith('−'));
    assert.match(charging?.battery ?? '', /^\+[\d.]+ kW → \d+ %$/);
    assert.match(charging?.why ?? '', /^bat: charge/);
    assert.match(discharging?.why ?? '', /^bat: discharge/);
    // The whole plan on demand.
    await page.click('[data-test=plan-all]');
    assert.ok((await rows.count()) > n);
    assert.equal(await page.getAttribute('[data-test=plan-all]', 'aria-pressed'), 'true');
    await page.click('[data-test=plan-all]');
    assert.equal(await rows.count(), n);
    assert.deepEqual(unexpected(), []);
  });

  it('the refresh button shows a new plan after a re-plan', async () => {
    await p.cs.run(15 * 60_000); // to 10:16: the periodic re-plan at 10:15 has run
    assert.equal(p.cs.service.explanation().plannedAtMs, Date.UTC(2024, 5, 3, 8, 15));
    await page.click('[data-test=plan-refresh]');
    await waitForText(page, '[data-test=plan-planned]', (t) => t.startsWith('Mon 3 Jun 10:15'));
    assert.match((await page.locator('[data-test=plan-time]').first().textContent()) ?? '', /^Mon 3 Jun 10:15–/);
    assert.deepEqual(unexpected(), []);
  });

  it('says so when the plan is the rule-based fallback, or there is no plan yet', async () => {
    const real = p.cs.service.explanation();
    const fallback = await serverWith({ explanation: () => ({ ...real, status: 'fallback', message: 'the solver did not answer within 10000 ms', plan: real.plan && { ...real.plan, status: 'fallback', mipGap: null, mipGapEur: null } }) });
    await page.goto(`${fallback.url}/#plan`);
    await waitForText(page, '[data-test=plan-status]', (t) => t === 'Rule-based fallback: the solver did not answer within 10000 ms');
    assert.equal(await page.getAttribute('[data-test=plan-status]', 'class'), 'plan-status warn');
    await page.waitForSelector('[data-test=plan-svg]');

    const none = await serverWith({ explanation: () => ({ status: 'none', message: 'no day-ahead prices known for now', plannedAtMs: null, nextReplanAtMs: null, expectedSavingTodayEur: null, savingsByDay: [], plan: null }) });
    await page.goto(`${none.url}/#plan`);
    await waitForText(page, '[data-test=plan-status]', (t) => t === 'No plan: no day-ahead prices known for now');
    assert.equal(await page.textContent('[data-test=plan-planned]'), 'not yet');
    assert.equal(await page.isVisible('[data-test=plan-chart]'), false, 'no chart without a plan');
    assert.deepEqual(unexpected(), []);
  });

  it("says where the PV forecast comes from, and when its service fails, what it uses instead", async () => {
    const real = p.cs.service.explanation();
    const fetchedAtMs = Date.UTC(2024, 5, 3, 7, 5); // 09:05 Brussels
    const failing = await serverWith({ explanation: () => ({ ...real, pvForecast: { source: 'Open-Meteo', fetchedAtMs, lastError: 'Open-Meteo api.open-meteo.com: HTTP 502' } }) });
    await page.goto(`${failing.url}/#plan`);
    const text = await waitForText(page, '[data-test=plan-pv-forecast]', (t) => t.length > 0);
    assert.match(text, /^Open-Meteo failed: Open-Meteo api\.open-meteo\.com: HTTP 502; using the forecast fetched Mon 3 Jun 09:05 \(\d+ min ago\)$/);
    const fine = await serverWith({ explanation: () => ({ ...real, pvForecast: { source: 'Open-Meteo', fetchedAtMs, lastError: null } }) });
    await page.goto(`${fine.url}/#plan`);
    assert.match(await waitForText(page, '[data-test=plan-pv-forecast]', (t) => t.startsWith('Open-Meteo, fetched')), /^Open-Meteo, fetched Mon 3 Jun 09:05 \(\d+ min ago\)$/);
    const calibrated = await serverWith({ explanation: () => ({ ...real, pvForecast: { source: 'Open-Meteo', fetchedAtMs, lastError: null, calibration: { factor: 0.8234, days: 14 } } }) });
    await page.goto(`${calibrated.url}/#plan`);
    assert.match(await waitForText(page, '[data-test=plan-pv-forecast]', (t) => t.includes('×')), /^Open-Meteo, fetched Mon 3 Jun 09:05 \(\d+ min ago\), × 0\.82 for this site \(its PV over 14 days\)$/);
    // The simulated site's forecast has no service: no such line.
    await page.goto(`${p.web.url}/#plan`);
    await waitForText(page, '[data-test=plan-planned]', (t) => t.length > 0);
    assert.equal(await page.locator('[data-test=plan-pv-forecast]').count(), 0);
    assert.deepEqual(unexpected(), []);
  });

  it('reloads every 30 s while the Plan page is shown, and not on other pages', async () => {
    let calls = 0;
    const real = p.cs.service.explanation();
    const web = await serverWith({
      explanation: () => {
        calls += 1;
        return real;
      },
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const tab = await context.newPage();
      await tab.clock.install();
      await tab.goto(`${web.url}/#plan`);
      await tab.waitForSelector('[data-test=plan-svg]');
      assert.equal(calls, 1, 'loaded once on opening');
      await tab.clock.runFor(30_000);
      // The server counts a request before the page has its answer; a load still in flight absorbs
      // the next tick (one load at a time), so wait until the page is done before moving the clock.
      const loaded = (): Promise<unknown> => tab.waitForSelector('[data-test=plan-refresh]:not([aria-busy])');
      await until(() => calls === 2, 'a reload after 30 s', 5000);
      await loaded();
      await tab.clock.runFor(30_000);
      await until(() => calls === 3, 'another after 60 s', 5000);
      await loaded();
      await tab.click('.tabs a[data-page=status]');
      // The page switch runs on hashchange, a task after the click: let it hide the Plan page first.
      await tab.waitForSelector('#page-plan', { state: 'hidden' });
      await tab.clock.runFor(120_000);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(calls, 3, 'no reloads while another page is shown');
      await tab.click('.tabs a[data-page=plan]');
      await until(() => calls === 4, 'a reload on coming back', 5000);
    } finally {
      await context.close();
    }
  });

  it('says that no optimiser runs when GET /api/plan answers 404', async () => {
    const web = await serverWith(undefined);
    allowed.push('status of 404'); // the browser logs the failed fetch itself
    await page.goto(`${web.url}/#status`);
    await page.click('.tabs a[data-page=plan]');
    const text = await waitForText(page, '[data-test=plan-status]', (t) => t.startsWith('No optimiser runs in this process'));
    assert.match(text, /no plan to show/);
    assert.match((await page.textContent('[data-test=plan-violations]')) ?? '', /404: no optimiser runs in this process/);
    assert.equal(await page.isVisible('[data-test=plan-table]'), false);
    assert.deepEqual(unexpected(), []);
  });

  it('fits a phone-sized screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${p.web.url}/#plan`);
    await page.waitForSelector('[data-test=plan-svg]');
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
    const svgWidth = Number(await page.getAttribute('[data-test=plan-svg]', 'width'));
    assert.ok(svgWidth <= 390, `the chart fits: ${svgWidth} px`);
    await page.screenshot({ path: '/tmp/gridpilot-ui-plan-phone.png', fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.reload();
    await page.waitForSelector('[data-test=plan-svg]');
    assert.ok(Number(await page.getAttribute('[data-test=plan-svg]', 'width')) > 1000);
    await page.screenshot({ path: '/tmp/gridpilot-ui-plan.png', fullPage: true });
    await page.locator('[data-test=plan-chart]').screenshot({ path: '/tmp/gridpilot-ui-plan-chart.png' });
    assert.deepEqual(unexpected(), []);
  });
});

// A site in Helsinki seen from a browser in New York (the machine runs in UTC): every time on the
// page is Helsinki's, the zone is said once; the fixture's prices are recorded ones replayed onto
// today (the page says so) or the same prices pushed (it says nothing).
describe('Plan page: one time zone (the site’s) and the replayed-prices notice', () => {
  const ZONE = 'Europe/Helsinki';
  let replayed: PlanSiteUnderTest;
  let pushed: PlanSiteUnderTest;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];

  before(async () => {
    replayed = await startPlanSite({ prices: 'replayed', timeZone: ZONE });
    pushed = await startPlanSite({ prices: 'pushed', timeZone: ZONE });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: 'America/New_York' });
    problems = watchPageProblems(page, () => [replayed.web.url, pushed.web.url]);
  });
  after(async () => {
    await browser?.close();
    await replayed?.stop();
    await pushed?.stop();
  });

  it('says the zone once and shows every time on the page in it, a known slot included', async () => {
    await page.goto(`${replayed.web.url}/#plan`);
    await page.waitForSelector('[data-test=plan-summary-day]');
    await waitForText(page, '#foot-time', (t) => t.startsWith('Cycle at'));
    await page.click('[data-test=plan-slots-toggle]');
    const x = replayed.cs.service.explanation();
    const plan = x.plan;
    assert.ok(plan);
    const nowMs = replayed.cs.clock.now();
    // A known slot: the plan starts at 10:00 Brussels = 11:00 Helsinki (04:00 in the browser's New York, 08:00 UTC).
    assert.equal(await page.textContent('[data-test=plan-planned]'), 'Mon 3 Jun 11:00 (1 min ago)');
    assert.match((await page.locator('[data-test=plan-time]').first().textContent()) ?? '', /^Mon 3 Jun 11:00–\d\d:\d\d/);
    assert.match((await page.textContent('[data-test=plan-summary-day] h2')) ?? '', /^Today, Mon 3 Jun \(from 11:00\)/);
    const text = await page.evaluate<string>("document.getElementById('page-plan').innerText + '\\n' + document.querySelector('footer').innerText");
    // The zone is said once, and it is the site's.
    assert.equal(text.split(ZONE).length - 1, 1, 'the zone is named once');
    assert.doesNotMatch(text, /Europe\/Brussels|America\/New_York|UTC/);
    // Every clock time on the page is a site-time rendering of an instant the page knows: a slot
    // boundary of the plan, or now (the controller clock). A New York (or UTC) rendering is none.
    const hm = new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const allowed = new Set<string>([hm.format(nowMs)]);
    const end = plan.slots[plan.slots.length - 1]!.startMs + plan.slotMs;
    for (let ms = plan.startMs; ms <= end; ms += plan.slotMs) allowed.add(hm.format(ms));
    const times = [...text.matchAll(/\b(\d\d:\d\d)(?::\d\d)?\b/g)].map((m) => m[1] ?? '');
    assert.ok(times.length > 40, `${times.length} times on the page`);
    const foreign = times.filter((t) => !allowed.has(t));
    assert.deepEqual([...new Set(foreign)], [], `times that are not site time (allowed: ${[...allowed].join(' ')})`);
    // The dates too: "Mon 3 Jun" is the plan's day in Helsinki.
    assert.doesNotMatch(text, /Sun 2 Jun/);
    assert.deepEqual(problems, []);
  });

  it('says the prices are recorded ones replayed onto today, and which day they are from', async () => {
    const notice = page.locator('[data-test=plan-prices-replay]');
    assert.equal(await notice.isVisible(), true);
    // 52 weeks before Monday 2024-06-03: Monday 2023-06-05 (another year: the year is said).
    assert.equal(await notice.textContent(), `Prices: ${REPLAYED_LABEL} of Mon 5 Jun 2023, replayed onto today (not today’s market).`);
    const box = await notice.boundingBox();
    assert.ok(box && box.y + box.height < 900, 'above the fold');
    assert.deepEqual(problems, []);
  });

  it('says nothing of a replay when the prices are pushed', async () => {
    await page.goto(`${pushed.web.url}/#plan`);
    await page.waitForSelector('[data-test=plan-summary-day]');
    assert.equal(await page.isVisible('[data-test=plan-prices-replay]'), false);
    assert.doesNotMatch(await page.evaluate<string>("document.getElementById('page-plan').innerText"), /replayed/);
    assert.deepEqual(problems, []);
  });
});
