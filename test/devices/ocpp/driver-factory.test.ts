import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../../src/core/clock.ts';
import { OcppServerSchema } from '../../../src/devices/drivers/ocpp/config.ts';
import { OcppCentralSystem, ocppDriver } from '../../../src/devices/drivers/ocpp/index.ts';
import { EvChargerDeviceSchema } from '../../../src/site/config-schema.ts';
import type { DeviceConfig, SiteConfig } from '../../../src/site/site-config.ts';
import { testDriverContext } from '../../helpers/driver-context.ts';
import { rejection, signal } from './harness.ts';

test('ocppDriver: chargers share one central system through ctx.shared; a chargePointId used twice is refused', async () => {
  const ctx = testDriverContext({ site: { ocpp: OcppServerSchema.parse({ host: '127.0.0.1', port: 0 }) } as SiteConfig, clock: new FakeClock() });
  const shared = ctx.shared_;
  const device = (id: string, nodeId: string): DeviceConfig => ({
    ...EvChargerDeviceSchema.parse({ group: 'variable_power_load', driver: { type: 'ocpp', chargePointId: id } }),
    nodeId,
    name: nodeId,
    isRemoteEnabled: true,
  });
  const a = ocppDriver.createDevice(device('CPA', 'ev0'), ctx);
  ocppDriver.createDevice(device('CPB', 'ev1'), ctx);
  assert.equal(shared.size, 1);
  assert.ok(shared.get('ocpp') instanceof OcppCentralSystem);
  assert.throws(() => ocppDriver.createDevice(device('CPA', 'ev2'), ctx), /chargePointId CPA is used by two devices/);
  assert.match(await rejection((a as { readState(s: AbortSignal): Promise<unknown> }).readState(signal())), /^CPA: never connected/);
});
