import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FeedbackMatcher, FeedbackTimeoutError } from '../../src/client/index.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { makeFeedback } from './support/fake-controller.ts';

const SITE = 'OM12404080000000000_site_0';
const fb = (requestTime: unknown, responseCode = 0) => makeFeedback({ requestTime, siteNodeId: SITE, responseCode });

describe('feedback matcher', () => {
  it('answers waits on the same requestTime first in, first out', async () => {
    const matcher = new FeedbackMatcher(new FakeClock());
    const first = matcher.wait(100, 5000, () => new Error('timeout'));
    const second = matcher.wait(100, 5000, () => new Error('timeout'));
    assert.equal(matcher.resolve(100, fb(100, 0)), true);
    assert.equal(matcher.resolve(100, fb(100, 1)), true);
    assert.equal((await first.promise).data.response_code, 0);
    assert.equal((await second.promise).data.response_code, 1);
    assert.equal(matcher.pendingCount, 0);
  });

  it('ignores feedback for other requestTimes and reads numeric strings', async () => {
    const matcher = new FeedbackMatcher(new FakeClock());
    const wait = matcher.wait(1714652046, 5000, () => new Error('timeout'));
    assert.equal(matcher.resolve(1714652045, fb(1714652045)), false);
    assert.equal(matcher.resolve(null, fb(null)), false);
    assert.equal(matcher.resolve('1714652046', fb('1714652046')), true);
    assert.equal((await wait.promise).requestTime, '1714652046');
  });

  it('rejects with the timeout error once the clock passes the timeout, and forgets the wait', async () => {
    const clock = new FakeClock();
    const matcher = new FeedbackMatcher(clock);
    const wait = matcher.wait(7, 5000, () => new FeedbackTimeoutError(7, 5000, 'fb', 'cmd'));
    clock.advance(4999);
    assert.equal(matcher.pendingCount, 1);
    clock.advance(1);
    await assert.rejects(wait.promise, FeedbackTimeoutError);
    assert.equal(matcher.resolve(7, fb(7)), false);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('cancels the timer when a wait is answered, failed or all are rejected', async () => {
    const clock = new FakeClock();
    const matcher = new FeedbackMatcher(clock);
    const a = matcher.wait(1, 5000, () => new Error('timeout'));
    const b = matcher.wait(2, 5000, () => new Error('timeout'));
    const c = matcher.wait(3, 5000, () => new Error('timeout'));
    matcher.resolve(1, fb(1));
    b.fail(new Error('publish failed'));
    matcher.rejectAll(new Error('closed'));
    await a.promise;
    await assert.rejects(b.promise, /publish failed/);
    await assert.rejects(c.promise, /closed/);
    assert.equal(clock.pendingTimers(), 0);
  });
});
