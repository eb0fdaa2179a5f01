import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RPCClient, createRPCError } from 'ocpp-rpc';
import { createTestPki } from '../../helpers/tls-certs.ts';
import { readable, rejection, signal, startCentral, until } from './harness.ts';

/**
 * A hand-written OCPP 1.6J charge point (ocpp-rpc's RPCClient, strict schemas, not our simulator):
 * the JSON shapes below are the spec's [OCPP 1.6 §6], so a misreading shared by our central system and
 * our simulator cannot hide.
 */
type Handler = (params: Record<string, unknown>) => Record<string, unknown>;

function rawClient(url: string, identity: string, handlers: Record<string, Handler>, extra: Record<string, unknown> = {}) {
  const received: { method: string; params: Record<string, unknown> }[] = [];
  const cli = new RPCClient({ endpoint: url, identity, protocols: ['ocpp1.6'], strictMode: true, reconnect: false, ...extra } as ConstructorParameters<typeof RPCClient>[0]);
  for (const [method, h] of Object.entries(handlers)) {
    cli.handle(method, async ({ params }) => {
      received.push({ method, params: params ?? {} });
      return h(params ?? {});
    });
  }
  return { cli, received };
}

test('OCPP 1.6 raw peer: boot, GetConfiguration (Power), status, StartTransaction, a W profile, kW meter values, a CALLERROR, a reconnect without boot', async (t) => {
  const central = await startCentral([{ chargePointId: 'RAW1' }], { authorization: { idTags: ['TAG-OK'] } });
  t.after(() => central.close());
  let answerProfile: 'Accepted' | 'error' = 'Accepted';
  const handlers: Record<string, Handler> = {
    GetConfiguration: () => ({ configurationKey: [{ key: 'ChargingScheduleAllowedChargingRateUnit', readonly: true, value: 'Power' }] }),
    SetChargingProfile: () => {
      if (answerProfile === 'error') throw createRPCError('NotSupported', 'smart charging is off');
      return { status: 'Accepted' };
    },
    ClearChargingProfile: () => ({ status: 'Accepted' }),
  };
  const { cli, received } = rawClient(central.url, 'RAW1', handlers);
  t.after(() => cli.close({ force: true }));
  await cli.connect();
  const boot = (await cli.call('BootNotification', { chargePointVendor: 'Raw', chargePointModel: 'Hand-1' })) as { status: string; interval: number; currentTime: string };
  assert.equal(boot.status, 'Accepted');
  assert.equal(boot.interval, 300);
  await until(() => received.some((r) => r.method === 'GetConfiguration'), 'GetConfiguration');
  assert.deepEqual(received.find((r) => r.method === 'GetConfiguration')?.params, { key: ['ChargingScheduleAllowedChargingRateUnit'] });

  await cli.call('StatusNotification', { connectorId: 0, errorCode: 'NoError', status: 'Available' });
  await cli.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Preparing', timestamp: '2024-05-02T12:00:00Z' });
  const device = central.device('RAW1');
  const preparing = await device.readState(signal());
  assert.equal(preparing.isConnected, true);
  assert.equal(preparing.isRequiringCharge, true);

  const bad = (await cli.call('Authorize', { idTag: 'TAG-BAD' })) as { idTagInfo: { status: string } };
  assert.equal(bad.idTagInfo.status, 'Invalid');
  const started = (await cli.call('StartTransaction', { connectorId: 1, idTag: 'TAG-OK', meterStart: 1000, timestamp: '2024-05-02T12:00:01Z' })) as {
    transactionId: number;
    idTagInfo: { status: string };
  };
  assert.equal(started.idTagInfo.status, 'Accepted');
  assert.ok(Number.isInteger(started.transactionId));
  await cli.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' });

  await device.setCurrentA(10, 3);
  const sp = received.filter((r) => r.method === 'SetChargingProfile').at(-1)?.params as {
    connectorId: number;
    csChargingProfiles: { chargingProfilePurpose: string; transactionId?: number; chargingSchedule: { chargingRateUnit: string; chargingSchedulePeriod: { startPeriod: number; limit: number; numberPhases?: number }[] } };
  };
  assert.equal(sp.connectorId, 1);
  assert.equal(sp.csChargingProfiles.chargingProfilePurpose, 'TxProfile');
  assert.equal(sp.csChargingProfiles.transactionId, started.transactionId);
  assert.equal(sp.csChargingProfiles.chargingSchedule.chargingRateUnit, 'W');
  assert.deepEqual(sp.csChargingProfiles.chargingSchedule.chargingSchedulePeriod, [{ startPeriod: 0, limit: 6900, numberPhases: 3 }]);

  await cli.call('MeterValues', {
    connectorId: 1,
    transactionId: started.transactionId,
    meterValue: [
      {
        timestamp: '2024-05-02T12:00:10Z',
        sampledValue: [
          { value: '6.9', measurand: 'Power.Active.Import', unit: 'kW' },
          { value: '10.0', measurand: 'Current.Import', phase: 'L1', unit: 'A' },
          { value: '10.1', measurand: 'Current.Import', phase: 'L2', unit: 'A' },
          { value: '9.9', measurand: 'Current.Import', phase: 'L3', unit: 'A' },
          { value: '12.5', measurand: 'Energy.Active.Import.Register', unit: 'kWh' },
        ],
      },
    ],
  });
  const r = await device.readState(signal());
  assert.equal(r.powerW, 6900);
  assert.deepEqual(r.currentsA, [10, 10.1, 9.9]);
  assert.equal(r.phases, 3);
  assert.equal(r.offeredCurrentA, 10);
  assert.equal(central.cs.session('RAW1')?.view().energyWh, 12_500);

  // SuspendedEV: the car is full
  await cli.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'SuspendedEV' });
  assert.equal((await device.readState(signal())).isRequiringCharge, false);

  // a CALLERROR answer to SetChargingProfile is a rejection
  answerProfile = 'error';
  assert.match(await rejection(device.setCurrentA(6, 3)), /^RAW1: rejected the charging profile \(SetChargingProfile: .*NotSupported/);
  assert.match(await rejection(device.readState(signal())), /rejected the charging profile/);
  answerProfile = 'Accepted';
  await device.setCurrentA(6, 3);
  await readable(device, 'accepted again');

  // the WebSocket drops; the charger reconnects *without* a BootNotification: the first message is enough to re-send the profile
  const count = received.filter((r) => r.method === 'SetChargingProfile').length;
  await cli.close({ force: true });
  await until(() => central.cs.session('RAW1')?.view().isOnline === false, 'the disconnect');
  assert.match(await rejection(device.readState(signal())), /^RAW1: not connected since/);
  const again = rawClient(central.url, 'RAW1', handlers);
  t.after(() => again.cli.close({ force: true }));
  await again.cli.connect();
  await again.cli.call('Heartbeat', {});
  await until(() => again.received.filter((r) => r.method === 'SetChargingProfile').length > 0, 'the profile re-sent');
  assert.equal(received.filter((r) => r.method === 'SetChargingProfile').length, count);
  assert.equal((await device.readState(signal())).isConnected, true); // the state from before the drop is kept

  await again.cli.call('StopTransaction', { transactionId: started.transactionId, idTag: 'TAG-OK', meterStop: 12_500, timestamp: '2024-05-02T13:00:00Z', reason: 'EVDisconnected' });
  await again.cli.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
  const after = await device.readState(signal());
  assert.equal(after.isConnected, false);
  assert.equal(after.powerW, 0);
});

test('OCPP 1.6 raw peer: the HTTP upgrade is refused with 401 for a wrong password and 404 for an unknown id', async (t) => {
  const central = await startCentral([{ chargePointId: 'RAWP', password: 'right-password' }]);
  t.after(() => central.close());
  const codeOf = async (identity: string, password?: string) => {
    const { cli } = rawClient(central.url, identity, {}, password === undefined ? {} : { password });
    try {
      await cli.connect();
      await cli.close({ force: true });
      return 200;
    } catch (err) {
      return (err as { code?: number }).code;
    }
  };
  assert.equal(await codeOf('RAWP', 'wrong-password'), 401);
  assert.equal(await codeOf('RAWP'), 401);
  assert.equal(await codeOf('OTHER', 'right-password'), 404);
  assert.equal(await codeOf('RAWP', 'right-password'), 200);
});

test('OCPP over TLS (wss://, security profile 2): a charger with the password connects', async (t) => {
  const pki = createTestPki();
  t.after(() => pki.remove());
  const central = await startCentral([{ chargePointId: 'TLS1', password: 'tls-password' }], { tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile } });
  t.after(() => central.close());
  assert.match(central.url, /^wss:\/\//);
  const { readFileSync } = await import('node:fs');
  const { cli } = rawClient(central.url, 'TLS1', {}, { password: 'tls-password', wsOpts: { ca: readFileSync(pki.caFile), minVersion: 'TLSv1.2' } });
  t.after(() => cli.close({ force: true }));
  await cli.connect();
  await cli.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
  assert.equal((await central.device('TLS1').readState(signal())).isConnected, false);
});
