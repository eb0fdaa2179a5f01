import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { FakeClock } from '../../src/core/clock.ts';
import { RESPONSE_CODE_MEANING } from '../../src/protocol/response-codes.ts';
import { Store } from '../../src/store/store.ts';
import type { TelemetrySample } from '../../src/store/telemetry.ts';
import type { EnergyToday } from '../../src/web/energy-today.ts';
import type { CommandsAnswer, HistoryAnswer, ScheduleAnswer } from '../../src/web/history-routes.ts';
import { publishSchedule, tempDir } from '../helpers/schedule-peer.ts';
import { startWebUnderTest, type WebUnderTest } from './web-harness.ts';

// The read-only pages' API on the real app (embedded broker, store in a data directory, fake
// clock at 10:00 in Brussels), over real HTTP. The store is seeded before the app starts with one
// sample per second: yesterday exporting 2 kW, today since midnight importing 1 kW with solar,
// a charging battery and an EV.

const H = 3_600_000;
/** 2025-06-02 10:00 Europe/Brussels (CEST, UTC+2). */
const T0 = Date.UTC(2025, 5, 2, 8, 0, 0);
const MIDNIGHT = T0 - 10 * H;
const YESTERDAY = MIDNIGHT - 24 * H;
const BEFORE = YESTERDAY - 24 * H;

function sample(atMs: number, isToday: boolean): TelemetrySample {
  return {
    atMs,
    gridW: isToday ? 1000 : -2000,
    solarW: isToday ? 3000 : 4000,
    solarAvailableW: 4000,
    storageW: isToday ? 500 : -300,
    socPct: 20 + (60 * (atMs - BEFORE)) / (58 * H),
    evW: isToday ? 1500 : 0,
    heatPumpW: 0,
    switchedLoadW: 0,
    baseLoadW: 1000,
    exportLimitW: 20_000,
    importLimitW: 25_000,
  };
}

describe('GET /api/history, /api/energy/today, /api/commands and /api/schedule on the real app', () => {
  const dir = tempDir('gp-history-');
  const clock = new FakeClock(T0);
  let w: WebUnderTest;

  before(async () => {
    const seed = await Store.open({ dataDir: dir.path, clock: new FakeClock(BEFORE) });
    for (let at = BEFORE; at < T0; at += 1000) seed.recordSample(sample(at, at >= MIDNIGHT));
    await seed.close();
    // The day before yesterday is past its 1-minute retention: only its 15-minute rows are left.
    const db = new Database(`${dir.path}/gridpilot.db`);
    db.prepare('DELETE FROM telemetry_1m WHERE bucket_ms < ?').run(YESTERDAY);
    db.close();
    w = await startWebUnderTest({}, { clock, dataDir: dir.path });
  });
  after(async () => {
    await w?.stop();
    dir.remove();
  });

  it("today's energy integrates the stored minutes since local midnight in the site's time zone", async () => {
    const r = await w.http<EnergyToday>('GET', '/api/energy/today');
    assert.equal(r.status, 200, r.text);
    const e = r.json;
    assert.equal(e.timeZone, 'Europe/Brussels');
    assert.equal(e.day, '2025-06-02');
    assert.equal(e.fromMs, MIDNIGHT);
    assert.equal(e.toMs, T0);
    assert.equal(e.coveredMs, 10 * H);
    const near = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) < 1e-6, `${what}: ${got} Wh, expected ${want}`);
    near(e.gridImportedWh, 10_000, 'imported');
    near(e.gridExportedWh, 0, 'exported (yesterday exported, not today)');
    near(e.solarWh, 30_000, 'solar');
    near(e.batteryChargedWh, 5000, 'battery in');
    near(e.batteryDischargedWh, 0, 'battery out');
    near(e.evWh, 15_000, 'EV');
  });

  it('history of yesterday comes in 1-minute points with the prices the planner knows, through the tariff', async () => {
    const r = await w.http<HistoryAnswer>('GET', `/api/history?from=${YESTERDAY}&to=${MIDNIGHT}`);
    assert.equal(r.status, 200, r.text);
    const h = r.json;
    assert.equal(h.resolution, '1m');
    assert.equal(h.timeZone, 'Europe/Brussels');
    assert.equal(h.atMs.length, 24 * 60);
    assert.equal(h.atMs[0], YESTERDAY);
    assert.ok(h.values.grid_w.every((v) => v === -2000), 'yesterday exported 2 kW all day');
    assert.ok(h.samples.every((n) => n === 60));
    const soc = h.values.soc_pct;
    assert.ok((soc[0] ?? 0) < (soc[soc.length - 1] ?? 0), 'SoC rises over the day');
    assert.equal(h.pricesError, null);
    assert.ok(h.prices, 'the bundled prices cover yesterday');
    assert.ok(h.prices.startMs <= YESTERDAY && h.prices.startMs + h.prices.slotMs * h.prices.spotEurPerMwh.length >= MIDNIGHT);
    h.prices.spotEurPerMwh.forEach((spot, i) => {
      assert.ok(Math.abs((h.prices?.importEurPerKwh[i] ?? NaN) - (spot / 1000 + 0.12)) < 1e-9, 'offtake = spot + 0.12 €/kWh (the default tariff)');
      assert.ok(Math.abs((h.prices?.exportEurPerKwh[i] ?? NaN) - (spot / 1000 - 0.01)) < 1e-9, 'injection = spot − 0.01 €/kWh');
    });

    const iso = await w.http<HistoryAnswer>('GET', '/api/history?from=2025-06-01T00:00:00%2B02:00&to=2025-06-01T01:00:00%2B02:00&resolution=15m');
    assert.equal(iso.status, 200, iso.text);
    assert.deepEqual(iso.json.atMs, [0, 1, 2, 3].map((q) => YESTERDAY + q * 900_000));
  });

  it('a day past the 1-minute retention comes in its 15-minute averages', async () => {
    const r = await w.http<HistoryAnswer>('GET', `/api/history?from=${BEFORE}&to=${YESTERDAY}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.resolution, '15m');
    assert.equal(r.json.atMs.length, 96);
    assert.ok(r.json.values.grid_w.every((v) => v === -2000));
  });

  it('bad history queries get a 400 naming the parameter, and change nothing', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['', 'query.from', /expected string|Invalid input/i],
      [`?from=${YESTERDAY}`, 'query.to', /./],
      [`?from=yesterday&to=${T0}`, 'query.from', /not an instant/],
      [`?from=${T0}&to=${YESTERDAY}`, 'query.to', /after from/],
      [`?from=${T0 - 40 * 24 * H}&to=${T0}`, 'query.to', /at most 32 days/],
      [`?from=${YESTERDAY}&to=${T0}&resolution=cycle`, 'query.resolution', /cycle covers at most 1 h/],
      [`?from=${YESTERDAY}&to=${T0}&resolution=5m`, 'query.resolution', /./],
      [`?from=${YESTERDAY}&to=${T0}&form=1`, 'query.form', /unknown parameter/],
      [`?from=${YESTERDAY}&from=${T0}&to=${T0}`, 'query.from', /more than once/],
    ];
    for (const [query, path, message] of cases) {
      const r = await w.http('GET', `/api/history${query}`);
      assert.equal(r.status, 400, `${query}: ${r.text}`);
      const detail = r.json.details.find((d) => d.path === path);
      assert.ok(detail, `${query}: names ${path} (${r.text})`);
      assert.match(detail.message, message, query);
      assert.match(r.json.error, /^bad query for GET \/api\/history: /);
    }
  });

  it('the command log lists MQTT and web commands newest first with the meaning of their codes, filters them, and pages back', async () => {
    const ok = await w.t.command({ storage_policy: 'setpoint', storage_power_setpoint_w: 2000 });
    assert.equal(ok.data.response_code, 0);
    clock.advance(1000);
    const bad = await w.t.command({ storage_policy: 'warp_drive' });
    assert.ok(bad.data.response_code >= 10);
    clock.advance(1000);
    const web = await w.http('POST', '/api/command', { storage_policy: 'fallback' });
    assert.equal(web.status, 200, web.text);
    const webId = web.headers.get('x-command-id');
    clock.advance(1000);
    await publishSchedule(w.t, { schedule: [] });

    const all = await w.http<CommandsAnswer>('GET', '/api/commands');
    assert.equal(all.status, 200, all.text);
    assert.equal(all.json.timeZone, 'Europe/Brussels');
    assert.deepEqual(all.json.rows.map((r) => [r.kind, r.source, r.responseCode]), [
      ['schedule', 'mqtt', 0],
      ['command', 'web', 0],
      ['command', 'mqtt', bad.data.response_code],
      ['command', 'mqtt', 0],
    ]);
    assert.equal(all.json.rows[2]?.responseMeaning.length !== 0, true);
    assert.match(all.json.rows[2]?.errors.map((e) => `${e.field}: ${e.message}`).join() ?? '', /storage_policy/);
    assert.equal(all.json.rows[0]?.responseMeaning, RESPONSE_CODE_MEANING[0]);
    assert.equal(all.json.next, null);

    const get = async (q: string) => {
      const r = await w.http<CommandsAnswer>('GET', `/api/commands${q}`);
      assert.equal(r.status, 200, `${q}: ${r.text}`);
      return r.json;
    };
    assert.deepEqual((await get('?rejected=true')).rows.map((r) => r.responseCode), [bad.data.response_code]);
    assert.deepEqual((await get('?source=web')).rows.map((r) => r.commandId), [webId]);
    assert.equal((await get('?source=mqtt')).rows.length, 3);
    assert.deepEqual((await get('?kind=schedule')).rows.map((r) => r.kind), ['schedule']);
    assert.deepEqual((await get(`?commandId=${webId}`)).rows.map((r) => r.source), ['web']);

    // Pages of one, back to the first command; the cursor neither skips nor repeats.
    const seen: number[] = [];
    let page = await get('?limit=1');
    for (;;) {
      seen.push(...page.rows.map((r) => r.id));
      if (!page.next) break;
      page = await get(`?limit=1&before=${page.next}`);
    }
    assert.deepEqual(seen, all.json.rows.map((r) => r.id));
  });

  it('bad command-log queries get a 400 naming the parameter', async () => {
    const cases: Array<[string, string]> = [
      ['?kind=email', 'query.kind'],
      ['?source=carrier-pigeon', 'query.source'],
      ['?rejected=maybe', 'query.rejected'],
      ['?limit=0', 'query.limit'],
      ['?limit=201', 'query.limit'],
      ['?limit=ten', 'query.limit'],
      ['?before=yesterday', 'query.before'],
      ['?page=2', 'query.page'],
    ];
    for (const [query, path] of cases) {
      const r = await w.http('GET', `/api/commands${query}`);
      assert.equal(r.status, 400, `${query}: ${r.text}`);
      assert.ok(r.json.details.some((d) => d.path === path), `${query} names ${path}: ${r.text}`);
    }
  });

  it('the schedule lists the stored slots with the active one marked', async () => {
    const nowS = Math.floor(clock.now() / 1000);
    const fb = await publishSchedule(w.t, {
      mode: 'replace',
      schedule: [
        { start: nowS - 600, end: nowS + 1800, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: 1500 } },
        { start: nowS + 3600, end: nowS + 7200, fields: { solar_policy: 'off' } },
      ],
    });
    assert.equal(fb.data.response_code, 0, JSON.stringify(fb.data.errors));
    const r = await w.http<ScheduleAnswer>('GET', '/api/schedule');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.timeZone, 'Europe/Brussels');
    assert.equal(r.json.nowMs, clock.now());
    assert.deepEqual(r.json.summary, { slots: 2, next_start: nowS + 3600, active_until: nowS + 1800 });
    assert.deepEqual(
      r.json.slots.map((s) => [s.startMs / 1000 - nowS, s.endMs / 1000 - nowS, s.isActive, s.fields.storage_policy ?? s.fields.solar_policy]),
      [
        [-600, 1800, true, 'setpoint'],
        [3600, 7200, false, 'off'],
      ],
    );
    assert.equal((await w.http('GET', '/api/schedule?day=tomorrow')).status, 400);
    assert.equal((await publishSchedule(w.t, { mode: 'replace', schedule: [] })).data.response_code, 0);
  });

  it('a device command shows in its group: the group stays local but names the remote device', async () => {
    const before = await w.state();
    assert.deepEqual(before.groups.storage, { remoteDeviceIds: [], isAnyRemote: false });
    const fb = await w.t.command({ OM12404080000000000_storage_0_policy: 'setpoint', OM12404080000000000_storage_0_power_setpoint_w: 1000 });
    assert.equal(fb.data.response_code, 0, JSON.stringify(fb.data.errors));
    const s = await w.state();
    assert.equal(s.signals.storage.activeSignal, 'local', 'no group command');
    assert.deepEqual(s.groups.storage, { remoteDeviceIds: ['OM12404080000000000_storage_0'], isAnyRemote: true });
    assert.deepEqual(s.groups.solar, { remoteDeviceIds: [], isAnyRemote: false });
    assert.equal(s.isRemoteActive, true);
    const group = await w.t.command({ solar_policy: 'off' });
    assert.equal(group.data.response_code, 0);
    const s2 = await w.state();
    assert.deepEqual(s2.groups.solar, { remoteDeviceIds: ['OM12404080000000000_solar_0'], isAnyRemote: true }, 'a group command drives its devices too');
    assert.deepEqual(s2.groups.storage, { remoteDeviceIds: [], isAnyRemote: false }, 'the new command replaced the device command');
  });
});

describe('without a data directory', () => {
  let w: WebUnderTest;
  before(async () => {
    w = await startWebUnderTest();
  });
  after(async () => {
    await w?.stop();
  });

  it('history, energy and the command log answer 404 saying they need the store; the schedule is empty', async () => {
    for (const path of ['/api/history?from=0&to=1000', '/api/energy/today', '/api/commands']) {
      const r = await w.http('GET', path);
      assert.equal(r.status, 404, path);
      assert.match(r.json.error, /needs the store: start gridpilot with a data directory/);
    }
    const s = await w.http<ScheduleAnswer>('GET', '/api/schedule');
    assert.equal(s.status, 200);
    assert.deepEqual(s.json.slots, []);
  });

  it('serves uPlot and its licence from this server', async () => {
    const js = await w.http('GET', '/vendor/uplot/uPlot.iife.min.js');
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.match(js.text, /uPlot/);
    const css = await w.http('GET', '/vendor/uplot/uPlot.min.css');
    assert.match(css.headers.get('content-type') ?? '', /text\/css/);
    assert.match((await w.http('GET', '/vendor/uplot/LICENSE')).text, /MIT|Permission is hereby granted/);
  });
});
