import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import type { EvCharger, Switchable } from '../../../src/devices/capabilities.ts';
import { modbusDriver, type ModbusMeter } from '../../../src/devices/drivers/modbus/index.ts';
import { resolveSiteConfig, type SiteConfig } from '../../../src/site/site-config.ts';
import { testDriverContext, type TestDriverContext } from '../../helpers/driver-context.ts';

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

/** A test DriverContext over `site` (system clock) whose shared instances the test starts and closes. */
export function testContext(site: SiteConfig): TestDriverContext {
  return testDriverContext({ site });
}

/** The example site's devices, built by the modbus driver over one test context. */
export interface ExampleDevices {
  ctx: TestDriverContext;
  meter: ModbusMeter;
  relay: Switchable;
  ev: EvCharger;
}

/** Builds the example site's grid meter, relay and EV charger against `port` and starts their shared connection. */
export async function startExampleDevices(port: number): Promise<ExampleDevices> {
  const site = exampleSite(port);
  const ctx = testContext(site);
  const meter = modbusDriver.createMeter?.(site.grid.meter.driver, ctx) as ModbusMeter;
  const [relayCfg, evCfg] = site.devices;
  assert.ok(relayCfg && evCfg);
  const relay = modbusDriver.createDevice(relayCfg, ctx) as Switchable;
  const ev = modbusDriver.createDevice(evCfg, ctx) as EvCharger;
  await ctx.startShared();
  return { ctx, meter, relay, ev };
}

/** An AbortSignal that aborts after `ms` (the cycle's read bound). */
export function within(ms = 2000): AbortSignal {
  return AbortSignal.timeout(ms);
}
