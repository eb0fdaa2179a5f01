import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { AppUnderTest } from '../helpers/app-harness.ts';
import { SCREENSHOTS, startBrowserApp, type BrowserApp } from '../helpers/browser-app.ts';
import { adminCookie, apiCaller, logInPage } from '../helpers/web-login.ts';

const SHOTS = SCREENSHOTS;

/** Polls until `check` holds (the page and the controller change asynchronously). */
async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Commissioning in a real browser [#16]: add a device and set the MQTT remote signal from the
// Devices page; both apply live (the controller's next feedback shows them), a bad form saves nothing.
describe('commissioning from the Devices page (Debian chromium)', () => {
  let b: BrowserApp;
  let t: AppUnderTest;
  let url: string;
  let page: Page;
  let problems: string[];

  before(async () => {
    // 10× clock: the 30 s fallback timeout passes in 3 s.
    b = await startBrowserApp({ speed: 10 }, 'gp-config-ui-');
    ({ t, url, page, problems } = b);
    await logInPage(page, url);
  });
  after(async () => {
    await b?.stop();
  });

  it('an invalid device form shows the problem next to the field and saves nothing', async () => {
    await page.goto(`${url}/#devices`);
    await page.waitForSelector('[data-test=device-form]');
    await page.waitForSelector('[data-test=revision-1]');
    await page.selectOption('[data-test=dev-group]', 'storage');
    await page.fill('[data-test=dev-name]', 'Broken battery');
    await page.fill('[data-test=dev-settings]', '{"capacityWh": -5, "maxChargeW": 5000, "maxDischargeW": 5000}');
    await page.click('[data-test=dev-save]');
    await page.waitForSelector('[data-test=dev-result].bad');
    const err = (await page.textContent('#dev-settings + [data-test=field-error]')) ?? '';
    assert.match(err, /capacityWh/, 'the problem sits under the settings field');
    assert.equal(t.app.site.devices.length, 6, 'nothing applied');
    assert.equal(await page.locator('[data-test^=revision-]').count(), 1, 'no revision stored');
  });

  it('adds a battery: applied live, the next feedback counts it, the table shows it', async () => {
    await page.fill('[data-test=dev-settings]', '{"capacityWh": 8000, "maxChargeW": 4000, "maxDischargeW": 4000}');
    await page.click('[data-test=dev-save]');
    await page.waitForSelector('[data-test=saved]');
    assert.match((await page.textContent('[data-test=saved]')) ?? '', /Applied: revision 2, 7 devices/);
    const fb = await t.command({});
    assert.equal(fb.data.state.storage.nr_devices, 3);
    await until(async () => (await page.locator('[data-test=devices-table] tr', { hasText: 'Broken battery' }).count()) === 1, 'the new battery in the table');
    await until(async () => (await page.locator('[data-test=rs-devices] label', { hasText: 'Broken battery' }).count()) === 1, 'the new battery in the remote-signal form');
    await page.screenshot({ path: `${SHOTS}/devices-desktop.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}/devices-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('the MQTT remote signal form sets a 30 s fallback timeout: a command is active with its countdown and falls back', async () => {
    await page.fill('[data-test=rs-timeout]', '30');
    await page.fill('[data-test=rs-vpp]', '');
    await page.click('[data-test=rs-save]');
    await page.waitForSelector('[data-test=rs-result] [data-test=saved]');
    assert.equal(t.app.controller.site.remoteSignal.fallbackTimeoutS, 30);
    const fb = await t.command({ storage_policy: 'setpoint', storage_power_setpoint_w: -2000 });
    assert.equal(fb.data.response_code, 0);
    await page.goto(`${url}/#status`);
    await until(async () => (await page.textContent('[data-test=row-storage] [data-test=source]')) === 'remote', 'storage remote on the status page');
    const countdown = (await page.textContent('[data-test=row-storage] [data-test=watchdog]')) ?? '';
    const left = Number(/^(\d+) s$/.exec(countdown)?.[1]);
    assert.ok(left > 0 && left <= 30, `countdown ${countdown}`);
    // 30 simulated seconds later the watchdog has fallen back.
    await until(async () => (await page.textContent('[data-test=row-storage] [data-test=source]')) === 'local', 'back to local after the 30 s timeout', 15_000);
    // The refused save of the first test answered 400: expected.
    assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
  });
});

describe('commissioning a site from an empty configuration (Debian chromium)', () => {
  let b: BrowserApp;
  before(async () => {
    b = await startBrowserApp({}, 'gp-commission-');
    await logInPage(b.page, b.url);
  });
  after(async () => {
    await b?.stop();
  });

  it('adds solar, a battery and an EV charger one by one; each applies live', async () => {
    const { page, url, t } = b;
    // The empty site: the demo's config with no device (what a new installation starts from).
    const call = apiCaller(url, () => null);
    const cookie = await adminCookie(url);
    const site = (await apiCaller(url, () => cookie)('GET', '/api/site')).json as { config: Record<string, unknown> };
    const emptied = await apiCaller(url, () => cookie)('POST', '/api/config', { ...site.config, devices: [] });
    assert.equal(emptied.status, 200, JSON.stringify(emptied.json));
    assert.equal((await call('GET', '/api/site')).status, 401, 'the API still needs a session');
    assert.equal((await t.command({})).data.state.storage.nr_devices, 0);

    await page.goto(`${url}/#devices`);
    await page.waitForSelector('[data-test=device-form]');
    for (const [group, name] of [['solar', 'Roof PV'], ['storage', 'Home battery'], ['variable_power_load', 'Wallbox']] as const) {
      await page.selectOption('[data-test=dev-pick]', 'new');
      await page.selectOption('[data-test=dev-group]', group);
      await page.fill('[data-test=dev-name]', name);
      await page.click('[data-test=dev-save]');
      await until(async () => ((await page.textContent('[data-test=dev-result]')) ?? '').includes('Applied'), `${name} applied`);
      await until(async () => (await page.locator('[data-test=devices-table] tr', { hasText: name }).count()) === 1, `${name} in the table`);
    }
    const fb = await t.command({});
    assert.equal(fb.data.state.solar.nr_devices, 1);
    assert.equal(fb.data.state.storage.nr_devices, 1);
    assert.equal(t.app.site.devices.filter((d) => d.group === 'variable_power_load').length, 1);
    assert.deepEqual(b.problems, []);
  });
});
