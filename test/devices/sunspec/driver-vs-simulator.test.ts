import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../../src/core/clock.ts';
import { silentLogger } from '../../../src/core/logger.ts';
import type { Battery, GridMeter, SolarInverter } from '../../../src/devices/capabilities.ts';
import type { DeviceLifecycle } from '../../../src/devices/driver.ts';
import { SimBattery } from '../../../src/devices/simulated/sim-battery.ts';
import { SimGridMeter } from '../../../src/devices/simulated/sim-grid-meter.ts';
import { SimSolar } from '../../../src/devices/simulated/sim-solar.ts';
import { SimWorld } from '../../../src/devices/simulated/sim-world.ts';
import { startSunSpecServer } from '../../../src/devices/simulators/sunspec-server.ts';
import { driverContext, meterDriver, rawClient, rawModelAddress, signal, solarConfig, storageConfig, sunspecDriver, toInt16, until } from './sunspec-test-kit.ts';

function world(clock: FakeClock): SimWorld {
  const w = new SimWorld(clock, { weather: 'clear-sky' });
  w.setIrradianceOverride(1000);
  w.setBaseLoadOverride(800);
  return w;
}

test('inverter: discovery, readings, a limit written with its revert timer, refreshed before expiry, skipped when unchanged, released', async () => {
  const clock = new FakeClock();
  const sim = new SimSolar(world(clock), { nodeId: 'pv', ratedPowerW: 5000, peakPowerW: 6000 });
  const reverts: string[] = [];
  const logger = { ...silentLogger, info: (_o: object, msg?: string) => void (msg?.includes('revert timer expired') && reverts.push(msg)) };
  const server = await startSunSpecServer({ port: 0, model: 'inverter', device: sim, ratings: { ratedPowerW: 5000 }, clock, logger });
  const ctx = driverContext(clock);
  const pv = sunspecDriver.createDevice(solarConfig({ port: server.port, revertTimeoutS: 60 }), ctx) as SolarInverter & DeviceLifecycle;
  const raw = await rawClient(server.port);
  try {
    await ctx.startShared();
    await pv.start();
    assert.deepEqual(await pv.readState(signal()), { powerW: 4800, limitW: null, availablePowerW: 4800 });

    await pv.setLimitW(2000);
    assert.equal(sim.snapshot().limitW, 2000);
    const a123 = await rawModelAddress(raw, 40000, 123);
    const [pct = 0, , rvrt = 0, , ena = 0] = await raw.read(a123 + 5, 5);
    assert.equal(pct, 400, 'WMaxLimPct 40.0 % in 0.1 % steps (WMaxLimPct_SF −1)');
    assert.equal(rvrt, 60, 'WMaxLimPct_RvrtTms armed, never 0');
    assert.equal(ena, 1);
    const r = await pv.readState(signal());
    assert.equal(r.powerW, 2000);
    assert.equal(r.limitW, 2000);
    assert.equal(r.availablePowerW, 5000, 'at the cap: estimated as WMax');

    // Unchanged value: no write (the back door shows it: the device keeps what we set behind it).
    await sim.setLimitW(null);
    await pv.setLimitW(2000);
    assert.equal(sim.snapshot().limitW, null, 'an unchanged limit is not re-written before the refresh');
    // The refresh at half the timer re-writes it, again and again: kept alive past 2 × 60 s.
    for (let i = 0; i < 4; i++) {
      await sim.setLimitW(null);
      clock.advance(30_000);
      await until(() => sim.snapshot().limitW === 2000, `the refresh #${i + 1} at RvrtTms/2`);
    }
    assert.deepEqual(reverts, [], 'the device timer never ran out while gridpilot ran');
    assert.equal((await raw.read(a123 + 9, 1))[0], 1);

    await pv.setLimitW(null);
    assert.equal(sim.snapshot().limitW, null);
    assert.equal((await raw.read(a123 + 9, 1))[0], 0, 'WMaxLim_Ena = 0');
    assert.equal((await pv.readState(signal())).limitW, null);

    // gridpilot stops: the device reverts by itself one timer later.
    await pv.setLimitW(1000);
    await pv.close();
    await ctx.closeShared();
    clock.advance(59_000);
    assert.equal(sim.snapshot().limitW, 1000);
    clock.advance(1_000);
    assert.equal(sim.snapshot().limitW, null, 'reverted by the device after WMaxLimPct_RvrtTms');
    assert.equal(reverts.length, 1);
    assert.equal((await raw.read(a123 + 9, 1))[0], 0);
  } finally {
    await pv.close();
    await ctx.closeShared();
    await raw.close();
    await server.close();
  }
});

test('battery: SoC, capacity, limits; setpoints as 124 rate windows with the revert timer; release', async () => {
  const clock = new FakeClock();
  const sim = new SimBattery(world(clock), { nodeId: 'b', capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 4000, minSocPct: 5, maxSocPct: 95, efficiency: 0.95, initialSocPct: 50 });
  const server = await startSunSpecServer({ port: 0, model: 'battery', device: sim, ratings: { capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 4000, minSocPct: 5, maxSocPct: 95 }, clock });
  const ctx = driverContext(clock);
  const bat = sunspecDriver.createDevice(storageConfig({ port: server.port, revertTimeoutS: 30 }), ctx) as Battery & DeviceLifecycle;
  const raw = await rawClient(server.port);
  try {
    await ctx.startShared();
    assert.deepEqual(await bat.readState(signal()), { powerW: 0, socPct: 50, capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 4000 });
    await bat.setPowerW(2000);
    assert.equal(sim.snapshot().requestedPowerW, 2000);
    const a124 = await rawModelAddress(raw, 40000, 124);
    const regs = await raw.read(a124, 18);
    assert.equal(regs[5], 3, 'StorCtl_Mod: charge and discharge limits');
    assert.equal(toInt16(regs[13] ?? 0), 400, 'InWRte 40.0 % of WChaMax');
    assert.equal(toInt16(regs[12] ?? 0), -400, 'OutWRte −40.0 %: forced charge');
    assert.equal(regs[15], 30, 'InOutWRte_RvrtTms');
    assert.equal((await bat.readState(signal())).powerW, 2000);

    await bat.setPowerW(-1500);
    assert.equal(sim.snapshot().requestedPowerW, -1500);
    assert.equal((await bat.readState(signal())).powerW, -1500);
    clock.advance(15_000);
    await sim.setPowerW(0);
    await until(() => sim.snapshot().requestedPowerW === -1500, 'refresh at 15 s re-writes the window');

    await bat.setPowerW(null);
    assert.equal(sim.snapshot().requestedPowerW, null);
    assert.equal((await raw.read(a124 + 5, 1))[0], 0);

    await bat.setPowerW(1000);
    await bat.close();
    await ctx.closeShared();
    clock.advance(30_000);
    assert.equal(sim.snapshot().requestedPowerW, null, 'reverted by the device');

    sim.setSocPct(95);
    const ctx2 = driverContext(clock);
    const bat2 = sunspecDriver.createDevice(storageConfig({ port: server.port }), ctx2) as Battery & DeviceLifecycle;
    await ctx2.startShared();
    const full = await bat2.readState(signal());
    assert.equal(full.maxChargeW, 0, 'no charging at the device SoC maximum');
    assert.equal(full.socPct, 95);
    await ctx2.closeShared();
  } finally {
    await bat.close();
    await ctx.closeShared();
    await raw.close();
    await server.close();
  }
});

for (const baseAddress of [40000, 50000, 0] as const) {
  test(`meter at base ${baseAddress}: W + import, export negative`, async () => {
    const clock = new FakeClock();
    const w = world(clock);
    const solar = new SimSolar(w, { nodeId: 'pv', ratedPowerW: 5000, peakPowerW: 6000 });
    const sim = new SimGridMeter(w, { solar: [solar], storage: [], loads: [] });
    const server = await startSunSpecServer({ port: 0, model: 'meter', device: sim, clock, baseAddress });
    const ctx = driverContext(clock);
    const meter = sunspecDriver.createMeter!(meterDriver({ port: server.port }), ctx) as GridMeter;
    try {
      await ctx.startShared();
      assert.equal(await meter.readPowerW(signal()), 800 - 4800);
      w.setIrradianceOverride(0);
      assert.equal(await meter.readPowerW(signal()), 800);
    } finally {
      await ctx.closeShared();
      await server.close();
    }
  });
}

test('re-discovers the map after a reconnect (the device came back with another base address)', async () => {
  const clock = new FakeClock();
  const w = world(clock);
  const sim = new SimGridMeter(w, { solar: [], storage: [], loads: [] });
  const first = await startSunSpecServer({ port: 0, model: 'meter', device: sim, clock, baseAddress: 40000 });
  const ctx = driverContext(clock);
  const meter = sunspecDriver.createMeter!(meterDriver({ port: first.port, timeoutMs: 500 }), ctx) as GridMeter;
  try {
    await ctx.startShared();
    assert.equal(await meter.readPowerW(signal()), 800);
    await first.close();
    await assert.rejects(meter.readPowerW(signal()), /127\.0\.0\.1:\d+ unit 1/);
    const second = await startSunSpecServer({ port: first.port, model: 'meter', device: sim, clock, baseAddress: 50000 });
    try {
      w.setBaseLoadOverride(1200);
      await until(async () => (await meter.readPowerW(signal()).catch(() => null)) === 1200, 'reads again after the server returned');
    } finally {
      await second.close();
    }
  } finally {
    await ctx.closeShared();
  }
});

test('battery: 802 (SoC, ratings) is read at most every 0.9 s, the power every time', async () => {
  const clock = new FakeClock();
  const sim = new SimBattery(world(clock), { nodeId: 'b', capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 4000, minSocPct: 5, maxSocPct: 95, efficiency: 0.95, initialSocPct: 50 });
  const server = await startSunSpecServer({ port: 0, model: 'battery', device: sim, ratings: { capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 4000, minSocPct: 5, maxSocPct: 95 }, clock });
  const ctx = driverContext(clock);
  const bat = sunspecDriver.createDevice(storageConfig({ port: server.port, revertTimeoutS: 30 }), ctx) as Battery & DeviceLifecycle;
  try {
    await ctx.startShared();
    assert.equal((await bat.readState(signal())).socPct, 50);
    // Behind the driver's back: the SoC jumps and the battery charges.
    sim.setSocPct(60);
    await sim.setPowerW(2000);
    clock.advance(899);
    const soon = await bat.readState(signal());
    assert.equal(soon.socPct, 50, 'within 0.9 s: the 802 block just read is reused');
    assert.equal(soon.powerW, 2000, 'the power is read fresh (model 103)');
    clock.advance(1);
    assert.ok(Math.abs((await bat.readState(signal())).socPct - 60) < 0.1, 'at 0.9 s: 802 read again');
  } finally {
    await bat.close();
    await ctx.closeShared();
    await server.close();
  }
});
