import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadModelDefinition, MODELS_DIR } from '../../../src/devices/sunspec/model-definition.ts';
import { ModelBlock, applyScale, encodeWrites } from '../../../src/devices/sunspec/model-block.ts';
import { ModelImage } from '../../../src/devices/sunspec/model-image.ts';
import { layoutForRead, layoutModel, pointAt } from '../../../src/devices/sunspec/model-layout.ts';
import { decodeRegisters, decodeWords, encodeWords, notImplementedWords, type PointType } from '../../../src/devices/sunspec/point-codec.ts';

const offsetOf = (id: number, path: string, opts = {}) => pointAt(layoutModel(loadModelDefinition(id), opts), path).offset;

test('offsets are the running sum of the point sizes in the official JSON, from the ID register', () => {
  // Independent of our layout code: sum the sizes in the file by hand.
  const json = JSON.parse(readFileSync(new URL('model_123.json', MODELS_DIR), 'utf8')) as { group: { points: { name: string; size: number }[] } };
  let expected = 0;
  for (const p of json.group.points) {
    if (p.name === 'WMaxLimPct') break;
    expected += p.size;
  }
  assert.equal(expected, 5);
  assert.equal(offsetOf(123, 'WMaxLimPct'), 5);
  assert.equal(offsetOf(123, 'WMaxLimPct_RvrtTms'), 7);
  assert.equal(offsetOf(123, 'WMaxLim_Ena'), 9);
  assert.equal(offsetOf(123, 'WMaxLimPct_SF'), 23);
  assert.equal(layoutModel(loadModelDefinition(123)).lengthRegs, 24);
  assert.equal(offsetOf(103, 'W'), 14);
  assert.equal(offsetOf(103, 'WH'), 24);
  assert.equal(layoutModel(loadModelDefinition(103)).lengthRegs, 50);
  assert.equal(layoutModel(loadModelDefinition(1)).lengthRegs, 66);
  assert.equal(offsetOf(124, 'InOutWRte_RvrtTms'), 15);
  assert.equal(layoutModel(loadModelDefinition(203)).lengthRegs, 105);
});

test('model 704: nested groups follow the top-level points, and the length is the JSON L (65)', () => {
  const layout = layoutModel(loadModelDefinition(704));
  assert.equal(layout.lengthRegs, 65);
  assert.equal(pointAt(layout, 'WMaxLimPctEna').offset, 14);
  assert.equal(pointAt(layout, 'WMaxLimPct').offset, 15);
  assert.equal(pointAt(layout, 'WMaxLimPctRvrtTms').offset, 18);
  // 704's top-level points end with VarSetPct_SF at 58; the four 2-register groups fill 59..66.
  assert.equal(pointAt(layout, 'VarSetPct_SF').offset, 58);
  assert.equal(pointAt(layout, 'PFWInj.PF').offset, 59);
  assert.equal(pointAt(layout, 'PFWInj.Ext').offset, 60);
  assert.equal(pointAt(layout, 'PFWAbs.PF').offset, 63);
  assert.equal(pointAt(layout, 'PFWAbsRvrt.Ext').offset, 2 + 65 - 1);
  assert.equal(pointAt(layout, 'PFWInj.PF').sf, 'PF_SF', 'scale factor resolved in the enclosing group');
});

test('model 160: the count-0 module group repeats as often as the length allows', () => {
  const def = loadModelDefinition(160);
  const layout = layoutModel(def, { lengthRegs: 8 + 2 * 20 });
  assert.equal(layout.repeats.get('module'), 2);
  assert.equal(pointAt(layout, 'module[0].ID').offset, 10);
  assert.equal(pointAt(layout, 'module[1].DCW').offset, 10 + 20 + 11);
  assert.equal(pointAt(layout, 'module[1].DCW').sf, 'DCW_SF');
  assert.equal(layoutModel(def, { lengthRegs: 8 }).repeats.get('module'), 0);
  const image = new ModelImage(160, { module: 3 });
  assert.equal(image.layout.lengthRegs, 8 + 3 * 20);
});

test('model 803: a group counted by a point (NStr) needs that point read', () => {
  const def = loadModelDefinition(803);
  assert.throws(() => layoutModel(def), /NStr must be read first/);
  const image = new ModelImage(803, { string: 2 });
  image.set('NStr', 2);
  const layout = layoutModel(def, { words: image.words, lengthRegs: image.layout.lengthRegs });
  assert.equal(layout.repeats.get('string'), 2);
  assert.ok(layout.points.has('string[1].StrSoC'));
});

test('point types decode negative values and their not-implemented markers', () => {
  assert.equal(decodeWords('int16', [0xfc18]), -1000);
  assert.equal(decodeWords('int16', [0x8000]), null);
  assert.equal(decodeWords('uint16', [0xffff]), null);
  assert.equal(decodeWords('sunssf', [0xfffe]), -2);
  assert.equal(decodeWords('int32', [0xffff, 0xfffe]), -2);
  assert.equal(decodeWords('int32', [0x8000, 0]), null);
  assert.equal(decodeWords('uint32', [0xffff, 0xffff]), null);
  assert.equal(decodeWords('acc32', [0, 0]), null);
  assert.equal(decodeWords('acc32', [1, 2]), 65538);
  assert.equal(decodeWords('acc64', [0, 0, 1, 0]), 65536);
  assert.equal(decodeWords('enum16', [0xffff]), null);
  assert.equal(decodeWords('bitfield32', [0xffff, 0xffff]), null);
  assert.equal(decodeWords('string', [0x6772, 0x6964, 0, 0]), 'grid');
  assert.equal(decodeWords('string', [0, 0]), null);
  assert.deepEqual(encodeWords('int16', 1, -1000, 'W'), [0xfc18]);
  assert.deepEqual(encodeWords('int32', 2, -2, 'WSet'), [0xffff, 0xfffe]);
  assert.throws(() => encodeWords('int16', 1, -32768, 'W'), /not implemented/);
  assert.throws(() => encodeWords('uint16', 1, 70000, 'WMaxLimPct'), /does not fit/);
  assert.deepEqual(notImplementedWords('uint32', 2), [0xffff, 0xffff]);
});

test('16- and 32-bit integer points (decoded without BigInt) agree with two\'s complement and the markers, for any registers, at any offset', () => {
  // Reference: the registers as one unsigned integer, signed types two's complement [SunSpec §6].
  const markers: Partial<Record<PointType, number>> = { int16: 0x8000, sunssf: 0x8000, pad: 0x8000, uint16: 0xffff, enum16: 0xffff, bitfield16: 0xffff, raw16: 0xffff, acc16: 0, acc32: 0, int32: 0x8000_0000, uint32: 0xffff_ffff, enum32: 0xffff_ffff, bitfield32: 0xffff_ffff, ipaddr: 0 };
  const signed = new Set<PointType>(['int16', 'sunssf', 'int32']);
  const types: Array<[PointType, 1 | 2]> = [['int16', 1], ['sunssf', 1], ['pad', 1], ['uint16', 1], ['enum16', 1], ['bitfield16', 1], ['raw16', 1], ['acc16', 1], ['count', 1], ['int32', 2], ['uint32', 2], ['acc32', 2], ['enum32', 2], ['bitfield32', 2], ['ipaddr', 2]];
  fc.assert(
    fc.property(fc.constantFrom(...types), fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 2, maxLength: 2 }), fc.nat(3), ([type, size], regs, at) => {
      const words = regs.slice(0, size);
      const u = size === 1 ? (words[0] ?? 0) : (words[0] ?? 0) * 65536 + (words[1] ?? 0);
      const expected = u === markers[type] ? null : signed.has(type) && u >= 2 ** (16 * size - 1) ? u - 2 ** (16 * size) : u;
      assert.equal(decodeWords(type, words), expected);
      assert.equal(decodeRegisters(type, [...new Array<number>(at).fill(7), ...words, 9], at, size), expected);
      if (expected !== null && type !== 'pad') assert.deepEqual(encodeWords(type, size, expected, 'P'), words);
    }),
  );
  assert.deepEqual(encodeWords('int32', 2, -(2 ** 31) + 1, 'P'), [0x8000, 1]);
  assert.throws(() => encodeWords('int32', 2, 2 ** 31, 'P'), /does not fit in int32/);
  assert.throws(() => encodeWords('uint32', 2, 0xffff_ffff, 'P'), /not implemented/);
  assert.ok(Object.is(encodeWords('int16', 1, -0, 'P')[0], 0), 'no −0 in a register');
});

test('layouts of models read from a device are computed once per model and length; 803 (counted by a point) every time', () => {
  const def123 = loadModelDefinition(123);
  const a = layoutForRead(def123, 24, []);
  assert.equal(layoutForRead(def123, 24, []), a);
  assert.deepEqual([...a.points.keys()], [...layoutModel(def123, { lengthRegs: 24 }).points.keys()]);
  assert.notEqual(layoutForRead(def123, 20, []), a, 'another L, another layout');
  assert.equal(layoutForRead(def123, 20, []).points.has('WMaxLimPct_SF'), false);
  const image = new ModelImage(803, { string: 2 });
  image.set('NStr', 2);
  const b = layoutForRead(loadModelDefinition(803), image.layout.lengthRegs, image.words);
  assert.equal(b.repeats.get('string'), 2);
  assert.notEqual(layoutForRead(loadModelDefinition(803), image.layout.lengthRegs, image.words), b);
});

test('scale factors apply on read and on write; a not-implemented value or sf reads null', () => {
  const image = new ModelImage(103).set('W_SF', -1).set('W', -1234.5).set('A_SF', 2).set('A', 300);
  const block = image.view(40002);
  assert.equal(block.raw('W'), -12345);
  assert.equal(block.value('W'), -1234.5);
  assert.equal(block.value('A'), 300);
  assert.equal(block.raw('A'), 3);
  assert.equal(block.value('VA'), null, 'VA not implemented');
  assert.equal(applyScale(2345, -1), 234.5);
  const controls = new ModelImage(123).set('WMaxLimPct_SF', -2).view(40100);
  assert.deepEqual(encodeWrites(controls, { WMaxLimPct: 42.5, WMaxLimPct_RvrtTms: 60, WMaxLim_Ena: 1 }), [{ address: 40105, words: [4250] }, { address: 40107, words: [60] }, { address: 40109, words: [1] }]);
  assert.throws(() => encodeWrites(controls, { WMaxLimPct_SF: 1 }), /read-only/);
  // Points between that are read-write and implemented are rewritten as held: one request.
  const timed = new ModelImage(123).set('WMaxLimPct_SF', -2).set('WMaxLimPct_WinTms', 5).set('WMaxLimPct_RmpTms', 7).view(40100);
  assert.deepEqual(encodeWrites(timed, { WMaxLimPct: 42.5, WMaxLimPct_RvrtTms: 60, WMaxLim_Ena: 1 }), [{ address: 40105, words: [4250, 5, 60, 7, 1] }]);
  // …but never across a read-only register (124: ChaState … ChaSt lie between StorCtl_Mod and OutWRte).
  const storage = new ModelImage(124).set('InOutWRte_SF', 0).set('VAChaMax_SF', 0).set('MinRsvPct_SF', 0).set('VAChaMax', 1).set('MinRsvPct', 5).set('InOutWRte_WinTms', 0).view(40200);
  assert.equal(encodeWrites(storage, { StorCtl_Mod: 3, OutWRte: 10 }).length, 2);
  assert.deepEqual(encodeWrites(storage, { OutWRte: -10, InWRte: 10, InOutWRte_RvrtTms: 60 }), [{ address: 40212, words: [65526, 10, 0, 60] }]);
  const noSf = new ModelBlock(layoutModel(loadModelDefinition(123)), new ModelImage(123).words, 0);
  assert.equal(noSf.scaleOf('WMaxLimPct'), null);
  assert.throws(() => encodeWrites(noSf, { WMaxLimPct: 50 }), /scale factor is not implemented/);
});
