import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FakeClock } from '../../src/core/clock.ts';
import { COMPONENTS, type Component } from '../../src/protocol/components.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import { POLICIES_BY_COMPONENT } from '../../src/protocol/policies.ts';
import { keepSocketsUndelayed } from '../../src/protocol/transport.ts';
import { startAppUnderTest } from '../helpers/app-harness.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { commandPayloadArb } from './arbitraries.ts';
import { activeCommandOf, assertFeedbackShape, assertWellAnswered, runs, watchProcessErrors, fuzzOptions } from './invariants.ts';

/**
 * The live-command fuzz's generator over real MQTT (the app on a real Debian mosquitto, an integrator
 * client at QoS 1): proves the path the 100,000 in-process commands stand for — every generated
 * payload, binary or 64 KiB ones included, reaches the controller through the remote link and is
 * answered on the feedback topic. The app runs on a fake clock, so every feedback is an answer (no
 * periodic one in between) and answers come in order.
 */
const COMMANDS = runs(500);

describe('fuzz: live commands over real MQTT', () => {
  it(`answers ${COMMANDS} generated commands published to the broker, each with a documented response_code, a rejected one changing nothing`, async () => {
    const watch = watchProcessErrors();
    const clock = new FakeClock(Date.now());
    // Debian mosquitto with TCP_NODELAY: its default (off) adds ~40 ms per answer (docs/benchmarks.md § 1).
    const broker = await startMosquitto({ wsPort: null, extraConfig: 'set_tcp_nodelay true' });
    const t = await startAppUnderTest({ clock, brokerUrl: broker.url });
    const { app } = t;
    // A request/response peer: without TCP_NODELAY each hop waits ~40 ms for a delayed ACK.
    keepSocketsUndelayed(t.integrator.client);
    const prefixes = [...COMPONENTS, ...app.site.devices.map((d) => d.nodeId)];
    const targets = [
      ...COMPONENTS.map((c: Component) => ({ prefix: c, policies: [...POLICIES_BY_COMPONENT[c], 'fallback'] })),
      ...app.site.devices.map((d) => ({ prefix: d.nodeId, policies: [...POLICIES_BY_COMPONENT[d.group], 'fallback'] })),
    ];
    const codes = new Set<number>();
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(commandPayloadArb(prefixes, targets), async (payloadAt) => {
          n++;
          if (n % 20 === 0) {
            clock.advance(1000);
            await app.controller.trigger();
          }
          const payload = payloadAt(app.info.siteNodeId, clock.now());
          const before = activeCommandOf(app.controller);
          const from = t.integrator.received.length;
          await t.integrator.client.publishAsync(app.info.topics.command, payload, { qos: 1 });
          const answer = await t.integrator.waitFor((r) => r.topic === app.info.topics.feedback && t.integrator.received.indexOf(r) >= from, 8000, 'the answer');
          const f = answer.json as Feedback;
          const what = `command ${JSON.stringify(payload.toString('utf8').slice(0, 300))}`;
          assertWellAnswered(f, what);
          assertFeedbackShape(f, what);
          if (f.data.response_code >= 10) assert.equal(activeCommandOf(app.controller), before, `${what}: rejected (${f.data.response_code}) but the active command changed`);
          codes.add(f.data.response_code);
        }),
        fuzzOptions(COMMANDS),
      );
    } finally {
      await t.stop();
      await broker.stop();
      watch.stop();
    }
    watch.assertNone();
    assert.ok(codes.has(0) && codes.has(10) && codes.has(11), `codes seen: ${[...codes].join(', ')}`);
  });
});
