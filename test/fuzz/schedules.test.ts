import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FakeClock } from '../../src/core/clock.ts';
import { Controller } from '../../src/control/controller.ts';
import { createSimulatedSite } from '../../src/devices/simulated/simulated-site.ts';
import { COMPONENTS, DEVICE_GROUPS } from '../../src/protocol/components.ts';
import { POLICIES_BY_COMPONENT } from '../../src/protocol/policies.ts';
import { RESPONSE_CODES } from '../../src/protocol/response-codes.ts';
import { handleScheduleMessage } from '../../src/schedule/schedule-handler.ts';
import { ScheduleStore } from '../../src/schedule/schedule-store.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { resolveSiteConfig } from '../../src/site/site-config.ts';
import { randomPayloadArb, renderSchedule, scheduleSpecArb } from './arbitraries.ts';
import { activeCommandOf, assertFeedbackShape, assertWellAnswered, runs, watchProcessErrors, fuzzOptions } from './invariants.ts';

/**
 * Property-based fuzzing of schedule messages [issue 14, acceptance: ≥ 10,000 schedules per run]
 * through handleScheduleMessage — what the app calls for every message on the schedule topic — with
 * the real Controller and ScheduleStore on the simulated demo site and a fake clock (10 s every
 * 10 messages, so slots start, end and expire). A refused message changes neither the stored
 * schedule nor what drives the site.
 */
const SCHEDULES = runs(10_000);

describe('fuzz: schedule messages', () => {
  it(`answers ${SCHEDULES.toLocaleString('en-US')} generated schedules with a documented response_code; a rejected one changes neither the schedule nor the active signals`, async () => {
    const watch = watchProcessErrors();
    const clock = new FakeClock(Date.UTC(2024, 5, 21, 11, 0, 0));
    const site = resolveSiteConfig(demoSiteConfig());
    const sim = createSimulatedSite(site, clock, { carPattern: null });
    const schedules = new ScheduleStore({ clock, persist: null });
    const controller = new Controller(site, sim, clock, { schedule: schedules });
    schedules.onBoundary(() => void controller.trigger().catch(() => undefined));
    await controller.start();
    const groupTargets = DEVICE_GROUPS.map((g) => ({ prefix: g, policies: [...POLICIES_BY_COMPONENT[g], 'fallback'] }));
    const prefixes = [...COMPONENTS, ...site.devices.map((d) => d.nodeId)];
    const payloads = fc.oneof(
      { weight: 12, arbitrary: scheduleSpecArb(groupTargets, prefixes).map((s) => (now: number) => renderSchedule(s, site.siteNodeId, now)) },
      { weight: 1, arbitrary: randomPayloadArb.map((b) => () => b) },
    );
    const byCode = new Map<number, number>();
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(payloads, async (payloadAt) => {
          n++;
          if (n % 10 === 0) {
            clock.advance(10_000);
            await controller.trigger();
          }
          const payload = payloadAt(clock.now());
          const storedBefore = JSON.stringify(schedules.list());
          const activeBefore = activeCommandOf(controller);
          const outcome = await handleScheduleMessage(payload, { controller, schedules, nowMs: clock.now() });
          const what = `schedule ${JSON.stringify(payload.toString('utf8').slice(0, 400))}`;
          assert.equal(outcome.code, outcome.feedback.data.response_code, what);
          assertWellAnswered(outcome.feedback, what);
          if (n % 25 === 0) assertFeedbackShape(outcome.feedback, what);
          if (!outcome.accepted) {
            assert.equal(JSON.stringify(schedules.list()), storedBefore, `${what}: rejected (${outcome.code}) but the stored schedule changed`);
            assert.equal(activeCommandOf(controller), activeBefore, `${what}: rejected (${outcome.code}) but the active signals changed`);
          }
          byCode.set(outcome.code, (byCode.get(outcome.code) ?? 0) + 1);
        }),
        fuzzOptions(SCHEDULES),
      );
    } finally {
      await schedules.close();
      await controller.stop();
      watch.stop();
    }
    watch.assertNone();
    for (const code of [RESPONSE_CODES.OK, RESPONSE_CODES.PARTLY_IGNORED, RESPONSE_CODES.NOT_JSON, RESPONSE_CODES.BAD_SHAPE, RESPONSE_CODES.UNKNOWN_FIELD, RESPONSE_CODES.BAD_TIME]) {
      assert.ok(byCode.has(code), `code ${code} never produced; got ${[...byCode.keys()].join(', ')}`);
    }
    console.log(`# schedules by response_code: ${[...byCode].sort(([a], [b]) => a - b).map(([c, k]) => `${c}: ${k}`).join(', ')}`);
  });
});
