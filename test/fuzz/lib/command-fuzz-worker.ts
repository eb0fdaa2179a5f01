import assert from 'node:assert/strict';
import { parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { COMPONENTS, type Component } from '../../../src/protocol/components.ts';
import { POLICIES_BY_COMPONENT } from '../../../src/protocol/policies.ts';
import { SITE_NODE, startTestSite } from '../../helpers/control-site.ts';
import { commandPayloadArb } from '../arbitraries.ts';
import { activeCommandOf, assertFeedbackShape, assertWellAnswered, watchProcessErrors, fuzzOptions } from '../invariants.ts';

/**
 * One share of the live-command fuzz (test/fuzz/live-commands.test.ts), in a worker thread so the
 * shares run on both cores: its own controller on the simulated demo site and a fake clock that
 * moves 1 s every 20 commands (so watchdogs fire and the ordering and age rules meet every case).
 * Posts { byCode, failure } back.
 */
export interface CommandFuzzJob {
  runs: number;
  seed: number;
}
export interface CommandFuzzResult {
  byCode: Array<[number, number]>;
  failure: string | null;
}

const job = workerData as CommandFuzzJob;
const watch = watchProcessErrors();
const t = await startTestSite();
const prefixes = [...COMPONENTS, ...t.site.devices.map((d) => d.nodeId)];
const targets = [
  ...COMPONENTS.map((c: Component) => ({ prefix: c, policies: [...POLICIES_BY_COMPONENT[c], 'fallback'] })),
  ...t.site.devices.map((d) => ({ prefix: d.nodeId, policies: [...POLICIES_BY_COMPONENT[d.group], 'fallback'] })),
];
const byCode = new Map<number, number>();
let failure: string | null = null;
let n = 0;
let active = activeCommandOf(t.controller);
try {
  await fc.assert(
    fc.asyncProperty(commandPayloadArb(prefixes, targets), async (payloadAt) => {
      n++;
      if (n % 20 === 0) {
        t.clock.advance(1000);
        await t.controller.trigger();
        active = activeCommandOf(t.controller);
      }
      const payload = payloadAt(SITE_NODE, t.clock.now());
      const outcome = await t.controller.handleCommand(payload);
      const what = `command ${JSON.stringify(payload.toString('utf8').slice(0, 300))}`;
      assert.equal(outcome.code, outcome.feedback.data.response_code, what);
      assert.equal(outcome.accepted, outcome.code < 10, what);
      assertWellAnswered(outcome.feedback, what);
      if (n % 50 === 0) assertFeedbackShape(outcome.feedback, what);
      const after = activeCommandOf(t.controller);
      if (!outcome.accepted) assert.equal(after, active, `${what}: rejected (${outcome.code}) but the active command changed`);
      active = after;
      byCode.set(outcome.code, (byCode.get(outcome.code) ?? 0) + 1);
    }),
    fuzzOptions(job.runs, job.seed),
  );
  watch.assertNone();
} catch (err) {
  failure = err instanceof Error ? err.message : String(err);
} finally {
  await t.controller.stop();
  watch.stop();
}
const result: CommandFuzzResult = { byCode: [...byCode], failure };
parentPort?.postMessage(result);
