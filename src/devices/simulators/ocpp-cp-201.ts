import { z } from 'zod';
import { BootNotificationConf } from '../drivers/ocpp/payloads-16.ts';
import {
  ClearChargingProfileReq201,
  GetVariablesReq201,
  RATE_UNIT_COMPONENT_201,
  RATE_UNIT_VARIABLE_201,
  RequestStartTransactionReq201,
  RequestStopTransactionReq201,
  SetChargingProfileReq201,
  type ChargingState201,
  type ConnectorStatus201,
} from '../drivers/ocpp/payloads-201.ts';
import { callChecked, parseParams, type RpcPeer } from '../drivers/ocpp/rpc-peer.ts';
import type { SimEvChargerSnapshot } from '../simulated/sim-ev-charger.ts';
import { meterReadings, type CpCore, type CpDialect, type CpStatus } from './ocpp-cp-dialect.ts';

const Empty = z.looseObject({});
const TransactionEventConf = z.looseObject({ idTokenInfo: z.looseObject({ status: z.string() }).optional() });

const CHARGING_STATE: Record<CpStatus, ChargingState201> = {
  Available: 'Idle',
  Preparing: 'EVConnected',
  Charging: 'Charging',
  SuspendedEV: 'SuspendedEV',
  SuspendedEVSE: 'SuspendedEVSE',
};

/** The charging station's side of OCPP 2.0.1 (one EVSE with connector 1). */
export function createCp201(core: CpCore): CpDialect {
  const iso = () => new Date(core.nowMs()).toISOString();
  const evseId = core.connectorId;
  let lastConnector: ConnectorStatus201 | null = null;
  let lastChargingState: ChargingState201 | null = null;
  let seqNo = 0;
  let txCounter = 0;

  const meterValue = (snap: SimEvChargerSnapshot, context: string) => [
    {
      timestamp: iso(),
      sampledValue: meterReadings(snap).map(({ unit, ...r }) => ({ ...r, context, unitOfMeasure: { unit } })),
    },
  ];
  const event = async (peer: RpcPeer, body: Record<string, unknown>) =>
    callChecked(peer, core.chargePointId, 'TransactionEvent', { timestamp: iso(), seqNo: seqNo++, ...body }, TransactionEventConf);

  return {
    subprotocol: 'ocpp2.0.1',

    install(peer: RpcPeer): void {
      // [OCPP 2.0.1 B06 GetVariables]
      peer.handle('GetVariables', async ({ params }) => {
        const p = parseParams(GetVariablesReq201, params, 'GetVariables');
        core.record('GetVariables', params);
        return {
          getVariableResult: p.getVariableData.map(({ component, variable }) => {
            const isRateUnit = component.name === RATE_UNIT_COMPONENT_201 && variable.name === RATE_UNIT_VARIABLE_201;
            const base = { component: { name: component.name }, variable: { name: variable.name } };
            if (isRateUnit) return { ...base, attributeStatus: 'Accepted', attributeValue: core.rateUnit };
            return { ...base, attributeStatus: component.name === RATE_UNIT_COMPONENT_201 ? 'UnknownVariable' : 'UnknownComponent' };
          }),
        };
      });
      // [OCPP 2.0.1 K01 SetChargingProfile]
      peer.handle('SetChargingProfile', async ({ params }) => {
        const p = parseParams(SetChargingProfileReq201, params, 'SetChargingProfile');
        core.record('SetChargingProfile', params);
        const cp = p.chargingProfile;
        const schedule = cp.chargingSchedule[0];
        const period = schedule?.chargingSchedulePeriod[0];
        const purpose = cp.chargingProfilePurpose;
        if (p.evseId !== evseId || !schedule || !period || (purpose !== 'TxDefaultProfile' && purpose !== 'TxProfile')) return { status: 'Rejected' };
        const status = await core.installProfile({
          id: cp.id,
          purpose,
          transactionId: cp.transactionId ?? null,
          unit: schedule.chargingRateUnit,
          limit: period.limit,
          phases: period.numberPhases === 1 ? 1 : period.numberPhases === undefined ? undefined : 3,
        });
        return { status };
      });
      // [OCPP 2.0.1 K10 ClearChargingProfile]
      peer.handle('ClearChargingProfile', async ({ params }) => {
        const p = parseParams(ClearChargingProfileReq201, params, 'ClearChargingProfile');
        core.record('ClearChargingProfile', params);
        return { status: await core.clearProfiles({ id: p.chargingProfileId, purpose: p.chargingProfileCriteria?.chargingProfilePurpose }) };
      });
      // [OCPP 2.0.1 F01 RequestStartTransaction, F03 RequestStopTransaction]
      peer.handle('RequestStartTransaction', async ({ params }) => {
        const p = parseParams(RequestStartTransactionReq201, params, 'RequestStartTransaction');
        core.record('RequestStartTransaction', params);
        return { status: core.requestStart(p.idToken.idToken) };
      });
      peer.handle('RequestStopTransaction', async ({ params }) => {
        const p = parseParams(RequestStopTransactionReq201, params, 'RequestStopTransaction');
        core.record('RequestStopTransaction', params);
        return { status: core.requestStop(p.transactionId) };
      });
    },

    async boot(peer: RpcPeer) {
      const conf = await callChecked(peer, core.chargePointId, 'BootNotification', { reason: 'PowerUp', chargingStation: { model: 'sim-ev-charger', vendorName: 'gridpilot' } }, BootNotificationConf);
      lastConnector = null;
      lastChargingState = null;
      return { status: conf.status, intervalS: conf.interval };
    },

    async heartbeat(peer: RpcPeer) {
      await peer.call('Heartbeat', {});
    },

    // [OCPP 2.0.1 G01 StatusNotification] + [E02 TransactionEvent Updated ChargingStateChanged]
    async report(peer, status, _snap, transactionId, force) {
      const connectorStatus: ConnectorStatus201 = status === 'Available' ? 'Available' : 'Occupied';
      if (force || connectorStatus !== lastConnector) {
        await callChecked(peer, core.chargePointId, 'StatusNotification', { timestamp: iso(), connectorStatus, evseId, connectorId: 1 }, Empty);
        lastConnector = connectorStatus;
      }
      const chargingState = CHARGING_STATE[status];
      if (transactionId !== null && (force || chargingState !== lastChargingState)) {
        await event(peer, { eventType: 'Updated', triggerReason: 'ChargingStateChanged', transactionInfo: { transactionId, chargingState } });
      }
      lastChargingState = chargingState;
    },

    // [OCPP 2.0.1 E02 TransactionEvent Started]: the station assigns the transaction id.
    async startTransaction(peer, snap, idTag, why) {
      const transactionId = `${core.chargePointId}-${core.nowMs().toString(36)}-${++txCounter}`;
      seqNo = 0;
      const conf = await event(peer, {
        eventType: 'Started',
        triggerReason: why === 'remote' ? 'RemoteStart' : 'CablePluggedIn',
        transactionInfo: { transactionId, chargingState: 'EVConnected' },
        evse: { id: evseId, connectorId: 1 },
        idToken: { idToken: idTag, type: why === 'remote' ? 'Central' : 'Local' },
        meterValue: meterValue(snap, 'Transaction.Begin'),
      });
      lastChargingState = 'EVConnected';
      if (conf.idTokenInfo && conf.idTokenInfo.status !== 'Accepted') {
        await event(peer, { eventType: 'Ended', triggerReason: 'Deauthorized', transactionInfo: { transactionId, stoppedReason: 'DeAuthorized', chargingState: 'EVConnected' } });
        return null;
      }
      return transactionId;
    },

    // [OCPP 2.0.1 E06 TransactionEvent Ended]
    async stopTransaction(peer, transactionId, snap, reason) {
      await event(peer, {
        eventType: 'Ended',
        triggerReason: reason === 'EVDisconnected' ? 'EVCommunicationLost' : reason === 'Remote' ? 'RemoteStop' : 'StopAuthorized',
        transactionInfo: { transactionId, stoppedReason: reason, chargingState: 'Idle' },
        meterValue: meterValue(snap, 'Transaction.End'),
      });
      lastChargingState = 'Idle';
    },

    // [OCPP 2.0.1 J02]: during a transaction in TransactionEvent Updated, else MeterValues [J01].
    async meterValues(peer, snap, transactionId) {
      if (transactionId === null) {
        await callChecked(peer, core.chargePointId, 'MeterValues', { evseId, meterValue: meterValue(snap, 'Sample.Periodic') }, Empty);
        return;
      }
      await event(peer, {
        eventType: 'Updated',
        triggerReason: 'MeterValuePeriodic',
        transactionInfo: { transactionId },
        meterValue: meterValue(snap, 'Sample.Periodic'),
        numberOfPhasesUsed: snap.phases,
      });
    },
  };
}
