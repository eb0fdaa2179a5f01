import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSimulateOcpp } from '../../../src/cli/commands/simulate-ocpp.ts';
import { memoryIo } from '../../../src/cli/io.ts';
import { startCentral, until } from './harness.ts';

test('gridpilot simulate ocpp: a charge point with a plugged-in car boots, starts a transaction, prints what it does and stops on the signal', async (t) => {
  const central = await startCentral([{ chargePointId: 'CLI1', password: 'cli-password' }]);
  t.after(() => central.close());
  const io = memoryIo();
  const stop = new AbortController();
  const run = runSimulateOcpp(
    { url: central.url, id: 'CLI1', ocpp: '2.0.1', password: 'cli-password', speed: 1, plugged: true, meterInterval: 10, rateUnit: 'A', phases: 3, maxCurrent: 16 },
    io,
    stop.signal,
  );
  await until(() => central.cs.session('CLI1')?.view().transactionId !== null, 'the transaction');
  await central.device('CLI1').setCurrentA(7, 3);
  stop.abort();
  assert.equal(await run, 0);
  const out = io.stdout.join('\n');
  assert.match(out, /BootNotification: Accepted/);
  assert.match(out, /transaction .* started \(plug-in\)/);
  assert.match(out, /applies TxProfile 7 A → 7 A × 3/);
  assert.match(io.stderr.join('\n'), /stopped\./);
});
