import { readSampledValues, type SampledValueIn } from './meter-values.ts';
import { PROFILE_STACK_LEVEL, type ChargePointEvents, type CsmsDialect, type ProfileOrder, type RateUnit } from './charge-point-session.ts';
import {
  AuthorizeReq201,
  BootNotificationReq201,
  GetVariablesConf201,
  MeterValuesReq201,
  RATE_UNIT_COMPONENT_201,
  RATE_UNIT_VARIABLE_201,
  StatusNotificationReq201,
  TransactionEventReq201,
  type ChargingProfile201,
} from './payloads-201.ts';
import { StatusConf } from './payloads-16.ts';
import { callChecked, parseParams, type RpcPeer } from './rpc-peer.ts';
import { carStatusFrom201ChargingState, carStatusFrom201Connector } from './status-mapping.ts';

type MeterValue = { sampledValue: readonly { value: number; measurand?: string | undefined; phase?: string | undefined; unitOfMeasure?: { unit?: string | undefined; multiplier?: number | undefined } | undefined }[] };

/** The CSMS side of OCPP 2.0.1 for one EVSE (its connector 1) of a charging station. */
export function createCsms201(evseId: number): CsmsDialect {
  let remoteStartId = 1;
  return {
    version: '2.0.1',

    install(peer: RpcPeer, ev: ChargePointEvents): void {
      const iso = () => new Date(ev.nowMs()).toISOString();
      const idTokenInfo = (idToken: string) => ({ status: ev.isAuthorized(idToken) ? 'Accepted' : 'Invalid' });
      /** Transactions of our EVSE: `evse` is only required in the first event of a transaction [OCPP 2.0.1 E01.FR.16]. */
      const ours = new Set<string>();

      // [OCPP 2.0.1 B01 BootNotification]
      peer.handle('BootNotification', async ({ params }) => {
        const p = parseParams(BootNotificationReq201, params, 'BootNotification');
        ev.onBoot(p.chargingStation.vendorName, p.chargingStation.model);
        return { currentTime: iso(), interval: ev.heartbeatIntervalS, status: 'Accepted' };
      });
      peer.handle('Heartbeat', async () => {
        ev.onMessage();
        return { currentTime: iso() };
      });
      // [OCPP 2.0.1 G01 StatusNotification]
      peer.handle('StatusNotification', async ({ params }) => {
        const p = parseParams(StatusNotificationReq201, params, 'StatusNotification');
        ev.onMessage();
        if (p.evseId === evseId) ev.onStatus(p.connectorStatus, carStatusFrom201Connector(p.connectorStatus));
        return {};
      });
      // [OCPP 2.0.1 J01 MeterValues]: outside a transaction
      peer.handle('MeterValues', async ({ params }) => {
        const p = parseParams(MeterValuesReq201, params, 'MeterValues');
        ev.onMessage();
        const last = p.meterValue.at(-1);
        if (p.evseId === evseId && last) ev.onMeter(readSampledValues(toSampled(last)), null);
        return {};
      });
      peer.handle('Authorize', async ({ params }) => {
        const p = parseParams(AuthorizeReq201, params, 'Authorize');
        ev.onMessage();
        return { idTokenInfo: idTokenInfo(p.idToken.idToken) };
      });
      // [OCPP 2.0.1 E01–E15 TransactionEvent]: start, updates (chargingState, meter values), end.
      peer.handle('TransactionEvent', async ({ params }) => {
        const p = parseParams(TransactionEventReq201, params, 'TransactionEvent');
        ev.onMessage();
        const txId = p.transactionInfo.transactionId;
        if (p.evse?.id === evseId) ours.add(txId);
        if (ours.has(txId)) {
          if (p.eventType === 'Ended') {
            ours.delete(txId);
            ev.onTransactionEnded(txId);
          } else {
            ev.onTransactionStarted(txId);
            const car = p.transactionInfo.chargingState === undefined ? null : carStatusFrom201ChargingState(p.transactionInfo.chargingState);
            if (car) ev.onStatus(statusOfChargingState(p.transactionInfo.chargingState), car);
          }
          const last = p.meterValue?.at(-1);
          if (last && p.eventType !== 'Ended') ev.onMeter(readSampledValues(toSampled(last)), p.numberOfPhasesUsed ?? null);
        }
        return p.idToken === undefined ? {} : { idTokenInfo: idTokenInfo(p.idToken.idToken) };
      });
      peer.handle('DataTransfer', async () => ({ status: 'UnknownVendorId' }));
      for (const m of ['NotifyReport', 'NotifyEvent', 'NotifyChargingLimit', 'ReportChargingProfiles', 'SecurityEventNotification', 'FirmwareStatusNotification', 'LogStatusNotification', 'NotifyEVChargingNeeds', 'ClearedChargingLimit']) {
        peer.handle(m, async () => ({}));
      }
    },

    // [OCPP 2.0.1 B06 GetVariables; SmartChargingCtrlr.RateUnit: "A", "W" or "A,W"]
    async readRateUnit(peer: RpcPeer): Promise<RateUnit> {
      const conf = await callChecked(
        peer,
        'GetVariables',
        'GetVariables',
        { getVariableData: [{ component: { name: RATE_UNIT_COMPONENT_201 }, variable: { name: RATE_UNIT_VARIABLE_201 } }] },
        GetVariablesConf201,
      );
      const result = conf.getVariableResult.find((r) => r.component.name === RATE_UNIT_COMPONENT_201 && r.variable.name === RATE_UNIT_VARIABLE_201);
      if (result?.attributeStatus !== 'Accepted') return 'A';
      const units = (result.attributeValue ?? '').split(',').map((u) => u.trim());
      return !units.includes('A') && units.includes('W') ? 'W' : 'A';
    },

    // [OCPP 2.0.1 K01 SetChargingProfile]: Absolute needs startSchedule [K01.FR.40]; TxProfile needs the transactionId [K01.FR.03].
    async setProfile(peer: RpcPeer, order: ProfileOrder): Promise<string> {
      const profile: ChargingProfile201 = {
        id: order.profileId,
        stackLevel: PROFILE_STACK_LEVEL,
        chargingProfilePurpose: order.purpose,
        chargingProfileKind: 'Absolute',
        chargingSchedule: [
          {
            id: order.profileId,
            startSchedule: new Date(order.startMs).toISOString(),
            chargingRateUnit: order.unit,
            chargingSchedulePeriod: [{ startPeriod: 0, limit: order.limit, numberPhases: order.phases }],
          },
        ],
      };
      if (order.transactionId !== null) profile.transactionId = order.transactionId;
      const conf = await callChecked(peer, 'SetChargingProfile', 'SetChargingProfile', { evseId, chargingProfile: profile }, StatusConf);
      return conf.status;
    },

    // [OCPP 2.0.1 K10 ClearChargingProfile]
    async clearProfile(peer: RpcPeer, profileId: number): Promise<string> {
      const conf = await callChecked(peer, 'ClearChargingProfile', 'ClearChargingProfile', { chargingProfileId: profileId }, StatusConf);
      return conf.status;
    },

    // [OCPP 2.0.1 F01 RequestStartTransaction]
    async remoteStart(peer: RpcPeer, idTag: string): Promise<string> {
      const params = { evseId, remoteStartId: remoteStartId++, idToken: { idToken: idTag, type: 'Central' } };
      const conf = await callChecked(peer, 'RequestStartTransaction', 'RequestStartTransaction', params, StatusConf);
      return conf.status;
    },
  };
}

/** The connector status a chargingState implies, for the view (2.0.1 has Occupied only). */
function statusOfChargingState(chargingState: string | undefined): string {
  return chargingState === 'Idle' ? 'Available' : 'Occupied';
}

function toSampled(mv: MeterValue): SampledValueIn[] {
  return mv.sampledValue.map((v) => ({ value: v.value, measurand: v.measurand, phase: v.phase, unit: v.unitOfMeasure?.unit, multiplier: v.unitOfMeasure?.multiplier }));
}
