import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCommand, buildSchedule, cmd, unixTimeS, type PolicyOf } from '../../src/client/index.ts';
import { COMPONENTS, type Component } from '../../src/protocol/components.ts';
import { parsePolicy, POLICIES_BY_COMPONENT } from '../../src/protocol/policies.ts';

const SITE = 'OM12404080000000000_site_0';

describe('command builders', () => {
  it('build the contract example byte for byte [live §3]', () => {
    const message = buildCommand({ siteNodeId: SITE, time: 1714652046, fields: cmd().solar.setpoint(5000).storage.setpoint(-5000) });
    assert.equal(
      JSON.stringify(message),
      '{"extraTags":{"nodeId":"OM12404080000000000_site_0"},"time":1714652046,' +
        '"fields":{"solar_policy":"setpoint","solar_power_setpoint_w":5000,"storage_policy":"setpoint","storage_power_setpoint_w":-5000}}',
    );
  });

  it('chain every component, a device and a fallback into one fields object', () => {
    const fields = cmd()
      .storage.setpoint(-5000)
      .solar.setpoint(0)
      .heatPump.powerOn()
      .switchedLoad.powerOff()
      .ev.setpoint(7000)
      .device('OM12404080000000000_storage_1')
      .setpoint(2000)
      .site.limit(0)
      .fallback('variable_power_load')
      .toFields();
    assert.deepEqual(fields, {
      storage_policy: 'setpoint',
      storage_power_setpoint_w: -5000,
      solar_policy: 'setpoint',
      solar_power_setpoint_w: 0,
      heat_pump_policy: 'power_on',
      switched_load_policy: 'power_off',
      variable_power_load_policy: 'fallback',
      OM12404080000000000_storage_1_policy: 'setpoint',
      OM12404080000000000_storage_1_power_setpoint_w: 2000,
      site_policy: 'limit',
      site_power_setpoint_w: 0,
    });
  });

  it('offer every policy of every component with its canonical string [live §3.1]', () => {
    const b = cmd;
    const table: Array<[string, Record<string, unknown>]> = [
      [JSON.stringify(b().solar.setpoint(4000)), { solar_policy: 'setpoint', solar_power_setpoint_w: 4000 }],
      [JSON.stringify(b().solar.feedInLimitation()), { solar_policy: 'feed_in_limitation' }],
      [JSON.stringify(b().solar.cost()), { solar_policy: 'cost' }],
      [JSON.stringify(b().solar.off()), { solar_policy: 'off' }],
      [JSON.stringify(b().solar.fallback()), { solar_policy: 'fallback' }],
      [JSON.stringify(b().storage.setpoint(3000)), { storage_policy: 'setpoint', storage_power_setpoint_w: 3000 }],
      [JSON.stringify(b().storage.cost()), { storage_policy: 'cost' }],
      [JSON.stringify(b().storage.selfConsumption()), { storage_policy: 'self_consumption' }],
      [JSON.stringify(b().storage.off()), { storage_policy: 'off' }],
      [JSON.stringify(b().heatPump.cost()), { heat_pump_policy: 'cost' }],
      [JSON.stringify(b().heatPump.selfConsumption()), { heat_pump_policy: 'self_consumption' }],
      [JSON.stringify(b().heatPump.powerOn()), { heat_pump_policy: 'power_on' }],
      [JSON.stringify(b().heatPump.powerOff()), { heat_pump_policy: 'power_off' }],
      [JSON.stringify(b().switchedLoad.cost()), { switched_load_policy: 'cost' }],
      [JSON.stringify(b().switchedLoad.selfConsumption()), { switched_load_policy: 'self_consumption' }],
      [JSON.stringify(b().switchedLoad.powerOn()), { switched_load_policy: 'power_on' }],
      [JSON.stringify(b().variablePowerLoad.setpoint(11000)), { variable_power_load_policy: 'setpoint', variable_power_load_power_setpoint_w: 11000 }],
      [JSON.stringify(b().variablePowerLoad.cost()), { variable_power_load_policy: 'cost' }],
      [JSON.stringify(b().variablePowerLoad.selfConsumption()), { variable_power_load_policy: 'self_consumption' }],
      [JSON.stringify(b().variablePowerLoad.passive()), { variable_power_load_policy: 'passive' }],
      [JSON.stringify(b().site.limit(0)), { site_policy: 'limit', site_power_setpoint_w: 0 }],
      [JSON.stringify(b().site.default()), { site_policy: 'default' }],
      [JSON.stringify(b().site.fallback()), { site_policy: 'fallback' }],
    ];
    for (const [json, expected] of table) assert.deepEqual(JSON.parse(json), expected);
  });

  it('accept, through set(), exactly the policies the protocol lists per component', () => {
    for (const component of COMPONENTS) {
      for (const policy of [...POLICIES_BY_COMPONENT[component], 'fallback' as const]) {
        const needs = policy === 'setpoint' || policy === 'limit';
        const builder = cmd().policy(component, policy, needs ? 100 : undefined);
        const fields = builder.toFields();
        assert.equal(fields[`${component}_policy`], policy);
        // What the builder writes is what the controller's lenient parser reads back unchanged.
        assert.equal(parsePolicy(component, policy), policy);
      }
    }
    const typed = cmd().set('storage', 'setpoint', -1000).set('heat_pump', 'power_on').set('site', 'default').toFields();
    assert.deepEqual(typed, { storage_policy: 'setpoint', storage_power_setpoint_w: -1000, heat_pump_policy: 'power_on', site_policy: 'default' });
  });

  it('require a number for setpoint policies, at compile time and at run time', () => {
    const compileTimeOnly = (): void => {
      // @ts-expect-error setpoint needs the watts
      cmd().storage.setpoint();
      // @ts-expect-error setpoint needs the watts
      cmd().set('storage', 'setpoint');
      // @ts-expect-error cost takes no setpoint
      cmd().set('storage', 'cost', 5);
      // @ts-expect-error heat pumps have no setpoint policy
      cmd().set('heat_pump', 'setpoint', 5);
      // @ts-expect-error solar has no power_on
      cmd().solar.powerOn();
      // @ts-expect-error a storage device has no passive policy
      cmd().device('x', 'storage').passive();
      const ok: PolicyOf<'site'> = 'limit';
      void ok;
    };
    void compileTimeOnly;
    assert.throws(() => cmd().policy('storage', 'setpoint'), /needs a setpoint/);
    assert.throws(() => cmd().policy('storage', 'cost', 5), /takes no setpoint/);
    assert.throws(() => cmd().storage.setpoint(Number.NaN), RangeError);
    assert.throws(() => cmd().storage.setpoint(Infinity), RangeError);
    assert.throws(() => cmd().solar.setpoint(-1), /solar setpoint must be ≥ 0 W/);
    assert.throws(() => cmd().site.limit(-1), RangeError);
    assert.throws(() => cmd().device('OM_solar_0', 'solar').setpoint(-5), RangeError);
    assert.throws(() => cmd().device(' '), /nodeId/);
    assert.deepEqual(cmd().device('anything').setpoint(-5).toFields(), { anything_policy: 'setpoint', anything_power_setpoint_w: -5 });
  });

  it('keep the last policy when a component is set twice, dropping a stale setpoint', () => {
    assert.deepEqual(cmd().storage.setpoint(5000).storage.cost().toFields(), { storage_policy: 'cost' });
    assert.deepEqual(cmd().storage.cost().fallback('storage', 'solar').toFields(), { storage_policy: 'fallback', solar_policy: 'fallback' });
  });

  it('merge raw fields verbatim, and tell an empty command apart', () => {
    assert.equal(cmd().isEmpty, true);
    assert.deepEqual(cmd().raw({ storage_power_setpoint_w: 'abc' }).toFields(), { storage_power_setpoint_w: 'abc' });
    assert.deepEqual(buildCommand({ siteNodeId: SITE, fields: {}, time: 5 }), { extraTags: { nodeId: SITE }, time: 5, fields: {} });
  });

  it('stamp commands with the current Unix time in seconds by default', () => {
    const before = unixTimeS();
    const message = buildCommand({ siteNodeId: SITE, fields: { storage_policy: 'cost' } });
    assert.ok(message.time >= before && message.time <= before + 1);
    assert.equal(Number.isInteger(message.time), true);
    assert.equal(unixTimeS(1714652046999), 1714652046);
  });

  it('build schedule messages in the scheduled format [scheduled §Message]', () => {
    const message = buildSchedule({
      siteNodeId: SITE,
      time: 1764111600,
      mode: 'merge',
      schedule: [
        { start: 1764115200, end: 1764116100, fields: cmd().storage.setpoint(3000) },
        { start: 1764116100, end: 1764119700, fields: { storage_policy: 'cost', solar_policy: 'feed_in_limitation' } },
      ],
    });
    assert.deepEqual(message, {
      extraTags: { nodeId: SITE },
      time: 1764111600,
      mode: 'merge',
      schedule: [
        { start: 1764115200, end: 1764116100, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: 3000 } },
        { start: 1764116100, end: 1764119700, fields: { storage_policy: 'cost', solar_policy: 'feed_in_limitation' } },
      ],
    });
    assert.equal('mode' in buildSchedule({ siteNodeId: SITE, schedule: [] }), false);
    assert.throws(() => buildSchedule({ siteNodeId: SITE, schedule: [{ start: 10, end: 10, fields: {} }] }), /schedule\[0\]/);
  });

  it('cover every component of the protocol', () => {
    const covered: Component[] = ['solar', 'storage', 'heat_pump', 'switched_load', 'variable_power_load', 'site'];
    assert.deepEqual([...covered].sort(), [...COMPONENTS].sort());
  });
});
