import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { startMosquittoBroker } from '../../src/broker/mosquitto-broker.ts';
import { findMosquitto } from '../../src/broker/mosquitto-config.ts';
import { startLocalBroker } from '../../src/broker/start-local-broker.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { startAppUnderTest } from '../helpers/app-harness.ts';
import { connectTestClient } from '../helpers/mqtt-client.ts';
import { until } from '../helpers/until.ts';

const MOSQUITTO = findMosquitto();
// Async: the broker's listeners run in this process (a synchronous child would block them).
const run = promisify(execFile);

void describe('the local broker: mosquitto run and supervised by gridpilot', () => {
  void it('is found where Debian installs it (the test machine has it)', () => {
    assert.ok(MOSQUITTO, 'mosquitto is installed by scripts/install-system-deps.sh');
  });

  void it('speaks MQTT 3.1 (long client ids too), 3.1.1 and 5, over TCP and WebSocket at /mqtt', async () => {
    const broker = await startMosquittoBroker({ mosquittoPath: MOSQUITTO ?? '', port: 0, wsPort: 0 });
    try {
      assert.deepEqual(broker.protocolVersions, [3, 4, 5]);
      assert.match(broker.version, /^mosquitto 2\./);
      for (const [url, protocolVersion] of [[broker.url, 3], [broker.url, 4], [broker.url, 5], [broker.wsUrl ?? '', 5], [broker.wsUrl ?? '', 3]] as const) {
        const clientId = protocolVersion === 3 ? `integrator-with-a-long-client-id-${protocolVersion}` : undefined;
        const sub = await connectTestClient(url, { protocolVersion, ...(clientId ? { clientId } : {}) });
        const pub = await connectTestClient(url, { protocolVersion });
        try {
          await sub.client.subscribeAsync('t/x', { qos: 1 });
          await pub.client.publishAsync('t/x', `hello ${protocolVersion}`, { qos: 1 });
          await sub.waitFor((m) => m.payload.toString() === `hello ${protocolVersion}`, 4000, `${url} v${protocolVersion}`);
        } finally {
          await sub.end();
          await pub.end();
        }
      }
      // Debian's own client, MQTT 5.
      const sub = await connectTestClient(broker.url, { protocolVersion: 5 });
      await sub.client.subscribeAsync('t/cli', { qos: 1 });
      await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.port), '-V', 'mqttv5', '-q', '1', '-t', 't/cli', '-m', 'from mosquitto_pub'], { timeout: 10_000 });
      await sub.waitFor((m) => m.payload.toString() === 'from mosquitto_pub');
      await sub.end();
    } finally {
      await broker.close();
    }
  });

  void it('restarts a mosquitto that dies, on the same port; close() frees the port', async () => {
    const broker = await startMosquittoBroker({ mosquittoPath: MOSQUITTO ?? '', port: 0, wsPort: null, restartDelayMs: 200 });
    try {
      const pid = broker.pid();
      assert.ok(pid);
      process.kill(pid, 'SIGKILL');
      await until(() => broker.restarts() === 1 && broker.pid() !== null && broker.pid() !== pid, 'mosquitto restarted', 8000);
      const client = await connectTestClient(broker.url, { protocolVersion: 5 });
      await client.client.subscribeAsync('t/y', { qos: 1 });
      await client.client.publishAsync('t/y', 'after the restart', { qos: 1 });
      await client.waitFor((m) => m.payload.toString() === 'after the restart');
      await client.end();
    } finally {
      await broker.close();
    }
    const again = await startMosquittoBroker({ mosquittoPath: MOSQUITTO ?? '', port: broker.port, wsPort: null });
    await again.close();
  });

  void it("engine 'mosquitto' without mosquitto is an error naming what to install; 'aedes' is the in-process broker", async () => {
    await assert.rejects(
      startLocalBroker({ host: '127.0.0.1', port: 0, wsPort: null, engine: 'mosquitto', mosquittoPath: '/nonexistent/mosquitto', maxPacketBytes: 1 << 20 }, {}, silentLogger),
      /mqtt\.embedded\.engine: mosquitto not found at \/nonexistent\/mosquitto: install the Debian package mosquitto/,
    );
    const aedes = await startLocalBroker({ host: '127.0.0.1', port: 0, wsPort: null, engine: 'aedes', maxPacketBytes: 1 << 20 }, {}, silentLogger);
    assert.equal(aedes.engine, 'aedes');
    assert.deepEqual(aedes.protocolVersions, [3, 4]);
    await aedes.close();
  });

  void it('gridpilot start runs mosquitto by default here: an MQTT 5 integrator commands the site and gets its feedback', async () => {
    const h = await startAppUnderTest({ clientProtocol: 5 });
    try {
      assert.equal(h.app.info.localBroker?.engine, 'mosquitto');
      const fb = await h.command({ storage_policy: 'setpoint', storage_power_setpoint_w: -2000 });
      assert.equal(fb.data.response_code, 0, JSON.stringify(fb));
    } finally {
      await h.stop();
    }
  });
});
