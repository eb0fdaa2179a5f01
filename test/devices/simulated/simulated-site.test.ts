import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../src/core/clock.ts';
import type { Battery, EvCharger, GridMeter, SolarInverter, Switchable } from '../../../src/devices/capabilities.ts';
import { createSimulatedSite } from '../../../src/devices/simulated/simulated-site.ts';
import { demoSiteConfig } from '../../../src/site/demo-site.ts';
import { resolveSiteConfig } from '../../../src/site/site-config.ts';

const HOUR = 3_600_000;
const signal = new AbortController().signal;

function demo(startIso = '2024-05-02T12:00:00Z') {
  const clock = new FakeClock(Date.parse(startIso));
  return { clock, site: createSimulatedSite(resolveSiteConfig(demoSiteConfig()), clock) };
}

/** grid = base + extra + Σ loads + Σ storage − Σ solar, from each device's own reading. */
function balanceErrorW(site: ReturnType<typeof demo>['site']): number {
  const world = site.world.snapshot();
  const sum = (devices: Iterable<{ snapshot(): { powerW: number } }>) => [...devices].reduce((total, d) => total + d.snapshot().powerW, 0);
  const loadsW = sum(site.heatPumps.values()) + sum(site.switchedLoads.values()) + sum(site.evChargers.values());
  const expectedW = world.baseLoadW + world.extraLoadW + loadsW + sum(site.storage.values()) - sum(site.solar.values());
  return site.gridMeter.snapshot().powerW - expectedW;
}

void describe('simulated site', () => {
  void it('builds one sim device per configured device, keyed by nodeId', () => {
    const { site } = demo();
    const serial = 'OM12404080000000000';
    assert.deepEqual([...site.solar.keys()], [`${serial}_solar_0`]);
    assert.deepEqual([...site.storage.keys()], [`${serial}_storage_0`, `${serial}_storage_1`]);
    assert.deepEqual([...site.heatPumps.keys()], [`${serial}_heat_pump_0`]);
    assert.deepEqual([...site.switchedLoads.keys()], [`${serial}_switched_load_0`]);
    assert.deepEqual([...site.evChargers.keys()], [`${serial}_variable_power_load_0`]);
    // The sims are usable through the capability interfaces alone.
    const capabilities: Array<GridMeter | SolarInverter | Battery | Switchable | EvCharger> = [
      site.gridMeter,
      ...site.solar.values(),
      ...site.storage.values(),
      ...site.heatPumps.values(),
      ...site.evChargers.values(),
    ];
    assert.equal(capabilities.length, 6);
  });

  void it('the grid meter balances every device exactly, at every instant', async () => {
    const { clock, site } = demo();
    const [batteryA, batteryB] = [...site.storage.values()];
    assert.ok(batteryA && batteryB);
    await batteryA.setPowerW(3000);
    await batteryB.setPowerW(-1500);
    for (const hp of site.heatPumps.values()) await hp.setOn(true);
    for (const relay of site.switchedLoads.values()) await relay.setOn(true);
    for (const ev of site.evChargers.values()) {
      ev.plugIn({ energyNeededWh: 10_000 });
      await ev.setCurrentA(8, 3);
    }
    for (let i = 0; i < 48; i++) {
      assert.equal(balanceErrorW(site), 0, `at ${new Date(clock.now()).toISOString()}`);
      clock.advance(HOUR / 2);
    }
  });

  void it('a kettle raises the import by exactly its power, and a cloud by the lost PV', async () => {
    const { site } = demo('2024-07-29T11:50:00Z');
    const before = await site.gridMeter.readPowerW(signal);
    site.world.setExtraLoadW(2000);
    assert.ok(Math.abs((await site.gridMeter.readPowerW(signal)) - (before + 2000)) < 1e-9);
    const solarW = site.gridMeter.snapshot().solarW;
    assert.ok(solarW > 4000, `clear July noon PV ${solarW}`);
    site.world.setPvFactor(0);
    const cloudy = site.gridMeter.snapshot();
    assert.equal(cloudy.solarW, 0);
    assert.ok(Math.abs(cloudy.powerW - (before + 2000 + solarW)) < 1e-9);
  });

  void it('exports at a sunny noon with idle devices and imports at night', async () => {
    const { clock, site } = demo('2024-07-29T11:50:00Z');
    assert.ok((await site.gridMeter.readPowerW(signal)) < -3000);
    clock.setNow(Date.parse('2024-07-29T23:00:00Z'));
    const night = site.gridMeter.snapshot();
    assert.equal(night.solarW, 0);
    assert.ok(night.powerW > 100, `night import ${night.powerW}`);
  });

  void it('uses the options: a test weather and no car routine', () => {
    const clock = new FakeClock(Date.parse('2024-05-02T20:00:00Z'));
    const site = createSimulatedSite(resolveSiteConfig(demoSiteConfig()), clock, {
      weather: { irradianceWm2: () => 1000, temperatureC: () => 7 },
      carPattern: null,
    });
    assert.equal(site.gridMeter.snapshot().solarW, 8800 * 0.8);
    for (const ev of site.evChargers.values()) assert.equal(ev.snapshot().isConnected, false);
  });
});
