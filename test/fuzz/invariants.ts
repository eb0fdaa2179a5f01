import assert from 'node:assert/strict';
import type { Controller } from '../../src/control/controller.ts';
import { FeedbackSchema, type Feedback } from '../../src/protocol/feedback.ts';
import { MAX_LISTED_ERRORS, RESPONSE_CODE_MEANING, RESPONSE_CODES } from '../../src/protocol/response-codes.ts';

/** The response codes docs/protocol.md (README table) and src/protocol/response-codes.ts document. */
export const DOCUMENTED_CODES: ReadonlySet<number> = new Set(Object.keys(RESPONSE_CODE_MEANING).map(Number));

/** Fuzz run sizes; FUZZ_SCALE=10 runs ten times as many (e.g. locally before a release). */
export function runs(n: number): number {
  const scale = Number(process.env['FUZZ_SCALE'] ?? '1');
  return Math.max(1, Math.round(n * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** The seed of this run (FUZZ_SEED to replay one); printed by fast-check on a failure with the path. */
export function seed(): number {
  const s = Number(process.env['FUZZ_SEED']);
  return Number.isInteger(s) ? s : Date.now() ^ (process.pid << 8);
}

/**
 * What drives every component and device right now, as text: the last cycle's arbitration and the
 * watchdog. A rejected message must leave it exactly as it was [docs/protocol.md § Rules 7].
 */
export function activeCommandOf(controller: Controller): string {
  const r = controller.lastCycle()?.resolution;
  return JSON.stringify({ components: r?.components ?? null, devices: r ? [...r.devices] : null, watchdogS: controller.watchdogSecondsLeft() });
}

/**
 * Checks an answer: a documented response_code other than 20 (an internal error is a bug the fuzz
 * must surface), a feedback of the wire schema, a bounded error list (the first 20 and a count),
 * errors present exactly when the code says the message was refused or partly ignored.
 */
export function assertWellAnswered(feedback: Feedback, what: string): void {
  const code = feedback.data.response_code;
  assert.ok(DOCUMENTED_CODES.has(code), `${what}: undocumented response_code ${code}`);
  assert.notEqual(code, RESPONSE_CODES.INTERNAL_ERROR, `${what}: internal error ${JSON.stringify(feedback.data.errors)}`);
  const errors = feedback.data.errors ?? [];
  assert.ok(errors.length <= MAX_LISTED_ERRORS + 1, `${what}: ${errors.length} errors listed`);
  if (code >= 10 || code === RESPONSE_CODES.PARTLY_IGNORED) assert.ok(errors.length > 0, `${what}: code ${code} without errors`);
  if (code === RESPONSE_CODES.OK) assert.equal(errors.length, 0, `${what}: code 0 with errors ${JSON.stringify(errors)}`);
}

/** The full schema check of a feedback (zod): slower, so run on a sample. */
export function assertFeedbackShape(feedback: Feedback, what: string): void {
  const parsed = FeedbackSchema.safeParse(JSON.parse(JSON.stringify(feedback)));
  assert.ok(parsed.success, `${what}: feedback off the wire schema: ${parsed.success ? '' : parsed.error.message}`);
}

/** Records unhandled rejections and uncaught exceptions while a fuzz test runs; `assertNone()` at the end. */
export function watchProcessErrors(): { assertNone(): void; stop(): void } {
  const seen: string[] = [];
  const onRejection = (reason: unknown): void => {
    seen.push(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  };
  const onException = (err: Error): void => {
    seen.push(`uncaught exception: ${err.stack ?? err.message}`);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    assertNone() {
      assert.deepEqual(seen, [], 'no unhandled rejection or uncaught exception');
    },
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

/** fast-check parameters of every fuzz property: this run's seed, stop at the first failure, and report its error. */
export function fuzzOptions(numRuns: number, runSeed: number = seed()): { numRuns: number; seed: number; endOnFailure: true; includeErrorInReport: true } {
  return { numRuns, seed: runSeed, endOnFailure: true, includeErrorInReport: true };
}
