import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { node, startTestSite, type TestSite } from '../helpers/control-site.ts';

const sites: TestSite[] = [];
async function site(...args: Parameters<typeof startTestSite>): Promise<TestSite> {
  const s = await startTestSite(...args);
  sites.push(s);
  return s;
}
after(async () => {
  for (const s of sites) await s.controller.stop();
});

describe('live control on the simulated demo site', () => {
  it('applies the contract example: solar capped at 5 kW, storage −5 kW split by available discharge power', async () => {
    const s = await site();
    const f = await s.send({ solar_policy: 'setpoint', solar_power_setpoint_w: 5000, storage_policy: 'setpoint', storage_power_setpoint_w: -5000 });
    const st = f.data.state;
    assert.equal(f.data.response_code, 0);
    assert.ok(st.solar.executed_power_W <= 5000, `solar ${st.solar.executed_power_W}`);
    assert.equal(st.storage.executed_power_W, -5000);
    assert.equal(st.storage.executed_policy, 'setpoint');
    const a = s.sim.storage.get(node('storage_0'))?.snapshot();
    const b = s.sim.storage.get(node('storage_1'))?.snapshot();
    // Battery A can give 5000 W, B 2500 W → two thirds and one third.
    assert.ok(a && b);
    assert.ok(Math.abs(a.powerW - -3333) <= 2, `A ${a.powerW}`);
    assert.ok(Math.abs(b.powerW - -1667) <= 2, `B ${b.powerW}`);
    const loads = st.heat_pump.executed_power_W + st.switched_load.executed_power_W + st.variable_load.active_power_W;
    // grid = base load + loads + storage − solar (base pinned at 500 W)
    assert.ok(Math.abs(st.grid.active_power_W - (500 + loads + st.storage.active_power_W - st.solar.active_power_W)) <= 2);
  });

  it('keeps a command until the fallback timeout, and the local default takes over right after', async () => {
    const s = await site();
    await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 2000 });
    await s.advance(59_000);
    let f = await s.send({});
    assert.equal(f.data.state.storage.executed_policy, 'setpoint');
    assert.equal(f.data.state.storage.active_signal, 'remote');
    assert.ok((f.data.state.storage.watchdog_s ?? 0) <= 1.01);
    await s.advance(1000);
    f = await s.send({});
    assert.equal(f.data.state.storage.executed_policy, 'self_consumption');
    assert.equal(f.data.state.storage.active_signal, 'local');
  });

  it('an accepted command re-arms the watchdog; an empty one does not', async () => {
    const s = await site();
    await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 1000 });
    await s.advance(40_000);
    await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 1500 });
    await s.advance(40_000);
    let f = await s.send({});
    assert.equal(f.data.state.storage.executed_policy, 'setpoint', 're-armed at 40 s, so alive at 80 s');
    await s.advance(21_000);
    f = await s.send({});
    assert.equal(f.data.state.storage.executed_policy, 'self_consumption', 'the empty command at 80 s did not re-arm');
  });

  it('fallback cancels a component at once; an omitted component falls back too', async () => {
    const s = await site();
    await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 1000, solar_policy: 'setpoint', solar_power_setpoint_w: 1000 });
    let f = await s.send({ storage_policy: 'fallback', variable_power_load_policy: 'passive' });
    assert.equal(f.data.state.storage.executed_policy, 'self_consumption');
    assert.equal(f.data.state.solar.executed_policy, 'feed_in_limitation', 'solar was omitted');
    assert.equal(f.data.state.variable_load.executed_policy, 'passive');
    f = await s.send({ solar_policy: 'off' });
    assert.equal(f.data.state.variable_load.executed_policy, 'self_consumption');
  });

  it('a device-level command beats the group command for that device only', async () => {
    const s = await site();
    const f = await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: 2000, [`${node('storage_1')}_policy`]: 'off' });
    const b0 = s.sim.storage.get(node('storage_0'))?.snapshot();
    const b1 = s.sim.storage.get(node('storage_1'))?.snapshot();
    assert.ok(b0 && b1);
    assert.equal(Math.round(b0.powerW), 2000, 'the group setpoint goes to the rest of the group');
    assert.equal(b1.powerW, 0, 'storage_1 is not driven');
    const dev = f.data.state[node('storage_1')] as { executed_policy: string; active_signal: string };
    assert.equal(dev.executed_policy, 'off');
    assert.equal(dev.active_signal, 'remote');
  });

  it('clips a storage discharge that would exceed the export limit, and says so', async () => {
    const s = await site((c) => ({ ...c, grid: { importLimitW: 25_000, exportLimitW: 2000, safetyMarginW: 0 } }), { irradianceWm2: 0, baseLoadW: 500 });
    const f = await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: -6000, heat_pump_policy: 'power_off', switched_load_policy: 'power_off', variable_power_load_policy: 'passive' });
    assert.equal(f.data.response_code, 0);
    assert.ok(f.data.state.grid.active_power_W >= -2000, `grid ${f.data.state.grid.active_power_W}`);
    assert.equal(f.data.state.storage.executed_power_W, -2500);
    assert.ok(f.data.state.grid.constraints?.some((c) => c.includes('export limit')));
  });

  it('curtails a solar setpoint that would exceed the export limit', async () => {
    const s = await site((c) => ({ ...c, grid: { importLimitW: 25_000, exportLimitW: 1000, safetyMarginW: 0 } }), { irradianceWm2: 1000, baseLoadW: 300 });
    const f = await s.send({ solar_policy: 'setpoint', solar_power_setpoint_w: 8000, storage_policy: 'off', heat_pump_policy: 'power_off', switched_load_policy: 'power_off', variable_power_load_policy: 'passive' });
    // One reading per command: the feedback's measured values are the cycle's own (before its writes); the devices show the effect.
    assert.ok(f.data.state.solar.executed_power_W < 7000, 'solar is curtailed');
    assert.ok(s.sim.gridMeter.snapshot().powerW >= -1000, `grid ${s.sim.gridMeter.snapshot().powerW}`);
    assert.ok([...s.sim.solar.values()].reduce((w, d) => w + d.snapshot().powerW, 0) < 7000, 'solar was curtailed');
    assert.ok(f.data.state.grid.constraints?.some((c) => c.includes('solar curtailed')));
  });

  it('a site limit lowers the export limit but never above the configured one', async () => {
    const s = await site();
    let f = await s.send({ site_policy: 'limit', site_power_setpoint_w: 500 });
    assert.equal(f.data.state.grid.export_limit_W, 500);
    f = await s.send({ site_policy: 'limit', site_power_setpoint_w: 999_999 });
    assert.equal(f.data.state.grid.export_limit_W, 20_000);
  });

  it('a rejected command leaves the active one untouched and does not re-arm the watchdog', async () => {
    const s = await site();
    await s.send({ storage_policy: 'setpoint', storage_power_setpoint_w: -1000 });
    await s.advance(30_000);
    const f = await s.send({ storage_policy: 'warp' });
    assert.equal(f.data.response_code, 13);
    assert.equal(f.data.state.storage.executed_policy, 'setpoint');
    assert.equal(f.data.state.storage.executed_power_W, -1000);
    await s.advance(30_000);
    assert.equal((await s.send({})).data.state.storage.executed_policy, 'self_consumption');
  });
});

describe('cycle listeners', () => {
  it('onCycle returns the function that stops the listener; the others keep being called', async () => {
    const s = await site();
    let a = 0;
    let b = 0;
    const stopA = s.controller.onCycle(() => a++);
    s.controller.onCycle(() => b++);
    await s.controller.trigger();
    stopA();
    await s.controller.trigger();
    assert.equal(a, 1);
    assert.equal(b, 2);
  });
});
