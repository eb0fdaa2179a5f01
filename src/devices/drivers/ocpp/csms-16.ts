import { readSampledValues, parseDecimal, type SampledValueIn } from './meter-values.ts';
import { PROFILE_STACK_LEVEL, type ChargePointEvents, type CsmsDialect, type ProfileOrder, type RateUnit } from './charge-point-session.ts';
import {
  AuthorizeReq16,
  BootNotificationReq16,
  GetConfigurationConf16,
  MeterValuesReq16,
  RATE_UNIT_KEY_16,
  StartTransactionReq16,
  StatusConf,
  StatusNotificationReq16,
  StopTransactionReq16,
  type ChargingProfile16,
} from './payloads-16.ts';
import { callChecked, parseParams, type RpcPeer } from './rpc-peer.ts';
import { carStatusFrom16 } from './status-mapping.ts';

/** The central system's side of OCPP 1.6J for one connector of a charge point. */
export function createCsms16(connectorId: number): CsmsDialect {
  return {
    version: '1.6',

    install(peer: RpcPeer, ev: ChargePointEvents): void {
      const iso = () => new Date(ev.nowMs()).toISOString();
      const idTagInfo = (idTag: string) => ({ status: ev.isAuthorized(idTag) ? 'Accepted' : 'Invalid' });

      // [OCPP 1.6 §4.2 BootNotification]
      peer.handle('BootNotification', async ({ params }) => {
        const p = parseParams(BootNotificationReq16, params, 'BootNotification');
        ev.onBoot(p.chargePointVendor, p.chargePointModel);
        return { status: 'Accepted', currentTime: iso(), interval: ev.heartbeatIntervalS };
      });
      // [OCPP 1.6 §4.6 Heartbeat]
      peer.handle('Heartbeat', async () => {
        ev.onMessage();
        return { currentTime: iso() };
      });
      // [OCPP 1.6 §4.9 StatusNotification]: connector 0 is the charge point itself.
      peer.handle('StatusNotification', async ({ params }) => {
        const p = parseParams(StatusNotificationReq16, params, 'StatusNotification');
        ev.onMessage();
        if (p.connectorId === connectorId) ev.onStatus(p.status, carStatusFrom16(p.status));
        return {};
      });
      // [OCPP 1.6 §4.7 MeterValues]: the last meter value of the message is the newest.
      peer.handle('MeterValues', async ({ params }) => {
        const p = parseParams(MeterValuesReq16, params, 'MeterValues');
        ev.onMessage();
        const last = p.meterValue.at(-1);
        if (p.connectorId === connectorId && last) ev.onMeter(readSampledValues(toSampled(last.sampledValue)), null);
        return {};
      });
      // [OCPP 1.6 §4.1 Authorize]
      peer.handle('Authorize', async ({ params }) => {
        const p = parseParams(AuthorizeReq16, params, 'Authorize');
        ev.onMessage();
        return { idTagInfo: idTagInfo(p.idTag) };
      });
      // [OCPP 1.6 §4.8 StartTransaction]: the central system assigns the transaction id.
      peer.handle('StartTransaction', async ({ params }) => {
        const p = parseParams(StartTransactionReq16, params, 'StartTransaction');
        ev.onMessage();
        const transactionId = ev.nextTransactionId();
        const info = idTagInfo(p.idTag);
        if (p.connectorId === connectorId && info.status === 'Accepted') ev.onTransactionStarted(String(transactionId));
        return { idTagInfo: info, transactionId };
      });
      // [OCPP 1.6 §4.10 StopTransaction]
      peer.handle('StopTransaction', async ({ params }) => {
        const p = parseParams(StopTransactionReq16, params, 'StopTransaction');
        ev.onMessage();
        ev.onTransactionEnded(String(p.transactionId));
        return p.idTag === undefined ? {} : { idTagInfo: idTagInfo(p.idTag) };
      });
      peer.handle('DataTransfer', async () => ({ status: 'UnknownVendorId' }));
      for (const m of ['FirmwareStatusNotification', 'DiagnosticsStatusNotification', 'SecurityEventNotification', 'LogStatusNotification', 'SignedFirmwareStatusNotification']) {
        peer.handle(m, async () => ({}));
      }
    },

    // [OCPP 1.6 §5.8 GetConfiguration, §9.4.2 ChargingScheduleAllowedChargingRateUnit]
    async readRateUnit(peer: RpcPeer): Promise<RateUnit> {
      const conf = await callChecked(peer, 'GetConfiguration', 'GetConfiguration', { key: [RATE_UNIT_KEY_16] }, GetConfigurationConf16);
      const value = conf.configurationKey?.find((k) => k.key === RATE_UNIT_KEY_16)?.value ?? '';
      const units = value.split(',').map((u) => u.trim());
      return !units.includes('Current') && units.includes('Power') ? 'W' : 'A';
    },

    // [OCPP 1.6 §5.16 SetChargingProfile]
    async setProfile(peer: RpcPeer, order: ProfileOrder): Promise<string> {
      const profile: ChargingProfile16 & { chargingSchedule: { startSchedule: string } } = {
        chargingProfileId: order.profileId,
        stackLevel: PROFILE_STACK_LEVEL,
        chargingProfilePurpose: order.purpose,
        chargingProfileKind: 'Absolute',
        chargingSchedule: {
          startSchedule: new Date(order.startMs).toISOString(),
          chargingRateUnit: order.unit,
          chargingSchedulePeriod: [{ startPeriod: 0, limit: order.limit, numberPhases: order.phases }],
        },
      };
      if (order.transactionId !== null) profile.transactionId = Number(order.transactionId);
      const conf = await callChecked(peer, 'SetChargingProfile', 'SetChargingProfile', { connectorId, csChargingProfiles: profile }, StatusConf);
      return conf.status;
    },

    // [OCPP 1.6 §5.5 ClearChargingProfile]
    async clearProfile(peer: RpcPeer, profileId: number): Promise<string> {
      const conf = await callChecked(peer, 'ClearChargingProfile', 'ClearChargingProfile', { id: profileId, connectorId }, StatusConf);
      return conf.status;
    },

    // [OCPP 1.6 §5.11 RemoteStartTransaction]
    async remoteStart(peer: RpcPeer, idTag: string): Promise<string> {
      const conf = await callChecked(peer, 'RemoteStartTransaction', 'RemoteStartTransaction', { connectorId, idTag }, StatusConf);
      return conf.status;
    },
  };
}

function toSampled(values: readonly { value: string; measurand?: string | undefined; phase?: string | undefined; unit?: string | undefined }[]): SampledValueIn[] {
  const out: SampledValueIn[] = [];
  for (const v of values) {
    const n = parseDecimal(v.value);
    if (n !== null) out.push({ value: n, measurand: v.measurand, phase: v.phase, unit: v.unit });
  }
  return out;
}
