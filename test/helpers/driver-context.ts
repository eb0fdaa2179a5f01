import { systemClock, type Clock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { DeviceLifecycle, DriverContext } from '../../src/devices/driver.ts';
import { resolveSiteConfig, type SiteConfig } from '../../src/site/site-config.ts';

/** A DriverContext whose shared instances are recorded, so a test starts and closes them as the registry would. */
export interface TestDriverContext extends DriverContext {
  /** The shared instances by key, in the order they were created. */
  shared_: Map<string, DeviceLifecycle>;
  /** Starts every shared instance, in turn. */
  startShared(): Promise<void>;
  /** Closes every shared instance, in turn. */
  closeShared(): Promise<void>;
}

export interface TestDriverContextOptions {
  /** Default: a site with only `serial: 'TEST1'`. */
  site?: SiteConfig;
  /** Default: the system clock. */
  clock?: Clock;
}

/** A {@link TestDriverContext} (silent logger); `shared` creates one instance per key, as the registry's does. */
export function testDriverContext(opts: TestDriverContextOptions = {}): TestDriverContext {
  const shared = new Map<string, DeviceLifecycle>();
  return {
    site: opts.site ?? resolveSiteConfig({ serial: 'TEST1' }),
    clock: opts.clock ?? systemClock,
    logger: silentLogger,
    shared_: shared,
    shared<T extends DeviceLifecycle>(key: string, create: () => T): T {
      let hit = shared.get(key);
      if (!hit) {
        hit = create();
        shared.set(key, hit);
      }
      return hit as T;
    },
    async startShared() {
      for (const s of shared.values()) await s.start();
    },
    async closeShared() {
      for (const s of shared.values()) await s.close();
    },
  };
}
