import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { systemClock } from '../../src/core/clock.ts';
import { fleetSerial, fleetSiteConfig } from '../../src/fleet/fleet-site-config.ts';
import { fleetSpec, startFleet, type Fleet } from '../../src/fleet/fleet.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import { topicsFor } from '../../src/protocol/topics.ts';
import { resolveSiteConfig } from '../../src/site/site-config.ts';
import { startMosquitto, type MosquittoBroker } from '../helpers/mosquitto.ts';
import { connectTestClient, type TestClient } from '../helpers/mqtt-client.ts';

// `gridpilot fleet` [issue 17, acceptance]: 1,000 simulated controllers on a real Debian mosquitto,
// each answering a command from one integrator with its own, correct feedback.
const N = 1000;
const spec = { serialPrefix: 'FLT', seed: 7, feedbackIntervalS: 0, fallbackTimeoutS: 60, vppIds: ['VPP-NORTH', 'VPP-SOUTH'] };
const silent = pino({ level: 'silent' });

describe('a fleet of simulated controllers', () => {
  let broker: MosquittoBroker;
  let fleet: Fleet;
  let integrator: TestClient;
  before(async () => {
    broker = await startMosquitto({ wsPort: null, extraConfig: 'set_tcp_nodelay true\nmax_connections -1' });
    fleet = await startFleet({ ...spec, sites: N, brokerUrl: broker.url, protocolVersion: 4, clock: systemClock, logger: silent });
    integrator = await connectTestClient(broker.url);
    await integrator.client.subscribeAsync(topicsFor('+').feedback, { qos: 1 });
  });
  after(async () => {
    await integrator?.end();
    await fleet?.close();
    await broker?.stop();
  });

  it('varies its sites, the same for the same seed, each with a controllable device', () => {
    const configs = Array.from({ length: 200 }, (_, i) => resolveSiteConfig(fleetSiteConfig(fleetSpec(spec, i + 1))));
    assert.deepEqual(fleetSiteConfig(fleetSpec(spec, 17)), fleetSiteConfig(fleetSpec(spec, 17)));
    assert.equal(configs[0]?.serial, 'FLT000001');
    assert.equal(fleetSerial('SIM', 999_999), 'SIM999999');
    assert.throws(() => fleetSerial('SIM', 1_000_000), /1–999999/);
    const share = (group: string): number => configs.filter((c) => c.devices.some((d) => d.group === group)).length / configs.length;
    assert.ok(share('solar') > 0.6 && share('solar') < 0.9, `PV on ${share('solar')}`);
    assert.ok(share('storage') > 0.35 && share('storage') < 0.75, `battery on ${share('storage')}`);
    assert.ok(share('variable_power_load') > 0.2 && share('variable_power_load') < 0.45, `EV on ${share('variable_power_load')}`);
    assert.ok(share('heat_pump') > 0.1 && share('heat_pump') < 0.4, `heat pump on ${share('heat_pump')}`);
    assert.ok(configs.every((c) => c.devices.some((d) => d.group === 'solar' || d.group === 'storage')));
    assert.equal(new Set(configs.map((c) => c.devices.find((d) => d.group === 'solar')?.ratedPowerW)).size > 20, true, 'PV sizes vary');
  });

  it(`${N} sites run, each connected with its own serial and session`, () => {
    assert.equal(fleet.failed.length, 0, JSON.stringify(fleet.failed.slice(0, 3)));
    assert.equal(fleet.sites.length, N);
    assert.equal(fleet.sites.filter((s) => s.link.isConnected()).length, N);
    assert.equal(new Set(fleet.sites.map((s) => s.link.clientId)).size, N);
  });

  it('every site answers a command with its own, correct feedback', async () => {
    const timeS = Math.floor(Date.now() / 1000);
    const expected = new Map<string, { fields: Record<string, unknown>; vppId: string; hasStorage: boolean }>();
    for (const s of fleet.sites) {
      const hasStorage = s.site.devices.some((d) => d.group === 'storage');
      const fields = hasStorage ? { storage_policy: 'setpoint', storage_power_setpoint_w: 1000 } : { solar_policy: 'setpoint', solar_power_setpoint_w: 1500 };
      expected.set(s.site.siteNodeId, { fields, vppId: s.site.remoteSignal.vppId, hasStorage });
    }
    const answers = new Map<string, Feedback>();
    const all = new Promise<void>((resolve) => {
      integrator.client.on('message', (_topic, payload) => {
        const f = JSON.parse(payload.toString()) as Feedback;
        if (f.requestTime !== timeS || !expected.has(f.siteNodeId)) return;
        answers.set(f.siteNodeId, f);
        if (answers.size === N) resolve();
      });
    });
    for (const s of fleet.sites) {
      const fields = expected.get(s.site.siteNodeId)?.fields ?? {};
      void integrator.client.publishAsync(topicsFor(s.site.serial).command, JSON.stringify({ extraTags: { nodeId: s.site.siteNodeId }, time: timeS, fields }), { qos: 1 });
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${answers.size} of ${N} sites answered within 60 s`)), 60_000)))]).finally(() => clearTimeout(timer));
    for (const [nodeId, f] of answers) {
      const e = expected.get(nodeId);
      assert.ok(e);
      assert.equal(f.data.response_code, 0, `${nodeId}: ${JSON.stringify(f.data.errors)}`);
      assert.deepEqual(f.fields, e.fields, nodeId);
      assert.equal(f.data.state.vpp_id, e.vppId);
      if (e.hasStorage) assert.equal(f.data.state.storage.executed_policy, 'setpoint');
      else assert.equal(f.data.state.solar.executed_policy, 'setpoint');
    }
    assert.deepEqual(new Set(fleet.sites.map((s) => s.site.remoteSignal.vppId)), new Set(['VPP-NORTH', 'VPP-SOUTH']));
  });
});
