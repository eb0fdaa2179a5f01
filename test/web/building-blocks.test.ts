import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { commandEnvelopeOf } from '../../src/web/api-routes.ts';
import { checkSiteConfig } from '../../src/web/config-check.ts';
import { HttpError, MAX_JSON_DEPTH, parseJsonBody } from '../../src/web/http-errors.ts';
import { REDACTED, redactSecrets } from '../../src/web/site-view.ts';
import { Throttle } from '../../src/web/throttle.ts';

describe('live push throttle', () => {
  it('fires the first change at once, folds a burst into one call at the end of the interval, and never loses the last one', () => {
    const clock = new FakeClock(0);
    const firedAt: number[] = [];
    const throttle = new Throttle(500, () => firedAt.push(clock.now()), clock);
    throttle.request();
    assert.deepEqual(firedAt, [0], 'leading edge');
    for (let t = 0; t < 10; t++) {
      clock.advance(40); // a fast control cycle: 25 per second
      throttle.request();
    }
    assert.deepEqual(firedAt, [0], 'nothing more inside the interval');
    clock.advance(100);
    assert.deepEqual(firedAt, [0, 500], 'one trailing call at the end of the interval');
    clock.advance(2000);
    throttle.request();
    assert.deepEqual(firedAt, [0, 500, 2500], 'after a quiet spell, at once again');
  });

  it('at most 2 calls per second however often it is asked', () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const throttle = new Throttle(500, () => calls++, clock);
    for (let t = 0; t < 10_000; t += 10) {
      throttle.request();
      clock.advance(10);
    }
    assert.ok(calls <= 21 && calls >= 19, `${calls} calls in 10 s`);
  });

  it('stop drops the pending call', () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const throttle = new Throttle(500, () => calls++, clock);
    throttle.request();
    throttle.request();
    throttle.stop();
    clock.advance(1000);
    throttle.request();
    assert.equal(calls, 1);
    assert.equal(clock.pendingTimers(), 0);
  });
});

describe('POST /api/command envelope', () => {
  const site = 'SN_site_0';
  it('wraps a bare fields object with this site and the controller clock time', () => {
    assert.deepEqual(commandEnvelopeOf({ storage_policy: 'off' }, site, 1_714_652_046_900), { extraTags: { nodeId: site }, time: 1_714_652_046, fields: { storage_policy: 'off' } });
  });
  it('keeps what an envelope has, so a wrong site or a stale time is judged as over MQTT, and adds only what it lacks', () => {
    assert.deepEqual(commandEnvelopeOf({ extraTags: { nodeId: 'other' }, time: 5, fields: {} }, site, 9000), { extraTags: { nodeId: 'other' }, time: 5, fields: {} });
    assert.deepEqual(commandEnvelopeOf({ fields: { solar_policy: 'off' } }, site, 9000), { fields: { solar_policy: 'off' }, extraTags: { nodeId: site }, time: 9 });
    assert.deepEqual(commandEnvelopeOf({ time: 'x' }, site, 9000), { time: 'x', extraTags: { nodeId: site } }, 'no fields: the controller answers 11');
  });
});

describe('JSON bodies', () => {
  it('parses JSON and names what is wrong with text that is not', () => {
    assert.deepEqual(parseJsonBody('{"a": [1, "}"]}'), { a: [1, '}'] });
    assert.throws(() => parseJsonBody('{"a": }'), (e: unknown) => e instanceof HttpError && e.statusCode === 400 && /^the body is not valid JSON: /.test(e.message));
    assert.throws(() => parseJsonBody('  '), /the body is empty/);
  });
  it('refuses prototype keys and nesting deeper than any command or config', () => {
    assert.throws(() => parseJsonBody('{"fields": {"__proto__": {"x": 1}}}'), /"__proto__"/);
    assert.throws(() => parseJsonBody('{"constructor": {"prototype": {}}}'), /"constructor"/);
    assert.deepEqual(parseJsonBody('{"constructor": "fine"}'), { constructor: 'fine' });
    const deep = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
    assert.doesNotThrow(() => parseJsonBody(deep(MAX_JSON_DEPTH)));
    assert.throws(() => parseJsonBody(deep(MAX_JSON_DEPTH + 1)), /nested too deeply/);
    assert.doesNotThrow(() => parseJsonBody(JSON.stringify({ s: '['.repeat(1000) })), 'brackets in strings do not count');
  });
});

describe('site view and config check', () => {
  it('redacts every secret-looking value, wherever it is', () => {
    assert.deepEqual(redactSecrets({ mqtt: { username: 'u', password: 'p', keyFile: '/k.pem' }, list: [{ apiToken: 't' }], clientSecret: null }), {
      mqtt: { username: 'u', password: REDACTED, keyFile: '/k.pem' },
      list: [{ apiToken: REDACTED }],
      clientSecret: null,
    });
  });
  it('lists every problem of a config with its path, in schema and combination checks alike', () => {
    assert.deepEqual(checkSiteConfig({ serial: 'SN' }), { ok: true });
    const r = checkSiteConfig({ serial: 'bad serial!', extra: 1 });
    assert.equal(r.ok, false);
    assert.deepEqual(
      !r.ok && r.errors.map((e) => e.path),
      ['serial', '$'],
    );
    assert.deepEqual(checkSiteConfig([]), { ok: false, errors: [{ path: '$', message: 'Invalid input: expected object, received array' }] });
  });
});
