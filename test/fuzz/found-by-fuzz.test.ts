import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GridpilotError } from '../../src/core/errors.ts';
import { numbersOf } from '../../src/devices/drivers/modbus/semantics.ts';
import { NumericPointSchema } from '../../src/devices/drivers/modbus/map-schema.ts';
import { readSampledValues } from '../../src/devices/drivers/ocpp/meter-values.ts';
import { decodeWords } from '../../src/devices/sunspec/point-codec.ts';
import { parseEntsoeDayAheadXml } from '../../src/optimizer/prices/entsoe.ts';

/** The problems the fuzz tests found (test/fuzz/*.test.ts), each pinned by one deterministic case. */
describe('inputs the fuzz tests found mishandled', () => {
  it('a Modbus float32 register holding NaN or infinity fails the read, naming the point, instead of becoming a reading', () => {
    const point = NumericPointSchema.parse({ address: 10, function: 'input', type: 'float32' });
    for (const words of [[0x7fc0, 0], [0x7f80, 0], [0xff80, 0]]) {
      assert.throws(() => numbersOf(new Map([['voltageV[0]', words]]), 'voltageV', [point]), /modbus point voltageV\[0\] \(input 10, float32\): the device answered (NaN|Infinity|-Infinity), not a finite number/);
    }
    assert.deepEqual(numbersOf(new Map([['voltageV[0]', [0x4366, 0x8000]]]), 'voltageV', [point]), [230.5]);
  });

  it('an OCPP sampled value that overflows (1e308 kW, multiplier 400) is skipped, not read as infinity', () => {
    assert.deepEqual(readSampledValues([{ value: 1e308, measurand: 'Power.Active.Import', unit: 'kW' }, { value: 5, measurand: 'Current.Import', phase: 'L1', multiplier: 400 }, { value: 1e308, unit: 'kWh' }]), { powerW: null, currentsA: [null, null, null], energyWh: null });
    assert.equal(readSampledValues([{ value: 7.4, measurand: 'Power.Active.Import', unit: 'kW' }]).powerW, 7400);
  });

  it('a SunSpec float32 of ±infinity reads as not implemented (null), as NaN does', () => {
    assert.equal(decodeWords('float32', [0x7f80, 0]), null);
    assert.equal(decodeWords('float32', [0xff80, 0]), null);
    assert.equal(decodeWords('float32', [0x4366, 0x8000]), 230.5);
  });

  it('an ENTSO-E document nested past the XML parser\'s depth, or with a Period of centuries, is refused with a GridpilotError (not an exception, not out of memory)', () => {
    const deep = `<Publication_MarketDocument>${'<x>'.repeat(1000)}${'</x>'.repeat(1000)}</Publication_MarketDocument>`;
    assert.throws(() => parseEntsoeDayAheadXml(deep, 'deep.xml'), (err: Error) => err instanceof GridpilotError && /deep\.xml: not well-formed XML .*Maximum nested tags exceeded/.test(err.message));
    const long = '<Publication_MarketDocument><type>A44</type><TimeSeries><Period><timeInterval><start>2023-01-01T00:00Z</start><end>9999-12-31T00:00Z</end></timeInterval><resolution>PT15M</resolution><Point><position>1</position><price.amount>1</price.amount></Point></Period></TimeSeries></Publication_MarketDocument>';
    assert.throws(() => parseEntsoeDayAheadXml(long, 'long.xml'), /long\.xml: TimeSeries\[0\]\.Period\[0\]: time interval of \d+ days is longer than the 366 days a document can hold/);
  });
});
