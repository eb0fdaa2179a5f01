import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.ts';
import { connectTestClient, withTimeout } from '../helpers/mqtt-client.ts';
import { createTestPki, type TestPki } from '../helpers/tls-certs.ts';

describe('embedded broker', () => {
  let broker: EmbeddedBroker;
  let pki: TestPki;

  before(async () => {
    pki = createTestPki();
    broker = await startEmbeddedBroker({
      port: 0,
      wsPort: 0,
      tls: { port: 0, keyFile: pki.serverKeyFile, certFile: pki.serverCertFile },
      wssPort: 0,
    });
  });
  after(async () => {
    await broker.close();
    pki.remove();
  });

  test('reports loopback URLs with the bound ports', () => {
    assert.match(broker.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(broker.url, `mqtt://127.0.0.1:${broker.port}`);
    assert.equal(broker.wsUrl, `ws://127.0.0.1:${broker.wsPort}/mqtt`);
    assert.equal(broker.tlsUrl, `mqtts://127.0.0.1:${broker.tlsPort}`);
    assert.equal(broker.wssUrl, `wss://127.0.0.1:${broker.wssPort}/mqtt`);
  });

  for (const transport of ['tcp', 'ws', 'tls', 'wss'] as const) {
    for (const version of [3, 4] as const) {
      test(`MQTT ${version === 3 ? '3.1' : '3.1.1'} clients exchange a message over ${transport}`, async () => {
        const url = { tcp: broker.url, ws: broker.wsUrl, tls: broker.tlsUrl, wss: broker.wssUrl }[transport];
        assert.ok(url);
        const tlsOpts = transport === 'tls' || transport === 'wss' ? { caFile: pki.caFile } : {};
        const sub = await connectTestClient(url, { protocolVersion: version, ...tlsOpts });
        const pub = await connectTestClient(url, { protocolVersion: version, ...tlsOpts });
        try {
          const topic = `test/${transport}/v${version}`;
          await sub.client.subscribeAsync(topic, { qos: 1 });
          await pub.client.publishAsync(topic, 'hello', { qos: 1 });
          const m = await sub.waitFor((r) => r.topic === topic);
          assert.equal(m.payload.toString(), 'hello');
        } finally {
          await Promise.all([sub.end(), pub.end()]);
        }
      });
    }
  }

  test('an MQTT 5 client gets a clean CONNACK refusal (aedes speaks 3.1 and 3.1.1 only)', async () => {
    await assert.rejects(connectTestClient(broker.url, { protocolVersion: 5 }), (err: Error & { code?: unknown }) => {
      assert.match(err.message, /Unacceptable protocol version/i);
      assert.equal(err.code, 1);
      return true;
    });
  });

  test('a WebSocket request on another path is refused', async () => {
    await assert.rejects(connectTestClient(`ws://127.0.0.1:${broker.wsPort}/other`, { mqtt: { connectTimeout: 2000 } }));
  });
});

describe('embedded broker close()', () => {
  test('ends client connections at once and frees the ports', async () => {
    const broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
    const tcpClient = await connectTestClient(broker.url);
    const wsClient = await connectTestClient(broker.wsUrl ?? '');
    // A socket that never sends CONNECT must not hold close() up either.
    const idle = net.connect(broker.port, '127.0.0.1');
    await new Promise<void>((resolve) => idle.once('connect', () => resolve()));
    const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    idle.on('error', () => undefined);

    await withTimeout(broker.close(), 2000, 'broker.close()');
    await Promise.all([tcpClient.waitForClose(2000), wsClient.waitForClose(2000), withTimeout(idleClosed, 2000, 'idle socket close')]);
    await broker.close(); // idempotent

    for (const port of [broker.port, broker.wsPort ?? 0]) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await Promise.all([tcpClient.end(), wsClient.end()]);
  });

  test('a port in use fails the start with the port in the message, leaving nothing open', async () => {
    const first = await startEmbeddedBroker({ port: 0 });
    try {
      await assert.rejects(startEmbeddedBroker({ port: 0, wsPort: first.port }), new RegExp(`broker ws: cannot listen on 127\\.0\\.0\\.1:${first.port}`));
    } finally {
      await first.close();
    }
  });

  test('missing TLS files fail the start with the path', async () => {
    await assert.rejects(
      startEmbeddedBroker({ port: 0, tls: { port: 0, keyFile: '/nonexistent/key.pem', certFile: '/nonexistent/cert.pem' } }),
      /\/nonexistent\/key\.pem: cannot read TLS key/,
    );
  });
});
