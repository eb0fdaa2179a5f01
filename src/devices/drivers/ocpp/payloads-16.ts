import { z } from 'zod';

/**
 * The OCPP 1.6J payloads gridpilot reads, as zod schemas of just the fields it uses (loose: other
 * fields pass; ocpp-rpc's strictMode has already checked the full schema), and the shapes it sends.
 * Field names and enums are the spec's [OCPP 1.6 §6 Messages, §7 Types].
 */

const int = z.number().int();

/** [OCPP 1.6 §7.45 SampledValue]: value is a decimal string. */
export const SampledValue16 = z.looseObject({
  value: z.string(),
  measurand: z.string().optional(),
  phase: z.string().optional(),
  unit: z.string().optional(),
  context: z.string().optional(),
});
export const MeterValue16 = z.looseObject({ timestamp: z.string(), sampledValue: z.array(SampledValue16) });

// ---- Charge point → central system

export const StatusNotificationReq16 = z.looseObject({ connectorId: int, errorCode: z.string(), status: z.string() });
export const MeterValuesReq16 = z.looseObject({ connectorId: int, transactionId: int.optional(), meterValue: z.array(MeterValue16) });
export const StartTransactionReq16 = z.looseObject({ connectorId: int, idTag: z.string(), meterStart: int, timestamp: z.string() });
export const StopTransactionReq16 = z.looseObject({
  transactionId: int,
  idTag: z.string().optional(),
  meterStop: int,
  timestamp: z.string(),
  reason: z.string().optional(),
});
export const AuthorizeReq16 = z.looseObject({ idTag: z.string() });
export const BootNotificationReq16 = z.looseObject({ chargePointVendor: z.string(), chargePointModel: z.string() });

// ---- Central system → charge point: requests (the shapes gridpilot sends / the simulator reads)

/** 1.6 status of a connector [OCPP 1.6 §7.7 ChargePointStatus]. */
export type ChargePointStatus16 = 'Available' | 'Preparing' | 'Charging' | 'SuspendedEVSE' | 'SuspendedEV' | 'Finishing' | 'Reserved' | 'Unavailable' | 'Faulted';

export const ChargingSchedulePeriod16 = z.looseObject({ startPeriod: int, limit: z.number(), numberPhases: int.optional() });
export const ChargingProfile16 = z.looseObject({
  chargingProfileId: int,
  transactionId: int.optional(),
  stackLevel: int,
  chargingProfilePurpose: z.enum(['ChargePointMaxProfile', 'TxDefaultProfile', 'TxProfile']),
  chargingProfileKind: z.string(),
  chargingSchedule: z.looseObject({ chargingRateUnit: z.enum(['A', 'W']), chargingSchedulePeriod: z.array(ChargingSchedulePeriod16).min(1) }),
});
export type ChargingProfile16 = z.output<typeof ChargingProfile16>;
export const SetChargingProfileReq16 = z.looseObject({ connectorId: int, csChargingProfiles: ChargingProfile16 });
export const ClearChargingProfileReq16 = z.looseObject({
  id: int.optional(),
  connectorId: int.optional(),
  chargingProfilePurpose: z.string().optional(),
  stackLevel: int.optional(),
});
export const GetConfigurationReq16 = z.looseObject({ key: z.array(z.string()).optional() });
export const RemoteStartTransactionReq16 = z.looseObject({ connectorId: int.optional(), idTag: z.string() });
export const RemoteStopTransactionReq16 = z.looseObject({ transactionId: int });

// ---- Answers

export const StatusConf = z.looseObject({ status: z.string() });
export const GetConfigurationConf16 = z.looseObject({
  configurationKey: z.array(z.looseObject({ key: z.string(), readonly: z.boolean(), value: z.string().optional() })).optional(),
  unknownKey: z.array(z.string()).optional(),
});
export const BootNotificationConf = z.looseObject({ status: z.enum(['Accepted', 'Pending', 'Rejected']), interval: int });
export const StartTransactionConf16 = z.looseObject({ transactionId: int, idTagInfo: z.looseObject({ status: z.string() }) });

/** 1.6 configuration key of the units a charger takes in a schedule: "Current", "Power" or "Current,Power" [OCPP 1.6 §9.4.2]. */
export const RATE_UNIT_KEY_16 = 'ChargingScheduleAllowedChargingRateUnit';
