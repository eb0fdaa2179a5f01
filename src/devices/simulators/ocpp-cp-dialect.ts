import type { RpcPeer } from '../drivers/ocpp/rpc-peer.ts';
import type { SimEvChargerSnapshot } from '../simulated/sim-ev-charger.ts';

/** The charger's state in version-neutral words (1.6 ChargePointStatus names; 2.0.1 maps them). */
export type CpStatus = 'Available' | 'Preparing' | 'Charging' | 'SuspendedEV' | 'SuspendedEVSE';

/** A charging profile the simulated charge point holds. */
export interface StoredProfile {
  id: number;
  purpose: 'TxDefaultProfile' | 'TxProfile';
  /** The transaction a TxProfile belongs to; null for TxDefaultProfile. */
  transactionId: string | null;
  unit: 'A' | 'W';
  /** Limit of the first period, A per phase or W in total. */
  limit: number;
  /** numberPhases of the first period; undefined = 3 [OCPP 1.6 §7.13]. */
  phases: 1 | 3 | undefined;
}

/** What the version dialects call back into the charge point. */
export interface CpCore {
  readonly chargePointId: string;
  readonly connectorId: number;
  /** 'A' or 'W': what GetConfiguration / GetVariables answer. */
  readonly rateUnit: 'A' | 'W';
  nowMs(): number;
  record(method: string, params: unknown): void;
  log(text: string): void;
  /** The running transaction, or null. */
  transactionId(): string | null;
  installProfile(profile: StoredProfile): Promise<'Accepted' | 'Rejected'>;
  /** Clears profiles matching (all given fields); 'Unknown' when none matched. */
  clearProfiles(match: { id?: number | undefined; purpose?: string | undefined }): Promise<'Accepted' | 'Unknown'>;
  /** Starts a transaction when a car is plugged in and none runs. */
  requestStart(idTag: string): 'Accepted' | 'Rejected';
  requestStop(transactionId: string): 'Accepted' | 'Rejected';
}

/** The version-specific half of the simulated charge point. */
export interface CpDialect {
  readonly subprotocol: 'ocpp1.6' | 'ocpp2.0.1';
  install(peer: RpcPeer, core: CpCore): void;
  /** BootNotification; resolves with the registration status and heartbeat interval, s. */
  boot(peer: RpcPeer): Promise<{ status: string; intervalS: number }>;
  heartbeat(peer: RpcPeer): Promise<void>;
  /** Reports a state change (StatusNotification; in 2.0.1 also TransactionEvent Updated). `force` = re-send after a (re)connection. */
  report(peer: RpcPeer, status: CpStatus, snap: SimEvChargerSnapshot, transactionId: string | null, force: boolean): Promise<void>;
  /** Starts a transaction; resolves with its id, or null when the central system refused the idTag. */
  startTransaction(peer: RpcPeer, snap: SimEvChargerSnapshot, idTag: string, why: 'plug-in' | 'remote'): Promise<string | null>;
  stopTransaction(peer: RpcPeer, transactionId: string, snap: SimEvChargerSnapshot, reason: 'EVDisconnected' | 'Remote' | 'Local'): Promise<void>;
  /** Sends the meter now: power, current per phase, energy register. */
  meterValues(peer: RpcPeer, snap: SimEvChargerSnapshot, transactionId: string | null): Promise<void>;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The sampled values of a snapshot, version-neutral: power W, currents A per phase, energy Wh. */
export function meterReadings(snap: SimEvChargerSnapshot): { measurand: string; phase?: 'L1' | 'L2' | 'L3'; unit: 'W' | 'A' | 'Wh'; value: number }[] {
  return [
    { measurand: 'Power.Active.Import', unit: 'W', value: round1(snap.powerW) },
    { measurand: 'Current.Import', phase: 'L1', unit: 'A', value: round1(snap.currentsA[0]) },
    { measurand: 'Current.Import', phase: 'L2', unit: 'A', value: round1(snap.currentsA[1]) },
    { measurand: 'Current.Import', phase: 'L3', unit: 'A', value: round1(snap.currentsA[2]) },
    { measurand: 'Energy.Active.Import.Register', unit: 'Wh', value: Math.round(snap.deliveredWh) },
  ];
}
