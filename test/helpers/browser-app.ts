import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { AppOptions } from '../../src/app-options.ts';
import { watchPageProblems } from '../web/web-harness.ts';
import { startAppUnderTest, type AppUnderTest } from './app-harness.ts';
import { launchChromium } from './chromium.ts';
import { tempDir } from './schedule-peer.ts';

/** Where browser tests save their screenshots (gitignored). */
export const SCREENSHOTS = 'test-output/screenshots';

/** The real app with a data directory and its web server, and a Chromium page at desktop size. */
export interface BrowserApp {
  t: AppUnderTest;
  url: string;
  browser: Browser;
  page: Page;
  /** Console errors, page errors, failed requests (see watchPageProblems). */
  problems: string[];
  dataDir: string;
  stop(): Promise<void>;
}

export async function startBrowserApp(opts: AppOptions = {}, name = 'gp-browser-'): Promise<BrowserApp> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const dir = tempDir(name);
  const t = await startAppUnderTest({ dataDir: dir.path, httpPort: 0, ...opts });
  const url = t.app.info.httpUrl as string;
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems = watchPageProblems(page, () => [url]);
  return {
    t,
    url,
    browser,
    page,
    problems,
    dataDir: dir.path,
    async stop() {
      await browser.close();
      await t.stop();
      dir.remove();
    },
  };
}
