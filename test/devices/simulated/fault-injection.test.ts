import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { node, startTestSite } from '../../helpers/control-site.ts';

/** SimWorld.setFault: the soak's (and any test's) way to make a simulated device misbehave like a real one. */
describe('simulated device faults', () => {
  it('a device with a read fault is not read nor driven that cycle, the rest of the site goes on, and it is back once healed', async () => {
    const t = await startTestSite();
    const battery = node('storage_0');
    t.sim.world.setFault(battery, 'read');
    await t.controller.trigger();
    const faulty = t.controller.lastCycle();
    assert.match(faulty?.snapshot.readErrors.get(battery) ?? '', /simulated fault: the device does not answer reads/);
    assert.ok(faulty?.plan.constraints.some((c) => c.nodeId === battery && /not read this cycle .* not driven/.test(c.message)));
    assert.ok(faulty?.snapshot.storage.has(node('storage_1')), 'the other battery is read');
    t.sim.world.setFault(battery, null);
    await t.controller.trigger();
    assert.equal(t.controller.lastCycle()?.snapshot.readErrors.size, 0);
    await t.controller.stop();
  });

  it('a write fault refuses the new setpoint (the device keeps its last one) while reads go on', async () => {
    const t = await startTestSite();
    const battery = t.sim.storage.get(node('storage_0'));
    assert.ok(battery);
    await battery.setPowerW(1000);
    t.sim.world.setFault(battery.nodeId, 'write');
    await assert.rejects(battery.setPowerW(-2000), /storage_0: simulated fault: the device does not take writes/);
    assert.equal((await battery.readState(AbortSignal.timeout(1000))).powerW, 1000);
    assert.equal(t.sim.world.faultOf(battery.nodeId), 'write');
    await t.controller.stop();
  });
});
