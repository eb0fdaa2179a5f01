import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { RESPONSE_CODES } from '../../src/protocol/response-codes.ts';
import type { CommandFuzzJob, CommandFuzzResult } from './lib/command-fuzz-worker.ts';
import { runs, seed } from './invariants.ts';

/**
 * Property-based fuzzing of the live command path [issue 14, acceptance: fuzz]: ≥ 100,000
 * generated commands per run through Controller.handleCommand — the function every MQTT command
 * and every web API command reaches — in-process (two worker threads, one controller each, half
 * the commands each), on the simulated demo site. test/fuzz/live-commands-mqtt.test.ts sends a
 * sample of the same generator over real MQTT. Replay a failure with FUZZ_SEED=<seed printed>.
 */
const COMMANDS = runs(100_000);
const SHARES = 2;

function runShare(job: CommandFuzzJob): Promise<CommandFuzzResult> {
  return new Promise((resolve, reject) => {
    // On Node 20 a worker does not inherit the tsx loader: it registers tsx first (as src/store/worker-client.ts does).
    const url = new URL('./lib/command-fuzz-worker.ts', import.meta.url);
    const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
    const worker = new Worker(boot, { eval: true, workerData: job });
    let result: CommandFuzzResult | null = null;
    worker.once('message', (m: CommandFuzzResult) => {
      result = m;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => (result ? resolve(result) : reject(new Error(`fuzz worker exited ${code} without a result`))));
  });
}

describe('fuzz: live commands through the controller', () => {
  it(`answers ${COMMANDS.toLocaleString('en-US')} generated commands with a documented response_code; a rejected one never changes the active command`, async () => {
    const base = seed();
    const shares = await Promise.all(Array.from({ length: SHARES }, (_, i) => runShare({ runs: Math.ceil(COMMANDS / SHARES), seed: base + i })));
    for (const [i, s] of shares.entries()) assert.equal(s.failure, null, `share ${i} (FUZZ_SEED=${base + i} replays it): ${s.failure}`);
    const byCode = new Map<number, number>();
    for (const s of shares) for (const [code, k] of s.byCode) byCode.set(code, (byCode.get(code) ?? 0) + k);
    const total = [...byCode.values()].reduce((a, b) => a + b, 0);
    assert.ok(total >= COMMANDS, `${total} commands answered`);
    // The generators reach every outcome: applied ones and each kind of refusal.
    for (const code of [RESPONSE_CODES.OK, RESPONSE_CODES.PARTLY_IGNORED, RESPONSE_CODES.NOT_JSON, RESPONSE_CODES.BAD_SHAPE, RESPONSE_CODES.UNKNOWN_FIELD, RESPONSE_CODES.BAD_POLICY, RESPONSE_CODES.WRONG_SITE, RESPONSE_CODES.BAD_TIME]) {
      assert.ok(byCode.has(code), `code ${code} never produced; got ${[...byCode.keys()].join(', ')}`);
    }
    assert.ok((byCode.get(RESPONSE_CODES.OK) ?? 0) + (byCode.get(RESPONSE_CODES.PARTLY_IGNORED) ?? 0) > COMMANDS / 100, 'at least 1 % applied');
    console.log(`# ${total} live commands by response_code: ${[...byCode].sort(([a], [b]) => a - b).map(([c, k]) => `${c}: ${k}`).join(', ')}`);
  });
});
