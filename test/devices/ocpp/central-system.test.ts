import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readable, rejection, signal, simCharger, startCentral, startSimCp, until } from './harness.ts';

const VERSIONS = ['1.6', '2.0.1'] as const;

const setProfiles = (cp: { received(): readonly { method: string; params: unknown }[] }) => cp.received().filter((c) => c.method === 'SetChargingProfile');

for (const ocppVersion of VERSIONS) {
  describe(`OCPP ${ocppVersion}: central system ↔ simulated charge point`, () => {
    test('a charge point boots, the car plugs in, a transaction starts, setCurrentA becomes a profile the charger applies, meter values come back, null clears', async (t) => {
      const central = await startCentral([{ chargePointId: 'CP1' }]);
      t.after(() => central.close());
      const charger = simCharger(central.clock);
      const cp = await startSimCp({ url: central.url, chargePointId: 'CP1', ocppVersion, charger, clock: central.clock });
      t.after(() => cp.close());
      const device = central.device('CP1');
      await readable(device, 'the first status');
      assert.equal((await device.readState(signal())).isConnected, false);
      assert.equal(central.cs.session('CP1')?.view().version, ocppVersion);

      charger.plugIn({ energyNeededWh: 20_000 });
      await cp.sync();
      await until(() => central.cs.session('CP1')?.view().transactionId !== null, 'the transaction');
      assert.equal(central.cs.session('CP1')?.view().transactionId, cp.transactionId());
      const plugged = await device.readState(signal());
      assert.equal(plugged.isConnected, true);
      assert.equal(plugged.isRequiringCharge, true);
      assert.equal(typeof device.sessionStartedAtMs(), 'number');

      await device.setCurrentA(10, 3);
      assert.equal(charger.snapshot().offeredCurrentA, 10);
      assert.equal(charger.snapshot().selectedPhases, 3);
      const sent = setProfiles(cp).at(-1)?.params as Record<string, unknown>;
      assert.ok(sent, 'a SetChargingProfile reached the charge point');
      assert.match(JSON.stringify(sent), /"chargingProfilePurpose":"TxProfile"/);
      assert.match(JSON.stringify(sent), /"chargingRateUnit":"A"/);
      assert.match(JSON.stringify(sent), /"limit":10,"numberPhases":3/);

      await cp.sync();
      await until(() => central.cs.session('CP1')?.view().lastMeterMs !== null, 'meter values');
      const r = await device.readState(signal());
      assert.equal(r.powerW, 10 * 3 * 230);
      assert.deepEqual(r.currentsA, [10, 10, 10]);
      assert.equal(r.phases, 3);
      assert.equal(r.offeredCurrentA, 10);

      // 3 → 1 phase via numberPhases
      await device.setCurrentA(8, 1);
      assert.equal(charger.snapshot().selectedPhases, 1);
      assert.equal(charger.snapshot().offeredCurrentA, 8);
      await cp.sync();
      await until(() => central.cs.session('CP1')?.view().energyWh !== null, 'energy');
      const one = await device.readState(signal());
      assert.deepEqual(one.currentsA, [8, 0, 0]);
      assert.equal(one.phases, 1);
      assert.equal(one.powerW, 8 * 230);

      // unchanged → not re-sent
      const count = setProfiles(cp).length;
      await device.setCurrentA(8, 1);
      assert.equal(setProfiles(cp).length, count);

      // 0 A pauses: the charger reports SuspendedEVSE, the car still requires charge
      await device.setCurrentA(0, 3);
      await cp.sync();
      await until(() => central.cs.session('CP1')?.view().lastMeterMs !== null && central.cs.session('CP1')?.view().isPlugged === true, 'pause');
      await until(() => charger.snapshot().powerW === 0, 'no draw');
      const paused = await device.readState(signal());
      assert.equal(paused.offeredCurrentA, 0);
      assert.equal(paused.isRequiringCharge, true);

      await device.setCurrentA(null, 3);
      assert.ok(cp.received().some((c) => c.method === 'ClearChargingProfile'));
      assert.equal(charger.snapshot().offeredCurrentA, null);
      assert.equal((await device.readState(signal())).offeredCurrentA, null);

      charger.unplug();
      await cp.sync();
      await until(() => central.cs.session('CP1')?.view().transactionId === null, 'the end of the transaction');
      await until(() => central.cs.session('CP1')?.view().isPlugged === false, 'unplugged');
      const gone = await device.readState(signal());
      assert.equal(gone.isConnected, false);
      assert.equal(gone.powerW, 0);
      assert.equal(device.sessionStartedAtMs(), null);
    });

    test('a profile set while idle is a TxDefaultProfile; a charger taking W gets W (A × phases × 230 V)', async (t) => {
      const central = await startCentral([{ chargePointId: 'CPW' }]);
      t.after(() => central.close());
      const charger = simCharger(central.clock);
      const cp = await startSimCp({ url: central.url, chargePointId: 'CPW', ocppVersion, charger, clock: central.clock, rateUnit: 'W' });
      t.after(() => cp.close());
      const device = central.device('CPW');
      await readable(device, 'the first status');
      await until(() => central.cs.session('CPW')?.view().rateUnit === 'W', 'the rate unit');
      await device.setCurrentA(10, 3);
      const sent = JSON.stringify(setProfiles(cp).at(-1)?.params);
      assert.match(sent, /"chargingProfilePurpose":"TxDefaultProfile"/);
      assert.match(sent, /"chargingRateUnit":"W"/);
      assert.match(sent, /"limit":6900/);
      assert.equal(charger.snapshot().offeredCurrentA, 10);
      assert.equal((await device.readState(signal())).offeredCurrentA, 10);
      await device.setCurrentA(16, 1);
      assert.match(JSON.stringify(setProfiles(cp).at(-1)?.params), /"limit":3680,"numberPhases":1/);
      assert.equal(charger.snapshot().offeredCurrentA, 16);
      assert.equal(charger.snapshot().selectedPhases, 1);
    });

    test('a charger that rejects the profile: setCurrentA and readState reject with a clear message, until it accepts again', async (t) => {
      const central = await startCentral([{ chargePointId: 'CPR' }]);
      t.after(() => central.close());
      const charger = simCharger(central.clock);
      const cp = await startSimCp({ url: central.url, chargePointId: 'CPR', ocppVersion, charger, clock: central.clock, rejectProfiles: true });
      t.after(() => cp.close());
      const device = central.device('CPR');
      await readable(device, 'the first status');
      assert.match(await rejection(device.setCurrentA(10, 3)), /^CPR: rejected the charging profile \(SetChargingProfile Rejected/);
      assert.match(await rejection(device.readState(signal())), /^CPR: rejected the charging profile/);
      assert.equal(charger.snapshot().offeredCurrentA, null);
      cp.setRejectProfiles(false);
      await device.setCurrentA(10, 3);
      assert.equal((await device.readState(signal())).offeredCurrentA, 10);
      assert.equal(charger.snapshot().offeredCurrentA, 10);
    });

    test('a charger that disconnects: reads reject; when it reconnects, reads work again and the profile is re-sent', async (t) => {
      const central = await startCentral([{ chargePointId: 'CPD' }]);
      t.after(() => central.close());
      const charger = simCharger(central.clock);
      const cp = await startSimCp({ url: central.url, chargePointId: 'CPD', ocppVersion, charger, clock: central.clock });
      t.after(() => cp.close());
      const device = central.device('CPD');
      await readable(device, 'the first status');
      await device.setCurrentA(12, 3);
      const before = setProfiles(cp).length;
      await cp.goOffline();
      await until(() => central.cs.session('CPD')?.view().isOnline === false, 'the disconnect');
      assert.match(await rejection(device.readState(signal())), /^CPD: not connected since \d{4}-\d\d-\d\dT/);
      assert.match(await rejection(device.setCurrentA(12, 3)), /^CPD: not connected since/);
      cp.goOnline();
      await readable(device, 'reads after the reconnect');
      await until(() => setProfiles(cp).length > before, 'the profile re-sent');
      assert.match(JSON.stringify(setProfiles(cp).at(-1)?.params), /"limit":12/);
      assert.equal(charger.snapshot().offeredCurrentA, 12);
    });
  });
}

describe('OCPP: who may connect', () => {
  test('a charger with the right password gets in; a wrong password and an unknown id are refused at connect', async (t) => {
    const central = await startCentral([{ chargePointId: 'CPP', password: 'secret-pw-1' }]);
    t.after(() => central.close());
    const good = await startSimCp({ url: central.url, chargePointId: 'CPP', ocppVersion: '1.6', charger: simCharger(central.clock), clock: central.clock, password: 'secret-pw-1' });
    t.after(() => good.close());
    assert.equal(good.isConnected(), true);
    await good.close();
    await until(() => central.cs.session('CPP')?.view().isOnline === false, 'the close');

    const wrong = await startSimCp({ url: central.url, chargePointId: 'CPP', ocppVersion: '1.6', charger: simCharger(central.clock), clock: central.clock, password: 'wrong-pw-22' });
    t.after(() => wrong.close());
    assert.equal(wrong.isConnected(), false);
    const none = await startSimCp({ url: central.url, chargePointId: 'CPP', ocppVersion: '2.0.1', charger: simCharger(central.clock), clock: central.clock });
    t.after(() => none.close());
    assert.equal(none.isConnected(), false);
    const unknown = await startSimCp({ url: central.url, chargePointId: 'NOPE', ocppVersion: '1.6', charger: simCharger(central.clock), clock: central.clock });
    t.after(() => unknown.close());
    assert.equal(unknown.isConnected(), false);
  });

  test('a charger that never connected: readState and setCurrentA reject "never connected"', async (t) => {
    const central = await startCentral([{ chargePointId: 'CPN' }]);
    t.after(() => central.close());
    assert.match(await rejection(central.device('CPN').readState(signal())), /^CPN: never connected \(expected at ws:\/\/.*\/ocpp\/CPN\)/);
    assert.match(await rejection(central.device('CPN').setCurrentA(10, 3)), /^CPN: never connected/);
  });
});
