import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { Controller } from '../../src/control/controller.ts';
import type { Battery, BatteryReading, GridMeter } from '../../src/devices/capabilities.ts';
import type { DriverFactory } from '../../src/devices/driver.ts';
import { allDrivers } from '../../src/devices/drivers/index.ts';
import { buildSiteDevices } from '../../src/devices/registry.ts';
import { resolveSiteConfig } from '../../src/site/site-config.ts';

/**
 * The registry's generic parts (communication status, bounded writes, lifecycle) and what the
 * control loop makes of a device that stops answering. The "remote" devices here are stand-ins
 * registered under the `sunspec` type so that each can be told to fail or hang on demand; the
 * drivers themselves are tested against real Modbus and OCPP peers in their own folders.
 */

type Mode = 'ok' | 'fail' | 'hang';

class StandInBattery implements Battery {
  mode: Mode = 'ok';
  writeMode: Mode = 'ok';
  setpointW: number | null = null;
  writes = 0;
  started = 0;
  closed = 0;
  constructor(private readonly capacityWh: number) {}
  async start(): Promise<void> {
    this.started++;
  }
  async close(): Promise<void> {
    this.closed++;
  }
  readState(signal: AbortSignal): Promise<BatteryReading> {
    if (this.mode === 'fail') return Promise.reject(new Error('Modbus exception 4 (slave device failure)'));
    if (this.mode === 'hang') return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
    return Promise.resolve({ powerW: this.setpointW ?? 0, socPct: 50, capacityWh: this.capacityWh, maxChargeW: 3000, maxDischargeW: 3000 });
  }
  setPowerW(powerW: number | null): Promise<void> {
    this.writes++;
    if (this.writeMode === 'hang') return new Promise(() => undefined);
    if (this.writeMode === 'fail') return Promise.reject(new Error('Modbus exception 2 (illegal data address)'));
    this.setpointW = powerW;
    return Promise.resolve();
  }
}

class StandInMeter implements GridMeter {
  mode: Mode = 'ok';
  constructor(private readonly batteries: StandInBattery[]) {}
  readPowerW(): Promise<number> {
    if (this.mode === 'fail') return Promise.reject(new Error('connection refused'));
    return Promise.resolve(400 + this.batteries.reduce((w, b) => w + (b.setpointW ?? 0), 0));
  }
}

function standInSite() {
  const site = resolveSiteConfig({
    serial: 'REG1',
    grid: { importLimitW: 20_000, exportLimitW: 20_000, safetyMarginW: 0, meter: { driver: { type: 'sunspec', host: '192.0.2.1' } } },
    control: { readTimeoutMs: 50, writeTimeoutMs: 50 },
    devices: [
      { group: 'storage', name: 'A', capacityWh: 10_000, maxChargeW: 3000, maxDischargeW: 3000, driver: { type: 'sunspec', host: '192.0.2.2' } },
      { group: 'storage', name: 'B', capacityWh: 10_000, maxChargeW: 3000, maxDischargeW: 3000, driver: { type: 'sunspec', host: '192.0.2.3' } },
    ],
  });
  const batteries = new Map<string, StandInBattery>();
  const meter = new StandInMeter([]);
  const standIn: DriverFactory = {
    type: 'sunspec',
    groups: ['storage'],
    canMeter: true,
    createDevice(d) {
      const b = new StandInBattery(10_000);
      batteries.set(d.nodeId, b);
      (meter as unknown as { batteries: StandInBattery[] }).batteries.push(b);
      return b;
    },
    createMeter: () => meter,
  };
  const clock = new FakeClock(Date.UTC(2024, 5, 1, 12));
  const runtime = buildSiteDevices(site, { clock, logger: silentLogger, factories: [...allDrivers().factories, standIn] });
  const a = batteries.get('REG1_storage_0') as StandInBattery;
  const b = batteries.get('REG1_storage_1') as StandInBattery;
  const controller = new Controller(site, runtime.devices, clock);
  const send = async (fields: Record<string, unknown>) =>
    (await controller.handleCommand(JSON.stringify({ extraTags: { nodeId: site.siteNodeId }, time: Math.floor(clock.now() / 1000), fields }))).feedback;
  return { site, clock, runtime, controller, a, b, meter, send };
}

describe('driver registry', () => {
  it('builds every device and the grid meter by driver type, starts and closes them once', async () => {
    const s = standInSite();
    await s.runtime.start();
    assert.equal(s.a.started, 1);
    assert.deepEqual([...s.runtime.driverTypes], [
      ['REG1_storage_0', 'sunspec'],
      ['REG1_storage_1', 'sunspec'],
      ['REG1_site_0', 'sunspec'],
    ]);
    await s.runtime.close();
    await s.runtime.close();
    assert.equal(s.a.closed, 1);
  });

  it('a device that stops answering is offline within one cycle, the cycle goes on, the group setpoint goes to the others, and it comes back by itself', async () => {
    const s = standInSite();
    await s.controller.start();
    let f = await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 4000 });
    assert.equal(f.data.state.storage.nr_devices, 2);
    assert.equal(s.a.setpointW, 2000);
    assert.equal(s.b.setpointW, 2000);

    s.a.mode = 'fail';
    const failedAt = s.clock.now();
    f = await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 3000 });
    assert.equal(f.data.response_code, 0);
    assert.equal(f.data.state.storage.nr_devices, 1, 'only the answering battery counts');
    assert.deepEqual(f.data.state.storage.offline_devices, ['REG1_storage_0']);
    assert.equal(s.b.setpointW, 3000, 'the group setpoint is split over the devices that answer');
    assert.ok(f.data.state.grid.constraints?.some((c) => c.includes('REG1_storage_0: not read this cycle (Modbus exception 4')), JSON.stringify(f.data.state.grid.constraints));
    const down = s.runtime.devices.commStatus?.().get('REG1_storage_0');
    assert.equal(down?.isOnline, false);
    assert.equal(down?.offlineSinceMs, failedAt);
    assert.match(down?.lastError ?? '', /slave device failure/);

    s.a.mode = 'ok';
    s.clock.advance(1000);
    await s.controller.trigger();
    const up = s.runtime.devices.commStatus?.().get('REG1_storage_0');
    assert.equal(up?.isOnline, true);
    assert.equal(up?.lastGoodReadMs, s.clock.now());
    assert.equal(s.a.setpointW, 1500, 'back in the split');
    await s.controller.stop();
  });

  it('a read that hangs is bounded by readTimeoutMs: the device is reported and the cycle finishes', async () => {
    const s = standInSite();
    await s.controller.start();
    s.b.mode = 'hang';
    const f = await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 2000 });
    assert.deepEqual(f.data.state.storage.offline_devices, ['REG1_storage_1']);
    assert.match(s.runtime.devices.commStatus?.().get('REG1_storage_1')?.lastError ?? '', /read timed out after 50 ms/);
    assert.equal(s.a.setpointW, 2000);
    await s.controller.stop();
  });

  it('a write that hangs is abandoned after writeTimeoutMs and reported; it stalls neither the cycle nor the next command, and is not piled up', async () => {
    const s = standInSite();
    await s.controller.start();
    s.a.writeMode = 'hang';
    let f = await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 2000 });
    assert.equal(f.data.response_code, 0);
    assert.ok(f.data.state.storage.constraints?.some((c) => c.includes('REG1_storage_0: write failed (write timed out after 50 ms (abandoned))')), JSON.stringify(f.data.state.storage.constraints));
    const writesBefore = s.a.writes;
    f = await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 1000 });
    assert.equal(f.data.response_code, 0, 'the next command is answered');
    assert.equal(s.a.writes, writesBefore, 'no second write is sent while the first still hangs');
    assert.ok(f.data.state.storage.constraints?.some((c) => c.includes('previous write still pending')));
    assert.equal(s.b.setpointW, 500);
    assert.equal(s.runtime.devices.commStatus?.().get('REG1_storage_0')?.isOnline, true, 'reads still work: online, with the write error shown');
    await s.controller.stop();
  });

  it('a grid meter that does not answer holds the site and says so in feedback', async () => {
    const s = standInSite();
    await s.controller.start();
    await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 2000 });
    s.meter.mode = 'fail';
    s.clock.advance(1000);
    const f = await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: -2000 });
    assert.equal(f.data.response_code, 0, 'the command is accepted (it applies once the meter answers)');
    assert.equal(f.data.state.grid.meter_offline_since, Math.floor(s.clock.now() / 1000));
    assert.ok(f.data.state.grid.constraints?.[0]?.startsWith('grid meter offline (connection refused)'));
    assert.equal(s.a.setpointW, 1000, 'devices keep their last setpoints while the site is not measured');
    s.meter.mode = 'ok';
    s.clock.advance(1000);
    await s.controller.trigger();
    assert.equal(s.a.setpointW, -1000);
    await s.controller.stop();
  });
});

describe('driver config', () => {
  it('refuses a driver for a group it cannot drive, a simulated meter beside real devices, and an OCPP meter, with their paths', () => {
    assert.throws(
      () => resolveSiteConfig({ serial: 'X', devices: [{ group: 'solar', ratedPowerW: 5000, driver: { type: 'ocpp', chargePointId: 'CP1' } }], grid: { importLimitW: 1, exportLimitW: 1, meter: { driver: { type: 'ocpp', chargePointId: 'M' } } } }),
      (err: Error) =>
        /devices\[0\]\.driver\.type: driver "ocpp" cannot drive a solar device/.test(err.message) && /grid\.meter\.driver\.type: driver "ocpp" cannot be the grid meter/.test(err.message),
    );
    assert.throws(
      () => resolveSiteConfig({ serial: 'X', devices: [{ group: 'solar', ratedPowerW: 5000, driver: { type: 'sunspec', host: '10.0.0.5' } }] }),
      /grid\.meter\.driver: devices\[0\] is a real device \(sunspec\); the grid meter must be a real one too/,
    );
    assert.throws(() => resolveSiteConfig({ serial: 'X', location: { timeZone: 'Europe/Atlantis' } }), /location\.timeZone: must be an IANA time zone/);
  });
});
