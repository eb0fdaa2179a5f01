import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Feedback } from '../../src/protocol/feedback.ts';
import { startAppUnderTest, type AppUnderTest } from '../helpers/app-harness.ts';
import { tempDir } from '../helpers/schedule-peer.ts';
import { adminCookie, apiCaller, type ApiAnswer } from '../helpers/web-login.ts';
import { startSunSpecPeer } from '../helpers/sunspec-peer.ts';

// A site configuration saved from the web API applies to the running controller at a cycle
// boundary, without a restart [#16]; a bad one changes nothing and says why; a revision can be restored.

describe('live configuration through POST /api/config', () => {
  const dir = tempDir('gp-config-apply-');
  let t: AppUnderTest;
  let url: string;
  let cookie: string;
  let original: Record<string, unknown>;
  let blocker: Server;

  before(async () => {
    t = await startAppUnderTest({ dataDir: dir.path, httpPort: 0 });
    url = t.app.info.httpUrl as string;
    cookie = await adminCookie(url);
    original = (await call('GET', '/api/site')).json.config as Record<string, unknown>;
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    blocker.close();
    await t.stop();
    dir.remove();
  });

  const call = (method: string, path: string, body?: unknown): Promise<ApiAnswer> => apiCaller(url, () => cookie)(method, path, body);
  const devicesOf = (cfg: Record<string, unknown>): Array<Record<string, unknown>> => cfg.devices as Array<Record<string, unknown>>;
  const withDevices = (devices: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ ...structuredClone(original), devices, ...extra });
  const revisions = async (): Promise<number[]> => ((await call('GET', '/api/config/revisions')).json.revisions as Array<{ revision: number }>).map((r) => r.revision);

  it('adds a battery live: the next feedback counts it, the live command in force stays, and a revision is stored', async () => {
    const before = await t.command({ storage_policy: 'setpoint', storage_power_setpoint_w: -3000 });
    assert.equal(before.data.response_code, 0);
    assert.equal(before.data.state.storage.nr_devices, 2);
    const revs = await revisions();

    const added = withDevices([...devicesOf(original), { group: 'storage', name: 'Battery C', capacityWh: 8000, maxChargeW: 4000, maxDischargeW: 4000, initialSocPct: 50 }]);
    const a = await call('POST', '/api/config', added);
    assert.equal(a.status, 200, JSON.stringify(a.json));
    assert.equal(a.json.nrDevices, devicesOf(original).length + 1);
    assert.deepEqual(a.json.restartNeeded, []);

    // An empty command: the feedback of the state now, without changing the command in force.
    const after = await t.command({});
    assert.equal(after.data.state.storage.nr_devices, 3, 'the new battery is driven');
    assert.equal(after.data.state.storage.active_signal, 'remote', 'the live command in force carried over');
    assert.equal(after.data.state.storage.executed_policy, 'setpoint');
    assert.ok(t.app.info.devices.some((d) => d.name === 'Battery C'));
    const site = (await call('GET', '/api/site')).json as { devices: Array<{ name: string }> };
    assert.ok(site.devices.some((d) => d.name === 'Battery C'), 'the API shows the new config');
    const now = await revisions();
    assert.equal(now.length, revs.length + 1);
    assert.equal(a.json.revision, now[0]);
  });

  it('an invalid config lists every problem and changes nothing', async () => {
    const revs = await revisions();
    const bad = withDevices([...devicesOf(original), { group: 'storage', name: 'Broken', capacityWh: -5, maxChargeW: 'lots' }, { group: 'teleporter', name: 'X' }]);
    const a = await call('POST', '/api/config', bad);
    assert.equal(a.status, 400);
    const details = a.json.details as Array<{ path: string; message: string }>;
    assert.ok(details.length >= 3, `every problem at once: ${JSON.stringify(details)}`);
    assert.ok(details.some((d) => /devices\[6\]/.test(d.path)) && details.some((d) => /devices\[7\]/.test(d.path)), JSON.stringify(details));
    assert.deepEqual(await revisions(), revs);
    assert.equal((await t.command({})).data.state.storage.nr_devices, 3);
    // The serial changes every topic: refused live.
    const serial = await call('POST', '/api/config', { ...withDevices(devicesOf(original)), serial: 'OTHER1' });
    assert.equal(serial.status, 409);
    assert.deepEqual(await revisions(), revs);
  });

  it('a config whose devices cannot start changes nothing and says why', async () => {
    const revs = await revisions();
    const port = (blocker.address() as { port: number }).port;
    const ev = devicesOf(original).find((d) => d.group === 'variable_power_load') as Record<string, unknown>;
    const cfg = withDevices(
      devicesOf(original).map((d) => (d === ev ? { ...d, driver: { type: 'ocpp', chargePointId: 'CP-1' } } : d)),
      // A real charger needs a real meter (the config check says so); nothing answers on this one (it is shown offline).
      { ocpp: { host: '127.0.0.1', port }, grid: { ...(original.grid as object), meter: { driver: { type: 'sunspec', host: '127.0.0.1', port: 1, unitId: 1 } } } },
    );
    const a = await call('POST', '/api/config', cfg);
    assert.equal(a.status, 422, JSON.stringify(a.json));
    assert.match(String(a.json.error), /could not start.*(EADDRINUSE|in use).*nothing changed/);
    assert.deepEqual(await revisions(), revs);
    const fb = await t.command({});
    assert.equal(fb.data.state.storage.nr_devices, 3);
    assert.equal(fb.data.state.variable_load.executed_policy !== undefined, true, "the simulated charger still runs");
  });

  it('restores an earlier revision live', async () => {
    const list = await revisions();
    const first = list[list.length - 1] as number;
    const a = await call('POST', '/api/config/restore', { revision: first });
    assert.equal(a.status, 200, JSON.stringify(a.json));
    const fb: Feedback = await t.command({});
    assert.equal(fb.data.state.storage.nr_devices, 2);
    assert.equal((await call('POST', '/api/config/restore', { revision: 99_999 })).status, 400);
    assert.equal((await call('POST', '/api/config/restore', { revision: 'one' })).status, 400);
  });
});

describe('POST /api/devices/test: "test connection" with the real driver', () => {
  it('reads a SunSpec inverter of an independent peer (pymodbus) and lists its models; an unreachable one says so; bad input is 400', async () => {
    const peer = await startSunSpecPeer();
    const t = await startAppUnderTest({ httpPort: 0 });
    try {
      const url = t.app.info.httpUrl as string;
      const cookie = await adminCookie(url);
      const post = (body: unknown): Promise<ApiAnswer> => apiCaller(url, () => cookie)('POST', '/api/devices/test', body);
      const ok = await post({ device: { group: 'solar', name: 'PV', ratedPowerW: 6000, driver: { type: 'sunspec', host: '127.0.0.1', port: peer.port, unitId: 1, timeoutMs: 1000 } } });
      assert.equal(ok.status, 200);
      assert.equal(ok.json.ok, true, JSON.stringify(ok.json));
      const ids = (ok.json.models as Array<{ id: number; label: string | null }>).map((m) => m.id);
      assert.ok(ids.includes(1) && ids.includes(103) && ids.includes(123), `models ${ids.join(',')}`);
      assert.equal((ok.json.reading as { powerW: number }).powerW, 1234.5, 'model 103 W (12345 × 10^−1)');
      const meter = await post({ meter: { driver: { type: 'sunspec', host: '127.0.0.1', port: peer.port, unitId: 3, timeoutMs: 1000 } } });
      assert.equal(meter.json.ok, true, JSON.stringify(meter.json));
      assert.equal((meter.json.reading as { powerW: number }).powerW, -12_340);
      // Nothing of the running site changed.
      assert.equal(t.app.site.devices.length, 6);

      const down = await post({ device: { group: 'solar', name: 'PV', ratedPowerW: 6000, driver: { type: 'sunspec', host: '127.0.0.1', port: 1, unitId: 1, timeoutMs: 300 } } });
      assert.equal(down.status, 200);
      assert.equal(down.json.ok, false);
      assert.match(String(down.json.message), /no answer within|ECONNREFUSED|connect/i);
      const bad = await post({ device: { group: 'solar', driver: { type: 'sunspec' } } });
      assert.equal(bad.json.ok, false);
      assert.match(String(bad.json.message), /device\.(ratedPowerW|driver)/);
      assert.equal((await post({ device: {}, meter: {} })).status, 400);
    } finally {
      await t.stop();
      peer.stop();
    }
  });
});
