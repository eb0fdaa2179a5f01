import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandContext } from '../../src/protocol/command.ts';
import { parseSchedule, slotFields, MAX_SCHEDULE_SLOTS } from '../../src/protocol/schedule.ts';
import { DEMO_SERIAL } from '../../src/site/demo-site.ts';

const SITE = `${DEMO_SERIAL}_site_0`;
const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const NOW_S = NOW_MS / 1000;
const ctx: CommandContext = {
  siteNodeId: SITE,
  devices: new Map([
    [`${DEMO_SERIAL}_storage_0`, { group: 'storage', isRemoteEnabled: true }],
    [`${DEMO_SERIAL}_solar_0`, { group: 'solar', isRemoteEnabled: true }],
    [`${DEMO_SERIAL}_heat_pump_0`, { group: 'heat_pump', isRemoteEnabled: false }],
  ]),
  isRemoteEnabled: true,
  nowMs: NOW_MS,
  maxAgeMs: 60_000,
  maxFutureMs: 300_000,
  unavailablePolicies: new Map([['cost', 'the cost policy is not available yet']]),
};
const storage = (w: number) => ({ storage_policy: 'setpoint', storage_power_setpoint_w: w });
const msg = (schedule: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ extraTags: { nodeId: SITE }, time: NOW_S, schedule, ...extra });
const slot = (startOffsetS: number, endOffsetS: number, fields: Record<string, unknown> = storage(3000)) => ({ start: NOW_S + startOffsetS, end: NOW_S + endOffsetS, fields });

describe('schedule message parsing [scheduled §Message]', () => {
  it('reads the contract example shape (with current times) and defaults to merge', () => {
    const r = parseSchedule(msg([slot(3600, 4500), slot(4500, 8100, { storage_policy: 'self_consumption', solar_policy: 'feed_in_limitation' })]), ctx);
    assert.equal(r.code, 0);
    assert.ok(r.ok);
    assert.equal(r.mode, 'merge');
    assert.equal(r.requestTime, NOW_S);
    assert.deepEqual(
      r.slots.map((s) => [s.startMs - NOW_MS, s.endMs - NOW_MS, slotFields(s.signals)]),
      [
        [3_600_000, 4_500_000, { storage_policy: 'setpoint', storage_power_setpoint_w: 3000 }],
        [4_500_000, 8_100_000, { storage_policy: 'self_consumption', solar_policy: 'feed_in_limitation' }],
      ],
    );
  });

  it('sorts slots by start, accepts mode replace, aliases and numeric strings like live commands', () => {
    const r = parseSchedule(msg([slot(600, 900, { storage_policy: 'Self Consumption' }), { start: String(NOW_S + 60), end: NOW_S + 600, fields: { solar_policy: 'feedin_limitation' } }], { mode: 'replace' }), ctx);
    assert.ok(r.ok);
    assert.equal(r.mode, 'replace');
    assert.deepEqual(
      r.slots.map((s) => slotFields(s.signals)),
      [{ solar_policy: 'feed_in_limitation' }, { storage_policy: 'self_consumption' }],
    );
  });

  it('an empty replace is valid: it clears the schedule', () => {
    const r = parseSchedule(msg([], { mode: 'replace' }), ctx);
    assert.ok(r.ok && r.slots.length === 0 && r.mode === 'replace');
  });

  it('ignores slots that already ended, with a warning (code 1); a running slot is kept', () => {
    const r = parseSchedule(msg([slot(-7200, -3600), slot(-60, 600)]), ctx);
    assert.ok(r.ok);
    assert.equal(r.code, 1);
    assert.equal(r.slots.length, 1);
    assert.match(r.warnings[0]?.message ?? '', /ended/);
  });

  it('a slot `fallback` means the local default: no signal for that component', () => {
    const r = parseSchedule(msg([slot(0, 600, { storage_policy: 'fallback', solar_policy: 'off' })]), ctx);
    assert.ok(r.ok);
    assert.deepEqual(slotFields(r.slots[0]?.signals ?? []), { solar_policy: 'off' });
  });

  const rejections: Array<[string, string, number, RegExp]> = [
    ['not JSON', '{"schedule": [', 10, /not valid JSON/],
    ['an array', '[]', 10, /expected a JSON object/],
    ['schedule missing', JSON.stringify({ extraTags: { nodeId: SITE }, time: NOW_S }), 11, /schedule/],
    ['a slot without fields', msg([{ start: NOW_S, end: NOW_S + 60 }]), 11, /fields/],
    ['start not a number', msg([{ start: 'soon', end: NOW_S + 60, fields: {} }]), 11, /start.*finite/],
    ['end before start', msg([slot(600, 300)]), 11, /must be after start/],
    ['end equal to start', msg([slot(600, 600)]), 11, /must be after start/],
    ['overlapping slots', msg([slot(0, 900), slot(600, 1200)]), 11, /overlaps/],
    ['an unknown mode', msg([slot(0, 60)], { mode: 'append' }), 11, /merge.*replace/],
    ['a device nodeId', msg([slot(0, 60, { [`${DEMO_SERIAL}_storage_0_policy`]: 'setpoint', [`${DEMO_SERIAL}_storage_0_power_setpoint_w`]: 100 })]), 12, /device nodeId/],
    ['an unknown component', msg([slot(0, 60, { boiler_policy: 'on' })]), 12, /neither a component/],
    ['a bad policy', msg([slot(0, 60, { storage_policy: 'turbo' })]), 13, /not a policy of storage/],
    ['cost while unavailable', msg([slot(0, 60, { storage_policy: 'cost' })]), 13, /not available/],
    ['setpoint without its value', msg([slot(0, 60, { storage_policy: 'setpoint' })]), 13, /needs storage_power_setpoint_w/],
    ['another site', JSON.stringify({ extraTags: { nodeId: 'X_site_0' }, time: NOW_S, schedule: [] }), 14, /not this controller's site/],
    ['an old time', JSON.stringify({ extraTags: { nodeId: SITE }, time: NOW_S - 3600, schedule: [] }), 15, /old/],
    ['beyond 7 days', msg([slot(0, 7 * 86_400 + 1)]), 15, /horizon/],
    ['a disabled group', msg([slot(0, 60, { heat_pump_policy: 'on' })]), 16, /remote signal/],
  ];
  for (const [what, payload, code, message] of rejections) {
    it(`rejects ${what} as a whole with ${code}`, () => {
      const r = parseSchedule(payload, ctx);
      assert.equal(r.ok, false);
      assert.equal(r.code, code);
      assert.ok(!r.ok && r.errors.some((e) => message.test(`${e.field}: ${e.message}`)), JSON.stringify(r));
    });
  }

  it('a slot ending exactly at the 7-day horizon is accepted', () => {
    assert.equal(parseSchedule(msg([slot(0, 7 * 86_400)]), ctx).code, 0);
  });

  it(`rejects more than ${MAX_SCHEDULE_SLOTS} slots in one message with 11`, () => {
    const many = Array.from({ length: MAX_SCHEDULE_SLOTS + 1 }, (_, i) => slot(i * 60, i * 60 + 60));
    const r = parseSchedule(msg(many), ctx);
    assert.equal(r.code, 11);
  });

  it('accepts exactly 2,000 quarter-hour-ish slots in one message', () => {
    const many = Array.from({ length: MAX_SCHEDULE_SLOTS }, (_, i) => slot(i * 300, i * 300 + 300));
    const r = parseSchedule(msg(many), ctx);
    assert.equal(r.code, 0);
    assert.ok(r.ok && r.slots.length === MAX_SCHEDULE_SLOTS);
  });

  it('lists every problem, answering with the most basic code', () => {
    const r = parseSchedule(msg([slot(0, 60, { storage_policy: 'turbo' }), slot(120, 60), slot(0, 60, { x_policy: 'on' })]), ctx);
    assert.equal(r.code, 11);
    assert.ok(!r.ok && r.errors.length >= 3);
  });

  it('a slot with __proto__, constructor or prototype in its fields is an unknown field (12), not an empty slot to store', () => {
    const text = `{"extraTags":{"nodeId":"${SITE}"},"time":${NOW_S},"schedule":[{"start":${NOW_S + 60},"end":${NOW_S + 960},"fields":{"__proto__":{"storage_policy":"off"}}}]}`;
    const r = parseSchedule(text, ctx);
    assert.ok(!r.ok, 'refused, so nothing is stored');
    assert.equal(r.code, 12);
    assert.deepEqual(r.errors.map((e) => e.field), ['schedule.0.fields.__proto__']);
    assert.equal(r.requestTime, NOW_S);
    const slotKey = parseSchedule(`{"extraTags":{"nodeId":"${SITE}"},"time":${NOW_S},"schedule":[{"start":${NOW_S + 60},"end":${NOW_S + 960},"fields":{},"constructor":1}]}`, ctx);
    assert.equal(slotKey.code, 12, 'a reserved slot key too (other unknown slot keys are only warnings)');
  });

  it('a slot key given twice is refused with 11 naming it; a BOM before the message is tolerated', () => {
    const r = parseSchedule(`{"extraTags":{"nodeId":"${SITE}"},"time":${NOW_S},"schedule":[{"start":${NOW_S + 60},"end":${NOW_S + 960},"end":${NOW_S + 60},"fields":{}}]}`, ctx);
    assert.ok(!r.ok);
    assert.equal(r.code, 11);
    assert.deepEqual(r.errors.map((e) => e.field), ['schedule.0.end']);
    assert.equal(parseSchedule(`\uFEFF${msg([slot(60, 960)])}`, ctx).code, 0);
  });
});
