import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/cli/io.ts';
import { componentFromName, describeFields, groupFromNodeId, parseSendArgs, parseWatts } from '../../src/cli/parse-send-args.ts';

const argv = (line: string): string[] => line.split(' ').filter(Boolean);

describe('gridpilot send arguments → command fields', () => {
  const table: Array<[string, Record<string, unknown>]> = [
    ['--storage setpoint 5000 --solar setpoint 0', { storage_policy: 'setpoint', storage_power_setpoint_w: 5000, solar_policy: 'setpoint', solar_power_setpoint_w: 0 }],
    ['--storage setpoint -5000', { storage_policy: 'setpoint', storage_power_setpoint_w: -5000 }],
    ['--storage setpoint -2.5kW', { storage_policy: 'setpoint', storage_power_setpoint_w: -2500 }],
    ['--storage self-consumption', { storage_policy: 'self_consumption' }],
    ['--solar feedInLimit', { solar_policy: 'feed_in_limitation' }],
    ['--solar Cost-Optimisation', { solar_policy: 'cost' }],
    ['--heat-pump power_on', { heat_pump_policy: 'power_on' }],
    ['--heat-pump on', { heat_pump_policy: 'power_on' }],
    ['--switched-load off', { switched_load_policy: 'power_off' }],
    ['--ev setpoint 7000', { variable_power_load_policy: 'setpoint', variable_power_load_power_setpoint_w: 7000 }],
    ['--variable-power-load passive', { variable_power_load_policy: 'passive' }],
    ['--site limit 0', { site_policy: 'limit', site_power_setpoint_w: 0 }],
    ['--site export_limit 3000', { site_policy: 'limit', site_power_setpoint_w: 3000 }],
    ['--site default', { site_policy: 'default' }],
    ['--storage fallback', { storage_policy: 'fallback' }],
    ['--fallback storage --fallback heat-pump --fallback ev', { storage_policy: 'fallback', heat_pump_policy: 'fallback', variable_power_load_policy: 'fallback' }],
    [
      '--device OM12404080000000000_storage_1 setpoint 2000 --device OM12404080000000000_heat_pump_0 on',
      {
        OM12404080000000000_storage_1_policy: 'setpoint',
        OM12404080000000000_storage_1_power_setpoint_w: 2000,
        OM12404080000000000_heat_pump_0_policy: 'power_on',
      },
    ],
    ['--device battery-west setpoint -1000', { 'battery-west_policy': 'setpoint', 'battery-west_power_setpoint_w': -1000 }],
    ['--device relay-7 off', { 'relay-7_policy': 'off' }],
    ['--device relay-7 power-on', { 'relay-7_policy': 'power_on' }],
    ['--fallback OM12404080000000000_solar_0', { OM12404080000000000_solar_0_policy: 'fallback' }],
    ['--empty', {}],
  ];
  for (const [line, expected] of table) {
    it(`reads "${line}"`, () => assert.deepEqual(parseSendArgs(argv(line)), expected));
  }

  it('merges --raw fields verbatim, so a test can send what the controller must refuse', () => {
    assert.deepEqual(parseSendArgs(['--storage', 'cost', '--raw', '{"solar_policy":"bogus","x":true}']), { storage_policy: 'cost', solar_policy: 'bogus', x: true });
    assert.deepEqual(parseSendArgs(['--raw', '{}']), {});
  });

  const refused: Array<[string, RegExp]> = [
    ['', /nothing to send/],
    ['--storage', /--storage: the policy .* is missing/],
    ['--storage setpoint', /setpoint in W .* is missing/],
    ['--storage setpoint lots', /not a number of watts/],
    ['--storage charge 5000', /"charge" is not a policy of storage; expected one of setpoint, cost, self_consumption, off, fallback/],
    ['--storage cost 5000', /takes no setpoint/],
    ['--solar setpoint -1', /solar setpoint must be ≥ 0 W/],
    ['--heat-pump setpoint 5', /not a policy of heat_pump/],
    ['--storage cost --storage off', /controlled twice/],
    ['--empty --storage cost', /--empty cannot be combined/],
    ['--battery cost', /unknown control "--battery"/],
    ['--device OM12404080000000000_solar_0 passive', /not a policy of solar/],
    ['--device --storage cost', /expected a device nodeId/],
    ['--raw [1]', /expected a JSON object/],
    ['--raw {', /not valid JSON/],
  ];
  for (const [line, message] of refused) {
    it(`refuses "${line}"`, () => assert.throws(() => parseSendArgs(argv(line)), (err: unknown) => err instanceof UsageError && message.test(err.message)));
  }

  it('reads watts, component names and default-form device nodeIds', () => {
    assert.equal(parseWatts('5kW'), 5000);
    assert.equal(parseWatts('+300W'), 300);
    assert.equal(parseWatts('-0.5kw'), -500);
    assert.equal(parseWatts('1e3'), 1000);
    assert.equal(parseWatts('five'), null);
    assert.equal(parseWatts('NaN'), null);
    assert.equal(componentFromName('heatPump'), 'heat_pump');
    assert.equal(componentFromName('EV'), 'variable_power_load');
    assert.equal(componentFromName('grid'), null);
    assert.equal(groupFromNodeId('OM12404080000000000_variable_power_load_2'), 'variable_power_load');
    assert.equal(groupFromNodeId('battery-west'), null);
  });

  it('describes fields in one line', () => {
    assert.equal(describeFields({ storage_policy: 'setpoint', storage_power_setpoint_w: 5000, solar_policy: 'setpoint', solar_power_setpoint_w: 0 }), 'storage setpoint +5000 W, solar setpoint 0 W');
    assert.equal(describeFields({}), '(empty: feedback request)');
    assert.equal(describeFields({ x: 1 }), 'x=1');
  });
});
