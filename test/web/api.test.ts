import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FeedbackSchema, type Feedback } from '../../src/protocol/feedback.ts';
import { resolveSiteConfig } from '../../src/site/site-config.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';
import type { ProtocolView } from '../../src/web/protocol-view.ts';
import { startWebServer } from '../../src/web/server.ts';
import type { SiteView } from '../../src/web/site-view.ts';
import type { WebState } from '../../src/web/state-view.ts';
import { MALFORMED } from '../fixtures/malformed-commands.ts';
import { connectLive, rawRequest, startWebUnderTest, type WebUnderTest } from './web-harness.ts';

const SITE = 'OM12404080000000000_site_0';
/** Cases whose only fault is a missing extraTags or time: POST /api/command fills those in on purpose. */
const FILLED_IN_OVER_HTTP = new Set(['extraTags missing', 'time missing']);

describe('web API against the real controller on the simulated demo site', () => {
  let w: WebUnderTest;
  before(async () => {
    w = await startWebUnderTest();
  });
  after(async () => {
    await w?.stop();
  });

  const nowS = (): number => Math.floor(w.t.app.clock.now() / 1000);
  const send = (fields: Record<string, unknown>) => w.http<Feedback>('POST', '/api/command', fields);

  it('GET /api/state shows the feedback state per component, what drives each one, and every device with its reading', async () => {
    const r = await w.http<WebState>('GET', '/api/state');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const s = r.json;
    assert.equal(s.siteNodeId, SITE);
    // The feedback's group objects, with the decided extensions [live §4].
    assert.equal(s.state.grid.import_limit_W, 25_000);
    assert.equal(s.state.grid.export_limit_W, 20_000);
    assert.equal(s.state.storage.nr_devices, 2);
    assert.equal(s.state.storage.energy_capacity_Wh, 15_000);
    assert.equal(typeof s.state.storage.mean_soc_perc, 'number');
    assert.equal(s.state.solar.capacity_W, 8000);
    assert.equal(s.state.variable_load.min_charge_current_A, 6);
    assert.equal(s.state.storage.active_signal, 'local');
    assert.equal(s.state.storage.watchdog_s, undefined, 'no watchdog without a live command');
    assert.ok(Array.isArray(s.state.grid.constraints));
    assert.ok(!Object.keys(s.state).some((k) => k.startsWith('OM')), 'device objects are under devices, not state');
    // What drives each component, with the site's export limit.
    assert.deepEqual(s.signals.storage, { policy: 'self_consumption', source: 'local', activeSignal: 'local', setpointW: null });
    assert.equal(s.signals.site.policy, 'default');
    assert.equal(s.isRemoteActive, false);
    assert.equal(s.watchdogSecondsLeft, null);
    // Every device, in config order, with its reading.
    assert.deepEqual(
      s.devices.map((d) => d.nodeId),
      w.t.app.site.devices.map((d) => d.nodeId),
    );
    const battery = s.devices.find((d) => d.nodeId === 'OM12404080000000000_storage_0');
    assert.ok(battery);
    assert.equal(battery.name, 'Battery A');
    assert.equal(battery.isRemoteEnabled, true);
    assert.equal(typeof battery.reading?.socPct, 'number');
    assert.equal(battery.feedback.group, 'storage');
    assert.equal(typeof battery.feedback.soc_perc, 'number');
    const ev = s.devices.find((d) => d.group === 'variable_power_load');
    assert.deepEqual(ev?.reading && Object.keys(ev.reading).sort(), ['currentsA', 'isConnected', 'isRequiringCharge', 'offeredCurrentA', 'phases', 'powerW']);
    assert.ok(s.sim, 'the simulated world is shown');
    assert.equal(typeof s.sim.irradianceWm2, 'number');
  });

  it('GET /api/site lists every device with its nodeId, ratings and inclusion in the remote signal, and a config that validates as is', async () => {
    const r = await w.http<SiteView & { isSimulated: boolean }>('GET', '/api/site');
    assert.equal(r.status, 200);
    const site = r.json;
    assert.equal(site.siteNodeId, SITE);
    assert.equal(site.isSimulated, true);
    assert.deepEqual(site.limits, { importLimitW: 25_000, exportLimitW: 20_000, safetyMarginW: 100 });
    assert.equal(site.remoteSignal.fallbackTimeoutS, 60);
    assert.equal(site.devices.length, 6);
    const a = site.devices.find((d) => d.nodeId === 'OM12404080000000000_storage_0');
    assert.deepEqual(a, {
      nodeId: 'OM12404080000000000_storage_0',
      name: 'Battery A',
      group: 'storage',
      isRemoteEnabled: true,
      ratings: { capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 5000, minSocPct: 5, maxSocPct: 100 },
      summary: '10 kWh, charge 5 kW, discharge 5 kW, SoC 5–100 %',
    });
    const ev = site.devices.find((d) => d.group === 'variable_power_load');
    assert.equal(ev?.ratings.maxPowerW, 16 * 230 * 3);
    assert.ok(site.devices.every((d) => d.isRemoteEnabled));
    const check = await w.http<{ ok: boolean }>('POST', '/api/config/validate', site.config);
    assert.deepEqual(check.json, { ok: true }, 'the shown config is a valid config file');
  });

  it('GET /api/protocol gives the topics and a ready-to-paste example that the controller accepts once the shell fills in the time', async () => {
    const r = await w.http<ProtocolView>('GET', '/api/protocol');
    assert.equal(r.status, 200);
    const p = r.json;
    assert.deepEqual(p.topics, w.t.app.info.topics);
    assert.equal(p.topics.command, 'standard1/rp_one_s/remoteControlMetrics/OM12404080000000000');
    assert.equal(p.topics.feedback, 'standard1/outbound/remoteControlMetrics/feedback/OM12404080000000000');
    assert.equal(p.siteNodeId, SITE);
    assert.equal(p.brokerUrl, w.t.app.info.brokerUrl);
    assert.equal(p.fallbackTimeoutS, 60);
    assert.deepEqual([p.tlsUrl, p.wssUrl], [null, null], 'no TLS unless mqtt.embedded.tls');
    assert.match(p.exampleCommand, /"time": \$\(date \+%s\)/);
    assert.match(p.mosquittoPub, /^mosquitto_pub -h 127\.0\.0\.1 -p \d+ -V mqttv31 -q 1 -t 'standard1\/rp_one_s\/remoteControlMetrics\/OM12404080000000000' -m ".*\$\(date \+%s\).*"$/);
    assert.match(p.mosquittoSub, /^mosquitto_sub .*'standard1\/outbound\/remoteControlMetrics\/feedback\/OM12404080000000000'/);
    assert.equal(p.responseCodes['14'], "extraTags.nodeId is not this controller's site");
    assert.ok(p.policies.storage.includes('self_consumption'));
    // What the shell would send: the example with the current time.
    const pasted = p.exampleCommand.replace('$(date +%s)', String(nowS()));
    const f = await w.http<Feedback>('POST', '/api/command', pasted);
    assert.equal(f.status, 200, f.text);
    assert.equal(f.json.data.response_code, 0);
    assert.equal(f.json.data.state.storage.executed_power_W, -5000);
    assert.ok(f.json.data.state.solar.executed_power_W <= 5000);
  });

  it('POST /api/command with a fields object takes the same path as an MQTT command, and the state shows MQTT commands too', async () => {
    const before = nowS();
    const r = await send({ storage_policy: 'setpoint', storage_power_setpoint_w: 3000 });
    assert.equal(r.status, 200, r.text);
    const f = FeedbackSchema.parse(r.json);
    assert.equal(f.data.response_code, 0);
    assert.equal(f.siteNodeId, SITE);
    assert.ok(typeof f.requestTime === 'number' && f.requestTime >= before && f.requestTime <= nowS(), 'time filled in from the controller clock');
    assert.deepEqual(f.fields, { storage_policy: 'setpoint', storage_power_setpoint_w: 3000 });
    assert.equal(f.data.state.storage.executed_policy, 'setpoint');
    assert.equal(f.data.state.storage.executed_power_W, 3000);
    assert.equal(f.data.state.storage.active_signal, 'remote');
    assert.equal(f.data.state.solar.active_signal, 'local', 'a command replaces the previous one [live §3.3 rule 1]');

    const s = await w.state();
    assert.deepEqual(s.signals.storage, { policy: 'setpoint', source: 'remote-group', activeSignal: 'remote', setpointW: 3000 });
    assert.equal(s.state.storage.executed_power_W, 3000);
    assert.equal(s.isRemoteActive, true);
    assert.ok(s.watchdogSecondsLeft !== null && s.watchdogSecondsLeft > 50 && s.watchdogSecondsLeft <= 60, `watchdog ${s.watchdogSecondsLeft}`);
    assert.equal(s.state.storage.watchdog_s, s.watchdogSecondsLeft);

    // The same controller answers MQTT: a command there shows up here.
    const overMqtt = await w.t.command({ storage_policy: 'setpoint', storage_power_setpoint_w: -2000, OM12404080000000000_solar_0_policy: 'setpoint', OM12404080000000000_solar_0_power_setpoint_w: 1000 });
    assert.equal(overMqtt.data.response_code, 0);
    const s2 = await w.state();
    assert.equal(s2.state.storage.executed_power_W, -2000);
    const pv = s2.devices.find((d) => d.nodeId === 'OM12404080000000000_solar_0');
    assert.equal(pv?.source, 'remote-device');
    assert.equal(pv?.setpointW, 1000);

    // fallback cancels it now [live §3.3 rule 4].
    const back = await send({ storage_policy: 'fallback' });
    assert.equal(back.status, 200);
    assert.equal(back.json.data.state.storage.executed_policy, 'self_consumption');
    assert.equal((await w.state()).signals.storage.source, 'local');
  });

  it('a whole envelope is judged exactly as over MQTT: a wrong site is 14, a stale time 15; a missing time is filled in', async () => {
    const wrongSite = await w.http('POST', '/api/command', { extraTags: { nodeId: 'OM99999999999999999_site_0' }, time: nowS(), fields: { storage_policy: 'off' } });
    assert.equal(wrongSite.status, 400);
    assert.equal(wrongSite.json.response_code, 14);
    assert.equal(wrongSite.json.feedback?.data.response_code, 14);
    assert.match(wrongSite.json.error, /^command rejected \(response_code 14/);
    assert.equal(wrongSite.json.details[0]?.path, 'extraTags.nodeId');

    const stale = await w.http('POST', '/api/command', { extraTags: { nodeId: SITE }, time: 1714652046, fields: { storage_policy: 'off' } });
    assert.equal(stale.status, 400);
    assert.equal(stale.json.response_code, 15);
    assert.equal(stale.json.feedback?.requestTime, 1714652046);

    const noTime = await w.http<Feedback>('POST', '/api/command', { fields: { storage_policy: 'off' } });
    assert.equal(noTime.status, 200, noTime.text);
    assert.equal(noTime.json.data.state.storage.executed_policy, 'off');
    await send({});
  });

  it('bad input gets a 4xx with a clear message in { error, details } and changes nothing', async () => {
    const set = await send({ storage_policy: 'setpoint', storage_power_setpoint_w: -5000 });
    assert.equal(set.status, 200);
    const unchanged = async (what: string): Promise<void> => {
      const s = await w.state();
      assert.deepEqual(s.signals.storage, { policy: 'setpoint', source: 'remote-group', activeSignal: 'remote', setpointW: -5000 }, `${what} left the storage command alone`);
      assert.equal(s.signals.solar.source, 'local', `${what} did not apply anything`);
    };
    const cases: Array<{ name: string; body: string | Buffer; contentType?: string; status: number; error: RegExp }> = [
      { name: 'not JSON', body: '{"storage_policy": setpoint}', status: 400, error: /^the body is not valid JSON: Unexpected token/ },
      { name: 'empty body', body: '', status: 400, error: /the body is empty/ },
      { name: 'an array', body: '[1, 2]', status: 400, error: /must be a JSON object.*got an array/ },
      { name: 'null', body: 'null', status: 400, error: /must be a JSON object.*got null/ },
      { name: 'a prototype key', body: '{"__proto__": {"storage_policy": "off"}}', status: 400, error: /"__proto__"/ },
      { name: 'form encoding', body: 'storage_policy=off', contentType: 'application/x-www-form-urlencoded', status: 415, error: /Content-Type: application\/json/ },
      { name: 'text/plain (a cross-site form could send it)', body: '{"storage_policy":"off"}', contentType: 'text/plain', status: 415, error: /Content-Type: application\/json/ },
      { name: 'too large', body: JSON.stringify({ storage_policy: 'off', pad: 'x'.repeat(70 * 1024) }), status: 413, error: /too large: at most 65536 bytes/ },
      { name: 'unknown component', body: JSON.stringify({ battery_policy: 'off' }), status: 400, error: /response_code 12.*battery_policy/ },
      { name: 'invalid policy', body: JSON.stringify({ storage_policy: 'turbo' }), status: 400, error: /response_code 13/ },
    ];
    for (const c of cases) {
      const r = await w.http('POST', '/api/command', c.body, c.contentType ? { 'content-type': c.contentType } : {});
      assert.equal(r.status, c.status, `${c.name}: ${r.text}`);
      assert.match(r.json.error, c.error, c.name);
      assert.ok(Array.isArray(r.json.details) && r.json.details.every((d) => typeof d.path === 'string' && typeof d.message === 'string'), `${c.name}: details`);
      await unchanged(c.name);
    }
    const noBody = await w.http('POST', '/api/command');
    assert.equal(noBody.status, 400);
    assert.match(noBody.json.error, /a JSON body is required/);

    // Every malformed MQTT command of the contract tests, over HTTP.
    for (const c of MALFORMED) {
      if (FILLED_IN_OVER_HTTP.has(c.name)) continue;
      const r = await w.http('POST', '/api/command', c.payload(nowS()));
      assert.ok(r.status === 400 || r.status === 413, `${c.name}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      assert.equal(typeof r.json.error, 'string', c.name);
      if (r.json.response_code !== undefined) assert.equal(r.json.response_code, c.code, c.name);
      await unchanged(c.name);
    }
    // Still alive and answering.
    const alive = await send({});
    assert.equal(alive.status, 200);
    assert.equal(alive.json.data.state.storage.executed_power_W, -5000);
    await send({ storage_policy: 'fallback' });
  });

  it('POST /api/config/validate answers ok, or every problem with its path; a body that is not a JSON object is a 400', async () => {
    const good = await w.http('POST', '/api/config/validate', demoSiteConfig());
    assert.equal(good.status, 200);
    assert.deepEqual(good.json, { ok: true });

    const bad = await w.http<{ ok: boolean; errors: Array<{ path: string; message: string }> }>('POST', '/api/config/validate', {
      serial: 'SN1',
      grid: { importLimitW: -1, exportLimitW: 1000, colour: 'red' },
      devices: [{ group: 'storage', capacityWh: 5000, maxChargeW: 2000 }],
    });
    assert.equal(bad.status, 200);
    assert.equal(bad.json.ok, false);
    const paths = bad.json.errors.map((e) => e.path);
    assert.ok(paths.includes('grid.importLimitW'), paths.join());
    assert.ok(paths.includes('grid'), 'the unknown key is reported at its object');
    assert.ok(paths.includes('devices[0].maxDischargeW'), paths.join());
    assert.ok(bad.json.errors.every((e) => e.message.length > 0));

    const combo = await w.http<{ ok: boolean; errors: Array<{ path: string; message: string }> }>('POST', '/api/config/validate', {
      serial: 'SN1',
      devices: [{ group: 'storage', capacityWh: 5000, maxChargeW: 2000, maxDischargeW: 2000, minSocPct: 60, maxSocPct: 50 }],
      remoteSignal: { includedDevices: ['SN1_storage_7'] },
    });
    assert.deepEqual(combo.json, {
      ok: false,
      errors: [
        { path: 'devices[0]', message: 'minSocPct (60) must be below maxSocPct (50)' },
        { path: 'remoteSignal.includedDevices[0]', message: '"SN1_storage_7" is not a device of this site' },
      ],
    });

    const notObject = await w.http('POST', '/api/config/validate', '"serial: x"');
    assert.equal(notObject.status, 400);
    const notJson = await w.http('POST', '/api/config/validate', 'serial: SN1');
    assert.equal(notJson.status, 400);
    assert.match(notJson.json.error, /not valid JSON/);
  });

  it('POST /api/sim changes the simulated world: full sun raises PV, a cloud lowers it; bad changes are a 400 and change nothing', async () => {
    await send({ solar_policy: 'fallback', storage_policy: 'fallback' });
    const sun = await w.http<{ ok: boolean; sim: { irradianceWm2: number } }>('POST', '/api/sim', { irradianceWm2: 1000 });
    assert.equal(sun.status, 200, sun.text);
    assert.equal(sun.json.sim.irradianceWm2, 1000);
    const sunny = await w.state();
    assert.ok(sunny.state.solar.active_power_W > 6500, `PV in full sun: ${sunny.state.solar.active_power_W} W`);
    assert.equal(sunny.sim?.irradianceWm2, 1000);

    await w.http('POST', '/api/sim', { irradianceWm2: 150 });
    const cloudy = await w.state();
    assert.ok(cloudy.state.solar.active_power_W < 1500, `PV under a cloud: ${cloudy.state.solar.active_power_W} W`);

    const kettle = await w.http<{ sim: { extraLoadW: number } }>('POST', '/api/sim', { extraLoadW: 2000 });
    assert.equal(kettle.json.sim.extraLoadW, 2000);

    for (const body of [{ irradianceWm2: -5 }, { irradianceWm2: 'sunny' }, { extraLoadW: 1e9 }, { clouds: true }, {}, [1]]) {
      const r = await w.http('POST', '/api/sim', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.ok(r.json.error.length > 0 && r.json.details.length > 0, JSON.stringify(r.json));
    }
    const world = w.t.sim.world.snapshot();
    assert.equal(world.irradianceWm2, 150, 'bad changes changed nothing');
    assert.equal(world.extraLoadW, 2000);
    await w.http('POST', '/api/sim', { irradianceWm2: null, extraLoadW: 0 });
    assert.equal(w.t.sim.world.snapshot().extraLoadW, 0);
  });

  it('GET /api/live pushes the state when a browser connects and after cycles; a command shows up in the next push', async () => {
    const live = await connectLive(w.web.url);
    try {
      const first = await live.waitFor(() => true, 3000, 'the initial state');
      assert.equal(first.siteNodeId, SITE);
      const r = await send({ storage_policy: 'setpoint', storage_power_setpoint_w: 1234 });
      assert.equal(r.status, 200);
      const pushed = await live.waitFor((s) => s.state.storage.executed_power_W === 1234, 5000, 'storage at 1234 W');
      assert.equal(pushed.signals.storage.source, 'remote-group');
      assert.equal(pushed.isRemoteActive, true);
      const count = live.messages.length;
      await live.waitFor(() => live.messages.length > count, 5000, 'a later periodic push');
    } finally {
      await live.close();
      await send({ storage_policy: 'fallback' });
    }
  });

  it('errors are JSON too: an unknown route is a 404, /api/live without an upgrade a 426', async () => {
    const missing = await w.http('GET', '/api/nothing-here');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { error: 'no such route: GET /api/nothing-here', details: [] });
    const wrongMethod = await w.http('DELETE', '/api/state');
    assert.equal(wrongMethod.status, 404);
    const plain = await w.http('GET', '/api/live');
    assert.equal(plain.status, 426);
    assert.match(plain.json.error, /WebSocket/);
  });

  it('refuses other origins (no CSRF, no cross-site WebSocket) and other Host names (no DNS rebinding)', async () => {
    const csrf = await w.http('POST', '/api/command', { storage_policy: 'off' }, { origin: 'http://evil.example' });
    assert.equal(csrf.status, 403);
    assert.match(csrf.json.error, /cross-origin/);
    assert.equal((await w.state()).signals.storage.source, 'local', 'nothing changed');
    const sameOrigin = await w.http('POST', '/api/command', {}, { origin: w.web.url });
    assert.equal(sameOrigin.status, 200);
    await assert.rejects(connectLive(w.web.url, { origin: 'http://evil.example' }), /HTTP 403/);
    const rebinding = await rawRequest(`${w.web.url}/api/state`, { headers: { host: 'evil.example' } });
    assert.equal(rebinding.status, 403);
    assert.match(rebinding.body, /loopback only/);
    const localhost = await rawRequest(`${w.web.url}/api/state`, { headers: { host: `localhost:${new URL(w.web.url).port}` } });
    assert.equal(localhost.status, 200);
  });

  it('serves the UI from the same origin with a strict content security policy', async () => {
    const page = await w.http('GET', '/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.text, /<script type="module" src="\/js\/main\.js"><\/script>/);
    assert.doesNotMatch(page.text, /https?:\/\//, 'nothing is loaded from elsewhere');
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const js = await w.http('GET', '/js/main.js');
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
  });
});

describe('web server options', () => {
  it('without a simulated site there is no /api/sim and state.sim is null; secrets never leave the server', async () => {
    const w = await startWebUnderTest();
    const { app } = w.t;
    const withSecret = resolveSiteConfig({ ...demoSiteConfig(), mqtt: { username: 'site-7', password: 'hunter2-very-secret' } });
    const bare = await startWebServer({ controller: app.controller, site: { ...app.site, mqtt: withSecret.mqtt }, info: app.info, clock: app.clock, port: 0 });
    try {
      const sim = await fetch(`${bare.url}/api/sim`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"irradianceWm2":1000}' });
      assert.equal(sim.status, 404);
      const state = (await (await fetch(`${bare.url}/api/state`)).json()) as WebState;
      assert.equal(state.sim, null);
      const siteText = await (await fetch(`${bare.url}/api/site`)).text();
      assert.doesNotMatch(siteText, /hunter2/);
      const site = JSON.parse(siteText) as SiteView & { isSimulated: boolean };
      assert.equal(site.isSimulated, false);
      assert.equal((site.config.mqtt as { password: string; username: string }).password, '********');
      assert.equal((site.config.mqtt as { password: string; username: string }).username, 'site-7');
    } finally {
      await bare.close();
      await bare.close(); // idempotent
      await w.stop();
    }
  });

  it('says which address it could not listen on', async () => {
    const w = await startWebUnderTest();
    const { app } = w.t;
    try {
      const port = Number(new URL(w.web.url).port);
      await assert.rejects(startWebServer({ controller: app.controller, site: app.site, info: app.info, port }), new RegExp(`web server could not listen on 127\\.0\\.0\\.1:${port}`));
    } finally {
      await w.stop();
    }
  });
});

describe('HTTP bodies with a leading UTF-8 BOM', () => {
  it('are read as over MQTT: the command is applied', async () => {
    const w = await startWebUnderTest();
    try {
      const a = await w.http<Feedback>('POST', '/api/command', '\uFEFF{"storage_policy":"setpoint","storage_power_setpoint_w":1000}', { 'content-type': 'application/json' });
      assert.equal(a.status, 200, a.text);
      assert.equal(a.json.data.response_code, 0);
    } finally {
      await w.stop();
    }
  });
});
