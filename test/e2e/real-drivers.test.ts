import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatStartBanner } from '../../src/cli/start-banner.ts';
import { startAppUnderTest } from '../helpers/app-harness.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { until } from '../helpers/schedule-peer.ts';
import { startSunSpecPeer } from '../helpers/sunspec-peer.ts';
import { adminCookie, logInPage } from '../helpers/web-login.ts';
import { tempDirMaker } from '../helpers/temp-dirs.ts';

/**
 * The real app with real drivers: a config with only SunSpec devices (an independent pymodbus peer,
 * no simulator anywhere), and the demo site's EV charger behind an OCPP charge point.
 */

const tempDir = tempDirMaker('gp-real-');
const writeConfig = (cfg: unknown): string => {
  const path = join(tempDir(), 'site.json');
  writeFileSync(path, JSON.stringify(cfg));
  return path;
};

describe('gridpilot start --config with SunSpec devices and no simulated one', () => {
  it('a solar setpoint over MQTT lands in the inverter as WMaxLimPct with WMaxLim_Ena on and a non-zero revert timer', async () => {
    const peer = await startSunSpecPeer();
    const sunspec = (unitId: number) => ({ type: 'sunspec', host: '127.0.0.1', port: peer.port, unitId, timeoutMs: 1000, revertTimeoutS: 120 });
    const configPath = writeConfig({
      serial: 'REAL1',
      grid: { importLimitW: 20_000, exportLimitW: 20_000, safetyMarginW: 0, meter: { driver: sunspec(3) } },
      devices: [{ group: 'solar', name: 'PV (pymodbus)', ratedPowerW: 6000, driver: sunspec(1) }],
    });
    const t = await startAppUnderTest({ configPath });
    try {
      assert.equal(t.app.sim, null, 'nothing is simulated');
      const banner = formatStartBanner(t.app.info);
      assert.doesNotMatch(banner, /SIMULATED/);
      assert.match(banner, /REAL1_solar_0\s+solar\s+sunspec/);
      // The first read connects and walks the model chain (slow on a loaded box): wait for it.
      await until(() => t.app.devices.devices.commStatus?.().get('REAL1_solar_0')?.lastGoodReadMs != null, 'the inverter to be read once', 10_000);
      const f = await t.command({ solar_policy: 'setpoint', solar_power_setpoint_w: 1500 });
      assert.equal(f.data.response_code, 0, JSON.stringify(f.data.errors));
      assert.equal(f.data.state.solar.nr_devices, 1);
      assert.equal(f.data.state.grid.active_power_W, -12_340, 'the meter model 203 W (−1234 × 10^1), + import');
      assert.equal(f.data.state.solar.active_power_W, 1235, 'model 103 W (12345 × 10^−1)');
      // The peer's model 123 sits at 50000 + 2 + 68 (model 1) + 52 (103) + 28 (120).
      const a123 = 50000 + 2 + 68 + 52 + 28;
      await until(() => peer.written(1, a123 + 5) === 2500, 'WMaxLimPct = 1500 W of 6000 W = 25.00 % (SF −2)');
      assert.equal(peer.written(1, a123 + 9), 1, 'WMaxLim_Ena on');
      assert.equal(peer.written(1, a123 + 7), 120, 'WMaxLimPct_RvrtTms armed (revertTimeoutS)');
      const status = t.app.devices.devices.commStatus?.();
      assert.equal(status?.get('REAL1_solar_0')?.isOnline, true);
      assert.equal(status?.get('REAL1_site_0')?.isOnline, true);
    } finally {
      await t.stop();
      peer.stop();
    }
  });

  it('a SunSpec device that does not answer (wrong unit id) is offline in feedback, the web API and the Devices page, and the controller still answers', async () => {
    const peer = await startSunSpecPeer();
    const configPath = writeConfig({
      serial: 'REAL2',
      grid: { importLimitW: 20_000, exportLimitW: 20_000, meter: { driver: { type: 'sunspec', host: '127.0.0.1', port: peer.port, unitId: 3 } } },
      control: { readTimeoutMs: 300 },
      devices: [
        { group: 'solar', ratedPowerW: 6000, driver: { type: 'sunspec', host: '127.0.0.1', port: peer.port, unitId: 1, timeoutMs: 200 } },
        // Unit 9 answers nothing: a wrong unit id.
        { group: 'solar', ratedPowerW: 6000, driver: { type: 'sunspec', host: '127.0.0.1', port: peer.port, unitId: 9, timeoutMs: 200 } },
      ],
    });
    const t = await startAppUnderTest({ configPath, httpPort: 0 });
    try {
      await until(() => t.app.devices.devices.commStatus?.().get('REAL2_solar_0')?.lastGoodReadMs != null, 'the answering inverter to be read once', 10_000);
      const f = await t.command({ solar_policy: 'setpoint', solar_power_setpoint_w: 3000 });
      assert.equal(f.data.response_code, 0);
      assert.equal(f.data.state.solar.nr_devices, 1);
      assert.deepEqual(f.data.state.solar.offline_devices, ['REAL2_solar_1']);
      assert.ok(f.data.state.grid.constraints?.some((c) => c.startsWith('REAL2_solar_1: not read this cycle')), JSON.stringify(f.data.state.grid.constraints));

      // The web API and the Devices page show it too: driver, offline since, why.
      const state = (await (await fetch(`${t.app.info.httpUrl}/api/state`, { headers: { cookie: await adminCookie(t.app.info.httpUrl as string) } })).json()) as { devices: Array<{ nodeId: string; link: { driver: string; isOnline: boolean; lastError: string | null } }>; gridMeter: { isOnline: boolean } };
      const link = state.devices.find((d) => d.nodeId === 'REAL2_solar_1')?.link;
      assert.equal(link?.driver, 'sunspec');
      assert.equal(link?.isOnline, false);
      assert.match(link?.lastError ?? '', /unit 9/);
      assert.equal(state.gridMeter.isOnline, true);
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await logInPage(page, t.app.info.httpUrl as string);
        await page.goto(`${t.app.info.httpUrl}/#devices`);
        await page.waitForSelector('[data-test="device-REAL2_solar_1"] [data-test=link] .no');
        assert.match((await page.textContent('[data-test="device-REAL2_solar_1"] [data-test=link]')) ?? '', /^sunspec · offline since \d\d:\d\d:\d\d: .*unit 9/);
        assert.match((await page.textContent('[data-test="device-REAL2_solar_0"] [data-test=link]')) ?? '', /^sunspec · online/);
        assert.match((await page.textContent('[data-test=device-grid-meter] [data-test=link]')) ?? '', /^sunspec · online/);
      } finally {
        await browser.close();
      }
    } finally {
      await t.stop();
      peer.stop();
    }
  });
});

for (const ocppVersion of ['1.6', '2.0.1'] as const) {
  describe(`the demo site behind protocol simulators, EV charger over OCPP ${ocppVersion}`, () => {
    it('an EV setpoint over MQTT becomes a charging profile the charge point applies; its meter values come back into feedback', async () => {
      const t = await startAppUnderTest({ protocolSim: { ocppVersion } });
      try {
        const ev = 'OM12404080000000000_variable_power_load_0';
        assert.equal(t.app.devices.driverTypes.get(ev), 'ocpp');
        assert.equal(t.app.devices.driverTypes.get('OM12404080000000000_storage_0'), 'sunspec');
        const charger = t.sim.evChargers.get(ev);
        assert.ok(charger);
        charger.plugIn({ energyNeededWh: 20_000 });
        // The charge point reports the car; the central system sees it connected.
        await until(() => t.app.controller.lastCycle()?.snapshot.evChargers.get(ev)?.isConnected === true, 'the car to be reported plugged in', 10_000);
        // What the planner learns from OCPP: the plug-in time (departure and need come from the config).
        const need = t.app.devices.devices.evChargers.get(ev)?.sessionNeed?.(t.app.clock.now());
        assert.ok(need && need.pluggedInAtMs <= t.app.clock.now() && need.departureMs === null && need.energyNeededWh === null, JSON.stringify(need));
        const f = await t.command({ variable_power_load_policy: 'setpoint', variable_power_load_power_setpoint_w: 6900 });
        assert.equal(f.data.response_code, 0);
        // 10 A on 3 phases, or 16 A (the maximum) on 1 phase while the charger's phase-switch dwell holds it on 1 phase.
        const currentA = f.data.state.variable_load.executed_current_A;
        assert.ok(currentA === 10 || currentA === 16, `executed ${currentA} A`);
        await until(() => charger.snapshot().offeredCurrentA === currentA, `the charge point to apply the ${currentA} A profile`, 10_000);
        const expectedW = currentA * 230 * charger.snapshot().phases;
        await until(() => Math.abs((t.app.controller.lastCycle()?.snapshot.evChargers.get(ev)?.powerW ?? 0) - expectedW) < 100, `meter values of ${expectedW} W back in the reading`, 15_000);
        const g = await t.command({});
        assert.ok(Math.abs(g.data.state.variable_load.active_power_W - expectedW) < 100, `feedback shows the measured charge: ${g.data.state.variable_load.active_power_W} W`);
      } finally {
        await t.stop();
      }
    });
  });
}
