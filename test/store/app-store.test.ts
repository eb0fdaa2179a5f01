import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startApp } from '../../src/app.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { HistoryReader } from '../../src/store/queries.ts';
import { Store } from '../../src/store/store.ts';
import { handleScheduleMessage } from '../../src/schedule/schedule-handler.ts';
import { commandLogEntries } from '../helpers/command-log-entry.ts';
import { tempDir } from '../helpers/schedule-peer.ts';

const T0 = Date.UTC(2025, 5, 2, 11, 0, 0);
const opts = { brokerPort: 0, wsPort: null, httpPort: null, logLevel: 'silent' } as const;

describe('the app with a data directory', () => {
  const dir = tempDir('gp-app-store-');
  after(() => dir.remove());

  it('keeps the schedule across a restart and runs the active slot in the first cycle', async () => {
    const clock = new FakeClock(T0);
    let app = await startApp({ ...opts, clock, dataDir: dir.path });
    const nowS = T0 / 1000;
    const msg = JSON.stringify({
      extraTags: { nodeId: app.info.siteNodeId },
      time: nowS,
      schedule: [{ start: nowS + 60, end: nowS + 3600, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: -1200 } }],
    });
    const out = await handleScheduleMessage(msg, { controller: app.controller, schedules: app.schedules, nowMs: clock.now() });
    assert.equal(out.code, 0);
    await app.stop();

    clock.advance(120_000);
    app = await startApp({ ...opts, clock, dataDir: dir.path });
    assert.deepEqual(app.controller.lastCycle()?.resolution.components.storage, { source: 'schedule', policy: 'setpoint', setpointW: -1200 });
    assert.deepEqual(app.schedules.summary(clock.now()), { slots: 1, next_start: null, active_until: nowS + 3600 });
    await app.stop();
  });

  it('records the configuration in force, and starts from one saved through the API', async () => {
    const clock = new FakeClock(T0);
    let app = await startApp({ ...opts, clock, dataDir: dir.path });
    await app.stop();
    const reader = new HistoryReader(dir.path);
    assert.equal(reader.config()?.source, 'demo');
    assert.deepEqual(reader.config()?.config, demoSiteConfig());
    reader.close();

    const store = await Store.open({ dataDir: dir.path, clock });
    await store.saveConfig({ source: 'api', sourceDetail: 'web UI', config: { ...demoSiteConfig(), serial: 'GP0000000000000042' } });
    await store.close();
    app = await startApp({ ...opts, clock, dataDir: dir.path });
    assert.equal(app.info.serial, 'GP0000000000000042');
    await app.stop();
  });

  it('plans the load from the stored history after a restart, not from the standard profile', async () => {
    const own = tempDir('gp-app-load-');
    try {
      // Nine days of a household that always uses 1234 W, stored by an earlier run (one sample a minute).
      const clock = new FakeClock(T0 - 9 * 86_400_000);
      const store = await Store.open({ dataDir: own.path, clock });
      for (let t = T0 - 9 * 86_400_000; t < T0; t += 60_000) {
        store.recordSample({ atMs: t, gridW: 1234, solarW: 0, solarAvailableW: 0, storageW: 0, socPct: 50, evW: 0, heatPumpW: 0, switchedLoadW: 0, baseLoadW: 1234, exportLimitW: 10_000, importLimitW: 17_000 });
      }
      await store.close();

      clock.setNow(T0);
      const app = await startApp({ ...opts, clock, dataDir: own.path });
      let plan;
      try {
        await app.cost.service.idle();
        plan = app.cost.service.currentPlan();
      } finally {
        await app.stop();
      }
      assert.ok(plan, 'a plan');
      const day = plan.slots.filter((s) => s.startMs < T0 + 86_400_000);
      assert.ok(day.length > 40);
      for (const s of day) assert.ok(Math.abs(s.baseLoadW - 1234) < 1, `slot ${new Date(s.startMs).toISOString()}: ${s.baseLoadW} W`);
    } finally {
      own.remove();
    }
    // Without the stored history the same plan follows the standard profile.
    const fresh = tempDir('gp-app-load-fresh-');
    const other = await startApp({ ...opts, clock: new FakeClock(T0), dataDir: fresh.path });
    try {
      await other.cost.service.idle();
      assert.ok(other.cost.service.currentPlan()?.slots.some((s) => Math.abs(s.baseLoadW - 1234) > 50));
    } finally {
      await other.stop();
      fresh.remove();
    }
  });

  it('keeps history as long as the stored configuration says, and prunes nothing by the default first', async () => {
    const clock = new FakeClock(T0);
    const day = 86_400_000;
    const store = await Store.open({ dataDir: dir.path, clock, deferPruning: true });
    await store.saveConfig({ source: 'api', sourceDetail: 'web UI', config: { ...demoSiteConfig(), history: { commandLogDays: 365 } } });
    // A command 100 days old: past the default 90 days, within the site's 365.
    await store.logCommand(commandLogEntries(T0 - 100 * day)(0));
    await store.close();
    const app = await startApp({ ...opts, clock, dataDir: dir.path });
    assert.deepEqual(app.store?.currentRetention(), { minuteDays: 90, quarterDays: 730, commandLogDays: 365, commandLogMaxEntries: 500_000 });
    assert.deepEqual(await app.store?.prune(), { telemetry_1m: 0, telemetry_15m: 0, command_log: 0 });
    assert.equal((await app.store?.queryCommands())?.length, 1);
    await app.stop();
  });

  it('forecasts the PV from the sky its own PV measured before a restart (optimizer.pvForecast persistence)', async () => {
    // Nine days in which the array gave nothing (snow on the panels), stored by an earlier run.
    const firstSlotPvW = async (seedDark: boolean): Promise<number> => {
      const own = tempDir('gp-app-sky-');
      try {
        const clock = new FakeClock(T0 - 9 * 86_400_000);
        const store = await Store.open({ dataDir: own.path, clock });
        await store.saveConfig({ source: 'api', sourceDetail: 'test', config: { ...demoSiteConfig(), optimizer: { pvForecast: 'persistence' } } });
        if (seedDark) {
          for (let t = T0 - 9 * 86_400_000; t < T0; t += 60_000) {
            store.recordSample({ atMs: t, gridW: 500, solarW: 0, solarAvailableW: 0, storageW: 0, socPct: 50, evW: 0, heatPumpW: 0, switchedLoadW: 0, baseLoadW: 500, exportLimitW: 10_000, importLimitW: 17_000 });
          }
        }
        await store.close();
        clock.setNow(T0);
        const app = await startApp({ ...opts, clock, dataDir: own.path });
        try {
          await app.cost.service.idle();
          const slot = app.cost.service.currentPlan()?.slots[0];
          assert.ok(slot, 'a plan');
          return slot.solar.reduce((sum, x) => sum + x.availableW, 0);
        } finally {
          await app.stop();
        }
      } finally {
        own.remove();
      }
    };
    const dark = await firstSlotPvW(true);
    const fresh = await firstSlotPvW(false);
    assert.ok(dark < 100, `the measured dark sky persists: ${dark} W`);
    assert.ok(fresh > 1000, `without a stored sky the climate answers at a June noon: ${fresh} W`);
  });
});
