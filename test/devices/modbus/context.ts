import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { systemClock } from '../../../src/core/clock.ts';
import { silentLogger } from '../../../src/core/logger.ts';
import type { DeviceLifecycle, DriverContext } from '../../../src/devices/driver.ts';
import { resolveSiteConfig, type SiteConfig } from '../../../src/site/site-config.ts';

/** The example site snippet, pointed at a test server's port. */
export function exampleSite(port: number): SiteConfig {
  const raw = parseYaml(readFileSync('examples/modbus/site-snippet.yaml', 'utf8')) as {
    grid: { meter: { driver: Record<string, unknown> } };
    devices: Array<{ driver: Record<string, unknown> }>;
  };
  for (const d of [raw.grid.meter.driver, ...raw.devices.map((x) => x.driver)]) {
    d.host = '127.0.0.1';
    d.port = port;
    d.timeoutMs = 300;
  }
  return resolveSiteConfig({ serial: 'TEST1', ...raw });
}

/** A DriverContext whose shared instances are recorded, so the test starts and closes them as the registry would. */
export function testContext(site: SiteConfig): DriverContext & { shared_: Map<string, DeviceLifecycle>; startShared(): Promise<void>; closeShared(): Promise<void> } {
  const shared = new Map<string, DeviceLifecycle>();
  return {
    site,
    clock: systemClock,
    logger: silentLogger,
    shared_: shared,
    shared<T extends DeviceLifecycle>(key: string, create: () => T): T {
      let v = shared.get(key);
      if (!v) {
        v = create();
        shared.set(key, v);
      }
      return v as T;
    },
    async startShared() {
      for (const s of shared.values()) await s.start();
    },
    async closeShared() {
      for (const s of shared.values()) await s.close();
    },
  };
}

/** An AbortSignal that aborts after `ms` (the cycle's read bound). */
export function within(ms = 2000): AbortSignal {
  return AbortSignal.timeout(ms);
}
