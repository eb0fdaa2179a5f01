import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModbusDriverSchema, modbusMapKindProblem } from '../../../src/devices/drivers/modbus/config.ts';
import { resolveSiteConfig, type SiteConfig } from '../../../src/site/site-config.ts';
import { tempDirMaker } from '../../helpers/temp-dirs.ts';
import { exampleSite } from './context.ts';

const tempDir = tempDirMaker('gridpilot-modbus-');

const meterDriver = { type: 'modbus', host: '127.0.0.1', mapFile: 'examples/modbus/example-meter.yaml' };
const hr = (address: number, type = 'uint16', extra: Record<string, unknown> = {}) => ({ address, function: 'holding', type, ...extra });

const goodCharger = () => ({
  kind: 'ev_charger',
  registers: {
    connected: hr(0, 'uint16', { trueValues: [1, 2] }),
    charging: hr(0, 'uint16', { trueValues: [2] }),
    powerW: hr(1, 'int32'),
    currentSetpointA: hr(10, 'uint16', { scale: 0.1 }),
  },
});

/** Resolves a site with one device using this driver map; returns the error text ('' when valid). */
function problemsWith(device: Record<string, unknown>, meter: Record<string, unknown> = meterDriver): string {
  try {
    resolveSiteConfig({ serial: 'T1', grid: { importLimitW: 10_000, exportLimitW: 5000, meter: { driver: meter } }, devices: [device] });
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}
const charger = (map: unknown) => ({ group: 'variable_power_load', driver: { type: 'modbus', host: 'h', map } });
const relay = (map: unknown) => ({ group: 'switched_load', ratedPowerW: 1000, driver: { type: 'modbus', host: 'h', map } });

describe('modbus register map: config validation', () => {
  it('accepts the example site snippet and fills in the defaults; mapFile is replaced by the validated map', () => {
    const site: SiteConfig = exampleSite(1502);
    const meter = site.grid.meter.driver;
    assert.equal(meter.type, 'modbus');
    if (meter.type !== 'modbus') return;
    assert.equal(meter.unitId, 1);
    assert.equal(meter.map.kind, 'meter');
    assert.equal('mapFile' in meter, false);
    if (meter.map.kind !== 'meter') return;
    assert.deepEqual(meter.map.registers.energyImportWh, { address: 2, function: 'holding', type: 'uint32', wordOrder: 'little', scale: 100, offset: 0, sign: 'normal' });
    assert.equal(site.devices.length, 2);
    const ev = site.devices[1]?.driver;
    assert.equal(ev?.type === 'modbus' && ev.map.kind === 'ev_charger' && ev.map.watchdogS, 60);
    assert.equal(problemsWith(charger(goodCharger())), '');
  });

  it('parsing a parsed driver config again gives the same config (the driver re-validates what it gets)', () => {
    const once = ModbusDriverSchema.parse(meterDriver);
    assert.deepEqual(ModbusDriverSchema.parse(once), once);
  });

  const bad: Array<[string, () => string, string]> = [
    ['an unknown key in an entry', () => problemsWith(charger({ ...goodCharger(), registers: { ...goodCharger().registers, powerW: hr(1, 'int32', { foo: 1 }) } })), 'devices[0].driver.map.registers.powerW: Unrecognized key: "foo"'],
    ['an unknown semantic', () => problemsWith(charger({ ...goodCharger(), registers: { ...goodCharger().registers, temperatureC: hr(20) } })), 'devices[0].driver.map.registers: Unrecognized key: "temperatureC"'],
    ['an unknown top-level key of the map', () => problemsWith(charger({ ...goodCharger(), byteOrder: 'swap' })), 'devices[0].driver.map: Unrecognized key: "byteOrder"'],
    ['an EV charger without currentSetpointA', () => problemsWith(charger({ kind: 'ev_charger', registers: { connected: goodCharger().registers.connected, powerW: hr(1, 'int32') } })), 'devices[0].driver.map.registers.currentSetpointA: required: currentSetpointA'],
    ['an EV charger without connected', () => problemsWith(charger({ kind: 'ev_charger', registers: { powerW: hr(1, 'int32'), currentSetpointA: hr(10) } })), 'devices[0].driver.map.registers.connected: required: connected'],
    ['an EV charger with neither powerW nor currentsA', () => problemsWith(charger({ kind: 'ev_charger', registers: { connected: goodCharger().registers.connected, currentSetpointA: hr(10) } })), 'devices[0].driver.map.registers.powerW: required: powerW or currentsA'],
    ['a meter without powerW', () => problemsWith(relay({ kind: 'switch', registers: { onOff: { address: 0, function: 'coil' } } }), { type: 'modbus', host: 'h', map: { kind: 'meter', registers: { energyImportWh: hr(0, 'uint32') } } }), 'grid.meter.driver.map.registers.powerW: required: powerW'],
    ['a relay without onOff', () => problemsWith(relay({ kind: 'switch', registers: { powerW: hr(0) } })), 'devices[0].driver.map.registers.onOff: required: onOff'],
    ['a current setpoint on an input register', () => problemsWith(charger({ ...goodCharger(), registers: { ...goodCharger().registers, currentSetpointA: { address: 10, function: 'input', type: 'uint16' } } })), 'devices[0].driver.map.registers.currentSetpointA.function: currentSetpointA is written: it must be a holding register (input registers are read-only)'],
    ['a relay on a discrete input', () => problemsWith(relay({ kind: 'switch', registers: { onOff: { address: 0, function: 'discrete' } } })), 'devices[0].driver.map.registers.onOff.function: onOff is written: it must be a coil or a holding register'],
    ['a power in a coil', () => problemsWith(relay({ kind: 'switch', registers: { onOff: { address: 0, function: 'coil' }, powerW: { address: 1, function: 'coil', type: 'uint16' } } })), 'devices[0].driver.map.registers.powerW.function: powerW is a number: it must be a holding or input register, not a coil'],
    ['a register count that does not match the 32-bit type', () => problemsWith(charger({ ...goodCharger(), registers: { ...goodCharger().registers, powerW: hr(1, 'int32', { count: 1 }) } })), 'devices[0].driver.map.registers.powerW.count: int32 takes 2 registers, count says 1'],
    ['a word order on a 16-bit type', () => problemsWith(charger({ ...goodCharger(), registers: { ...goodCharger().registers, powerW: hr(1, 'int16', { wordOrder: 'little' }) } })), 'devices[0].driver.map.registers.powerW.wordOrder: wordOrder applies to 32- and 64-bit types only'],
    ['overlapping registers', () => problemsWith(charger({ ...goodCharger(), registers: { ...goodCharger().registers, currentsA: [hr(2)] } })), 'devices[0].driver.map.registers.currentsA[0].address: currentsA[0] (holding 2) overlaps powerW (holding 1–2)'],
    ['a 32-bit value running past register 65535', () => problemsWith(charger({ ...goodCharger(), registers: { ...goodCharger().registers, powerW: hr(65_535, 'int32') } })), 'devices[0].driver.map.registers.powerW.address: int32 at 65535 runs past register 65535'],
    ['a status register without trueValues', () => problemsWith(charger({ ...goodCharger(), registers: { ...goodCharger().registers, charging: hr(0) } })), 'devices[0].driver.map.registers.charging: charging in a register needs trueValues'],
    ['pause by enable without an enable register', () => problemsWith(charger({ ...goodCharger(), pause: 'enable' })), 'devices[0].driver.map.pause: pause "enable" needs registers.enable'],
    ['scale 0', () => problemsWith(charger({ ...goodCharger(), registers: { ...goodCharger().registers, powerW: hr(1, 'int32', { scale: 0 }) } })), 'devices[0].driver.map.registers.powerW.scale: scale must not be 0'],
    ['both map and mapFile', () => problemsWith(charger(goodCharger()), { ...meterDriver, map: { kind: 'meter' } }), 'grid.meter.driver.mapFile: give the register map either inline (map) or as a file (mapFile), exactly one'],
    ['neither map nor mapFile', () => problemsWith(charger(goodCharger()), { type: 'modbus', host: 'h' }), 'grid.meter.driver: give the register map either inline (map) or as a file (mapFile), exactly one'],
  ];
  for (const [what, run, expected] of bad) {
    it(`refuses ${what}, with its path`, () => {
      const text = run();
      assert.ok(text.includes(expected), `expected\n  ${expected}\nin\n${text}`);
    });
  }

  it('an error inside a map file names the file and the path inside it', () => {
    const file = join(tempDir(), 'bad-meter.yaml');
    writeFileSync(file, 'kind: meter\nregisters:\n  powerW: { address: 0, function: holding, type: int24 }\n  energyImportWh: { address: 0, function: holding, type: uint32 }\n');
    const text = problemsWith(charger(goodCharger()), { type: 'modbus', host: 'h', mapFile: file });
    assert.match(text, new RegExp(`grid\\.meter\\.driver\\.mapFile: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: registers\\.powerW\\.type: Invalid option`));
  });

  it('a missing or unparsable map file is refused with its name', () => {
    const missing = problemsWith(charger(goodCharger()), { type: 'modbus', host: 'h', mapFile: '/nonexistent/meter.yaml' });
    assert.match(missing, /grid\.meter\.driver\.mapFile: \/nonexistent\/meter\.yaml: ENOENT/);
    const file = join(tempDir(), 'broken.yaml');
    writeFileSync(file, 'kind: meter\nregisters: [unclosed\n');
    assert.match(problemsWith(charger(goodCharger()), { type: 'modbus', host: 'h', mapFile: file }), /broken\.yaml: /);
  });

  it('a shared status register may feed connected and charging; a number may not share a register', () => {
    assert.equal(problemsWith(charger(goodCharger())), '');
    const text = problemsWith(charger({ ...goodCharger(), registers: { ...goodCharger().registers, currentsA: [hr(0)] } }));
    assert.match(text, /registers\.connected\.address: connected \(holding 0\) overlaps currentsA\[0\] \(holding 0\)/);
  });

  it('the kind of a map must fit the device: meter for the grid meter, switch for relays and heat pumps, ev_charger for chargers', () => {
    const ev = ModbusDriverSchema.parse({ type: 'modbus', host: 'h', map: goodCharger() });
    assert.equal(modbusMapKindProblem('variable_power_load', ev), null);
    assert.equal(modbusMapKindProblem('heat_pump', ev), 'a heat_pump device needs a map of kind "switch", this one is "ev_charger"');
    assert.equal(modbusMapKindProblem('grid_meter', ev), 'a grid meter needs a map of kind "meter", this one is "ev_charger"');
    assert.match(modbusMapKindProblem('solar', ev) ?? '', /cannot drive a solar device/);
  });
});
