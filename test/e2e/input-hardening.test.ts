import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { MAX_COMMAND_BYTES } from '../../src/protocol/command.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import { MAX_LISTED_ERRORS } from '../../src/protocol/response-codes.ts';
import { MAX_LOGGED_PAYLOAD_BYTES } from '../../src/store/command-log.ts';
import { publishForFeedback, startAppUnderTest } from '../helpers/app-harness.ts';
import { mosquittoFixture } from '../helpers/brokers.ts';
import { connectTestClient } from '../helpers/mqtt-client.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { tempDirMaker } from '../helpers/temp-dirs.ts';

const tempDir = tempDirMaker('gp-input-');

/** A command of exactly-under-64-KiB made of thousands of unknown fields (`u0`, `u1`, …), and how many. */
function unknownFieldsCommand(siteNodeId: string, nowS: number): { text: string; count: number } {
  const head = `{"extraTags":{"nodeId":"${siteNodeId}"},"time":${nowS},"fields":{`;
  const parts: string[] = [];
  let size = head.length + 2;
  for (let i = 0; ; i++) {
    const part = `"u${i}":1`;
    if (size + part.length + 1 > MAX_COMMAND_BYTES) break;
    parts.push(part);
    size += part.length + 1;
  }
  return { text: `${head}${parts.join(',')}}}`, count: parts.length };
}

describe('hardened input over a real broker (mosquitto)', () => {
  it('a 64 KiB command of thousands of unknown fields answers with a bounded feedback and a bounded log row', async () => {
    const broker = await mosquittoFixture.start();
    const t = await startAppUnderTest({ brokerUrl: broker.url, dataDir: tempDir() });
    try {
      const { text, count } = unknownFieldsCommand(t.app.info.siteNodeId, t.nowS());
      assert.ok(count > 5000 && Buffer.byteLength(text) <= MAX_COMMAND_BYTES, `${count} fields in ${Buffer.byteLength(text)} bytes`);
      const from = t.integrator.received.length;
      const f = await t.publish(text);
      const raw = t.integrator.received.slice(from).find((m) => m.topic === t.app.info.topics.feedback);
      assert.equal(f.data.response_code, 12);
      const errors = f.data.errors ?? [];
      assert.equal(errors.length, MAX_LISTED_ERRORS + 1, 'the first 20 problems and one that counts the rest');
      assert.deepEqual(errors[0], { field: 'fields.u0', message: 'unknown field; keys end in _policy or _power_setpoint_w' });
      assert.deepEqual(errors[MAX_LISTED_ERRORS], { field: '$', message: `… and ${(count - MAX_LISTED_ERRORS).toLocaleString('en-US')} more` });
      assert.ok(raw && raw.payload.length < 8 * 1024, `feedback is ${raw?.payload.length} bytes`);

      await t.app.store?.flush();
      const [row] = (await t.app.store?.queryCommands({ limit: 1 })) ?? [];
      assert.ok(row);
      assert.equal(row.responseCode, 12);
      assert.equal(row.payloadBytes, Buffer.byteLength(text));
      assert.equal(row.payload, text.slice(0, MAX_LOGGED_PAYLOAD_BYTES), 'the first 4 KiB');
      assert.equal(row.payloadSha256, createHash('sha256').update(text).digest('hex'));
      assert.equal(row.errors.length, MAX_LISTED_ERRORS + 1);
      assert.ok(JSON.stringify(row).length < 10 * 1024, `log row is ${JSON.stringify(row).length} characters`);
      // A plain command still answers in full, unchanged.
      const ok: Feedback = await t.command({ storage_policy: 'setpoint', storage_power_setpoint_w: 1000 });
      assert.equal(ok.data.response_code, 0);
    } finally {
      await t.stop();
      await broker.stop();
    }
  });

  /**
   * A retained command is replayed by the broker (retain flag set) at every subscription, i.e. after
   * every reconnect of the controller. It must be applied once: never again after a `fallback`,
   * nor after a reconnect (where it would re-arm the watchdog).
   */
  for (const withFallback of [true, false]) {
    it(`a retained command is not applied again after ${withFallback ? 'a fallback and ' : ''}a reconnect`, async () => {
      const broker = await mosquittoFixture.start();
      // Only the controller goes through the proxy (the harness's own client too): the integrator talks to mosquitto directly.
      const proxy = await startTcpProxy(broker.port);
      const t = await startAppUnderTest({ brokerUrl: `mqtt://127.0.0.1:${proxy.port}`, clientProtocol: 4 });
      const integrator = await connectTestClient(broker.url, { protocolVersion: 4 });
      const topics = t.app.info.topics;
      await integrator.client.subscribeAsync(topics.feedback, { qos: 1 });
      const site = t.app.info.siteNodeId;
      const send = async (payload: string, requestTime: number, retain = false): Promise<Feedback> => {
        const from = integrator.received.length;
        await integrator.client.publishAsync(topics.command, payload, { qos: 1, retain });
        const m = await integrator.waitFor((r) => integrator.received.indexOf(r) >= from && r.topic === topics.feedback && (r.json as Feedback).requestTime === requestTime, 8000, 'feedback');
        return m.json as Feedback;
      };
      try {
        const sentS = t.nowS();
        const retained = JSON.stringify({ extraTags: { nodeId: site }, time: sentS, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: 3000 } });
        const applied = await send(retained, sentS, true);
        assert.equal(applied.data.response_code, 0);
        assert.equal(applied.data.state.storage.active_signal, 'remote');
        const before: string[] = [JSON.stringify(applied)];
        if (withFallback) {
          const back = await send(JSON.stringify({ extraTags: { nodeId: site }, time: t.nowS(), fields: { storage_policy: 'fallback' } }), t.nowS());
          assert.equal(back.data.response_code, 0);
          assert.equal(back.data.state.storage.active_signal, 'local');
          before.push(JSON.stringify(back));
        }
        const watchdogBefore = t.app.controller.watchdogSecondsLeft();

        // Cut the controller's connection: it reconnects, subscribes again, and mosquitto replays the retained command.
        const mark = integrator.received.length;
        const reconnected = proxy.nextConnection(10_000);
        proxy.cutAll();
        await reconnected;
        const replay = await integrator.waitFor(
          // QoS 1 is at least once: a feedback whose PUBACK the cut lost is sent again by the
          // controller's client after the reconnect, byte for byte. That copy is not the answer to the replay.
          (m) => integrator.received.indexOf(m) >= mark && m.topic === topics.feedback && (m.json as Feedback).requestTime === sentS && !before.includes(JSON.stringify(m.json)),
          10_000,
          'the answer to the replayed retained command',
        );
        const f = replay.json as Feedback;
        assert.equal(f.data.response_code, 15, JSON.stringify(f.data.errors));
        assert.match(f.data.errors?.[0]?.message ?? '', /retained command replayed by the broker .* not applied again/);
        const left = t.app.controller.watchdogSecondsLeft();
        if (withFallback) {
          assert.equal(f.data.state.storage.active_signal, 'local', 'the fallback stays in force');
          assert.equal(f.data.state.storage.executed_policy, t.app.site.defaults.storage);
        } else {
          assert.equal(f.data.state.storage.active_signal, 'remote');
          assert.ok(left !== null && watchdogBefore !== null && left <= watchdogBefore, `the watchdog is not re-armed (${watchdogBefore} s → ${left} s)`);
        }
        // A fresh command is still applied over the reconnected link.
        const freshS = t.nowS();
        const fresh = await send(JSON.stringify({ extraTags: { nodeId: site }, time: freshS, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: -1000 } }), freshS);
        assert.equal(fresh.data.response_code, 0);
        assert.equal(fresh.data.state.storage.executed_power_W, -1000);
      } finally {
        // Clear the retained message (an empty retained payload deletes it).
        await integrator.client.publishAsync(topics.command, '', { qos: 1, retain: true }).catch(() => undefined);
        await integrator.end();
        await t.stop();
        await proxy.close();
        await broker.stop();
      }
    });
  }

  it('a delayed command older than the one in force is rejected with 15 and changes nothing', async () => {
    const broker = await mosquittoFixture.start();
    const t = await startAppUnderTest({ brokerUrl: broker.url });
    try {
      const site = t.app.info.siteNodeId;
      const now = t.nowS();
      const newer = await t.publish(JSON.stringify({ extraTags: { nodeId: site }, time: now, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: 2000 } }));
      assert.equal(newer.data.response_code, 0);
      const late = await t.publish(JSON.stringify({ extraTags: { nodeId: site }, time: now - 5, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: -4000 } }));
      assert.equal(late.data.response_code, 15);
      assert.equal(late.requestTime, now - 5);
      assert.match(late.data.errors?.[0]?.message ?? '', /older than the last command applied/);
      assert.equal(late.data.state.storage.executed_power_W, 2000, 'the newer command stays in force');
      // The same second (not retained) is fine: bursts share a whole-second time.
      const same = await t.publish(JSON.stringify({ extraTags: { nodeId: site }, time: now, fields: { storage_policy: 'setpoint', storage_power_setpoint_w: 1500 } }));
      assert.equal(same.data.response_code, 0);
      assert.equal(same.data.state.storage.executed_power_W, 1500);
    } finally {
      await t.stop();
      await broker.stop();
    }
  });

  it('prices: a 10-minute series is answered (11) and logged, and a good 15-minute one after it is applied, answered and logged', async () => {
    const broker = await mosquittoFixture.start();
    const t = await startAppUnderTest({ brokerUrl: broker.url, dataDir: tempDir() });
    try {
      const nowS = t.nowS();
      const hourS = Math.floor(nowS / 3600) * 3600;
      const message = (time: number, slotS: number, n: number) =>
        JSON.stringify({ time, currency: 'EUR', prices: Array.from({ length: n }, (_, i) => ({ start: hourS + i * slotS, end: hourS + (i + 1) * slotS, price_eur_mwh: 40 + i })) });
      const bad = await publishForFeedback(t, t.app.info.topics.prices, message(nowS, 600, 12), nowS, 'answer to the 10-minute prices');
      assert.equal(bad.data.response_code, 11);
      assert.match(bad.data.errors?.[0]?.message ?? '', /slot length 600 s \(10 min\) is not accepted/);
      assert.equal(t.app.cost.pushedPrices.current(), null);
      const good = await publishForFeedback(t, t.app.info.topics.prices, message(nowS + 1, 900, 8), nowS + 1, 'answer to the 15-minute prices');
      assert.equal(good.data.response_code, 0, JSON.stringify(good.data.errors));
      assert.deepEqual(t.app.cost.pushedPrices.current(), { startMs: hourS * 1000, slotMs: 900_000, pricesEurPerMwh: [40, 41, 42, 43, 44, 45, 46, 47] });
      await t.app.store?.flush();
      const logged = (await t.app.store?.queryCommands({ kind: 'prices' })) ?? [];
      assert.deepEqual(logged.map((r) => [r.requestTime, r.responseCode]), [[nowS + 1, 0], [nowS, 11]]);
      assert.deepEqual(await t.app.store?.loadPushedPrices(), t.app.cost.pushedPrices.current(), 'the good one is stored');
    } finally {
      await t.stop();
      await broker.stop();
    }
  });
});

