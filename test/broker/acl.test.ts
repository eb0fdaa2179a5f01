import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrokerAuth } from '../../src/broker/auth.ts';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.ts';
import { topicsFor } from '../../src/protocol/topics.ts';
import { BROKERS, type RunningBroker } from '../helpers/brokers.ts';
import { connectTestClient } from '../helpers/mqtt-client.ts';
import { storedRetainedTopics } from '../helpers/retained.ts';
import { createTestPki, type TestPki } from '../helpers/tls-certs.ts';

const A = 'OM12404080000000001';
const B = 'OM12404080000000002';
const tA = topicsFor(A);
const tB = topicsFor(B);

// One controller account serving both sites, so a single subscriber sees both command topics and
// message order proves that a denied command never arrived.
const auth: BrokerAuth = {
  users: [
    { username: 'ctl-ab', password: 'pw-ctl', role: 'controller', serials: [A, B] },
    { username: 'int-a', password: 'pw-int-a', role: 'integrator', serials: [A] },
  ],
};
const ctl = { username: 'ctl-ab', password: 'pw-ctl' };
const intA = { username: 'int-a', password: 'pw-int-a' };

const versionName = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5' } as const;

for (const fixture of BROKERS) {
  describe(`ACL on ${fixture.name}`, () => {
    let broker: RunningBroker;
    before(async () => {
      broker = await fixture.start({ auth });
    });
    after(async () => {
      await broker.stop();
    });

    test('anonymous clients and wrong passwords are refused', async () => {
      await assert.rejects(connectTestClient(broker.url), /Not authorized|Connection refused/i);
      await assert.rejects(connectTestClient(broker.url, { username: 'int-a', password: 'wrong' }), /Connection refused|Not authorized|Bad User Name/i);
    });

    test('an integrator receives the feedback of its own site', async () => {
      const controller = await connectTestClient(broker.url, ctl);
      const integrator = await connectTestClient(broker.url, intA);
      try {
        await integrator.client.subscribeAsync(tA.feedback, { qos: 1 });
        await controller.client.publishAsync(tA.feedback, '{"ok":true}', { qos: 1 });
        const m = await integrator.waitFor((r) => r.topic === tA.feedback);
        assert.deepEqual(m.json, { ok: true });
      } finally {
        await Promise.all([controller.end(), integrator.end()]);
      }
    });

    for (const version of fixture.protocols) {
      const outcome = fixture.deniedPublish[version] ?? '?';
      test(`${versionName[version]}: an integrator of site A cannot command site B; the command is ${outcome}${outcome === 'disconnect' ? 'ed' : ' and the connection stays up'}`, async () => {
        const controller = await connectTestClient(broker.url, { ...ctl, protocolVersion: version });
        let integrator = await connectTestClient(broker.url, { ...intA, protocolVersion: version });
        try {
          await controller.client.subscribeAsync([tA.command, tB.command], { qos: 1 });
          if (outcome === 'disconnect') {
            integrator.client.publish(tB.command, 'for B', { qos: 1 });
            await integrator.waitForClose(); // [MQTT-3.3.5-2]
            await integrator.end();
            integrator = await connectTestClient(broker.url, { ...intA, protocolVersion: version });
          } else {
            const denied = integrator.client.publishAsync(tB.command, 'for B', { qos: 1 });
            if (outcome === 'puback-0x87') await assert.rejects(denied, (err: Error & { code?: unknown }) => err.code === 0x87);
            else await denied; // acknowledged like any publish, then discarded
          }
          await integrator.client.publishAsync(tA.command, 'for A', { qos: 1 });
          await controller.waitFor((r) => r.topic === tA.command);
          assert.deepEqual(
            controller.received.map((r) => r.topic),
            [tA.command],
            'the denied command for B was not delivered',
          );
          assert.equal(integrator.client.connected, true);
        } finally {
          await Promise.all([controller.end(), integrator.end()]);
        }
      });

      test(`${versionName[version]}: an integrator never gets another site's feedback (SUBACK ${fixture.deniedSubscribe === 'suback-failure' ? 'failure' : 'granted, delivery filtered'})`, async () => {
        const controller = await connectTestClient(broker.url, { ...ctl, protocolVersion: version });
        const integrator = await connectTestClient(broker.url, { ...intA, protocolVersion: version });
        try {
          const foreign = integrator.client.subscribeAsync(tB.feedback, { qos: 1 });
          if (fixture.deniedSubscribe === 'suback-failure') await assert.rejects(foreign, /Subscribe error/);
          else await foreign;
          const granted = await integrator.client.subscribeAsync(tA.feedback, { qos: 1 });
          assert.equal(granted[0]?.qos, 1);
          await controller.client.publishAsync(tB.feedback, 'B', { qos: 1 });
          await controller.client.publishAsync(tA.feedback, 'A', { qos: 1 });
          await integrator.waitFor((r) => r.topic === tA.feedback);
          assert.deepEqual(integrator.received.map((r) => r.payload.toString()), ['A']);
          assert.equal(integrator.client.connected, true);
        } finally {
          await Promise.all([controller.end(), integrator.end()]);
        }
      });
    }
  });
}

describe('embedded broker ACL specifics', () => {
  let pki: TestPki;
  before(() => {
    pki = createTestPki(['ctl-cert', 'stranger']);
  });
  after(() => pki.remove());

  test('a wildcard subscription delivers only the integrator\'s own sites (retained included)', async () => {
    const broker = await startEmbeddedBroker({ port: 0, auth });
    const controller = await connectTestClient(broker.url, ctl);
    const integrator = await connectTestClient(broker.url, intA);
    try {
      await controller.client.publishAsync(tB.status, 'B retained', { qos: 1, retain: true });
      await controller.client.publishAsync(tA.status, 'A retained', { qos: 1, retain: true });
      await integrator.client.subscribeAsync('gridpilot/status/+', { qos: 1 });
      await integrator.client.subscribeAsync('standard1/outbound/remoteControlMetrics/feedback/+', { qos: 1 });
      await integrator.waitFor((r) => r.topic === tA.status);
      await controller.client.publishAsync(tB.feedback, 'B', { qos: 1 });
      await controller.client.publishAsync(tA.feedback, 'A', { qos: 1 });
      await integrator.waitFor((r) => r.topic === tA.feedback);
      assert.deepEqual(
        integrator.received.map((r) => r.payload.toString()),
        ['A retained', 'A'],
      );
    } finally {
      await Promise.all([controller.end(), integrator.end()]);
      await broker.close();
    }
  });

  test('a denied publish never becomes a retained message; an allowed retained command is delivered live, not stored', async () => {
    const broker = await startEmbeddedBroker({ port: 0, auth, deniedPublish: 'drop' });
    const integrator = await connectTestClient(broker.url, intA);
    const controller = await connectTestClient(broker.url, ctl);
    try {
      await controller.client.subscribeAsync([tA.command, tB.command], { qos: 1 });
      await integrator.client.publishAsync(tB.command, 'sticky', { qos: 1, retain: true });
      await integrator.client.publishAsync(tA.command, 'marker', { qos: 1, retain: true });
      await controller.waitFor((r) => r.topic === tA.command);
      assert.deepEqual(controller.received.map((r) => r.payload.toString()), ['marker']);
      // What the broker holds: nothing (the retained-message rule, issue 13).
      assert.deepEqual(await storedRetainedTopics(broker.aedes), []);
    } finally {
      await Promise.all([controller.end(), integrator.end()]);
      await broker.close();
    }
  });

  test('a denied QoS 2 publish completes its handshake and is dropped', async () => {
    const broker = await startEmbeddedBroker({ port: 0, auth });
    const integrator = await connectTestClient(broker.url, { ...intA, protocolVersion: 3 });
    const controller = await connectTestClient(broker.url, ctl);
    try {
      await controller.client.subscribeAsync([tA.command, tB.command], { qos: 2 });
      await integrator.client.publishAsync(tB.command, 'qos2 for B', { qos: 2 });
      await integrator.client.publishAsync(tA.command, 'qos2 for A', { qos: 2 });
      await controller.waitFor((r) => r.topic === tA.command);
      assert.deepEqual(controller.received.map((r) => r.payload.toString()), ['qos2 for A']);
      assert.equal(integrator.client.connected, true);
    } finally {
      await Promise.all([controller.end(), integrator.end()]);
      await broker.close();
    }
  });

  test('deniedPublish "drop" keeps a 3.1.1 connection up instead of closing it', async () => {
    const broker = await startEmbeddedBroker({ port: 0, auth, deniedPublish: 'drop' });
    const integrator = await connectTestClient(broker.url, { ...intA, protocolVersion: 4 });
    try {
      await integrator.client.publishAsync(tB.command, 'for B', { qos: 1 });
      await integrator.client.publishAsync(tA.command, 'for A', { qos: 1 });
      assert.equal(integrator.client.connected, true);
    } finally {
      await integrator.end();
      await broker.close();
    }
  });

  test('a client certificate whose CN is an account logs in over TLS without a password', async () => {
    const certAuth: BrokerAuth = { users: [...auth.users, { username: 'ctl-cert', role: 'controller', serials: [A] }] };
    const broker = await startEmbeddedBroker({
      port: 0,
      auth: certAuth,
      tls: { port: 0, keyFile: pki.serverKeyFile, certFile: pki.serverCertFile, caFile: pki.caFile },
    });
    const url = broker.tlsUrl ?? '';
    try {
      const withCert = await connectTestClient(url, { caFile: pki.caFile, ...pki.clients['ctl-cert'] });
      await withCert.client.publishAsync(tA.feedback, 'x', { qos: 1 });
      await withCert.end();
      // A valid certificate for a name with no account, or none at all: refused.
      await assert.rejects(connectTestClient(url, { caFile: pki.caFile, ...pki.clients['stranger'] }), /Not authorized|Connection refused/i);
      await assert.rejects(connectTestClient(url, { caFile: pki.caFile }), /Not authorized|Connection refused/i);
      // Passwords still work on the TLS listener.
      const withPassword = await connectTestClient(url, { caFile: pki.caFile, ...intA });
      await withPassword.end();
    } finally {
      await broker.close();
    }
  });
});
