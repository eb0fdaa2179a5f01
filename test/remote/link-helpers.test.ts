import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { backoffDelayMs } from '../../src/remote/backoff.ts';
import { mqttConnectOptions } from '../../src/remote/mqtt-options.ts';
import { defaultClientId, offlineStatus, onlineStatus } from '../../src/remote/remote-link.ts';
import { createTestPki, type TestPki } from '../helpers/tls-certs.ts';

describe('mqttConnectOptions', () => {
  let pki: TestPki;
  before(() => {
    pki = createTestPki(['ctl']);
  });
  after(() => pki.remove());

  test('MQTT 3.1 is protocolId MQIsdp with level 3; 3.1.1 and 5 are MQTT', () => {
    assert.deepEqual(mqttConnectOptions({ url: 'mqtt://h:1883', protocolVersion: 3 }), { protocolId: 'MQIsdp', protocolVersion: 3 });
    assert.deepEqual(mqttConnectOptions({ url: 'mqtt://h:1883', protocolVersion: 4 }), { protocolId: 'MQTT', protocolVersion: 4 });
    assert.deepEqual(mqttConnectOptions({ url: 'ws://h/mqtt', protocolVersion: 5 }), { protocolId: 'MQTT', protocolVersion: 5 });
  });

  test('credentials pass through and undefined ones are left out', () => {
    const o = mqttConnectOptions({ url: 'mqtt://h', protocolVersion: 4, username: 'u', password: 'p', clientId: 'c', caFile: undefined });
    assert.deepEqual(o, { protocolId: 'MQTT', protocolVersion: 4, username: 'u', password: 'p', clientId: 'c' });
  });

  test('TLS files are read into ca / cert / key', () => {
    const client = pki.clients['ctl'];
    assert.ok(client);
    const o = mqttConnectOptions({ url: 'mqtts://h:8883', protocolVersion: 4, caFile: pki.caFile, ...client, rejectUnauthorized: false });
    assert.deepEqual(o.ca, readFileSync(pki.caFile));
    assert.deepEqual(o.cert, readFileSync(client.certFile));
    assert.deepEqual(o.key, readFileSync(client.keyFile));
    assert.equal(o.rejectUnauthorized, false);
  });

  test('bad settings fail with the file, field or URL named', () => {
    assert.throws(() => mqttConnectOptions({ url: 'mqtts://h', protocolVersion: 4, caFile: '/no/such/ca.pem' }), /CA file \/no\/such\/ca\.pem/);
    assert.throws(() => mqttConnectOptions({ url: 'mqtts://h', protocolVersion: 4, certFile: pki.caFile }), /both certFile and keyFile/);
    assert.throws(() => mqttConnectOptions({ url: 'http://h', protocolVersion: 4 }), /unsupported MQTT broker URL scheme http:/);
    assert.throws(() => mqttConnectOptions({ url: 'not a url', protocolVersion: 4 }), /invalid MQTT broker URL/);
  });
});

describe('remote link details', () => {
  test('the default client id is stable per serial and at most 23 characters (MQTT 3.1)', () => {
    assert.equal(defaultClientId('OM12404080000000000'), 'gp-OM12404080000000000');
    const long = defaultClientId('A-VERY-LONG-SERIAL-NUMBER-1234567890');
    assert.equal(long.length, 23);
    assert.equal(long, defaultClientId('A-VERY-LONG-SERIAL-NUMBER-1234567890'));
    assert.notEqual(long, defaultClientId('A-VERY-LONG-SERIAL-NUMBER-1234567891'));
  });

  test('status payloads carry Unix seconds', () => {
    assert.equal(onlineStatus(1_714_651_200_999), '{"status":"online","time":1714651200}');
    assert.equal(offlineStatus(), '{"status":"offline"}');
    assert.equal(offlineStatus(1_714_651_200_000), '{"status":"offline","time":1714651200}');
  });

  test('reconnect delays double from 250 ms to a 1.5 s cap (back within 2 s of the broker)', () => {
    const delays = [0, 1, 2, 3, 4, 20, 100].map((n) => backoffDelayMs(n, { jitter: 0 }));
    assert.deepEqual(delays, [250, 500, 1000, 1500, 1500, 1500, 1500]);
    assert.deepEqual([0, 3, 6].map((n) => backoffDelayMs(n, { initialDelayMs: 1000, maxDelayMs: 30_000, jitter: 0 })), [1000, 8000, 30_000]);
  });

  test('jitter spreads a delay by at most ±30 % and never above the cap', () => {
    assert.equal(backoffDelayMs(1, {}, () => 0), 350);
    assert.equal(backoffDelayMs(1, {}, () => 0.999_999), 650);
    assert.equal(backoffDelayMs(10, {}, () => 0.999_999), 1500);
    assert.equal(backoffDelayMs(10, {}, () => 0), 1050);
    assert.equal(backoffDelayMs(0, { initialDelayMs: 50, maxDelayMs: 200, jitter: 0 }), 50);
  });
});
