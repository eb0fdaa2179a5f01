import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { runWebPasswd } from '../../src/cli/commands/web.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { SCREENSHOTS, startBrowserApp, type BrowserApp } from '../helpers/browser-app.ts';

const SHOTS = SCREENSHOTS;

// The login screens in a real browser: first run, login, a viewer, logout [#16].
describe('web login in a real browser (Debian chromium)', () => {
  let b: BrowserApp;
  let url: string;
  let page: Page;
  let problems: string[];
  let dir: { path: string };

  before(async () => {
    b = await startBrowserApp({}, 'gp-web-login-ui-');
    ({ url, page, problems } = b);
    dir = { path: b.dataDir };
  });
  after(async () => {
    await b?.stop();
  });

  it('the first visit sets the admin password, then the site shows; a reload keeps the session', async () => {
    await page.goto(`${url}/#status`);
    await page.waitForSelector('[data-test=login]:not([hidden])');
    assert.equal(await page.textContent('#h-login'), 'Set the admin password');
    assert.equal(await page.isVisible('#app-main'), false, 'nothing of the site before login');
    await page.screenshot({ path: `${SHOTS}/login-first-run-desktop.png` });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}/login-first-run-phone.png` });
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.fill('[data-test=login-password]', 'garden shed 42');
    await page.fill('[data-test=login-confirm]', 'garden shed 4');
    await page.click('[data-test=login-submit]');
    await page.waitForSelector('[data-test=login-result].bad');
    assert.match((await page.textContent('[data-test=login-result]')) ?? '', /differ/);

    await page.fill('[data-test=login-confirm]', 'garden shed 42');
    await page.click('[data-test=login-submit]');
    await page.waitForSelector('[data-test=conn-badge].live');
    assert.equal(await page.textContent('[data-test=user-name]'), 'admin (admin)');
    assert.equal(await page.isVisible('[data-test=command-form]'), false, 'on the status page');
    await page.reload();
    await page.waitForSelector('[data-test=conn-badge].live');
    assert.equal(await page.isVisible('[data-test=login]'), false);
  });

  it('logout brings the login screen back; a wrong password says so; a viewer does not see the command form', async () => {
    await page.click('[data-test=logout]');
    await page.waitForSelector('[data-test=login]:not([hidden])');
    assert.equal(await page.textContent('#h-login'), 'Log in');
    await page.fill('[data-test=login-password]', 'not it at all');
    await page.click('[data-test=login-submit]');
    await page.waitForSelector('[data-test=login-result].bad');
    assert.match((await page.textContent('[data-test=login-result]')) ?? '', /wrong user name or password/);
    await page.screenshot({ path: `${SHOTS}/login-desktop.png` });

    const io = memoryIo();
    assert.equal(await runWebPasswd('owner', { dataDir: dir.path, role: 'viewer', password: 'owner password 1' }, io), 0);
    await page.fill('[data-test=login-user]', 'owner');
    await page.fill('[data-test=login-password]', 'owner password 1');
    await page.click('[data-test=login-submit]');
    await page.waitForSelector('[data-test=conn-badge].live');
    assert.equal(await page.textContent('[data-test=user-name]'), 'owner (viewer)');
    await page.goto(`${url}/#integrator`);
    await page.waitForSelector('#page-integrator:not([hidden])');
    assert.equal(await page.isVisible('[data-test=command-form]'), false, 'a viewer cannot send commands');
    const unexpected = problems.filter((p) => !/401|Unauthorized/.test(p));
    assert.deepEqual(unexpected, []);
  });
});
