import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeClock } from '../../../src/core/clock.ts';
import type { Battery, GridMeter, SolarInverter } from '../../../src/devices/capabilities.ts';
import type { DeviceLifecycle } from '../../../src/devices/driver.ts';
import { startSunSpecPeer, type SunSpecPeer } from '../../helpers/sunspec-peer.ts';
import { driverContext, meterDriver, rawClient, signal, solarConfig, storageConfig, sunspecDriver, until } from './sunspec-test-kit.ts';

/**
 * The driver against an independent SunSpec peer: pymodbus (Debian 3.0.0) serving hand-written
 * register maps (fixtures/sunspec_peer.py), not our simulator. Writes are checked on the Python
 * side, from the lines it prints for every register write.
 */

let peer: SunSpecPeer;
let port = 0;

before(async () => {
  peer = await startSunSpecPeer();
  port = peer.port;
});

after(() => {
  peer.stop();
});

/** Waits (bounded) for the peer's line about a write: it is printed after the Modbus response. */
async function expectWritten(unit: number, address: number, value: number, what: string): Promise<void> {
  await until(() => peer.written(unit, address) === value, `${what} (got ${String(peer.written(unit, address))})`);
}

test('inverter (unit 1, base 50000): W with a negative scale factor, WRtg with a positive one, WMaxLimPct in 0.01 % steps', async () => {
  const clock = new FakeClock();
  const ctx = driverContext(clock);
  const pv = sunspecDriver.createDevice(solarConfig({ port, unitId: 1, revertTimeoutS: 90 }, 5000), ctx) as SolarInverter & DeviceLifecycle;
  try {
    await ctx.startShared();
    assert.deepEqual(await pv.readState(signal()), { powerW: 1234.5, limitW: null, availablePowerW: 1234.5 });
    await pv.setLimitW(1500);
    // 123 sits after SunS (2) + model 1 (68) + 103 (52) + 120 (28): ID at 50150.
    const a123 = 50000 + 2 + 68 + 52 + 28;
    await expectWritten(1, a123 + 5, 2500, 'WMaxLimPct: 1500 W of WRtg 6000 W (600 × 10^1) = 25.00 % (SF −2)');
    await expectWritten(1, a123 + 7, 90, 'WMaxLimPct_RvrtTms armed');
    await expectWritten(1, a123 + 9, 1, 'WMaxLim_Ena');
    // One request: the points between (WinTms, RmpTms) are implemented read-write points, rewritten as read.
    assert.equal(peer.writesAt(1, a123 + 5), 1);
    assert.deepEqual(peer.writes.filter((w) => w.unit === 1).map((w) => [w.address, w.values.length]), [[a123 + 5, 5]]);
    const r = await pv.readState(signal());
    assert.equal(r.limitW, 1500);
    // The refresh at half the timer re-writes the same control.
    clock.advance(45_000);
    await until(() => peer.writesAt(1, a123 + 5) === 2, 'refresh after RvrtTms/2');
    await until(() => peer.writesAt(1, a123 + 9) === 2, 'refresh of the enable');
    await pv.setLimitW(null);
    await expectWritten(1, a123 + 9, 0, 'released: WMaxLim_Ena = 0');
  } finally {
    await pv.close();
    await ctx.closeShared();
  }
});

test('DER inverter without 123 (unit 5): 701 W, 702 WMax, curtailment through 704 with its reversion time', async () => {
  const clock = new FakeClock();
  const ctx = driverContext(clock);
  const pv = sunspecDriver.createDevice(solarConfig({ port, unitId: 5, revertTimeoutS: 60 }, 5000), ctx) as SolarInverter & DeviceLifecycle;
  try {
    await ctx.startShared();
    assert.deepEqual(await pv.readState(signal()), { powerW: 2100, limitW: null, availablePowerW: 2100 });
    await pv.setLimitW(3000);
    const a704 = 40000 + 2 + 68 + 155 + 52;
    await expectWritten(5, a704 + 15, 400, 'WMaxLimPct 3000 W of WMax 7500 W (750 × 10^1) = 40.0 % (SF −1)');
    await expectWritten(5, a704 + 17, 0, 'WMaxLimPctEnaRvrt: disabled after the reversion');
    await expectWritten(5, a704 + 19, 60, 'WMaxLimPctRvrtTms (uint32, low word)');
    await expectWritten(5, a704 + 14, 1, 'WMaxLimPctEna');
    assert.equal((await pv.readState(signal())).limitW, 3000);
    await pv.setLimitW(null);
    await expectWritten(5, a704 + 14, 0, 'released');
  } finally {
    await pv.close();
    await ctx.closeShared();
  }
});

test('battery (unit 2, base 40000): SoC from 802 when 124 ChaState is not implemented, scale factors, charge sign; a discharge window written', async () => {
  const clock = new FakeClock();
  const ctx = driverContext(clock);
  const bat = sunspecDriver.createDevice(storageConfig({ port, unitId: 2, revertTimeoutS: 60 }), ctx) as Battery & DeviceLifecycle;
  try {
    await ctx.startShared();
    assert.deepEqual(await bat.readState(signal()), {
      powerW: 2500, // 802 W = −2500 (taken as + discharge): charging 2500 W
      socPct: 67.3,
      capacityWh: 13_500,
      maxChargeW: 4000,
      maxDischargeW: 4500,
    });
    await bat.setPowerW(-1000);
    const a124 = 40000 + 2 + 68;
    await expectWritten(2, a124 + 5, 3, 'StorCtl_Mod: both limits');
    await expectWritten(2, a124 + 12, 2000, 'OutWRte 20.00 % of WChaMax 5000 W (500 × 10^1)');
    await expectWritten(2, a124 + 13, 0x10000 - 2000, 'InWRte −20.00 %: forced discharge');
    await expectWritten(2, a124 + 15, 60, 'InOutWRte_RvrtTms');
    await bat.setPowerW(null);
    await expectWritten(2, a124 + 5, 0, 'written');
  } finally {
    await bat.close();
    await ctx.closeShared();
  }
});

test('meter (unit 3, base 0): negative W with a positive scale factor; a not-implemented W (unit 4) rejects', async () => {
  const ctx = driverContext(new FakeClock());
  const meter = sunspecDriver.createMeter!(meterDriver({ port, unitId: 3 }), ctx) as GridMeter;
  const broken = sunspecDriver.createMeter!(meterDriver({ port, unitId: 4 }), ctx) as GridMeter;
  try {
    await ctx.startShared();
    assert.equal(await meter.readPowerW(signal()), -12_340);
    const inverted = sunspecDriver.createMeter!(meterDriver({ port, unitId: 3 }, true), ctx) as GridMeter;
    assert.equal(await inverted.readPowerW(signal()), 12_340, 'invertPower: a meter installed the other way round');
    await assert.rejects(broken.readPowerW(signal()), /unit 4: model 203 W is not implemented/);
  } finally {
    await ctx.closeShared();
  }
});

test('the peer maps are what the fixture says (read with a plain client)', async () => {
  const raw = await rawClient(port, 3);
  try {
    assert.deepEqual(await raw.read(0, 4), [0x5375, 0x6e53, 1, 66]);
  } finally {
    await raw.close();
  }
});
