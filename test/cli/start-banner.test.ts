import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { appOptionsFrom } from '../../src/cli/commands/start.ts';
import { EXAMPLE_FIELDS, formatStartBanner, mosquittoPubLine, mosquittoSubLine, pricesWords, reachableHostPort } from '../../src/cli/start-banner.ts';
import { startApp } from '../../src/app.ts';
import { FakeClock } from '../../src/core/clock.ts';
import type { RunningAppInfo } from '../../src/app-options.ts';
import { topicsFor } from '../../src/protocol/topics.ts';

const SERIAL = 'OM12404080000000000';
const info: RunningAppInfo = {
  serial: SERIAL,
  siteNodeId: `${SERIAL}_site_0`,
  brokerUrl: 'mqtt://0.0.0.0:1883',
  isEmbeddedBroker: true,
  wsUrl: 'ws://127.0.0.1:8083/mqtt',
  httpUrl: 'http://127.0.0.1:8080',
  topics: topicsFor(SERIAL),
  fallbackTimeoutS: 60,
  gridMeterDriver: 'simulated',
  devices: [
    { nodeId: `${SERIAL}_storage_0`, group: 'storage', name: 'Battery A', driver: 'simulated' },
    { nodeId: `${SERIAL}_solar_0`, group: 'solar', name: 'Roof PV', driver: 'simulated' },
  ],
};

/** Runs a printed shell line with mosquitto_pub/_sub replaced by a function that prints its arguments as JSON. */
function runInShell(line: string): string[] {
  const script = `mosquitto_pub() { node -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- "$@"; }\nmosquitto_sub() { mosquitto_pub "$@"; }\n${line}`;
  return JSON.parse(execFileSync('sh', ['-c', script], { encoding: 'utf8' })) as string[];
}

describe('gridpilot start banner', () => {
  it('prints a ready-to-paste mosquitto_pub of the contract example, stamped with the current time by the shell', () => {
    const line = mosquittoPubLine(info);
    assert.match(line, /^mosquitto_pub -h 127\.0\.0\.1 -p 1883 -V mqttv31 -q 1 -t 'standard1\/rp_one_s\/remoteControlMetrics\/OM12404080000000000' -m "/);
    assert.match(line, /\\"time\\":\$\(date \+%s\)/);
    const args = runInShell(line);
    const payload = JSON.parse(args[args.indexOf('-m') + 1] ?? '') as { time: number };
    const nowS = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(payload.time - nowS) <= 5, `time ${payload.time} should be now (${nowS})`);
    assert.deepEqual(payload, { extraTags: { nodeId: `${SERIAL}_site_0` }, time: payload.time, fields: EXAMPLE_FIELDS });
    assert.equal(args[args.indexOf('-t') + 1], info.topics.command);
  });

  it('prints the matching mosquitto_sub on the feedback topic', () => {
    const args = runInShell(mosquittoSubLine(info));
    assert.deepEqual(args, ['-h', '127.0.0.1', '-p', '1883', '-V', 'mqttv31', '-t', info.topics.feedback, '-v']);
  });

  it('names the broker, topics, site and device nodeIds, and the CLI equivalent', () => {
    const text = formatStartBanner(info);
    for (const needle of [
      'mqtt://127.0.0.1:1883',
      'ws://127.0.0.1:8083/mqtt',
      'http://127.0.0.1:8080',
      info.topics.command,
      info.topics.feedback,
      info.topics.schedule,
      info.topics.status,
      `${SERIAL}_site_0`,
      `${SERIAL}_storage_0`,
      'Roof PV',
      'fallback       60 s',
      'npx gridpilot send --solar setpoint 5000 --storage setpoint -5000',
    ]) {
      assert.ok(text.includes(needle), `banner should mention ${needle}\n${text}`);
    }
    const other = formatStartBanner({ ...info, serial: 'SN1', brokerUrl: 'mqtt://localhost:1999', wsUrl: null, httpUrl: null, devices: [] });
    assert.match(other, /npx gridpilot send --broker mqtt:\/\/localhost:1999 --serial SN1 --solar/);
    assert.doesNotMatch(other, /WebSocket/);
  });

  it('maps wildcard bind addresses to loopback', () => {
    assert.deepEqual(reachableHostPort('mqtt://[::]:1884'), { host: '127.0.0.1', port: 1884, protocol: 'mqtt:' });
    assert.deepEqual(reachableHostPort('mqtts://broker.example'), { host: 'broker.example', port: 8883, protocol: 'mqtts:' });
  });

  it('maps start flags to app options, leaving unset ones to the config', () => {
    assert.deepEqual(appOptionsFrom({}), {});
    assert.deepEqual(
      appOptionsFrom({ config: 'site.yaml', serial: 'SN', brokerPort: 0, wsPort: 'off', httpPort: 8081, fallbackTimeout: 30, speed: 60, simStart: 5, brokerUrl: 'mqtt://x', dataDir: 'd', logLevel: 'debug' }),
      { configPath: 'site.yaml', serial: 'SN', brokerPort: 0, wsPort: null, httpPort: 8081, fallbackTimeoutS: 30, speed: 60, simStartMs: 5, brokerUrl: 'mqtt://x', dataDir: 'd', logLevel: 'debug' },
    );
  });

  it('says where the prices come from, and that recorded prices replayed onto today are not today\'s market', () => {
    const day = (d: string, source: string): { day: string; fromMs: number; sourceDay: string; sourceFromMs: number } => ({ day: d, fromMs: Date.parse(`${d}T00:00:00Z`), sourceDay: source, sourceFromMs: Date.parse(`${source}T00:00:00Z`) });
    const source = 'the bundled Belgian day-ahead prices';
    assert.equal(pricesWords({ source: 'bundled', today: '2026-12-04', replay: { source, days: [day('2026-12-04', '2024-12-06')] } }), "the bundled Belgian day-ahead prices of 2024-12-06, replayed onto today (not today's market)");
    assert.equal(
      pricesWords({ source: 'bundled', today: '2026-12-04', replay: { source, days: [day('2026-12-04', '2024-12-06'), day('2026-12-05', '2024-12-07')] } }),
      "the bundled Belgian day-ahead prices of 2024-12-06 and 2024-12-07, replayed onto today and tomorrow (not today's market)",
    );
    assert.equal(pricesWords({ source: 'bundled', today: '2026-12-04', replay: { source, days: [day('2026-12-05', '2024-12-07')] } }), "the bundled Belgian day-ahead prices of 2024-12-07, replayed onto tomorrow (not the market's prices)");
    assert.equal(pricesWords({ source: 'bundled', today: '2024-06-03', replay: null }), 'the bundled Belgian day-ahead prices, on their own dates');
    assert.equal(pricesWords({ source: 'pushed', today: '2024-06-03', replay: null }), 'only prices pushed on the prices topic');
    assert.equal(pricesWords({ source: 'entsoe', today: '2024-06-03', replay: null }), 'ENTSO-E day-ahead prices (the market)');
    assert.match(formatStartBanner({ ...info, prices: { source: 'bundled', today: '2026-12-04', replay: { source, days: [day('2026-12-04', '2024-12-06')] } } }), /^ {2}prices {9}the bundled Belgian day-ahead prices of 2024-12-06, replayed onto today \(not today's market\)$/m);
    assert.doesNotMatch(formatStartBanner(info), /^ {2}prices /m, 'no line without a price source');
  });

  it('the demo site started past the bundled prices\' span prints the replay in its banner; inside the span it does not', async () => {
    // Friday 2026-12-04 10:00 Brussels: the bundled file ends 2025-10-21, so 2024-12-06 (104 weeks earlier, a Friday) is replayed.
    for (const [at, expected] of [
      ['2026-12-04T09:00:00Z', "the bundled Belgian day-ahead prices of 2024-12-06, replayed onto today (not today's market)"],
      ['2024-06-03T09:00:00Z', 'the bundled Belgian day-ahead prices, on their own dates'],
    ] as const) {
      const app = await startApp({ clock: new FakeClock(Date.parse(at)), brokerPort: 0, wsPort: null, httpPort: null, logLevel: 'silent' });
      try {
        const banner = formatStartBanner(app.info);
        const line = banner.split('\n').find((l) => l.startsWith('  prices '));
        assert.equal(line, `  prices         ${expected}`, banner);
      } finally {
        await app.stop();
      }
    }
  });

  it('says whether the local broker lets anonymous clients in or wants accounts', () => {
    const open = formatStartBanner({ ...info, localBroker: { engine: 'mosquitto', version: 'mosquitto 2.0.11', protocolVersions: [3, 4, 5], isAnonymousAllowed: true } });
    assert.match(open, /^ {2}access {9}anonymous clients allowed \(loopback, no integrator account yet\)/m);
    const closed = formatStartBanner({ ...info, localBroker: { engine: 'aedes', version: 'aedes', protocolVersions: [3, 4], isAnonymousAllowed: false } });
    assert.match(closed, /^ {2}access {9}accounts only \(anonymous off\)/m);
    assert.doesNotMatch(formatStartBanner({ ...info, isEmbeddedBroker: false }), /^ {2}access /m, 'an external broker is not ours to describe');
  });
});
