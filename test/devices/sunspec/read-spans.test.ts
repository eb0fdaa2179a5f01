import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSpans } from '../../../src/devices/drivers/sunspec/sunspec-session.ts';

const model = (id: number, address: number, lengthRegs: number) => ({ id, address, lengthRegs });

test('models that fit in one 125-register read go together, in address order; a longer one stands alone', () => {
  const m103 = model(103, 40070, 50);
  const m124 = model(124, 40122, 24);
  const m802 = model(802, 40148, 62);
  // 103 + 124 = 78 registers; adding 802 would make 142.
  assert.deepEqual(
    readSpans([m802, m124, m103]).map((s) => [s.address, s.length, s.models.map((m) => m.id)]),
    [
      [40070, 78, [103, 124]],
      [40148, 64, [802]],
    ],
  );
  // The same model twice is read once; a model of 200 registers is one span (read in pieces).
  const big = model(160, 41000, 198);
  assert.deepEqual(readSpans([m103, m103, big]).map((s) => [s.address, s.length, s.models.length]), [
    [40070, 52, 1],
    [41000, 200, 1],
  ]);
  // Models apart by other models' registers still share a read when the whole span fits.
  assert.deepEqual(readSpans([model(1, 40002, 66), model(123, 40070, 24)]).map((s) => s.length), [94]);
  assert.deepEqual(readSpans([]), []);
});
