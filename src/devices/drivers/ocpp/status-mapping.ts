/** How OCPP connector states map onto the EvCharger reading's isConnected / isRequiringCharge. */

/** What a status report says about the car. null = it does not say. */
export interface CarStatus {
  isPlugged: boolean;
  isRequiringCharge: boolean | null;
}

/**
 * [OCPP 1.6 §7.7 ChargePointStatus] Preparing, Charging, SuspendedEV, SuspendedEVSE and Finishing have a
 * car plugged in. SuspendedEV = the car does not take energy (full, or its own timer); Finishing = the
 * transaction has stopped: neither requires charge. Charging/SuspendedEVSE (paused by us) and Preparing do.
 */
export function carStatusFrom16(status: string): CarStatus {
  switch (status) {
    case 'Preparing':
    case 'Charging':
    case 'SuspendedEVSE':
      return { isPlugged: true, isRequiringCharge: true };
    case 'SuspendedEV':
    case 'Finishing':
      return { isPlugged: true, isRequiringCharge: false };
    default: // Available, Reserved, Unavailable, Faulted
      return { isPlugged: false, isRequiringCharge: false };
  }
}

/** [OCPP 2.0.1 ConnectorStatusEnumType] Occupied = a cable/car is plugged in; whether it wants energy comes from the transaction's chargingState. */
export function carStatusFrom201Connector(status: string): CarStatus {
  return status === 'Occupied' ? { isPlugged: true, isRequiringCharge: null } : { isPlugged: false, isRequiringCharge: false };
}

/** [OCPP 2.0.1 ChargingStateEnumType] Charging, EVConnected, SuspendedEVSE = plugged, wants energy; SuspendedEV = plugged, does not; Idle = no car. */
export function carStatusFrom201ChargingState(state: string): CarStatus | null {
  switch (state) {
    case 'Charging':
    case 'EVConnected':
    case 'SuspendedEVSE':
      return { isPlugged: true, isRequiringCharge: true };
    case 'SuspendedEV':
      return { isPlugged: true, isRequiringCharge: false };
    case 'Idle':
      return { isPlugged: false, isRequiringCharge: false };
    default:
      return null;
  }
}

/** Phases in use judged from the per-phase currents, A: L2 or L3 above 1 A = 3; L1 alone = 1; none flowing = null. */
export function phasesFromCurrents(currentsA: readonly [number, number, number]): 1 | 3 | null {
  if (currentsA[1] > 1 || currentsA[2] > 1) return 3;
  if (currentsA[0] > 1) return 1;
  return null;
}
