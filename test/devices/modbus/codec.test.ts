import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBool, decodeNumeric, decodeRaw, encodeRaw } from '../../../src/devices/drivers/modbus/codec.ts';
import { NumericPointSchema, BoolPointSchema } from '../../../src/devices/drivers/modbus/map-schema.ts';
import { planReads } from '../../../src/devices/drivers/modbus/read-plan.ts';

describe('modbus register codec', () => {
  it('decodes every type in both word orders', () => {
    assert.equal(decodeRaw([0xfb2e], 'int16'), -1234);
    assert.equal(decodeRaw([0xfb2e], 'uint16'), 0xfb2e);
    assert.equal(decodeRaw([0xffff, 0xfb2e], 'int32', 'big'), -1234);
    assert.equal(decodeRaw([0xfb2e, 0xffff], 'int32', 'little'), -1234);
    assert.equal(decodeRaw([0xd687, 0x0012], 'uint32', 'little'), 1_234_567);
    assert.equal(decodeRaw([0x4366, 0x8000], 'float32', 'big'), 230.5);
    assert.equal(decodeRaw([0x0000, 0x0000, 0x0001, 0x0000], 'uint64', 'big'), 65_536);
    assert.equal(decodeRaw([0xffff, 0xffff, 0xffff, 0xfffe], 'int64', 'big'), -2);
    assert.equal(decodeRaw([0xfffe, 0xffff, 0xffff, 0xffff], 'int64', 'little'), -2);
  });

  it('encodes back what it decodes, and refuses values the type cannot hold', () => {
    for (const [v, t] of [[-1234, 'int32'], [1_234_567, 'uint32'], [230.5, 'float32'], [-2, 'int64'], [160, 'uint16']] as const) {
      for (const order of ['big', 'little'] as const) assert.equal(decodeRaw(encodeRaw(v, t, order), t, order), v);
    }
    assert.throws(() => encodeRaw(70_000, 'uint16'), /does not fit uint16/);
    assert.throws(() => encodeRaw(-1, 'uint32'), /does not fit uint32/);
    assert.throws(() => encodeRaw(1.5, 'int16'), /not an integer/);
  });

  it('applies scale, then offset, then the sign', () => {
    const p = NumericPointSchema.parse({ address: 0, function: 'holding', type: 'int16', scale: 0.1, offset: 5, sign: 'inverted' });
    assert.equal(decodeNumeric([100], p), -15);
  });

  it('reads yes/no from bits, value sets and single bits', () => {
    assert.equal(decodeBool(true, BoolPointSchema.parse({ address: 0, function: 'coil' })), true);
    assert.equal(decodeBool(true, BoolPointSchema.parse({ address: 0, function: 'coil', trueValues: [0] })), false);
    const status = BoolPointSchema.parse({ address: 0, function: 'holding', trueValues: [1, 2] });
    assert.deepEqual([0, 1, 2, 3].map((v) => decodeBool([v], status)), [false, true, true, false]);
    const bit3 = BoolPointSchema.parse({ address: 0, function: 'input', bit: 3 });
    assert.deepEqual([0b1000, 0b0111].map((v) => decodeBool([v], bit3)), [true, false]);
  });
});

describe('modbus read plan', () => {
  const pt = (label: string, fn: 'holding' | 'input' | 'coil', address: number, width = 1) => ({ label, function: fn, address, width });

  it('joins contiguous points of one table into one request and keeps tables apart', () => {
    const plan = planReads([pt('a', 'holding', 0, 2), pt('b', 'holding', 2, 2), pt('c', 'holding', 4), pt('d', 'input', 5), pt('e', 'coil', 0), pt('f', 'coil', 1)]);
    assert.deepEqual(
      plan.map((r) => [r.function, r.start, r.count, r.points.map((p) => p.label).join()]),
      [['holding', 0, 5, 'a,b,c'], ['input', 5, 1, 'd'], ['coil', 0, 2, 'e,f']],
    );
  });

  it('splits at gaps unless maxGap bridges them, and never exceeds the request size', () => {
    assert.equal(planReads([pt('a', 'holding', 0), pt('b', 'holding', 3)]).length, 2);
    assert.equal(planReads([pt('a', 'holding', 0), pt('b', 'holding', 3)], 125, 2).length, 1);
    const many = Array.from({ length: 300 }, (_, i) => pt(`p${i}`, 'holding', i));
    const plan = planReads(many);
    assert.deepEqual(plan.map((r) => r.count), [125, 125, 50]);
    assert.deepEqual(planReads([pt('a', 'holding', 0, 2), pt('b', 'holding', 2, 2)], 3).map((r) => r.count), [2, 2]);
  });

  it('two points on the same register share one read', () => {
    const plan = planReads([pt('connected', 'holding', 7), pt('charging', 'holding', 7)]);
    assert.deepEqual(plan.map((r) => [r.start, r.count, r.points.length]), [[7, 1, 2]]);
  });
});
