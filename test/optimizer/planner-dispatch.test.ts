import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { battery, hourly, plan, problem, slotsWhere, throughputWh } from './planner-helpers.ts';

/** A sunny day's PV: 0 at night, up to `peakW` at noon (UTC hours 6–18). */
const sunny = (peakW: number): number[] => hourly(Array.from({ length: 24 }, (_, h) => (h >= 6 && h < 18 ? Math.round(peakW * Math.sin(((h + 0.5 - 6) / 12) * Math.PI)) : 0)));

void describe('planner: battery and solar against prices', () => {
  void it('charges in the single cheap night and discharges at the evening peak', async () => {
    const prices = hourly(Array.from({ length: 24 }, (_, h) => (h >= 2 && h < 6 ? 0.05 : h >= 17 && h < 21 ? 0.35 : 0.3)));
    const p = problem({ importPriceEurPerKwh: prices, storage: [battery({ socPct: 10 })] });
    const result = await plan(p);
    assert.notEqual(result.status, 'fallback');
    const charging = slotsWhere(result, (s) => (s.storage[0]?.powerW ?? 0) > 50);
    const discharging = slotsWhere(result, (s) => (s.storage[0]?.powerW ?? 0) < -50);
    assert.ok(charging.length > 0 && charging.every((t) => t >= 8 && t < 24), `charges in 02–06 only, got slots ${charging.join(',')}`);
    assert.ok(discharging.length > 0 && discharging.every((t) => t >= 24), `discharges only after the cheap night, got ${discharging.join(',')}`);
    // The evening peak gets the energy first: every peak slot is covered from the battery.
    for (let t = 17 * 4; t < 21 * 4; t++) assert.ok((result.slots[t]?.gridW ?? 1) <= 1, `peak slot ${t} imports ${result.slots[t]?.gridW} W`);
    const reason = result.slots[charging[0] ?? 0]?.storage[0]?.reason ?? '';
    assert.match(reason, /charge from the grid: 0\.05 €\/kWh/);
    assert.match(reason, /0\.35 €\/kWh at \d\d:\d\d when it discharges/);
    assert.ok(result.expectedSavingEur > 0.5, `saving ${result.expectedSavingEur} EUR`);
  });

  void it('does not cycle the battery on flat prices (no pointless throughput)', async () => {
    const p = problem({ importPriceEurPerKwh: new Array<number>(96).fill(0.25), storage: [battery({ socPct: 50 })] });
    const result = await plan(p);
    // Only self-consumption: the battery covers the house load from what it holds, never buys to sell.
    assert.equal(slotsWhere(result, (s) => (s.storage[0]?.powerW ?? 0) > 1).length, 0);
    assert.ok(slotsWhere(result, (s) => s.gridW < -1).length === 0, 'never exports');
  });

  void it('on flat prices with PV, charges only from solar surplus (self-consumption)', async () => {
    const p = problem({ importPriceEurPerKwh: new Array<number>(96).fill(0.25), storage: [battery({ socPct: 10 })], solar: [{ nodeId: 'pv', availableW: sunny(5000) }] });
    const result = await plan(p);
    const fromGrid = slotsWhere(result, (s) => (s.storage[0]?.powerW ?? 0) > 50 && s.gridW > 50);
    assert.deepEqual(fromGrid, [], 'never charges from the grid');
    assert.ok(throughputWh(result) > 1000, 'stores the solar surplus');
  });

  void it('curtails solar when the export price is negative, so nothing is exported at a loss', async () => {
    const importPrices = new Array<number>(96).fill(0.2);
    const exportPrices = hourly(Array.from({ length: 24 }, (_, h) => (h >= 10 && h < 15 ? -0.04 : 0.07)));
    const p = problem({ importPriceEurPerKwh: importPrices, exportPriceEurPerKwh: exportPrices, storage: [battery({ socPct: 100 })], solar: [{ nodeId: 'pv', availableW: sunny(6000) }] });
    const result = await plan(p);
    for (let t = 10 * 4; t < 15 * 4; t++) {
      const slot = result.slots[t];
      assert.ok((slot?.gridW ?? -1) >= -1, `slot ${t} exports ${slot?.gridW} W at a negative price`);
      // What the house and the battery cannot take is not produced.
      const capped = slot?.solar[0]?.limitW !== null;
      assert.ok(capped || (slot?.storage[0]?.powerW ?? 0) > 0, `slot ${t}: capped or stored`);
      if (capped) assert.match(slot?.solar[0]?.reason ?? '', /export price is negative/);
    }
    assert.ok(slotsWhere(result, (s) => s.solar[0]?.limitW !== null).length >= 8, 'curtails for hours');
    assert.equal(result.slots[9 * 4]?.solar[0]?.limitW, null, 'uncapped while export pays');
  });

  void it('turns solar all off and charges from the grid when both prices are negative', async () => {
    const importPrices = hourly(Array.from({ length: 24 }, (_, h) => (h >= 12 && h < 14 ? -0.03 : 0.25)));
    const exportPrices = importPrices.map((x) => (x < 0 ? -0.16 : 0.1));
    const p = problem({ importPriceEurPerKwh: importPrices, exportPriceEurPerKwh: exportPrices, storage: [battery({ socPct: 30 })], solar: [{ nodeId: 'pv', availableW: sunny(6000) }] });
    const result = await plan(p);
    for (let t = 12 * 4; t < 14 * 4; t++) {
      const slot = result.slots[t];
      assert.equal(slot?.solar[0]?.powerW, 0, `slot ${t}: solar off`);
      assert.equal(slot?.solar[0]?.limitW, 0);
      assert.match(slot?.solar[0]?.reason ?? '', /both prices are negative/);
      assert.ok((slot?.storage[0]?.powerW ?? 0) > 50, `slot ${t}: battery charges`);
      assert.ok((slot?.gridW ?? 0) > 0, `slot ${t}: imports (is paid to)`);
    }
    // Never charges and discharges at once to burn energy: each slot is one or the other.
    assert.notEqual(result.status, 'fallback');
  });

  void it('keeps the grid within the import and export limits', async () => {
    const prices = hourly(Array.from({ length: 24 }, (_, h) => (h < 6 ? 0.02 : h >= 18 ? 0.6 : 0.3)));
    const p = problem({
      importPriceEurPerKwh: prices,
      exportPriceEurPerKwh: prices.map((x) => x - 0.02),
      importLimitW: 3000,
      exportLimitW: 2000,
      storage: [battery({ socPct: 10, capacityWh: 20_000, maxChargeW: 8000, maxDischargeW: 8000 })],
      solar: [{ nodeId: 'pv', availableW: sunny(7000) }],
    });
    const result = await plan(p);
    assert.deepEqual(result.violations, []);
    for (const slot of result.slots) {
      assert.ok(slot.gridW <= 3000 + 1, `import ${slot.gridW} W over 3000 W`);
      assert.ok(slot.gridW >= -2000 - 1, `export ${-slot.gridW} W over 2000 W`);
    }
    // It still wants as much cheap energy as the limit allows at night.
    assert.ok(result.slots.slice(0, 24).some((s) => s.gridW > 2900));
  });

  void it('rounds the day off: the plan and the baseline share the same prices and the plan is not dearer', async () => {
    const prices = hourly(Array.from({ length: 24 }, (_, h) => 0.2 + 0.1 * Math.sin((h / 24) * 2 * Math.PI)));
    const p = problem({ importPriceEurPerKwh: prices, storage: [battery()], solar: [{ nodeId: 'pv', availableW: sunny(4000) }] });
    const result = await plan(p);
    assert.ok(result.expectedSavingEur >= -1e-6, `saving ${result.expectedSavingEur}`);
    assert.equal(result.slots.length, 96);
    assert.ok(result.mipGap !== null && result.mipGap >= 0);
  });
});
