import {
  BootNotificationConf,
  ClearChargingProfileReq16,
  GetConfigurationReq16,
  RATE_UNIT_KEY_16,
  RemoteStartTransactionReq16,
  RemoteStopTransactionReq16,
  SetChargingProfileReq16,
  StartTransactionConf16,
} from '../drivers/ocpp/payloads-16.ts';
import { callChecked, parseParams, type RpcPeer } from '../drivers/ocpp/rpc-peer.ts';
import { z } from 'zod';
import { meterReadings, type CpCore, type CpDialect } from './ocpp-cp-dialect.ts';

const Empty = z.looseObject({});

/** The charge point's side of OCPP 1.6J (one connector). */
export function createCp16(core: CpCore): CpDialect {
  const iso = () => new Date(core.nowMs()).toISOString();
  const connectorId = core.connectorId;
  return {
    subprotocol: 'ocpp1.6',

    install(peer: RpcPeer): void {
      // [OCPP 1.6 §5.8 GetConfiguration]
      peer.handle('GetConfiguration', async ({ params }) => {
        const p = parseParams(GetConfigurationReq16, params, 'GetConfiguration');
        core.record('GetConfiguration', params);
        const value = core.rateUnit === 'A' ? 'Current' : 'Power';
        const known = [{ key: RATE_UNIT_KEY_16, readonly: true, value }];
        if (!p.key || p.key.length === 0) return { configurationKey: known };
        return {
          configurationKey: known.filter((k) => p.key?.includes(k.key)),
          unknownKey: p.key.filter((k) => k !== RATE_UNIT_KEY_16),
        };
      });
      // [OCPP 1.6 §5.16 SetChargingProfile]
      peer.handle('SetChargingProfile', async ({ params }) => {
        const p = parseParams(SetChargingProfileReq16, params, 'SetChargingProfile');
        core.record('SetChargingProfile', params);
        const cp = p.csChargingProfiles;
        const period = cp.chargingSchedule.chargingSchedulePeriod[0];
        if (p.connectorId !== connectorId || !period || cp.chargingProfilePurpose === 'ChargePointMaxProfile') return { status: 'Rejected' };
        const status = await core.installProfile({
          id: cp.chargingProfileId,
          purpose: cp.chargingProfilePurpose,
          transactionId: cp.transactionId === undefined ? null : String(cp.transactionId),
          unit: cp.chargingSchedule.chargingRateUnit,
          limit: period.limit,
          phases: period.numberPhases === 1 ? 1 : period.numberPhases === undefined ? undefined : 3,
        });
        return { status };
      });
      // [OCPP 1.6 §5.5 ClearChargingProfile]
      peer.handle('ClearChargingProfile', async ({ params }) => {
        const p = parseParams(ClearChargingProfileReq16, params, 'ClearChargingProfile');
        core.record('ClearChargingProfile', params);
        return { status: await core.clearProfiles({ id: p.id, purpose: p.chargingProfilePurpose }) };
      });
      // [OCPP 1.6 §5.11 RemoteStartTransaction, §5.12 RemoteStopTransaction]
      peer.handle('RemoteStartTransaction', async ({ params }) => {
        const p = parseParams(RemoteStartTransactionReq16, params, 'RemoteStartTransaction');
        core.record('RemoteStartTransaction', params);
        return { status: core.requestStart(p.idTag) };
      });
      peer.handle('RemoteStopTransaction', async ({ params }) => {
        const p = parseParams(RemoteStopTransactionReq16, params, 'RemoteStopTransaction');
        core.record('RemoteStopTransaction', params);
        return { status: core.requestStop(String(p.transactionId)) };
      });
    },

    async boot(peer: RpcPeer) {
      const conf = await callChecked(peer, core.chargePointId, 'BootNotification', { chargePointVendor: 'gridpilot', chargePointModel: 'sim-ev-charger' }, BootNotificationConf);
      return { status: conf.status, intervalS: conf.interval };
    },

    async heartbeat(peer: RpcPeer) {
      await peer.call('Heartbeat', {});
    },

    // [OCPP 1.6 §4.9 StatusNotification]
    async report(peer, status) {
      await callChecked(peer, core.chargePointId, 'StatusNotification', { connectorId, errorCode: 'NoError', status, timestamp: iso() }, Empty);
    },

    // [OCPP 1.6 §4.8 StartTransaction]
    async startTransaction(peer, snap, idTag) {
      const conf = await callChecked(peer, core.chargePointId, 'StartTransaction', { connectorId, idTag, meterStart: Math.round(snap.deliveredWh), timestamp: iso() }, StartTransactionConf16);
      return conf.idTagInfo.status === 'Accepted' ? String(conf.transactionId) : null;
    },

    // [OCPP 1.6 §4.10 StopTransaction]
    async stopTransaction(peer, transactionId, snap, reason) {
      await callChecked(peer, core.chargePointId, 'StopTransaction', { transactionId: Number(transactionId), meterStop: Math.round(snap.deliveredWh), timestamp: iso(), reason }, Empty);
    },

    // [OCPP 1.6 §4.7 MeterValues]: values are decimal strings.
    async meterValues(peer, snap, transactionId) {
      const sampledValue = meterReadings(snap).map((r) => ({ ...r, value: String(r.value), context: 'Sample.Periodic' }));
      const params: Record<string, unknown> = { connectorId, meterValue: [{ timestamp: iso(), sampledValue }] };
      if (transactionId !== null) params.transactionId = Number(transactionId);
      await callChecked(peer, core.chargePointId, 'MeterValues', params, Empty);
    },
  };
}
