import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand, type CommandContext } from '../../src/protocol/command.ts';
import { parsePolicy } from '../../src/protocol/policies.ts';
import { DEMO_SERIAL } from '../../src/site/demo-site.ts';
import { MALFORMED, SITE } from '../fixtures/malformed-commands.ts';

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

  for (const c of MALFORMED) {
    it(`rejects ${c.name} with ${c.code}`, () => {
      const r = parseCommand(c.payload(NOW_S), ctx);
      assert.equal(r.ok, false, JSON.stringify(r).slice(0, 300));
      assert.equal(r.code, c.code, JSON.stringify(!r.ok && r.errors).slice(0, 300));
      assert.ok(!r.ok && r.errors.length > 0 && r.errors.every((e) => e.field && e.message));
    });
  }
});
