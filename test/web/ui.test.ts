import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { startWebUnderTest, watchPageProblems, type WebUnderTest } from './web-harness.ts';

const SCREENSHOT = '/tmp/gridpilot-ui-status.png';

/** "7.04 kW" → 7040, "512 W" → 512, "-3.00 kW" → -3000; NaN when the text holds no power. */
function parsePowerW(text: string): number {
  const m = /(-?[\d.]+)\s*(kW|W)/.exec(text);
  return m ? Number(m[1]) * (m[2] === 'kW' ? 1000 : 1) : NaN;
}

/** Polls an element's text until `match` holds (the page updates from pushes); rejects with the last text after timeoutMs. */
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

// No skipping: .ci/run installs chromium (scripts/install-system-deps.sh); a missing browser is a failed test, not a silent pass.
describe('web UI in a real browser (Debian chromium)', () => {
  let w: WebUnderTest;
  let browser: Browser;
  let page: Page;
  /** Console errors, page errors and failed requests: the UI must produce none. */
  let problems: string[] = [];

  before(async () => {
    w = await startWebUnderTest();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    problems = watchPageProblems(page, () => [w.web.url]);
  });
  after(async () => {
    await browser?.close();
    await w?.stop();
  });

  it('the status page renders the live values and whether a command is active', async () => {
    await page.goto(`${w.web.url}/#status`);
    await page.waitForSelector('[data-test=conn-badge].live');
    await page.waitForSelector('[data-test=row-storage] [data-test=source]');
    const s = await w.state();
    assert.equal(await page.textContent('[data-test=soc]'), `${s.state.storage.mean_soc_perc.toFixed(1)} %`);
    assert.match((await page.textContent('[data-test=grid-limits]')) ?? '', /limits: import 25\.0 kW · export 20\.0 kW/);
    assert.match((await page.textContent('[data-test=ev-current]')) ?? '', /offered .* L1 .* L2 .* L3 /);
    assert.equal(await page.textContent('[data-test=row-storage] [data-test=policy]'), 'self_consumption');
    assert.equal(await page.textContent('[data-test=row-storage] [data-test=source]'), 'local');
    assert.equal(await page.textContent('[data-test=row-site] [data-test=policy]'), 'default');
    assert.match((await page.textContent('[data-test=remote-badge]')) ?? '', /no live command/);
    assert.match((await page.textContent('[data-test=constraints]')) ?? '', /\S/);
    assert.equal(await page.isVisible('[data-test=sim-panel]'), true, 'the demo is simulated');

    await page.goto(`${w.web.url}/#devices`);
    const ids = await page.locator('[data-test=devices-table] [data-test=node-id]').allTextContents();
    assert.deepEqual(ids, w.t.app.site.devices.map((d) => d.nodeId));
    assert.equal(await page.locator('[data-test=devices-table] [data-test=included]').first().textContent(), '✓ included');
    await page.click('[data-test=config-check]');
    await page.waitForSelector('[data-test=config-result].ok');
    assert.match((await page.textContent('[data-test=config-result]')) ?? '', /valid/);
    assert.deepEqual(problems, []);
  });

  it('the send-command form sends "storage setpoint 3000" and shows response_code 0 and storage executed 3000 W', async () => {
    await page.goto(`${w.web.url}/#integrator`);
    await page.waitForSelector('[data-test=cmd-row]');
    assert.match((await page.textContent('[data-test=topic-command]')) ?? '', /standard1\/rp_one_s\/remoteControlMetrics\/OM12404080000000000/);
    assert.match((await page.textContent('[data-test=step-pub]')) ?? '', /\$\(date \+%s\)/);
    // One line: storage, setpoint, 3000 W.
    while ((await page.locator('[data-test=cmd-row]').count()) > 1) await page.locator('[data-test=cmd-row] [data-test=cmd-remove]').last().click();
    const row = page.locator('[data-test=cmd-row]').first();
    await row.locator('[data-test=cmd-target]').selectOption('storage');
    await row.locator('[data-test=cmd-policy]').selectOption('setpoint');
    await row.locator('[data-test=cmd-setpoint]').fill('3000');
    assert.deepEqual(JSON.parse(await page.inputValue('[data-test=command-json]')), { storage_policy: 'setpoint', storage_power_setpoint_w: 3000 });
    await page.click('[data-test=command-send]');
    await page.waitForSelector('[data-test=command-result].ok');
    assert.match((await page.textContent('[data-test=command-code]')) ?? '', /^response_code 0 — command accepted/);
    assert.equal(await page.textContent('[data-test=exec-storage] [data-test=exec-policy]'), 'setpoint');
    assert.equal(await page.textContent('[data-test=exec-storage] [data-test=exec-power]'), '3000 W');

    // The controller really runs it, and the status page says a command is active.
    const s = await w.state();
    assert.equal(s.state.storage.executed_power_W, 3000);
    await page.goto(`${w.web.url}/#status`);
    await waitForText(page, '[data-test=row-storage] [data-test=source]', (t) => t === 'remote');
    assert.equal(await page.textContent('[data-test=row-storage] [data-test=policy]'), 'setpoint 3.00 kW');
    assert.equal(await page.textContent('[data-test=row-storage] [data-test=executed]'), '3.00 kW');
    assert.match((await page.textContent('[data-test=row-storage] [data-test=watchdog]')) ?? '', /^\d+ s$/);
    assert.match((await page.textContent('[data-test=remote-badge]')) ?? '', /live command active · fallback in \d+ s/);
    assert.deepEqual(problems, []);
  });

  it('the simulation panel changes PV: full sun raises it, a cloud lowers it', async () => {
    await page.goto(`${w.web.url}/#status`);
    await page.waitForSelector('[data-test=sim-sun]');
    await page.click('[data-test=sim-sun]');
    await waitForText(page, '[data-test=sim-status]', (t) => /Irradiance 1000 W/.test(t));
    const sunnyW = parsePowerW(await waitForText(page, '[data-test=pv-power]', (t) => parsePowerW(t) > 6500));
    assert.ok(sunnyW > 6500, `PV in full sun shows ${sunnyW} W`);

    await page.click('[data-test=sim-cloud]');
    const cloudyW = parsePowerW(await waitForText(page, '[data-test=pv-power]', (t) => parsePowerW(t) < 1500));
    assert.ok(cloudyW < sunnyW);
    await page.click('[data-test=sim-kettle]');
    await page.waitForSelector('[data-test=sim-kettle][aria-pressed=true]');
    assert.match((await page.textContent('[data-test=sim-status]')) ?? '', /extra 2\.00 kW/);

    // Back to sun for a screenshot that shows something happening.
    await page.click('[data-test=sim-sun]');
    await waitForText(page, '[data-test=pv-power]', (t) => parsePowerW(t) > 6500);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(existsSync(SCREENSHOT));
    assert.deepEqual(problems, []);
  });

  it('a rejected command shows its response_code and why, and the page keeps working', async () => {
    await page.goto(`${w.web.url}/#integrator`);
    await page.waitForSelector('[data-test=command-json]');
    await page.fill('[data-test=command-json]', '{"storage_policy": "turbo"}');
    await page.click('[data-test=command-send]');
    await page.waitForSelector('[data-test=command-result].bad');
    assert.match((await page.textContent('[data-test=command-code]')) ?? '', /^response_code 13/);
    assert.match((await page.textContent('[data-test=command-errors]')) ?? '', /storage_policy/);
    await page.fill('[data-test=command-json]', '{"storage_policy": ');
    await page.click('[data-test=command-send]');
    await waitForText(page, '[data-test=command-code]', (t) => /not sent: the body is not valid JSON/.test(t));
    // The browser itself logs a failed (4xx) fetch; that is the only console line these two may leave.
    const unexpected = problems.filter((p) => !/Failed to load resource: the server responded with a status of 400/.test(p));
    assert.deepEqual(unexpected, []);
  });

  it('works on a phone-sized screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${w.web.url}/#status`);
    await page.waitForSelector('[data-test=row-storage] [data-test=source]');
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
    await page.screenshot({ path: '/tmp/gridpilot-ui-phone.png', fullPage: true });
  });
});
