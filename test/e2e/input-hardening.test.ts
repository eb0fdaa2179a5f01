import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { MAX_COMMAND_BYTES } from '../../src/protocol/command.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import { MAX_LISTED_ERRORS } from '../../src/protocol/response-codes.ts';
import { MAX_LOGGED_PAYLOAD_BYTES } from '../../src/store/command-log.ts';
import { startAppUnderTest } from '../helpers/app-harness.ts';
import { mosquittoFixture } from '../helpers/brokers.ts';
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
});
