import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressBackoff, normalizeAddress } from '../../src/broker/address-backoff.ts';
import { mayRetainOn } from '../../src/broker/auth.ts';
import { DEFAULT_BROKER_LIMITS } from '../../src/broker/connection-guard.ts';
import { isOriginAllowed, normalizeOrigin } from '../../src/broker/listeners.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { resolveSiteConfig } from '../../src/site/site-config.ts';
import { configProblems } from '../helpers/config-problems.ts';

// The pure parts of the abuse limits, the Origin allow-list and the retained-message rule; the
// real-socket tests are abuse-limits.test.ts, ws-origin.test.ts and retained-rule.test.ts.

const withEmbedded = (embedded: Record<string, unknown>): unknown => ({ ...demoSiteConfig(), mqtt: { embedded } });
const problems = configProblems;

describe('mqtt.embedded.limits and wsAllowedOrigins in the site config', () => {
  it('defaults to the broker library\'s defaults and no allowed origin', () => {
    const site = resolveSiteConfig(demoSiteConfig());
    assert.deepEqual(site.mqtt.embedded.limits, DEFAULT_BROKER_LIMITS);
    assert.deepEqual(site.mqtt.embedded.wsAllowedOrigins, []);
  });

  it('takes origins and limits', () => {
    const site = resolveSiteConfig(withEmbedded({ wsAllowedOrigins: ['https://ops.example.com', 'http://localhost:8080'], limits: { maxConnections: 50, maxMessagesPerS: 2.5 } }));
    assert.deepEqual(site.mqtt.embedded.wsAllowedOrigins, ['https://ops.example.com', 'http://localhost:8080']);
    assert.equal(site.mqtt.embedded.limits.maxConnections, 50);
    assert.equal(site.mqtt.embedded.limits.maxMessagesPerS, 2.5);
    assert.equal(site.mqtt.embedded.limits.messageBurst, DEFAULT_BROKER_LIMITS.messageBurst);
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an origin with a path', { wsAllowedOrigins: ['https://ops.example.com/ui'] }, /mqtt\.embedded\.wsAllowedOrigins\[0\].*an origin/],
    ['an origin without a scheme', { wsAllowedOrigins: ['ops.example.com'] }, /mqtt\.embedded\.wsAllowedOrigins\[0\]/],
    ['a ws:// origin', { wsAllowedOrigins: ['ws://ops.example.com'] }, /mqtt\.embedded\.wsAllowedOrigins\[0\]/],
    ['an unknown limit', { limits: { maxSessions: 5 } }, /mqtt\.embedded\.limits.*maxSessions/],
    ['zero connections', { limits: { maxConnections: 0 } }, /mqtt\.embedded\.limits\.maxConnections/],
    ['a back-off cap below its start', { limits: { backoffMs: 5000, backoffMaxMs: 1000 } }, /mqtt\.embedded\.limits\.backoffMaxMs.*≥ backoffMs/],
  ];
  for (const [name, embedded, pattern] of bad) {
    it(`refuses ${name}, naming where`, () => assert.match(problems(withEmbedded(embedded)), pattern));
  }
});

describe('Origin allow-list (pure)', () => {
  it('normalizes configured origins as browsers send them, and refuses non-origins', () => {
    assert.equal(normalizeOrigin('https://Ops.Example.com:443/'), 'https://ops.example.com');
    assert.equal(normalizeOrigin('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
    assert.throws(() => normalizeOrigin('https://ops.example.com/x'), /wsAllowedOrigins: https:\/\/ops\.example\.com\/x is not an origin/);
  });

  it('lets a handshake without Origin through, and one with an Origin only when listed', () => {
    const allowed = new Set(['https://ops.example.com']);
    assert.equal(isOriginAllowed(undefined, allowed), true, 'non-browser clients send no Origin');
    assert.equal(isOriginAllowed('https://ops.example.com', allowed), true);
    assert.equal(isOriginAllowed('https://evil.example.net', allowed), false);
    assert.equal(isOriginAllowed('null', allowed), false, 'sandboxed pages and file:// send "null"');
    assert.equal(isOriginAllowed('https://ops.example.com', new Set()), false, 'none listed: every page refused');
  });
});

describe('AddressBackoff (pure, time passed in)', () => {
  const opts = { freeFailures: 3, firstMs: 1000, maxMs: 8000 };

  it('refuses an address after its free failures, doubling up to the cap; others are not affected', () => {
    const b = new AddressBackoff(opts);
    assert.equal(b.fail('10.0.0.1', 0), 0);
    assert.equal(b.fail('10.0.0.1', 0), 0);
    assert.equal(b.blockedUntil('10.0.0.1', 0), null);
    assert.equal(b.fail('10.0.0.1', 0), 1000);
    assert.equal(b.blockedUntil('10.0.0.1', 999), 1000);
    assert.equal(b.blockedUntil('10.0.0.1', 1000), null, 'the period is over');
    assert.equal(b.blockedUntil('10.0.0.2', 500), null);
    assert.deepEqual([b.fail('10.0.0.1', 1000), b.fail('10.0.0.1', 3000), b.fail('10.0.0.1', 7000), b.fail('10.0.0.1', 15_000)], [2000, 4000, 8000, 8000]);
  });

  it('a successful login forgets the address; a long-quiet address starts from zero', () => {
    const b = new AddressBackoff(opts);
    for (let i = 0; i < 3; i++) b.fail('10.0.0.1', 0);
    b.succeed('10.0.0.1');
    assert.equal(b.blockedUntil('10.0.0.1', 1), null);
    assert.equal(b.fail('10.0.0.1', 1), 0);
    for (let i = 0; i < 2; i++) b.fail('10.0.0.3', 0);
    assert.equal(b.fail('10.0.0.3', 8001), 0, 'quiet for longer than maxMs: a first failure again');
  });

  it('remembers a bounded number of addresses, the least recently failing forgotten first', () => {
    const b = new AddressBackoff({ ...opts, maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) b.fail(`10.0.${Math.floor(i / 256)}.${i % 256}`, i);
    assert.equal(b.size, 100);
  });

  it('counts an IPv4 client on a dual-stack listener as its IPv4 address', () => {
    assert.equal(normalizeAddress('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(normalizeAddress('2001:db8::1'), '2001:db8::1');
    assert.equal(normalizeAddress(undefined), 'unknown');
  });
});

describe('the retained-message rule (pure)', () => {
  it('commands, schedules, prices and feedback are never stored; status and foreign topics are', () => {
    for (const topic of ['standard1/rp_one_s/remoteControlMetrics/OM1', 'standard1/rp_one_s/remoteControlSchedules/OM1', 'gridpilot/prices/OM1', 'standard1/outbound/remoteControlMetrics/feedback/OM1']) {
      assert.equal(mayRetainOn(topic), false, topic);
    }
    assert.equal(mayRetainOn('gridpilot/status/OM1'), true);
    assert.equal(mayRetainOn('some/other/topic'), true);
    assert.equal(mayRetainOn('standard1/rp_one_s/remoteControlMetrics/OM1/extra'), true, 'not a site topic');
    assert.equal(mayRetainOn('acme/cmd/OM1', { command: 'acme/cmd' }), false, 'white-label prefixes move the rule');
    assert.equal(mayRetainOn('standard1/rp_one_s/remoteControlMetrics/OM1', { command: 'acme/cmd' }), true);
  });
});
