import { z } from 'zod';

/**
 * The OCPP 2.0.1 payloads gridpilot reads, as zod schemas of just the fields it uses (loose; ocpp-rpc's
 * strictMode has already checked the full schema) [OCPP 2.0.1 Part 2 §1 Messages, §2 Datatypes].
 */

const int = z.number().int();

/** [OCPP 2.0.1 SampledValueType]: value is a number; unitOfMeasure { unit, multiplier }. */
export const SampledValue201 = z.looseObject({
  value: z.number(),
  measurand: z.string().optional(),
  phase: z.string().optional(),
  context: z.string().optional(),
  unitOfMeasure: z.looseObject({ unit: z.string().optional(), multiplier: int.optional() }).optional(),
});
export const MeterValue201 = z.looseObject({ timestamp: z.string(), sampledValue: z.array(SampledValue201) });
export const IdToken201 = z.looseObject({ idToken: z.string(), type: z.string() });

// ---- Charging station → CSMS

/** [OCPP 2.0.1 ConnectorStatusEnumType] */
export type ConnectorStatus201 = 'Available' | 'Occupied' | 'Reserved' | 'Unavailable' | 'Faulted';
/** [OCPP 2.0.1 ChargingStateEnumType] */
export type ChargingState201 = 'Charging' | 'EVConnected' | 'SuspendedEV' | 'SuspendedEVSE' | 'Idle';

export const StatusNotificationReq201 = z.looseObject({ timestamp: z.string(), connectorStatus: z.string(), evseId: int, connectorId: int });
export const MeterValuesReq201 = z.looseObject({ evseId: int, meterValue: z.array(MeterValue201) });
export const TransactionEventReq201 = z.looseObject({
  eventType: z.enum(['Started', 'Updated', 'Ended']),
  timestamp: z.string(),
  triggerReason: z.string(),
  seqNo: int,
  transactionInfo: z.looseObject({ transactionId: z.string(), chargingState: z.string().optional(), stoppedReason: z.string().optional() }),
  evse: z.looseObject({ id: int, connectorId: int.optional() }).optional(),
  idToken: IdToken201.optional(),
  meterValue: z.array(MeterValue201).optional(),
  numberOfPhasesUsed: int.optional(),
});
export const AuthorizeReq201 = z.looseObject({ idToken: IdToken201 });
export const BootNotificationReq201 = z.looseObject({ reason: z.string(), chargingStation: z.looseObject({ model: z.string(), vendorName: z.string() }) });

// ---- CSMS → charging station requests

export const ChargingSchedule201 = z.looseObject({
  id: int,
  chargingRateUnit: z.enum(['A', 'W']),
  chargingSchedulePeriod: z.array(z.looseObject({ startPeriod: int, limit: z.number(), numberPhases: int.optional() })).min(1),
});
export const ChargingProfile201 = z.looseObject({
  id: int,
  stackLevel: int,
  chargingProfilePurpose: z.enum(['ChargingStationExternalConstraints', 'ChargingStationMaxProfile', 'TxDefaultProfile', 'TxProfile']),
  chargingProfileKind: z.string(),
  chargingSchedule: z.array(ChargingSchedule201).min(1),
  transactionId: z.string().optional(),
});
export type ChargingProfile201 = z.output<typeof ChargingProfile201>;
export const SetChargingProfileReq201 = z.looseObject({ evseId: int, chargingProfile: ChargingProfile201 });
export const ClearChargingProfileReq201 = z.looseObject({
  chargingProfileId: int.optional(),
  chargingProfileCriteria: z.looseObject({ evseId: int.optional(), chargingProfilePurpose: z.string().optional(), stackLevel: int.optional() }).optional(),
});
export const GetVariablesReq201 = z.looseObject({
  getVariableData: z.array(z.looseObject({ component: z.looseObject({ name: z.string() }), variable: z.looseObject({ name: z.string() }) })),
});
export const RequestStartTransactionReq201 = z.looseObject({ evseId: int.optional(), remoteStartId: int, idToken: IdToken201 });
export const RequestStopTransactionReq201 = z.looseObject({ transactionId: z.string() });

// ---- Answers

export const GetVariablesConf201 = z.looseObject({
  getVariableResult: z.array(
    z.looseObject({
      attributeStatus: z.string(),
      attributeValue: z.string().optional(),
      component: z.looseObject({ name: z.string() }),
      variable: z.looseObject({ name: z.string() }),
    }),
  ),
});

/** 2.0.1 device-model variable of the units a station takes in a schedule: "A", "W" or "A,W" [OCPP 2.0.1 Part 2 Appendices, SmartChargingCtrlr.RateUnit]. */
export const RATE_UNIT_COMPONENT_201 = 'SmartChargingCtrlr';
export const RATE_UNIT_VARIABLE_201 = 'RateUnit';
