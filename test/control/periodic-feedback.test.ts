import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { Controller } from '../../src/control/controller.ts';
import { createSimulatedSite } from '../../src/devices/simulated/simulated-site.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { resolveSiteConfig } from '../../src/site/site-config.ts';

/**
 * The wall clock a tick reads is not the monotonic one its timer runs on: one tick reads a
 * millisecond early, the next one on time. Timers stay exact (FakeClock); `now()` reads 1 ms early in odd seconds.
 */
class WobblingClock extends FakeClock {
  override now(): number {
    const t = super.now();
    return t - (Math.floor(t / 1000) % 2 === 1 ? 1 : 0);
  }
}

async function periodicFeedbacks(feedbackIntervalS: number, ticks: number): Promise<number> {
  const clock = new WobblingClock(Date.UTC(2024, 5, 21, 11, 0, 0));
  const site = resolveSiteConfig({ ...demoSiteConfig(), remoteSignal: { feedbackIntervalS } });
  const controller = new Controller(site, createSimulatedSite(site, clock, { carPattern: null }), clock);
  let count = 0;
  controller.onFeedback(() => count++);
  await controller.start();
  for (let i = 0; i < ticks; i++) {
    clock.advance(site.control.cycleMs);
    await controller.trigger();
  }
  await controller.stop();
  return count;
}

describe('periodic feedback (remoteSignal.feedbackIntervalS)', () => {
  it('every second at 1 s, even when the wall clock reads a tick a millisecond early', async () => {
    assert.equal(await periodicFeedbacks(1, 60), 60);
  });

  it('every fifth cycle at 5 s, and none at 0', async () => {
    assert.equal(await periodicFeedbacks(5, 60), 12);
    assert.equal(await periodicFeedbacks(0, 20), 0);
  });
});
