import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAddressAllowed, parseCidr } from '../../src/core/cidr.ts';
import { Counter, Gauge, Histogram, Registry } from '../../src/ops/exposition.ts';
import { assessHealth, type HealthInputs } from '../../src/ops/health.ts';
import { observe } from '../../src/ops/observability.ts';
import type { CommStatus } from '../../src/devices/driver.ts';
import { resolveSiteConfig } from '../../src/site/site-config.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import { parsePrometheusText, valueOf } from '../helpers/prometheus-text.ts';

describe('the exposition writer', () => {
  it('writes counters, gauges and cumulative histograms that a strict reader accepts, escaping label values and help', () => {
    const r = new Registry();
    const c = r.register(new Counter('t_total', 'with a \\ backslash\nand a newline', ['code']));
    c.inc({ code: '0' });
    c.inc({ code: '0' }, 2);
    c.inc({ code: 'a"b\\c\nd' });
    r.register(new Gauge('t_gauge', 'g', ['id'], () => [{ labels: { id: 'x' }, value: -Infinity }, { labels: { id: 'y' }, value: 0.5 }]));
    const h = r.register(new Histogram('t_seconds', 'h', [0.1, 1]));
    for (const v of [0.05, 0.1, 0.5, 7, NaN]) h.observe(v);
    const text = r.render();
    const f = parsePrometheusText(text);
    assert.match(text, /^# HELP t_total with a \\\\ backslash\\nand a newline$/m);
    assert.equal(valueOf(f, 't_total', { code: '0' }), 3);
    assert.equal(valueOf(f, 't_total', { code: 'a"b\\c\nd' }), 1, 'the label value survives escaping');
    assert.equal(valueOf(f, 't_gauge', { id: 'x' }), -Infinity);
    assert.deepEqual(
      f.get('t_seconds')?.samples.map((s) => [s.name, s.labels.le ?? '', s.value]),
      [
        ['t_seconds_bucket', '0.1', 2],
        ['t_seconds_bucket', '1', 3],
        ['t_seconds_bucket', '+Inf', 4],
        ['t_seconds_sum', '', 7.65],
        ['t_seconds_count', '', 4],
      ],
      'le is an upper bound (0.1 falls in 0.1); a NaN is not counted',
    );
  });

  it('refuses what would make the exposition invalid, and drops only a metric whose collect throws', () => {
    assert.throws(() => new Counter('bad-name', 'x'), /invalid metric name/);
    assert.throws(() => new Counter('ok', 'x', ['le']), /invalid label name/);
    assert.throws(() => new Histogram('h', 'x', [1, 1]), /ascending/);
    const c = new Counter('c_total', 'x', ['a']);
    assert.throws(() => c.inc({ b: '1' }), /takes the labels \[a\]/);
    assert.throws(() => c.inc({ a: '1' }, -1), /only goes up/);
    const r = new Registry();
    r.register(new Gauge('broken', 'x', [], () => {
      throw new Error('device map gone');
    }));
    r.register(new Gauge('fine', 'x', [], () => [{ labels: {}, value: 1 }]));
    const f = parsePrometheusText(r.render());
    assert.equal(f.has('broken'), false);
    assert.equal(valueOf(f, 'fine'), 1);
    assert.throws(() => r.register(new Gauge('fine', 'x', [], () => [])), /twice/);
  });
});

describe('address lists (web.metricsAllow)', () => {
  it('matches hosts and CIDR blocks of both families, IPv4-mapped IPv6 as IPv4, and nothing unparsable', () => {
    const blocks = ['127.0.0.0/8', '::1', '192.168.10.0/24', 'fd00::/8'].map(parseCidr);
    const cases: Array<[string | undefined, boolean]> = [
      ['127.0.0.1', true],
      ['127.255.0.9', true],
      ['::ffff:127.0.0.1', true],
      ['::1', true],
      ['192.168.10.200', true],
      ['192.168.11.1', false],
      ['::ffff:192.168.11.1', false],
      ['fd12:3456::1', true],
      ['fe80::1%eth0', false],
      ['0.0.0.0', false],
      ['localhost', false],
      [undefined, false],
    ];
    for (const [a, expected] of cases) assert.equal(isAddressAllowed(a, blocks), expected, String(a));
    assert.equal(isAddressAllowed('10.1.2.3', [parseCidr('0.0.0.0/0')]), true, '/0 is everything of its family');
    assert.equal(isAddressAllowed('fd00::1', [parseCidr('0.0.0.0/0')]), false);
    assert.throws(() => parseCidr('10.0.0.0/33'), /0–32/);
    assert.throws(() => parseCidr('example.org'), /not an IPv4\/IPv6 address/);
  });

  it('is checked when the config loads, with the path', () => {
    assert.throws(() => resolveSiteConfig({ ...demoSiteConfig(), web: { metricsAllow: ['10.0.0.0/8', 'lan'] } }, 'test'), /web\.metricsAllow\[1\].*"lan" is not an IPv4\/IPv6 address/s);
    assert.deepEqual(resolveSiteConfig(demoSiteConfig(), 'test').web, { host: '127.0.0.1', metricsAllow: ['127.0.0.0/8', '::1'] });
  });
});

describe('health', () => {
  const base: HealthInputs = { nowMs: 10_000, lastCycleAtMs: 9000, lastCycleError: null, cycleMs: 1000, readTimeoutMs: 500, writeTimeoutMs: 1000, store: { isWorkerAlive: true, lastWrite: { atMs: 9500, error: null } }, isBrokerConnected: false };
  it('is ok while cycles run and the store writes, even with the broker gone (the local regime is correct behaviour)', () => {
    assert.deepEqual(assessHealth(base).reasons, []);
    assert.equal(assessHealth({ ...base, store: null }).store.state, 'none');
  });
  it('says why it is not', () => {
    assert.deepEqual(assessHealth({ ...base, lastCycleAtMs: null }).reasons, ['no control cycle has completed yet']);
    assert.match(assessHealth({ ...base, nowMs: 13_001, lastCycleError: 'meter timeout' }).reasons[0] ?? '', /stalled: the last one completed 4\.0 s ago .*the last cycle failed: meter timeout/);
    assert.match(assessHealth({ ...base, store: { isWorkerAlive: false, lastWrite: null } }).reasons[0] ?? '', /worker is not running/);
    assert.match(assessHealth({ ...base, store: { isWorkerAlive: true, lastWrite: { atMs: 1, error: 'disk I/O error' } } }).reasons[0] ?? '', /last write failed: disk I\/O error/);
  });
  it('gives a short cycle with slow devices the time of one read and one write', () => {
    assert.equal(assessHealth({ ...base, cycleMs: 100, nowMs: 9000 + 1500 }).status, 'ok');
    assert.equal(assessHealth({ ...base, cycleMs: 100, nowMs: 9000 + 1700 }).status, 'unhealthy');
  });
});

describe('device online gauge', () => {
  it('follows the drivers\' communication status, grid meter included, and falls back to the last cycle\'s read errors', () => {
    const site = resolveSiteConfig(demoSiteConfig(), 'test');
    const [first, second] = site.devices;
    assert.ok(first && second);
    const status = new Map<string, CommStatus>([[first.nodeId, { isOnline: false, offlineSinceMs: 1, lastGoodReadMs: null, lastError: 'timeout' } as CommStatus]]);
    const readErrors = new Map([[second.nodeId, 'no answer']]);
    const ops = observe({
      site,
      clock: { now: () => 0 },
      controller: { onCycle: () => () => undefined, lastCycle: () => ({ snapshot: { readErrors } }) as never, stats: () => ({ commandsByCode: new Map(), watchdogFallbacks: 0, cycleFailures: 0, lastCycleError: null }) },
      store: null,
      link: null,
      commStatus: () => status,
      plans: null,
    });
    const f = parsePrometheusText(ops.metrics());
    assert.equal(valueOf(f, 'gridpilot_device_online', { node_id: first.nodeId, group: first.group }), 0);
    assert.equal(valueOf(f, 'gridpilot_device_online', { node_id: second.nodeId, group: second.group }), 0);
    assert.equal(valueOf(f, 'gridpilot_device_online', { node_id: site.siteNodeId, group: 'grid' }), 1);
    assert.equal(f.get('gridpilot_broker_connected')?.samples.length, 0, 'no link, no value');
  });
});
