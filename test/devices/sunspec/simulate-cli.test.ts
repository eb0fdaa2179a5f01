import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../../src/core/clock.ts';
import { memoryIo, EXIT_OK } from '../../../src/cli/io.ts';
import { runSimulateSunSpec, type SunSpecSimModel } from '../../../src/cli/commands/simulate-sunspec.ts';
import type { Battery, GridMeter, SolarInverter } from '../../../src/devices/capabilities.ts';
import { driverContext, meterDriver, signal, solarConfig, storageConfig, sunspecDriver, until } from './sunspec-test-kit.ts';

for (const model of ['inverter', 'battery', 'meter'] as const satisfies readonly SunSpecSimModel[]) {
  test(`gridpilot simulate sunspec --model ${model}: prints where it listens, the driver reads it, stops on the signal`, async () => {
    const io = memoryIo();
    const stop = new AbortController();
    const running = runSimulateSunSpec({ model, port: 0, unitId: 3, weather: 'clear-sky' }, io, stop.signal);
    await until(() => io.stdout.length > 0 || io.stderr.length > 0, 'the banner');
    const m = /listening on 127\.0\.0\.1:(\d+), unit id 3/.exec(io.stdout[0] ?? '');
    assert.ok(m, `banner: ${io.stdout.join('\n')} ${io.stderr.join('\n')}`);
    const port = Number(m[1]);
    const ctx = driverContext(new FakeClock());
    try {
      await ctx.startShared();
      if (model === 'inverter') {
        const r = await (sunspecDriver.createDevice(solarConfig({ port, unitId: 3 }), ctx) as SolarInverter).readState(signal());
        assert.ok(r.powerW >= 0 && r.limitW === null);
      } else if (model === 'battery') {
        const r = await (sunspecDriver.createDevice(storageConfig({ port, unitId: 3 }), ctx) as Battery).readState(signal());
        assert.equal(r.socPct, 50);
        assert.equal(r.capacityWh, 10_000);
      } else {
        const w = await (sunspecDriver.createMeter!(meterDriver({ port, unitId: 3 }), ctx) as GridMeter).readPowerW(signal());
        assert.ok(Number.isFinite(w));
      }
    } finally {
      await ctx.closeShared();
    }
    stop.abort();
    assert.equal(await running, EXIT_OK);
  });
}

test('a port in use is a clear error, exit 1', async () => {
  const io = memoryIo();
  const stop = new AbortController();
  const first = runSimulateSunSpec({ model: 'meter', port: 0 }, io, stop.signal);
  await until(() => io.stdout.length > 0, 'the first server');
  const port = Number(/:(\d+),/.exec(io.stdout[0] ?? '')?.[1]);
  const io2 = memoryIo();
  assert.equal(await runSimulateSunSpec({ model: 'meter', port }, io2, new AbortController().signal), 1);
  assert.match(io2.stderr.join('\n'), /could not start the SunSpec simulator: .*cannot listen on 127\.0\.0\.1:\d+/);
  stop.abort();
  await first;
});
