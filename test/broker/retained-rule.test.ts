import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import type { EmbeddedBroker } from '../../src/broker/embedded-broker.ts';
import { startLocalBroker } from '../../src/broker/start-local-broker.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { topicsFor } from '../../src/protocol/topics.ts';
import { connectTestClient, type TestClient } from '../helpers/mqtt-client.ts';
import { storedRetainedTopics } from '../helpers/retained.ts';

// The retained-message rule [issue 13] on `gridpilot start`'s broker, both engines: a retained
// publish (or will) on a command, schedule, prices or feedback topic is delivered live but not
// stored, so nothing is replayed to a controller that subscribes later; the controller's retained
// status is kept. Non-storage is proven by order: one SUBSCRIBE lists the site topics with status
// last, and both brokers send the retained messages of a SUBSCRIBE filter by filter, so a stored
// command would arrive before the status marker.

const run = promisify(execFile);
const S = 'OMRETAIN000000001';
const t = topicsFor(S);
const unretained = [t.command, t.schedule, t.prices, t.feedback];

for (const engine of ['aedes', 'mosquitto'] as const) {
  const version = engine === 'mosquitto' ? 5 : 4;
  describe(`retained messages on the ${engine} engine`, () => {
    it('retained commands, schedules, prices, feedback and wills (MQTT.js, mosquitto_pub -r) are delivered but not stored; the controller\'s status is', async () => {
      const b = await startLocalBroker({ host: '127.0.0.1', port: 0, wsPort: null, engine, maxPacketBytes: 1 << 20 }, {}, silentLogger, { serial: S });
      const clients: TestClient[] = [];
      const connect = async (url: string, opts: Parameters<typeof connectTestClient>[1] = {}): Promise<TestClient> => {
        const c = await connectTestClient(url, { protocolVersion: version, ...opts });
        clients.push(c);
        return c;
      };
      try {
        assert.equal(b.isAnonymousAllowed(), true, 'loopback, no integrator: anybody may publish anything — and still nothing is retained there');
        const live = await connect(b.url);
        await live.client.subscribeAsync(unretained, { qos: 1 });
        const integrator = await connect(b.url);
        for (const topic of unretained) await integrator.client.publishAsync(topic, `mqtt.js ${topic}`, { qos: 1, retain: true });
        const [host, port] = ['127.0.0.1', String(b.port)];
        await run('mosquitto_pub', ['-h', host, '-p', port, '-V', version === 5 ? 'mqttv5' : 'mqttv311', '-q', '1', '-r', '-t', t.command, '-m', 'mosquitto_pub -r'], { timeout: 10_000 });
        // A will with retain on the command topic, set off by a dropped connection.
        const willing = await connect(b.url, { mqtt: { will: { topic: t.command, payload: Buffer.from('retained will'), qos: 1, retain: true } } });
        willing.client.stream.destroy();
        await live.waitFor((m) => m.payload.toString() === 'retained will', 8000, 'the will, live');
        assert.equal(live.received.length, unretained.length + 2, 'every one delivered live');
        assert.ok(live.received.every((m) => !m.packet.retain), 'live deliveries carry no retain flag');

        // The site's controller, on its own listener, retains its status.
        const controller = await connect(b.controllerUrl, { ...b.controllerLogin, clientId: b.controllerLogin.username });
        await controller.client.publishAsync(t.status, 'online', { qos: 1, retain: true });

        const late = await connect(b.url);
        await late.client.subscribeAsync([...unretained, t.status], { qos: 1 });
        await late.waitFor((m) => m.topic === t.status, 4000, 'the retained status');
        assert.deepEqual(late.received.map((m) => `${m.topic} ${m.payload.toString()}`), [`${t.status} online`], 'only the status was stored');
        if (b.engine === 'aedes') assert.deepEqual(await storedRetainedTopics((b as unknown as EmbeddedBroker).aedes), [t.status], 'what aedes holds');
      } finally {
        for (const c of clients) await c.end();
        await b.close();
      }
    });
  });
}
