import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { startAppUnderTest, type AppUnderTest } from '../helpers/app-harness.ts';

const FALLBACK_S = 30;

/**
 * Each test runs on the in-process simulated site and on the same site behind protocol simulators
 * (inverter, batteries and grid meter as SunSpec Modbus TCP servers, the EV charger as an OCPP
 * charge point, 1.6J and 2.0.1), reached through the real drivers [issue 12, acceptance].
 */
const MODES = [
  { name: 'in-process simulated site', protocolSim: undefined },
  { name: 'devices behind SunSpec and OCPP 1.6 simulators', protocolSim: { ocppVersion: '1.6' as const } },
  { name: 'devices behind SunSpec and OCPP 2.0.1 simulators', protocolSim: { ocppVersion: '2.0.1' as const } },
];

for (const mode of MODES) {
async function withApp(fn: (t: AppUnderTest, clock: FakeClock) => Promise<void>, configPatch?: (c: Record<string, unknown>) => void): Promise<void> {
  const clock = new FakeClock(Date.now());
  let configPath: string | undefined;
  if (configPatch) {
    const cfg = demoSiteConfig() as Record<string, unknown>;
    configPatch(cfg);
    configPath = join(mkdtempSync(join(tmpdir(), 'gp-cfg-')), 'site.json');
    writeFileSync(configPath, JSON.stringify(cfg));
  }
  const t = await startAppUnderTest({ clock, fallbackTimeoutS: FALLBACK_S, ...(configPath ? { configPath } : {}), ...(mode.protocolSim ? { protocolSim: mode.protocolSim } : {}) });
  try {
    if (mode.protocolSim) assert.equal(t.app.devices.driverTypes.get('OM12404080000000000_storage_0'), 'sunspec', 'the batteries are reached over SunSpec');
    await fn(t, clock);
  } finally {
    await t.stop();
  }
}

/** Advances the fake clock one cycle at a time so the periodic cycles run as they would. */
async function advance(t: AppUnderTest, clock: FakeClock, ms: number): Promise<void> {
  for (let done = 0; done < ms; done += 1000) {
    clock.advance(Math.min(1000, ms - done));
    await t.app.controller.trigger();
  }
}

describe(`watchdog over MQTT (fake clock; ${mode.name})`, () => {
  it('a command stays active until the fallback timeout and the local default takes over right after', async () => {
    await withApp(async (t, clock) => {
      await t.command({ storage_policy: 'setpoint', storage_power_setpoint_w: 3000 });
      await advance(t, clock, FALLBACK_S * 1000 - 1000);
      let f = await t.command({});
      assert.equal(f.data.state.storage.executed_policy, 'setpoint');
      assert.equal(f.data.state.storage.executed_power_W, 3000);
      await advance(t, clock, 1000);
      f = await t.command({});
      assert.equal(f.data.state.storage.executed_policy, 'self_consumption');
      assert.equal(f.data.state.storage.active_signal, 'local');
    });
  });

  it('each accepted command re-arms it, an empty command does not, fallback cancels at once', async () => {
    await withApp(async (t, clock) => {
      await t.command({ storage_policy: 'setpoint', storage_power_setpoint_w: 1000, solar_policy: 'setpoint', solar_power_setpoint_w: 2000 });
      await advance(t, clock, 20_000);
      await t.command({ storage_policy: 'setpoint', storage_power_setpoint_w: 1000, solar_policy: 'setpoint', solar_power_setpoint_w: 2000 });
      await advance(t, clock, 20_000);
      let f = await t.command({});
      assert.equal(f.data.state.storage.executed_policy, 'setpoint', 're-armed by the second command');
      await advance(t, clock, 10_000);
      f = await t.command({});
      assert.equal(f.data.state.storage.executed_policy, 'self_consumption', 'the empty command did not re-arm');

      await t.command({ storage_policy: 'setpoint', storage_power_setpoint_w: 1000, solar_policy: 'setpoint', solar_power_setpoint_w: 2000 });
      f = await t.command({ storage_policy: 'fallback', solar_policy: 'setpoint', solar_power_setpoint_w: 2000 });
      assert.equal(f.data.state.storage.executed_policy, 'self_consumption', 'fallback cancels storage now');
      assert.equal(f.data.state.solar.executed_policy, 'setpoint');
      f = await t.command({ storage_policy: 'setpoint', storage_power_setpoint_w: 500 });
      assert.equal(f.data.state.solar.executed_policy, 'feed_in_limitation', 'omitted solar falls back');
    });
  });
});

describe(`device level and grid limits over MQTT (${mode.name})`, () => {
  it('a device-level command beats the group command for that device only', async () => {
    await withApp(async (t) => {
      const b1 = 'OM12404080000000000_storage_1';
      const f = await t.command({ storage_policy: 'setpoint', storage_power_setpoint_w: -3000, [`${b1}_policy`]: 'setpoint', [`${b1}_power_setpoint_w`]: 1000 });
      assert.equal(f.data.response_code, 0);
      const dev = f.data.state[b1] as { executed_power_W: number; active_signal: string };
      assert.equal(dev.executed_power_W, 1000);
      assert.equal(Math.round(t.sim.storage.get(b1)?.snapshot().powerW ?? NaN), 1000);
      assert.equal(Math.round(t.sim.storage.get('OM12404080000000000_storage_0')?.snapshot().powerW ?? NaN), -3000);
      assert.equal(f.data.state.storage.executed_power_W, -2000);
    });
  });

  it('clips storage discharge and solar to the export limit, and feedback shows the executed values', async () => {
    await withApp(
      async (t) => {
        t.sim.world.setIrradianceOverride(900);
        t.sim.world.setBaseLoadOverride(400);
        const f = await t.command({
          storage_policy: 'setpoint',
          storage_power_setpoint_w: -7500,
          solar_policy: 'setpoint',
          solar_power_setpoint_w: 8000,
          heat_pump_policy: 'power_off',
          switched_load_policy: 'power_off',
          variable_power_load_policy: 'passive',
        });
        assert.equal(f.data.response_code, 0);
        // One reading per command: the feedback measured before its writes; the meter shows their effect.
        assert.ok(t.sim.gridMeter.snapshot().powerW >= -3000, `grid ${t.sim.gridMeter.snapshot().powerW} W within the 3000 W export limit`);
        assert.equal(f.data.state.storage.executed_power_W, 0, 'discharge clipped to nothing while the sun exports');
        assert.ok(f.data.state.solar.executed_power_W < 8000);
        assert.ok(f.data.state.grid.constraints?.some((c) => c.includes('storage discharge clipped')));
        assert.ok(f.data.state.grid.constraints?.some((c) => c.includes('solar curtailed')));
      },
      (c) => {
        c.grid = { importLimitW: 25_000, exportLimitW: 3000, safetyMarginW: 0 };
      },
    );
  });
});
}
