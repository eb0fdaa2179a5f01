import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runBacktestCommand } from '../../src/cli/commands/backtest.ts';
import { memoryIo, UsageError } from '../../src/cli/io.ts';
import { loadWeather } from '../../src/environment/weather.ts';
import { localPeriod, runBacktest } from '../../src/optimizer/backtest/run-backtest.ts';
import { loadBundledPrices } from '../../src/optimizer/prices/price-file.ts';
import { loadSiteConfigFile, resolveSiteConfig } from '../../src/site/site-config.ts';

const REFERENCE = 'data/reference-site.yaml';

describe('backtest on real Belgian prices and weather (reference site)', () => {
  it('three spring days: cost ≤ self_consumption ≤ no control, with a price spread to exploit', async () => {
    // 2024-04-08 … 04-10: sunny spring days, evening peaks and cheap midday prices.
    const { fromMs, toMs } = localPeriod('2024-04-08', '2024-04-10');
    const r = await runBacktest({ site: loadSiteConfigFile(REFERENCE), prices: loadBundledPrices(), weather: loadWeather('bundled'), fromMs, toMs });
    assert.equal(r.days, 3);
    const nc = r.regimes.no_control?.costEur ?? NaN;
    const sc = r.regimes.self_consumption?.costEur ?? NaN;
    const cost = r.regimes.cost?.costEur ?? NaN;
    const pf = r.regimes.perfect_foresight?.costEur ?? NaN;
    assert.ok(cost <= sc && sc <= nc, `cost ${cost.toFixed(2)} ≤ self_consumption ${sc.toFixed(2)} ≤ no control ${nc.toFixed(2)}`);
    assert.ok(pf <= sc, `perfect foresight ${pf.toFixed(2)} ≤ self_consumption ${sc.toFixed(2)}`);
    const spread = Math.max(...(r.regimes.cost?.days ?? []).map((d) => d.priceSpreadEurPerKwh));
    assert.ok(spread > 0.1, `a day with a price spread: ${spread.toFixed(3)} EUR/kWh`);
    // Every day has the fixed fees; the controller never lost a plan.
    assert.equal(r.regimes.cost?.fallbackPlans, 0);
    assert.equal(r.regimes.cost?.plans, 3 * 96 + 1, 'one plan every 15 min (and one at the start)');
    assert.equal(r.regimes.no_control?.batteryThroughputKwh, 0, 'no control: the battery stays idle');
    assert.ok(r.captureRatio !== null && r.captureRatio > 0.5, `capture ${r.captureRatio}`);
  });

  it('the CLI prints one JSON object with the four costs and the days', async () => {
    const io = memoryIo();
    const code = await runBacktestCommand({ from: '2024-07-01', to: '2024-07-01', json: true, cycleS: 60, replanMin: 15, site: REFERENCE, quiet: true }, io);
    assert.equal(code, 0);
    const out = JSON.parse(io.stdout.join('\n')) as Record<string, unknown>;
    for (const key of ['no_control_eur', 'self_consumption_eur', 'cost_eur', 'perfect_foresight_eur']) assert.equal(typeof out[key], 'number', key);
    assert.equal(out['days'], 1);
    assert.equal(out['from'], '2024-07-01');
    assert.equal(out['to'], '2024-07-01');
  });

  it('refuses what it cannot compare, saying why', async () => {
    const io = memoryIo();
    await assert.rejects(runBacktestCommand({ from: '2024-07-02', to: '2024-07-01', cycleS: 60, replanMin: 15 }, io), UsageError);
    assert.equal(await runBacktestCommand({ from: '2030-01-01', to: '2030-01-02', cycleS: 60, replanMin: 15, quiet: true }, io), 1);
    assert.match(io.stderr.join('\n'), /prices cover .* not the whole period/);
    const withHeatPump = resolveSiteConfig({ serial: 'X1', devices: [{ group: 'heat_pump', ratedPowerW: 2000 }] });
    const { fromMs, toMs } = localPeriod('2024-07-01', '2024-07-01');
    await assert.rejects(runBacktest({ site: withHeatPump, prices: loadBundledPrices(), weather: loadWeather('bundled'), fromMs, toMs }), /solar and storage only/);
  });
});
