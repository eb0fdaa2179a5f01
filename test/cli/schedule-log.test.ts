import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cmd, schedule, at, clearSchedule } from '../../src/client/index.ts';
import { runLog } from '../../src/cli/commands/log.ts';
import { runScheduleClear, runScheduleSend, runScheduleShow, type ScheduleSendFlags } from '../../src/cli/commands/schedule.ts';
import { memoryIo, UsageError } from '../../src/cli/io.ts';
import { readScheduleFile, slotTimeS } from '../../src/cli/schedule-file.ts';
import { DEMO_SERIAL } from '../../src/site/demo-site.ts';
import { startAppUnderTest, type AppUnderTest } from '../helpers/app-harness.ts';
import { tempDir } from '../helpers/schedule-peer.ts';

const NOW_MS = Date.UTC(2025, 10, 26, 0, 0, 0);
const NOW_S = NOW_MS / 1000;

describe('schedule files', () => {
  it('reads just the slots array, with ISO, relative and Unix times', () => {
    const input = readScheduleFile(
      JSON.stringify([
        { start: 'now', end: '+15m', fields: { storage_policy: 'setpoint', storage_power_setpoint_w: 3000 } },
        { start: '2025-11-26T00:15:00Z', end: NOW_S + 3600, fields: { solar_policy: 'off' } },
        { start: '+1h', end: '+1h30m', fields: {} },
      ]),
      { nowMs: NOW_MS },
    );
    assert.deepEqual(input, {
      schedule: [
        { start: NOW_S, end: NOW_S + 900, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: 3000 } },
        { start: NOW_S + 900, end: NOW_S + 3600, fields: { solar_policy: 'off' } },
        { start: NOW_S + 3600, end: NOW_S + 5400, fields: {} },
      ],
    });
  });

  it('reads a whole message (YAML too), keeping its mode and nodeId; the command line mode wins', () => {
    const yaml = `extraTags: { nodeId: X_site_0 }\ntime: 1\nmode: replace\nschedule:\n  - { start: "+2d", end: "+2d15m", fields: { storage_policy: off } }\n`;
    assert.deepEqual(readScheduleFile(yaml, { nowMs: NOW_MS }), {
      schedule: [{ start: NOW_S + 2 * 86_400, end: NOW_S + 2 * 86_400 + 900, fields: { storage_policy: 'off' } }],
      mode: 'replace',
      extraTags: { nodeId: 'X_site_0' },
    });
    assert.equal(readScheduleFile(yaml, { nowMs: NOW_MS, mode: 'merge' }).mode, 'merge');
  });

  it('names the problem in a bad file', () => {
    assert.throws(() => readScheduleFile('{"schedule": [', { nowMs: NOW_MS, file: 'x.json' }), (e: unknown) => e instanceof UsageError && /x\.json: not valid/.test(e.message));
    assert.throws(() => readScheduleFile('{"slots": []}', { nowMs: NOW_MS }), UsageError);
    assert.throws(() => readScheduleFile('[{"start": "soon", "end": 1, "fields": {}}]', { nowMs: NOW_MS }), /schedule\[0\]\.start: "soon" is not a time/);
    assert.throws(() => readScheduleFile('[{"start": 1, "end": 2}]', { nowMs: NOW_MS }), /schedule\[0\]\.fields/);
    assert.throws(() => readScheduleFile('{"mode": "append", "schedule": []}', { nowMs: NOW_MS }), /mode must be/);
    assert.equal(slotTimeS('-5m', NOW_MS, 'x'), NOW_S - 300);
  });
});

describe('the typed schedule builder (SDK)', () => {
  it('builds slots by start, with the mode, refusing what a controller would', () => {
    const input = schedule()
      .slot(at('2025-11-26T01:00:00Z'), at('2025-11-26T01:15:00Z'), cmd().solar.feedInLimitation())
      .every(NOW_S, 900, [cmd().storage.setpoint(3000), null, cmd().storage.selfConsumption()])
      .replace()
      .build({ time: NOW_S });
    assert.deepEqual(input, {
      mode: 'replace',
      time: NOW_S,
      schedule: [
        { start: NOW_S, end: NOW_S + 900, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: 3000 } },
        { start: NOW_S + 1800, end: NOW_S + 2700, fields: { storage_policy: 'self_consumption' } },
        { start: NOW_S + 3600, end: NOW_S + 4500, fields: { solar_policy: 'feed_in_limitation' } },
      ],
    });
    assert.throws(() => schedule().slot(NOW_S, NOW_S, {}), /must be before end/);
    assert.throws(() => schedule().slotFor(NOW_S, 900, {}).slotFor(NOW_S + 600, 900, {}), /overlaps slot 0/);
    assert.throws(() => schedule().slotFor(NOW_S, 900, cmd().device(`${DEMO_SERIAL}_storage_0`).off()), /not a group-level key/);
    assert.throws(() => schedule().every(NOW_S, 60, Array.from({ length: 2001 }, () => ({}))), /at most 2000/);
    assert.deepEqual(clearSchedule(), { mode: 'replace', schedule: [] });
  });
});

describe('gridpilot schedule and gridpilot log against the real app', () => {
  const dir = tempDir('gp-cli-sched-');
  let t: AppUnderTest;
  let flags: ScheduleSendFlags;

  before(async () => {
    t = await startAppUnderTest({ dataDir: dir.path });
    flags = { broker: t.app.info.brokerUrl, serial: DEMO_SERIAL, mqttVersion: 4, timeout: 5 };
  });
  after(async () => {
    await t.stop();
    dir.remove();
  });

  it('sends a file, shows the stored schedule, clears it, and logs every message with its code', async () => {
    const file = join(dir.path, 'plan.json');
    writeFileSync(file, JSON.stringify([{ start: '-1m', end: '+15m', fields: { storage_policy: 'setpoint', storage_power_setpoint_w: 2500 } }]));
    let io = memoryIo();
    assert.equal(await runScheduleSend(file, flags, io), 0, io.stderr.join('\n'));
    assert.match(io.stdout.join('\n'), /storage +setpoint +executed \+2500 W.*\[schedule\]/);
    assert.match(io.stdout.join('\n'), /schedule +1 slot/);

    io = memoryIo();
    assert.equal(await runScheduleShow({ ...flags, dataDir: dir.path }, io), 0, io.stderr.join('\n'));
    assert.match(io.stdout.join('\n'), /1 slot stored in .*gridpilot\.db:\n.*\n.*active +storage setpoint 2500 W/);

    io = memoryIo();
    assert.equal(await runScheduleShow({ ...flags, dataDir: dir.path, mqtt: true, json: true }, io), 0, io.stderr.join('\n'));
    assert.equal(JSON.parse(io.stdout[0] ?? 'null').slots, 1);

    const bad = join(dir.path, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ start: '+1m', end: '+2m', fields: { storage_policy: 'turbo' } }]));
    io = memoryIo();
    assert.equal(await runScheduleSend(bad, flags, io), 1);
    assert.match(io.stdout.join('\n'), /response_code 13/);

    io = memoryIo();
    assert.equal(await runScheduleClear(flags, io), 0, io.stderr.join('\n'));
    io = memoryIo();
    await runScheduleShow({ ...flags, dataDir: dir.path }, io);
    assert.match(io.stdout.join('\n'), /no schedule stored/);

    io = memoryIo();
    assert.equal(await runLog({ dataDir: dir.path, limit: 10 }, io), 0, io.stderr.join('\n'));
    const out = io.stdout.join('\n');
    const lines = out.split('\n').filter((l) => /^\d{4}-/.test(l));
    assert.equal(lines.length, 4, out);
    assert.match(lines[0] ?? '', /schedule +0 OK +replace, 0 slots/);
    assert.match(lines[1] ?? '', /schedule +13 BAD_POLICY +merge, 1 slot/);
    assert.match(lines[2] ?? '', /command +0 OK +\(empty: feedback request\)/);
    assert.match(lines[3] ?? '', /schedule +0 OK +merge, 1 slot/);
    assert.match(out, /! schedule\.0\.fields\.storage_policy: "turbo" is not a policy of storage/);
    assert.match(out, /→ storage setpoint 2500 W \[schedule\]/);

    io = memoryIo();
    await runLog({ dataDir: dir.path, limit: 10, rejected: true, json: true }, io);
    assert.deepEqual(io.stdout.map((l) => (JSON.parse(l) as { responseCode: number }).responseCode), [13]);
  });

  it('log and show without a store say where they looked', async () => {
    const io = memoryIo();
    assert.equal(await runLog({ dataDir: join(dir.path, 'nowhere'), limit: 5 }, io), 1);
    assert.match(io.stderr.join('\n'), /no gridpilot store at .*nowhere.*gridpilot\.db/);
    const io2 = memoryIo();
    assert.equal(await runScheduleShow({ ...flags, dataDir: join(dir.path, 'nowhere') }, io2), 1);
    assert.match(io2.stderr.join('\n'), /--mqtt/);
  });
});
