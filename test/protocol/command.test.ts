import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand, type CommandContext } from '../../src/protocol/command.ts';
import { parsePolicy } from '../../src/protocol/policies.ts';
import { DEMO_SERIAL } from '../../src/site/demo-site.ts';
import { MALFORMED, MALFORMED_RAW_JSON, SITE } from '../fixtures/malformed-commands.ts';

const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const NOW_S = NOW_MS / 1000;
const ctx: CommandContext = {
  siteNodeId: SITE,
  devices: new Map([
    [`${DEMO_SERIAL}_storage_0`, { group: 'storage', isRemoteEnabled: true }],
    [`${DEMO_SERIAL}_storage_1`, { group: 'storage', isRemoteEnabled: false }],
    [`${DEMO_SERIAL}_solar_0`, { group: 'solar', isRemoteEnabled: true }],
  ]),
  isRemoteEnabled: true,
  nowMs: NOW_MS,
  maxAgeMs: 60_000,
  maxFutureMs: 300_000,
  unavailablePolicies: new Map([['cost', 'not available yet']]),
};
const cmd = (fields: unknown, time: unknown = NOW_S) => JSON.stringify({ extraTags: { nodeId: SITE }, time, fields });

describe('live command parsing', () => {
  it('reads the contract example with the current time', () => {
    const r = parseCommand(cmd({ solar_policy: 'setpoint', solar_power_setpoint_w: 5000, storage_policy: 'setpoint', storage_power_setpoint_w: -5000 }), ctx);
    assert.equal(r.ok, true);
    assert.equal(r.code, 0);
    if (!r.ok) return;
    assert.deepEqual(
      r.signals.map((s) => [s.target.kind === 'component' ? s.target.component : s.target.nodeId, s.policy, s.setpointW]),
      [['solar', 'setpoint', 5000], ['storage', 'setpoint', -5000]],
    );
  });

  it('accepts time as a quoted string and in milliseconds', () => {
    assert.equal(parseCommand(cmd({}, String(NOW_S)), ctx).code, 0);
    assert.equal(parseCommand(cmd({}, NOW_MS), ctx).code, 0);
  });

  it('an empty command is accepted and marked empty', () => {
    const r = parseCommand(cmd({}), ctx);
    assert.ok(r.ok && r.isEmpty);
  });

  it('reads policies leniently and reports canonical strings', () => {
    const cases: Array<[Parameters<typeof parsePolicy>[0], string, string | null]> = [
      ['heat_pump', 'on', 'power_on'],
      ['switched_load', 'OFF', 'power_off'],
      ['solar', 'feedInLimitation', 'feed_in_limitation'],
      ['solar', 'feedin_limitation', 'feed_in_limitation'],
      ['solar', 'feed-in limit', 'feed_in_limitation'],
      ['storage', 'Self Consumption', 'self_consumption'],
      ['storage', 'self_consumption_optimization', 'self_consumption'],
      ['storage', 'cost_optimisation', 'cost'],
      ['site', 'export_limit', 'limit'],
      ['storage', 'off', 'off'],
      ['storage', 'on', null],
      ['variable_power_load', 'passive', 'passive'],
      ['solar', 'FALLBACK', 'fallback'],
    ];
    for (const [component, raw, expected] of cases) assert.equal(parsePolicy(component, raw), expected, `${component} "${raw}"`);
  });

  it('a setpoint without a policy is ignored with code 1', () => {
    const r = parseCommand(cmd({ storage_power_setpoint_w: 3000, solar_policy: 'off' }), ctx);
    assert.equal(r.code, 1);
    assert.ok(r.ok && r.signals.length === 1 && r.warnings[0]?.field === 'fields.storage_power_setpoint_w');
  });

  it('a setpoint given to a policy that ignores it is ignored with code 1', () => {
    const r = parseCommand(cmd({ storage_policy: 'self_consumption', storage_power_setpoint_w: 3000 }), ctx);
    assert.equal(r.code, 1);
    assert.ok(r.ok && r.signals[0]?.setpointW === undefined);
  });

  it('a device left out of the remote signal answers 16', () => {
    const r = parseCommand(cmd({ [`${DEMO_SERIAL}_storage_1_policy`]: 'off' }), ctx);
    assert.equal(r.code, 16);
  });

  it('remote control disabled answers 16', () => {
    assert.equal(parseCommand(cmd({ storage_policy: 'off' }), { ...ctx, isRemoteEnabled: false }).code, 16);
  });

  it('a leading UTF-8 BOM is tolerated [decided]', () => {
    const payload = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(cmd({ storage_policy: 'off' }))]);
    const r = parseCommand(payload, ctx);
    assert.equal(r.code, 0, JSON.stringify(r));
    assert.ok(r.ok && r.signals.length === 1);
    assert.equal(parseCommand(`\uFEFF${cmd({})}`, ctx).code, 0, 'also as text');
  });

  it('__proto__, constructor and prototype are unknown fields (12) wherever they are, named in data.errors', () => {
    const r = parseCommand(`{"extraTags":{"nodeId":"${SITE}"},"time":${NOW_S},"fields":{"__proto__":{"storage_policy":"off"}}}`, ctx);
    assert.ok(!r.ok);
    assert.equal(r.code, 12);
    assert.deepEqual(r.errors.map((e) => e.field), ['fields.__proto__']);
    assert.equal(r.requestTime, NOW_S, 'the answer still echoes the time');
    const deep = parseCommand(`{"extraTags":{"nodeId":"${SITE}","x":[{"constructor":1}]},"time":${NOW_S},"fields":{"prototype":"off","storage_policy":"off"}}`, ctx);
    assert.ok(!deep.ok);
    assert.equal(deep.code, 12);
    assert.deepEqual(deep.errors.map((e) => e.field), ['extraTags.x.0.constructor', 'fields.prototype']);
    // `constructor` as a policy value or a prefix with a suffix is simply unknown, never an Object.prototype lookup.
    assert.equal(parseCommand(cmd({ storage_policy: 'constructor' }), ctx).code, 13);
    assert.equal(parseCommand(cmd({ storage_policy: '__proto__' }), ctx).code, 13);
    assert.equal(parseCommand(cmd({ constructor_policy: 'off' }), ctx).code, 12);
  });

  it('a key given twice is rejected with 11 naming the key (JSON.parse would keep the last silently)', () => {
    const r = parseCommand(`{"extraTags":{"nodeId":"${SITE}"},"time":${NOW_S},"fields":{"storage_policy":"off","solar_policy":"off","storage_policy":"setpoint"}}`, ctx);
    assert.ok(!r.ok);
    assert.equal(r.code, 11);
    assert.deepEqual(r.errors, [{ field: 'fields.storage_policy', message: 'key given twice in one object; send each key once' }]);
    // Escapes are decoded before comparing; the same key in two different objects is fine.
    assert.equal(parseCommand(`{"extraTags":{"nodeId":"${SITE}"},"time":${NOW_S},"fields":{"storage_policy":"off","storage_\u0070olicy":"off"}}`, ctx).code, 11);
    assert.equal(parseCommand(`{"extraTags":{"nodeId":"${SITE}","time":1},"time":${NOW_S},"fields":{"storage_policy":"off","x":"\\"storage_policy\\":"}}`, ctx).code, 12, 'keys inside strings are not keys (x is unknown: 12, not a duplicate)');
  });

  it('a command older than the last one applied is rejected with 15; the same time is accepted unless it is a retained replay', () => {
    const last = { ...ctx, lastAppliedTimeMs: NOW_MS - 2000 };
    const older = parseCommand(cmd({ storage_policy: 'off' }, NOW_S - 3), last);
    assert.equal(older.code, 15);
    assert.ok(!older.ok && /older than the last command applied \(2026-01-15T11:59:58Z\)/.test(older.errors[0]?.message ?? ''));
    assert.equal(parseCommand(cmd({ storage_policy: 'off' }, NOW_S - 2), last).code, 0, 'the same time, live: a burst in one second');
    assert.equal(parseCommand(cmd({ storage_policy: 'off' }, NOW_S - 2), { ...last, isRetained: true }).code, 15, 'the same time, retained: already applied');
    assert.equal(parseCommand(cmd({ storage_policy: 'off' }, NOW_S - 1), { ...last, isRetained: true }).code, 0, 'a newer retained command is applied');
    assert.equal(parseCommand(cmd({ storage_policy: 'off' }, NOW_S - 30), { ...ctx, isRetained: true }).code, 0, 'nothing applied yet: only the age rule');
  });

  for (const c of [...MALFORMED, ...MALFORMED_RAW_JSON]) {
    it(`rejects ${c.name} with ${c.code}`, () => {
      const r = parseCommand(c.payload(NOW_S), ctx);
      assert.equal(r.ok, false, JSON.stringify(r).slice(0, 300));
      assert.equal(r.code, c.code, JSON.stringify(!r.ok && r.errors).slice(0, 300));
      assert.ok(!r.ok && r.errors.length > 0 && r.errors.every((e) => e.field && e.message));
    });
  }
});
