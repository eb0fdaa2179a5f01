import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from '../../src/app.ts';
import { FakeClock } from '../../src/core/clock.ts';
import type { HealthReport } from '../../src/ops/health.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import { commandLogEntry } from '../../src/store/command-log.ts';
import { startWebServer } from '../../src/web/server.ts';
import { connectTestClient, type TestClient } from '../helpers/mqtt-client.ts';
import { parsePrometheusText, valueOf, type Family } from '../helpers/prometheus-text.ts';
import { tempDir } from '../helpers/schedule-peer.ts';
import { startAppUnderTest } from '../helpers/app-harness.ts';
import { rawRequest } from './web-harness.ts';

const T0 = Date.UTC(2025, 5, 2, 10, 0, 0);

/** Every metric docs/operations.md names, with its type. */
const NAMED: Record<string, Family['type']> = {
  gridpilot_cycle_duration_seconds: 'histogram',
  gridpilot_cycle_failures_total: 'counter',
  gridpilot_last_cycle_timestamp_seconds: 'gauge',
  gridpilot_commands_total: 'counter',
  gridpilot_watchdog_fallbacks_total: 'counter',
  gridpilot_device_online: 'gauge',
  gridpilot_broker_connected: 'gauge',
  gridpilot_planner_solve_seconds: 'histogram',
  gridpilot_plans_total: 'counter',
  gridpilot_store_write_seconds: 'histogram',
  gridpilot_store_write_failures_total: 'counter',
  process_resident_memory_bytes: 'gauge',
};

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('/metrics, /healthz and command ids on the real app (fake clock, data directory, embedded broker)', () => {
  const dir = tempDir('gp-ops-');
  const clock = new FakeClock(T0);
  const logs: Array<Record<string, unknown>> = [];
  let app: RunningApp;
  let integrator: TestClient;
  let base: string;

  before(async () => {
    app = await startApp({
      brokerPort: 0,
      wsPort: null,
      httpPort: 0,
      clock,
      dataDir: dir.path,
      logLevel: 'info',
      logDestination: { write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
    });
    base = app.info.httpUrl ?? '';
    integrator = await connectTestClient(app.info.brokerUrl, { protocolVersion: 4 });
    await integrator.client.subscribeAsync(app.info.topics.feedback, { qos: 1 });
  });
  after(async () => {
    await integrator?.end();
    await app?.stop();
    dir.remove();
  });

  const scrape = async (): Promise<Map<string, Family>> => {
    const r = await fetch(`${base}/metrics`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    return parsePrometheusText(await r.text());
  };
  const health = async (): Promise<{ status: number; body: HealthReport }> => {
    const r = await fetch(`${base}/healthz`);
    return { status: r.status, body: (await r.json()) as HealthReport };
  };
  /** Publishes a command over MQTT and resolves with its feedback (matched by requestTime). */
  const command = async (time: number, fields: Record<string, unknown>): Promise<Feedback> => {
    const from = integrator.received.length;
    await integrator.client.publishAsync(app.info.topics.command, JSON.stringify({ extraTags: { nodeId: app.info.siteNodeId }, time, fields }), { qos: 1 });
    const m = await integrator.waitFor((r) => integrator.received.indexOf(r) >= from && (r.json as Feedback).requestTime === time, 8000, `feedback to ${time}`);
    return m.json as Feedback;
  };

  it('GET /metrics is valid text exposition holding every metric the operations page names, with the real values', async () => {
    // The planner's first plan comes from its own process: wait until it is in.
    const m = await until(async () => {
      const f = await scrape();
      return (valueOf(f, 'gridpilot_planner_solve_seconds_count') ?? 0) >= 1 ? f : undefined;
    }, 'the first plan in /metrics');
    for (const [name, type] of Object.entries(NAMED)) assert.equal(m.get(name)?.type, type, `${name} is a ${type}`);
    assert.ok((valueOf(m, 'gridpilot_cycle_duration_seconds_count') ?? 0) >= 1, 'the start cycle is observed');
    assert.equal(valueOf(m, 'gridpilot_broker_connected'), 1);
    const online = m.get('gridpilot_device_online')?.samples ?? [];
    assert.deepEqual(online.map((s) => s.labels.node_id).sort(), [app.site.siteNodeId, ...app.site.devices.map((d) => d.nodeId)].sort());
    assert.ok(online.every((s) => s.value === 1), 'every simulated device answers');
    assert.equal(online.find((s) => s.labels.node_id === app.site.siteNodeId)?.labels.group, 'grid');
    const plans = m.get('gridpilot_plans_total')?.samples ?? [];
    assert.equal(plans.reduce((n, s) => n + s.value, 0), valueOf(m, 'gridpilot_planner_solve_seconds_count'), 'one status count per observed plan');
    assert.ok(plans.every((s) => ['optimal', 'time_limit', 'fallback'].includes(s.labels.status ?? '')));
    assert.equal(valueOf(m, 'gridpilot_store_write_failures_total'), 0);
    assert.equal(valueOf(m, 'gridpilot_last_cycle_timestamp_seconds'), (app.controller.lastCycle()?.atMs ?? 0) / 1000);
  });

  it('counts commands sent over MQTT by response_code, and a watchdog fallback', async () => {
    const before = await scrape();
    const code = (c: string, f: Map<string, Family>): number => valueOf(f, 'gridpilot_commands_total', { response_code: c }) ?? 0;
    const nowS = Math.floor(clock.now() / 1000);
    assert.equal((await command(nowS, { storage_policy: 'setpoint', storage_power_setpoint_w: 1500 })).data.response_code, 0);
    assert.equal((await command(nowS + 1, { no_such_field: 1 })).data.response_code, 12);
    const mid = await scrape();
    assert.equal(code('0', mid), code('0', before) + 1);
    assert.equal(code('12', mid), code('12', before) + 1);
    assert.equal(valueOf(mid, 'gridpilot_watchdog_fallbacks_total'), valueOf(before, 'gridpilot_watchdog_fallbacks_total'));
    // Each command's log entry is a store write (durable before its feedback).
    assert.ok((valueOf(mid, 'gridpilot_store_write_seconds_count') ?? 0) > (valueOf(before, 'gridpilot_store_write_seconds_count') ?? 0));
    // No command for the fallback timeout (60 s): the watchdog returns to the local defaults.
    clock.advance(61_000);
    await app.controller.trigger();
    const later = await scrape();
    assert.equal(valueOf(later, 'gridpilot_watchdog_fallbacks_total'), (valueOf(before, 'gridpilot_watchdog_fallbacks_total') ?? 0) + 1);
  });

  it('ties each log line to its command-log row and its feedback by the command id', async () => {
    const nowS = Math.floor(clock.now() / 1000);
    const accepted = await command(nowS, { solar_policy: 'setpoint', solar_power_setpoint_w: 2000 });
    const rejected = await command(nowS - 3600, { storage_policy: 'self_consumption' }); // too old: 15
    assert.equal(rejected.data.response_code, 15);
    for (const [feedback, level] of [
      [accepted, 30],
      [rejected, 40],
    ] as const) {
      const line = await until(() => logs.find((l) => l.msg === 'command: answered' && l.requestTime === feedback.requestTime), 'the log line');
      assert.equal(line.level, level, 'info when applied, warn when rejected');
      assert.equal(line.responseCode, feedback.data.response_code);
      assert.match(String(line.commandId), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const rows = (await app.store?.queryCommands({ commandId: String(line.commandId) })) ?? [];
      assert.equal(rows.length, 1, 'exactly one row has the id of the log line');
      assert.equal(rows[0]?.requestTime, feedback.requestTime, 'and it is the row of the command the feedback answers');
      assert.equal(rows[0]?.responseCode, feedback.data.response_code);
      assert.equal(rows[0]?.topic, app.info.topics.command);
    }
    const ids = logs.filter((l) => l.msg === 'command: answered').map((l) => l.commandId);
    assert.equal(new Set(ids).size, ids.length, 'every message has its own id');
  });

  it('/healthz is 200 while the store writes, 503 naming the store once a write fails, and 200 again after a write succeeds', async () => {
    const ok = await health();
    assert.equal(ok.status, 200);
    assert.equal(ok.body.status, 'ok');
    assert.deepEqual(ok.body.reasons, []);
    assert.equal(ok.body.store.state, 'ok');
    assert.equal(ok.body.broker.isConnected, true);
    const store = app.store;
    assert.ok(store);
    // Fault injection: the database worker dies (as a crash in SQLite would end it), so a write fails.
    await (store as unknown as { writer: { worker: Worker } }).writer.worker.terminate();
    await until(() => (store.health().isWorkerAlive ? undefined : true), 'the worker to be seen dead');
    const entry = commandLogEntry({ kind: 'command', payload: '{}', topic: 't', receivedAtMs: clock.now(), answeredAtMs: clock.now(), feedback: { requestTime: 1, data: { response_code: 0 } } as unknown as Feedback });
    await assert.rejects(store.logCommand(entry));
    const failing = await health();
    assert.equal(failing.status, 503);
    assert.equal(failing.body.status, 'unhealthy');
    assert.equal(failing.body.store.state, 'failing');
    assert.match(failing.body.reasons.join(' '), /store's last write failed/);
    // Restarted by the store; still unhealthy until a write proves it writes again.
    await until(() => (store.health().isWorkerAlive ? true : undefined), 'the worker restart', 10_000);
    assert.equal((await health()).status, 503);
    await store.logCommand(entry);
    assert.equal((await health()).status, 200);
    const m = await scrape();
    assert.ok((valueOf(m, 'gridpilot_store_write_failures_total') ?? 0) >= 1);
  });

  it('/healthz turns 503 when the control cycle stalls (the controller stopped, the clock going on)', async () => {
    await app.controller.stop();
    const last = app.controller.lastCycle()?.atMs ?? 0;
    clock.setNow(last + 2900);
    assert.equal((await health()).status, 200, 'within 3 cycles of the last one');
    clock.setNow(last + 3100);
    const stalled = await health();
    assert.equal(stalled.status, 503);
    assert.match(stalled.body.reasons.join(' '), /control cycle is stalled: the last one completed 3\.1 s ago/);
    assert.equal(stalled.body.cycle.ageMs, 3100);
  });
});

/** The first non-loopback IPv4 address of this machine, with its network. */
function lanAddress(): { address: string; cidr: string } | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && a.cidr) return { address: a.address, cidr: a.cidr };
  }
  return null;
}

describe('who may read /metrics and /healthz', () => {
  const lan = lanAddress();
  it('loopback only by default: a peer on another address gets 403 (a forwarded-for header changes nothing); web.metricsAllow lets a network in', { skip: lan ? false : 'no non-loopback IPv4 interface on this machine' }, async () => {
    const t = await startAppUnderTest();
    const servers: Array<{ close(): Promise<void> }> = [];
    try {
      const { app } = t;
      const open = async (metricsAllow?: string[]) => {
        const site = metricsAllow ? { ...app.site, web: { ...app.site.web, metricsAllow } } : app.site;
        const web = await startWebServer({ controller: app.controller, site, info: app.info, clock: app.clock, host: '0.0.0.0', port: 0, ops: app.ops });
        servers.push(web);
        return Number(new URL(web.url).port);
      };
      const address = (lan as { address: string; cidr: string }).address;
      const byDefault = await open();
      for (const path of ['/metrics', '/healthz']) {
        assert.equal((await rawRequest(`http://127.0.0.1:${byDefault}${path}`, {})).status, 200, `${path} from loopback`);
        const far = await rawRequest(`http://${address}:${byDefault}${path}`, {});
        assert.equal(far.status, 403, `${path} from ${address}`);
        assert.match(far.body, new RegExp(`not served to ${address.replace(/\./g, '\\.')}; allow it in web\\.metricsAllow`));
        assert.equal((await rawRequest(`http://${address}:${byDefault}${path}`, { headers: { 'x-forwarded-for': '127.0.0.1' } })).status, 403);
      }
      // The API routes are not guarded by this list (they have their own rules).
      assert.equal((await rawRequest(`http://${address}:${byDefault}/api/site`, {})).status, 200);
      const lanOnly = await open([(lan as { cidr: string }).cidr]);
      assert.equal((await rawRequest(`http://${address}:${lanOnly}/metrics`, {})).status, 200);
      assert.equal((await rawRequest(`http://127.0.0.1:${lanOnly}/metrics`, {})).status, 403, 'loopback is in the list only when listed');
    } finally {
      for (const s of servers) await s.close();
      await t.stop();
    }
  });
});
