import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { publishSchedule, tempDir } from '../helpers/schedule-peer.ts';
import { demoSample, seedTelemetry } from './history-seed.ts';
import { startWebUnderTest, watchPageProblems, type WebUnderTest } from './web-harness.ts';

// The Overview, History, Command log and Schedule pages in Debian chromium on the real app (real
// time, embedded broker, store in a data directory seeded with yesterday's and today's telemetry,
// a 4 s fallback timeout so a command is seen to fall back). The browser runs in New York; the
// site is in Brussels. Screenshots of every page at desktop and phone width go to SCREENSHOTS.

const SCREENSHOTS = 'test-output/screenshots';
const H = 3_600_000;
const PAGES = ['status', 'history', 'commands', 'schedule', 'devices', 'integrator', 'plan'] as const;
const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** "7.04 kW" → 7040, "512 W" → 512; NaN when the text holds no power. */
function parsePowerW(text: string): number {
  const m = /(-?[\d.]+)\s*(kW|W)/.exec(text);
  return m ? Number(m[1]) * (m[2] === 'kW' ? 1000 : 1) : NaN;
}

/** Polls until `probe` returns a value (the page updates from pushes); rejects with `what` after timeoutMs. */
async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Overview, History, Command log and Schedule in a real browser', () => {
  const dir = tempDir('gp-pages-');
  let w: WebUnderTest;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];
  const text = async (selector: string): Promise<string> => (await page.locator(selector).first().textContent()) ?? '';

  before(async () => {
    const now = Date.now();
    const from = now - 50 * H; // the whole of yesterday in any zone
    await seedTelemetry(dir.path, from, now - 2 * 60_000, (at) => demoSample(at, from - (from % (24 * H))), 5000);
    w = await startWebUnderTest({}, { dataDir: dir.path, fallbackTimeoutS: 4 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, timezoneId: 'America/New_York' });
    problems = watchPageProblems(page, () => [w.web.url]);
  });
  after(async () => {
    await browser?.close();
    await w?.stop();
    dir.remove();
  });

  it('the overview draws the power flow, updates it from the live state, and shows today’s energy in site time', async () => {
    await page.goto(`${w.web.url}/#status`);
    await page.waitForSelector('[data-test=conn-badge].live');
    await page.waitForSelector('[data-test=flow-svg] [data-test=flow-grid]');
    for (const key of ['grid', 'house', 'solar', 'battery', 'ev', 'heat-pump', 'relays']) assert.equal(await page.locator(`[data-test=flow-${key}]`).count(), 1, `the demo site has ${key}`);
    assert.match(await text('#overview-zone'), /Europe\/Brussels/);

    await w.http('POST', '/api/sim', { irradianceWm2: 1000 });
    const sunny = await until(async () => {
      const v = parsePowerW(await text('[data-test=flow-solar] [data-test=flow-value]'));
      return v > 1000 ? v : undefined;
    }, 'solar above 1 kW in the picture after full sun');
    assert.equal(await page.getAttribute('[data-test=flow-line-solar]', 'data-direction'), 'in', 'solar flows into the site');
    await w.http('POST', '/api/sim', { irradianceWm2: 0 });
    await until(async () => (parsePowerW(await text('[data-test=flow-solar] [data-test=flow-value]')) < sunny / 2 ? true : undefined), 'solar falls after the sun is gone');
    await until(async () => ((await page.getAttribute('[data-test=flow-line-solar]', 'data-direction')) === 'idle' ? true : undefined), 'an idle solar line');

    const api = (await w.http<{ gridImportedWh: number; day: string }>('GET', '/api/energy/today')).json;
    assert.ok(api.gridImportedWh > 0, 'the seeded morning imported');
    await page.waitForSelector('[data-test=energy-imported] dd');
    assert.match(await text('[data-test=energy-imported] dd'), /^\d[\d.]* k?Wh$/);
    assert.match(await text('[data-test=energy-note]'), /00:00–\d\d:\d\d, from the stored minute averages/);
    await w.http('POST', '/api/sim', { irradianceWm2: null });
  });

  it('a command over MQTT turns the status table active with its countdown, then falls back; a device command shows on its group row', async () => {
    await page.goto(`${w.web.url}/#status`);
    await page.waitForSelector('[data-test=row-storage] [data-test=source]');
    const fb = await w.t.command({ storage_policy: 'setpoint', storage_power_setpoint_w: 2000 });
    assert.equal(fb.data.response_code, 0);
    await until(async () => ((await text('[data-test=row-storage] [data-test=source]')) === 'remote' ? true : undefined), 'storage row remote');
    assert.match(await text('[data-test=row-storage] [data-test=watchdog]'), /^[1-4] s/);
    assert.match(await text('[data-test=remote-badge]'), /live command active · fallback in \d s/);
    await until(async () => ((await text('[data-test=row-storage] [data-test=source]')) === 'local' ? true : undefined), 'storage back to local after the 4 s watchdog', 12_000);
    assert.equal(await page.locator('[data-test=row-storage] [data-test=watchdog]').count(), 0);
    assert.match(await text('[data-test=remote-badge]'), /no live command/);

    const dev = await w.t.command({ OM12404080000000000_storage_0_policy: 'setpoint', OM12404080000000000_storage_0_power_setpoint_w: 1000 });
    assert.equal(dev.data.response_code, 0);
    await page.waitForSelector('[data-test=row-storage] [data-test=remote-devices]');
    assert.equal(await text('[data-test=row-storage] [data-test=source]'), 'local', 'the group itself has no command');
    assert.equal(await text('[data-test=row-storage] [data-test=remote-devices]'), '1 device remote');
    assert.equal(await page.locator('[data-test=row-storage] [data-test=watchdog]').count(), 1, 'the group row counts down too');
    assert.equal(await text('[data-test="row-OM12404080000000000_storage_0"] [data-test=source]'), 'remote (device)');
    await until(async () => ((await page.locator('[data-test=row-storage] [data-test=remote-devices]').count()) === 0 ? true : undefined), 'the device command falls back', 12_000);
  });

  it('history draws power, SoC and price charts for a day with data, and moves by day and week', async () => {
    await page.goto(`${w.web.url}/#history`);
    await page.waitForSelector('[data-test=history-power] canvas');
    assert.match(await text('[data-test=history-zone]'), /Times in Europe\/Brussels/);
    await page.click('[data-test=history-prev]');
    await until(async () => (Number(await page.getAttribute('[data-test=history-power]', 'data-points')) >= 1300 ? true : undefined), 'a full day of 1-minute points');
    assert.match(await text('[data-test=history-range]'), /^[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}$/);
    assert.equal(await page.isEnabled('[data-test=history-next]'), true);
    assert.ok(Number(await page.getAttribute('[data-test=history-price]', 'data-points')) >= 24, 'a day of prices');
    assert.equal(await page.locator('[data-test=history-soc] canvas').count(), 1);
    const legend = await page.locator('[data-test=history-power] .u-legend').textContent();
    assert.match(legend ?? '', /Grid \(\+ import\).*Solar.*Battery/);
    await page.click('[data-test=history-week]');
    await until(async () => (/ – /.test(await text('[data-test=history-range]')) ? true : undefined), 'a week range label');
    await page.waitForSelector('[data-test=history-power] canvas');
    assert.match(await text('[data-test=history-status]'), /15-minute|1-minute/);
    await page.click('[data-test=history-day]');
    await page.click('[data-test=history-today]');
    await until(async () => ((await page.isEnabled('[data-test=history-next]')) ? undefined : true), 'next disabled on today');
  });

  it('the command log lists MQTT and web messages with codes and errors, and filters them', async () => {
    const bad = await w.t.command({ storage_policy: 'warp_drive' });
    assert.ok(bad.data.response_code >= 10);
    const web = await w.http('POST', '/api/command', { solar_policy: 'off' });
    assert.equal(web.status, 200);
    const webId = web.headers.get('x-command-id') ?? '';
    await page.goto(`${w.web.url}/#commands`);
    await page.waitForSelector('[data-test=log-row]');
    assert.match(await text('#log-zone'), /Europe\/Brussels/);
    assert.ok((await page.locator('[data-test=log-row]').count()) >= 4);
    assert.equal(await text('[data-test=log-row] [data-test=log-source]'), 'web', 'newest first');
    await page.check('[data-test=log-rejected-filter]');
    await until(async () => {
      const codes = await page.locator('[data-test=log-row] [data-test=log-code]').allTextContents();
      return codes.length > 0 && codes.every((c) => Number(c) >= 10) ? codes : undefined;
    }, 'only rejected rows');
    assert.match(await text('[data-test=log-row] [data-test=log-errors]'), /storage_policy.*warp_drive/);
    await page.uncheck('[data-test=log-rejected-filter]');
    await page.fill('[data-test=log-id-filter]', webId);
    await page.press('[data-test=log-id-filter]', 'Enter');
    // The rejected-only list also had one row: wait for the row of this id, then check it is alone.
    await until(async () => {
      const ids = await page.locator('[data-test=log-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-command-id')));
      return ids.length === 1 && ids[0] === webId ? true : undefined;
    }, 'only the row of the web command id');
    assert.match(await text('[data-test=log-status]'), /^1 shown/);
    await page.fill('[data-test=log-id-filter]', '');
    await page.selectOption('[data-test=log-source-filter]', 'mqtt');
    await until(async () => {
      const sources = await page.locator('[data-test=log-row] [data-test=log-source]').allTextContents();
      return sources.length >= 3 && sources.every((s) => s.startsWith('mqtt')) ? true : undefined;
    }, 'only MQTT rows');
    await page.selectOption('[data-test=log-source-filter]', '');
  });

  it('the schedule timeline shows the stored slots with the active one marked', async () => {
    const nowS = Math.floor(w.t.app.clock.now() / 1000);
    const fb = await publishSchedule(w.t, {
      mode: 'replace',
      schedule: [
        { start: nowS - 600, end: nowS + 3600, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: -1500 } },
        { start: nowS + 4 * 3600, end: nowS + 6 * 3600, fields: { solar_policy: 'off' } },
      ],
    });
    assert.equal(fb.data.response_code, 0, JSON.stringify(fb.data.errors));
    await page.goto(`${w.web.url}/#schedule`);
    await page.waitForSelector('[data-test=tl-slot-active]');
    assert.ok((await page.locator('[data-test=tl-slot]').count()) >= 1, 'the later slot');
    assert.equal(await page.locator('[data-test=tl-now]').count(), 1);
    assert.equal(await page.locator('[data-test=schedule-row]').count(), 2);
    assert.match(await text('[data-test=schedule-status]'), /2 slots stored\. Active now until .*storage setpoint -1500 W/);
  });

  it('saves a screenshot of every page at desktop and phone width', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const size of SIZES) {
      await page.setViewportSize({ width: size.width, height: size.height });
      for (const p of PAGES) {
        await page.goto(`${w.web.url}/#${p}`);
        await page.waitForSelector('[data-test=conn-badge].live');
        if (p === 'history') await page.waitForSelector('[data-test=history-power] canvas');
        if (p === 'commands') await page.waitForSelector('[data-test=log-row]');
        if (p === 'status') await page.waitForSelector('[data-test=energy-imported]');
        if (size.name === 'phone') {
          const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
          assert.ok(overflow <= 1, `#${p} fits a phone's width (${overflow} px too wide)`);
        }
        await page.screenshot({ path: `${SCREENSHOTS}/${p}-${size.name}.png`, fullPage: true });
      }
    }
    assert.deepEqual(problems, []);
  });
});
