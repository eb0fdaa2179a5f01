import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CycleRecord } from '../../src/control/controller.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { slotFields } from '../../src/protocol/schedule.ts';
import { DEMO_SERIAL } from '../../src/site/demo-site.ts';
import { HistoryReader } from '../../src/store/queries.ts';
import { startAppUnderTest, type AppUnderTest } from '../helpers/app-harness.ts';
import { publishSchedule, tempDir, until, writeDemoConfig } from '../helpers/schedule-peer.ts';

// Scheduled MQTT control end to end: the real app (embedded broker, controller, store in a data
// directory) on a fake clock, driven over MQTT by an integrator client.

const T0 = Date.UTC(2025, 5, 2, 11, 0, 0);
const storageSetpoint = (w: number) => ({ storage_policy: 'setpoint', storage_power_setpoint_w: w });
const slot = (nowS: number, fromS: number, toS: number, fields: Record<string, unknown>) => ({ start: nowS + fromS, end: nowS + toS, fields });

describe('scheduled control: slots start and end on time', () => {
  const dir = tempDir('gp-sched-');
  let t: AppUnderTest;
  const clock = new FakeClock(T0);
  const records: CycleRecord[] = [];

  before(async () => {
    // A 60 s periodic cycle: only the slot-boundary timer can run a cycle at +90 s and +150 s.
    const configPath = writeDemoConfig(dir.path, { control: { cycleMs: 60_000 } });
    t = await startAppUnderTest({ clock, configPath, dataDir: `${dir.path}/data` });
    t.app.controller.onCycle((r) => records.push(r));
  });
  after(async () => {
    await t.stop();
    dir.remove();
  });

  it('runs a cycle at the slot start and end exactly, with the slot in force in between', async () => {
    const nowS = t.nowS();
    const fb = await publishSchedule(t, { schedule: [slot(nowS, 90, 150, storageSetpoint(2000))] });
    assert.equal(fb.data.response_code, 0);
    assert.deepEqual(fb.data.schedule, { slots: 1, next_start: nowS + 90, active_until: null });
    assert.equal(fb.data.state.storage.active_signal, 'local');

    const startMs = (nowS + 90) * 1000;
    const endMs = (nowS + 150) * 1000;
    clock.setNow(startMs - 1);
    const before = records.length;
    await t.app.controller.trigger();
    assert.equal(records.at(-1)?.resolution.components.storage.source, 'local');
    assert.ok(records.length > before);

    clock.setNow(startMs);
    await until(() => records.some((r) => r.atMs === startMs), 'a cycle at the slot start');
    const atStart = records.find((r) => r.atMs === startMs);
    assert.deepEqual(atStart?.resolution.components.storage, { source: 'schedule', policy: 'setpoint', setpointW: 2000 });
    assert.equal(atStart?.plan.storage.reduce((s, o) => s + (o.powerW ?? 0), 0), 2000);

    const mid = await t.command({});
    assert.equal(mid.data.state.storage.active_signal, 'schedule');
    assert.equal(mid.data.state.storage.executed_policy, 'setpoint');
    assert.equal(mid.data.state.storage.executed_power_W, 2000);
    assert.deepEqual(mid.data.schedule, { slots: 1, next_start: null, active_until: nowS + 150 });

    clock.setNow(endMs);
    await until(() => records.some((r) => r.atMs === endMs), 'a cycle at the slot end');
    const atEnd = records.find((r) => r.atMs === endMs);
    assert.equal(atEnd?.resolution.components.storage.source, 'local');
    assert.equal(atEnd?.resolution.components.storage.policy, 'self_consumption');
    assert.deepEqual((await t.command({})).data.schedule, { slots: 0, next_start: null, active_until: null });
  });
});

describe('scheduled control: priority live > schedule > local default', () => {
  const dir = tempDir('gp-sched-');
  let t: AppUnderTest;
  const clock = new FakeClock(T0);

  before(async () => {
    t = await startAppUnderTest({ clock, fallbackTimeoutS: 30, dataDir: dir.path });
  });
  after(async () => {
    await t.stop();
    dir.remove();
  });

  it('a live command overrides the active slot; the slot takes over at once on fallback', async () => {
    const nowS = t.nowS();
    const fb = await publishSchedule(t, { mode: 'replace', schedule: [slot(nowS, -60, 3600, { ...storageSetpoint(2000), solar_policy: 'setpoint', solar_power_setpoint_w: 1500 })] });
    assert.equal(fb.data.response_code, 0);
    // The slot is active at once: the answer already shows it driving storage and solar.
    assert.equal(fb.data.state.storage.active_signal, 'schedule');
    assert.equal(fb.data.state.storage.executed_power_W, 2000);
    assert.equal(fb.data.state.solar.active_signal, 'schedule');
    // A component the slot does not mention follows its local default.
    assert.equal(fb.data.state.switched_load.active_signal, 'local');

    const live = await t.command(storageSetpoint(-1000));
    assert.equal(live.data.state.storage.active_signal, 'remote');
    assert.equal(live.data.state.storage.executed_power_W, -1000);
    // Rule 1 of live control: solar is not in the live command, so it falls back — to the slot.
    assert.equal(live.data.state.solar.active_signal, 'schedule');

    const back = await t.command({ storage_policy: 'fallback' });
    assert.equal(back.data.state.storage.active_signal, 'schedule');
    assert.equal(back.data.state.storage.executed_policy, 'setpoint');
    assert.equal(back.data.state.storage.executed_power_W, 2000);
  });

  it('the slot takes over when the live command expires (watchdog)', async () => {
    const live = await t.command(storageSetpoint(-1500));
    assert.equal(live.data.state.storage.active_signal, 'remote');
    clock.advance(30_000);
    await until(() => t.app.controller.lastCycle()?.resolution.components.storage.source === 'schedule', 'the schedule after the watchdog');
    const after = await t.command({});
    assert.equal(after.data.state.storage.active_signal, 'schedule');
    assert.equal(after.data.state.storage.executed_power_W, 2000);
  });
});

describe('scheduled control: merge, replace, and rejection as a whole', () => {
  const dir = tempDir('gp-sched-');
  let t: AppUnderTest;
  const clock = new FakeClock(T0);
  const stored = () => t.app.schedules.list().map((s) => [s.startMs / 1000 - t.nowS(), s.endMs / 1000 - t.nowS(), slotFields(s.signals)]);
  const storedOnDisk = () => {
    const r = new HistoryReader(dir.path);
    try {
      return r.schedule().map((s) => [s.startMs / 1000 - t.nowS(), s.endMs / 1000 - t.nowS(), s.fields]);
    } finally {
      r.close();
    }
  };

  before(async () => {
    t = await startAppUnderTest({ clock, dataDir: dir.path });
  });
  after(async () => {
    await t.stop();
    dir.remove();
  });

  it('merge replaces the overlapping stored slots and keeps the rest; replace deletes all first; an empty replace clears', async () => {
    const nowS = t.nowS();
    const q = 900;
    let fb = await publishSchedule(t, { schedule: [0, 1, 2, 3].map((i) => slot(nowS, q * (i + 1), q * (i + 2), storageSetpoint(100 * (i + 1)))) });
    assert.equal(fb.data.response_code, 0);
    assert.equal(fb.data.schedule?.slots, 4);
    // Overlaps the 2nd and 3rd stored slots (partly): both go, whole.
    fb = await publishSchedule(t, { mode: 'merge', schedule: [slot(nowS, 2 * q + 60, 3 * q + 60, storageSetpoint(999))] });
    assert.equal(fb.data.schedule?.slots, 3);
    const expected = [
      [q, 2 * q, { storage_policy: 'setpoint', storage_power_setpoint_w: 100 }],
      [2 * q + 60, 3 * q + 60, { storage_policy: 'setpoint', storage_power_setpoint_w: 999 }],
      [4 * q, 5 * q, { storage_policy: 'setpoint', storage_power_setpoint_w: 400 }],
    ];
    assert.deepEqual(stored(), expected);
    assert.deepEqual(storedOnDisk(), expected);

    fb = await publishSchedule(t, { mode: 'replace', schedule: [slot(nowS, 10 * q, 11 * q, { solar_policy: 'off' })] });
    assert.deepEqual(fb.data.schedule, { slots: 1, next_start: nowS + 10 * q, active_until: null });
    assert.deepEqual(storedOnDisk(), [[10 * q, 11 * q, { solar_policy: 'off' }]]);

    fb = await publishSchedule(t, { mode: 'replace', schedule: [] });
    assert.equal(fb.data.response_code, 0);
    assert.deepEqual(fb.data.schedule, { slots: 0, next_start: null, active_until: null });
    assert.deepEqual(storedOnDisk(), []);
  });

  it('rejects every invalid schedule as a whole with its response_code, leaving the stored schedule unchanged', async () => {
    const nowS = t.nowS();
    const ok = await publishSchedule(t, { mode: 'replace', schedule: Array.from({ length: 1990 }, (_, i) => slot(nowS, 300 * i, 300 * (i + 1), storageSetpoint(i))) });
    assert.equal(ok.data.response_code, 0);
    assert.equal(ok.data.schedule?.slots, 1990);
    const before = stored();
    const beforeOnDisk = storedOnDisk();
    const later = 7 * 86_400 - 3600;
    const cases: Array<[string, Record<string, unknown>, number]> = [
      ['overlapping slots', { schedule: [slot(nowS, later, later + 900, storageSetpoint(1)), slot(nowS, later + 600, later + 1200, storageSetpoint(2))] }, 11],
      ['end before start', { schedule: [slot(nowS, later + 900, later, storageSetpoint(1))] }, 11],
      ['end equal to start', { schedule: [slot(nowS, later, later, storageSetpoint(1))] }, 11],
      ['a device nodeId', { schedule: [slot(nowS, later, later + 900, { [`${DEMO_SERIAL}_storage_0_policy`]: 'off' })] }, 12],
      ['more than 7 days ahead', { schedule: [slot(nowS, later, 7 * 86_400 + 1, storageSetpoint(1))] }, 15],
      ['more than 2,000 slots after merging', { schedule: Array.from({ length: 11 }, (_, i) => slot(nowS, later + 60 * i, later + 60 * (i + 1), storageSetpoint(1))) }, 11],
      ['more than 2,000 slots in one message', { mode: 'replace', schedule: Array.from({ length: 2001 }, (_, i) => slot(nowS, 60 * i, 60 * (i + 1), storageSetpoint(1))) }, 11],
      ['a bad policy', { schedule: [slot(nowS, later, later + 900, { storage_policy: 'turbo' })] }, 13],
      ['a good slot beside a bad one', { schedule: [slot(nowS, later, later + 900, storageSetpoint(5)), slot(nowS, later + 900, later + 1800, { heat_pump_policy: 'turbo' })] }, 13],
      ['an unknown mode', { mode: 'upsert', schedule: [] }, 11],
      ['another site', { extraTags: { nodeId: 'OTHER_site_0' }, schedule: [] }, 14],
      ['an old time', { time: nowS - 3600, schedule: [] }, 15],
    ];
    // The same policies as live control: while this controller says `cost` is unavailable, a slot cannot ask for it either.
    if (t.app.controller.commandContext(clock.now()).unavailablePolicies?.has('cost')) {
      cases.push(['cost while the controller cannot run it', { schedule: [slot(nowS, later, later + 900, { storage_policy: 'cost' })] }, 13]);
    }
    for (const [what, body, code] of cases) {
      const fb = await publishSchedule(t, body);
      assert.equal(fb.data.response_code, code, `${what}: ${JSON.stringify(fb.data.errors)}`);
      assert.ok((fb.data.errors ?? []).length > 0, what);
      assert.deepEqual(fb.data.schedule?.slots, 1990, what);
      assert.deepEqual(stored(), before, what);
    }
    const bad = await publishSchedule(t, { raw: '{"schedule": [' });
    assert.equal(bad.data.response_code, 10);
    assert.deepEqual(storedOnDisk(), beforeOnDisk);

    // Every message is in the command log with the code it was answered with.
    await t.app.store?.flush();
    const log = await t.app.store?.queryCommands({ kind: 'schedule', limit: 50 });
    assert.deepEqual(log?.slice(0, cases.length + 1).map((e) => e.responseCode).reverse(), [...cases.map(([, , c]) => c), 10]);
    assert.equal(log?.[0]?.topic, t.app.info.topics.schedule);
  });
});
