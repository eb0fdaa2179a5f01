import type { Clock } from '../../../core/clock.ts';
import { GridpilotError, errorMessage } from '../../../core/errors.ts';
import type { Logger } from '../../../core/logger.ts';
import type { EvChargerReading } from '../../capabilities.ts';
import type { MeterSample } from './meter-values.ts';
import type { RpcPeer } from './rpc-peer.ts';
import { phasesFromCurrents, type CarStatus } from './status-mapping.ts';

/** OCPP versions the central system speaks (the WebSocket subprotocols ocpp1.6 / ocpp2.0.1). */
export type OcppVersion = '1.6' | '2.0.1';
/** Unit of a charging schedule [OCPP 1.6 §7.9 ChargingRateUnitType]: A per phase, or W in total. */
export type RateUnit = 'A' | 'W';

/** Stable ids of the two profiles gridpilot installs; re-sending one replaces it [OCPP 1.6 §3.13.2]. */
export const TX_DEFAULT_PROFILE_ID = 9001;
export const TX_PROFILE_ID = 9002;
/** Stack level of gridpilot's profiles. */
export const PROFILE_STACK_LEVEL = 1;

/** One charging profile to send: a single period from now on, no end. */
export interface ProfileOrder {
  /** TxDefaultProfile while no transaction runs; TxProfile (bound to the transaction) during one. */
  purpose: 'TxDefaultProfile' | 'TxProfile';
  profileId: number;
  /** The running transaction (TxProfile only), else null. */
  transactionId: string | null;
  unit: RateUnit;
  /** A per phase (unit A) or W in total (unit W), whole numbers, ≥ 0. */
  limit: number;
  /** numberPhases of the period. */
  phases: 1 | 3;
  /** startSchedule, Unix ms (a minute before now, against clock skew). */
  startMs: number;
}

/** The version-specific half: handlers for what the charger sends, and the calls gridpilot makes. */
export interface CsmsDialect {
  readonly version: OcppVersion;
  /** Registers the handlers of every charger → central system message on `peer`. */
  install(peer: RpcPeer, events: ChargePointEvents): void;
  /** Reads which unit the charger takes in schedules; A when it does not say. */
  readRateUnit(peer: RpcPeer): Promise<RateUnit>;
  /** Sends SetChargingProfile; resolves with the charger's status (Accepted, Rejected, NotSupported …). */
  setProfile(peer: RpcPeer, order: ProfileOrder): Promise<string>;
  /** Sends ClearChargingProfile for one of gridpilot's profile ids; resolves with the status (Accepted, Unknown). */
  clearProfile(peer: RpcPeer, profileId: number): Promise<string>;
  /** Asks the charger to start a transaction (RemoteStartTransaction / RequestStartTransaction); resolves with the status. */
  remoteStart(peer: RpcPeer, idTag: string): Promise<string>;
}

/** What the dialect reports into the session. */
export interface ChargePointEvents {
  readonly chargePointId: string;
  readonly connectorId: number;
  onBoot(vendor: string, model: string): void;
  /** Any message from the charger (a reconnect without BootNotification still counts as ready). */
  onMessage(): void;
  onStatus(status: string, car: CarStatus): void;
  onMeter(sample: MeterSample, phasesUsed: number | null): void;
  onTransactionStarted(transactionId: string): void;
  onTransactionEnded(transactionId: string): void;
  /** Whether an idTag / idToken may charge (config ocpp.authorization). */
  isAuthorized(idTag: string): boolean;
  /** A fresh 1.6 transaction id (integer). */
  nextTransactionId(): number;
  nowMs(): number;
  readonly heartbeatIntervalS: number;
}

/** The charger's configuration the session needs. */
export interface ChargePointSpec {
  chargePointId: string;
  /** Basic-auth password; undefined = none asked. */
  password?: string | undefined;
  /** Connector (1.6) / EVSE (2.0.1), ≥ 1. */
  connectorId: number;
  /** Nominal voltage, V (W ↔ A conversion of W-unit schedules). */
  voltageV: number;
  /** Phases wired. */
  phases: 1 | 3;
}

/** What the central system knows of one charge point (for the UI, logs and tests). */
export interface ChargePointView {
  chargePointId: string;
  version: OcppVersion | null;
  isOnline: boolean;
  /** Unix ms of the first connection ever; null = never connected. */
  firstConnectedMs: number | null;
  /** Unix ms the last connection closed; null while online or never connected. */
  disconnectedSinceMs: number | null;
  vendor: string | null;
  model: string | null;
  /** The connector status last reported, verbatim (1.6 ChargePointStatus / 2.0.1 ConnectorStatus). */
  connectorStatus: string | null;
  isPlugged: boolean;
  /** Unix ms (central system clock) the car was plugged in; null = no car. */
  pluggedSinceMs: number | null;
  transactionId: string | null;
  /** Unit the charger takes in schedules. */
  rateUnit: RateUnit;
  /** Energy.Active.Import.Register last reported, Wh; null = never. */
  energyWh: number | null;
  /** Unix ms of the last meter value. */
  lastMeterMs: number | null;
  /** Why the last profile failed; null = no failure. */
  profileError: string | null;
}

type Desired = { kind: 'limit'; currentA: number; phases: 1 | 3 } | { kind: 'clear' };

/** Sentinel key of "gridpilot's profiles were cleared on this connection". */
const CLEARED = 'cleared';
const REMOTE_START_ID_TAG = 'gridpilot';

/**
 * One charge point as the central system sees it: the state its messages build up (event-driven: it
 * never goes stale while the WebSocket is up), and the charging profile gridpilot wants it to follow.
 * The profile is sent on setCurrentA, re-sent after a (re)connection or a transaction start/end, and
 * skipped when unchanged. Calls are serialised so two setCurrentA never interleave.
 */
export class ChargePointSession implements ChargePointEvents {
  readonly chargePointId: string;
  readonly connectorId: number;
  private peer: { rpc: RpcPeer; dialect: CsmsDialect } | null = null;
  private version: OcppVersion | null = null;
  private firstConnectedMs: number | null = null;
  private disconnectedSinceMs: number | null = null;
  private vendor: string | null = null;
  private model: string | null = null;
  private connectorStatus: string | null = null;
  private isPlugged = false;
  private isRequiringCharge = false;
  private pluggedSinceMs: number | null = null;
  private transactionId: string | null = null;
  private powerW = 0;
  private currentsA: [number, number, number] = [0, 0, 0];
  private phasesUsed: 1 | 3 | null = null;
  private energyWh: number | null = null;
  private lastMeterMs: number | null = null;
  private rateUnit: RateUnit = 'A';
  private desired: Desired | null = null;
  /** Key of the profile the charger accepted on this connection (or CLEARED); null = nothing sent yet. */
  private sentKey: string | null = null;
  private accepted: ProfileOrder | null = null;
  private profileError: string | null = null;
  private remoteStartSent = false;
  /** Set once per connection when the charger is ready (booted, or spoke first). */
  private preparing: Promise<void> | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly spec: ChargePointSpec,
    private readonly env: {
      clock: Clock;
      logger: Logger;
      heartbeatIntervalS: number;
      isAuthorized(idTag: string): boolean;
      nextTransactionId(): number;
      /** The URL the charger should connect to (for the "never connected" message). */
      expectedUrl: string;
    },
  ) {
    this.chargePointId = spec.chargePointId;
    this.connectorId = spec.connectorId;
  }

  get heartbeatIntervalS(): number {
    return this.env.heartbeatIntervalS;
  }

  nowMs(): number {
    return this.env.clock.now();
  }

  isAuthorized(idTag: string): boolean {
    return this.env.isAuthorized(idTag);
  }

  nextTransactionId(): number {
    return this.env.nextTransactionId();
  }

  // ---- Connection

  /** A WebSocket connection of this charge point was accepted. */
  attach(rpc: RpcPeer, dialect: CsmsDialect): void {
    this.peer = { rpc, dialect };
    this.version = dialect.version;
    this.firstConnectedMs ??= this.nowMs();
    this.disconnectedSinceMs = null;
    this.sentKey = null;
    this.preparing = null;
    dialect.install(rpc, this);
    this.env.logger.info({ chargePointId: this.chargePointId, ocpp: dialect.version }, `OCPP ${this.chargePointId}: connected (OCPP ${dialect.version})`);
  }

  /** That connection closed (ignored if a newer one replaced it). */
  detach(rpc: RpcPeer, why: string): void {
    if (this.peer?.rpc !== rpc) return;
    this.peer = null;
    this.disconnectedSinceMs = this.nowMs();
    this.env.logger.warn({ chargePointId: this.chargePointId, why }, `OCPP ${this.chargePointId}: disconnected (${why})`);
  }

  isOnline(): boolean {
    return this.peer !== null;
  }

  // ---- Events from the dialect

  onBoot(vendor: string, model: string): void {
    this.vendor = vendor;
    this.model = model;
    // A boot clears the charger's profiles [OCPP 1.6 §3.13.2: profiles may be lost on reboot]: re-send.
    this.sentKey = null;
    this.preparing = null;
    this.env.logger.info({ chargePointId: this.chargePointId, vendor, model }, `OCPP ${this.chargePointId}: booted (${vendor} ${model})`);
    // After the BootNotification answer is on its way: the central system may call only then [OCPP 1.6 §4.2].
    setImmediate(() => this.prepare());
  }

  onMessage(): void {
    if (this.preparing === null) setImmediate(() => this.prepare());
  }

  onStatus(status: string, car: CarStatus): void {
    this.connectorStatus = status;
    this.setPlugged(car.isPlugged);
    if (car.isRequiringCharge !== null) this.isRequiringCharge = car.isRequiringCharge;
    else if (car.isPlugged && this.transactionId === null) this.isRequiringCharge = true;
    if (!car.isPlugged) {
      this.powerW = 0;
      this.currentsA = [0, 0, 0];
    }
  }

  onMeter(sample: MeterSample, phasesUsed: number | null): void {
    this.lastMeterMs = this.nowMs();
    const [l1, l2, l3] = sample.currentsA;
    if (l1 !== null || l2 !== null || l3 !== null) this.currentsA = [Math.max(0, l1 ?? 0), Math.max(0, l2 ?? 0), Math.max(0, l3 ?? 0)];
    if (sample.powerW !== null) this.powerW = sample.powerW;
    else if (l1 !== null || l2 !== null || l3 !== null) this.powerW = this.currentsA.reduce((s, a) => s + a, 0) * this.spec.voltageV;
    if (sample.energyWh !== null) this.energyWh = sample.energyWh;
    this.phasesUsed = phasesUsed === 1 || phasesUsed === 3 ? phasesUsed : (phasesFromCurrents(this.currentsA) ?? this.phasesUsed);
  }

  onTransactionStarted(transactionId: string): void {
    if (this.transactionId === transactionId) return;
    this.transactionId = transactionId;
    this.setPlugged(true);
    this.env.logger.info({ chargePointId: this.chargePointId, transactionId }, `OCPP ${this.chargePointId}: transaction ${transactionId} started`);
    this.resync();
  }

  onTransactionEnded(transactionId: string): void {
    if (this.transactionId !== transactionId) return;
    this.transactionId = null;
    this.powerW = 0;
    this.currentsA = [0, 0, 0];
    this.env.logger.info({ chargePointId: this.chargePointId, transactionId }, `OCPP ${this.chargePointId}: transaction ${transactionId} ended`);
    this.resync();
  }

  private setPlugged(isPlugged: boolean): void {
    if (isPlugged && !this.isPlugged) this.pluggedSinceMs = this.nowMs();
    if (!isPlugged) {
      this.pluggedSinceMs = null;
      this.remoteStartSent = false;
    }
    this.isPlugged = isPlugged;
  }

  // ---- Capability

  /** The EvCharger reading; rejects while the charger is not connected or has rejected the profile. */
  readReading(): EvChargerReading {
    this.throwIfUnusable();
    if (this.connectorStatus === null) {
      throw new GridpilotError(`connected, but no StatusNotification for connector ${this.connectorId} yet`, this.chargePointId);
    }
    const offered = this.accepted === null ? null : offeredCurrentA(this.accepted, this.spec.voltageV);
    return {
      isConnected: this.isPlugged,
      isRequiringCharge: this.isPlugged && this.isRequiringCharge,
      powerW: this.powerW,
      currentsA: [...this.currentsA],
      phases: this.phasesUsed ?? this.accepted?.phases ?? this.spec.phases,
      offeredCurrentA: offered,
    };
  }

  /** Plug-in time of the car now plugged in, Unix ms (central-system clock); null = no car. */
  sessionStartedAtMs(): number | null {
    return this.isPlugged ? this.pluggedSinceMs : null;
  }

  /**
   * Offers `currentA` per phase on `phases` (0 = pause with a 0 A profile; null = clear gridpilot's
   * profiles, the charger's own maximum). Resolves once the charger accepted; rejects when it is not
   * connected (the wish is kept and sent when it connects) or rejects the profile.
   */
  async setCurrentA(currentA: number | null, phases: 1 | 3): Promise<void> {
    this.desired = currentA === null ? { kind: 'clear' } : { kind: 'limit', currentA, phases };
    this.throwIfDisconnected();
    await this.enqueue(() => this.sync());
  }

  view(): ChargePointView {
    return {
      chargePointId: this.chargePointId,
      version: this.version,
      isOnline: this.isOnline(),
      firstConnectedMs: this.firstConnectedMs,
      disconnectedSinceMs: this.disconnectedSinceMs,
      vendor: this.vendor,
      model: this.model,
      connectorStatus: this.connectorStatus,
      isPlugged: this.isPlugged,
      pluggedSinceMs: this.pluggedSinceMs,
      transactionId: this.transactionId,
      rateUnit: this.rateUnit,
      energyWh: this.energyWh,
      lastMeterMs: this.lastMeterMs,
      profileError: this.profileError,
    };
  }

  private throwIfDisconnected(): void {
    if (this.peer) return;
    if (this.firstConnectedMs === null) throw new GridpilotError(`never connected (expected at ${this.env.expectedUrl})`, this.chargePointId);
    throw new GridpilotError(`not connected since ${new Date(this.disconnectedSinceMs ?? this.nowMs()).toISOString()}`, this.chargePointId);
  }

  private throwIfUnusable(): void {
    this.throwIfDisconnected();
    if (this.profileError !== null) throw new GridpilotError(this.profileError, this.chargePointId);
  }

  // ---- Profile

  /** Once per connection: read the rate unit, then send the wanted profile. */
  private prepare(): void {
    if (this.preparing !== null || !this.peer) return;
    const peer = this.peer;
    this.preparing = this.enqueue(async () => {
      try {
        this.rateUnit = await peer.dialect.readRateUnit(peer.rpc);
      } catch (err) {
        this.rateUnit = 'A';
        this.env.logger.debug({ chargePointId: this.chargePointId, err: errorMessage(err) }, `OCPP ${this.chargePointId}: rate unit unknown, using A`);
      }
    });
    this.resync();
  }

  /** Re-sends the wanted profile in the background (after a boot, reconnect, transaction start/end). */
  private resync(): void {
    if (!this.peer || this.desired === null) return;
    this.enqueue(() => this.sync()).catch((err: unknown) => {
      this.env.logger.debug({ chargePointId: this.chargePointId, err: errorMessage(err) }, `OCPP ${this.chargePointId}: profile not re-sent`);
    });
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async sync(): Promise<void> {
    const peer = this.peer;
    const desired = this.desired;
    if (!peer || desired === null) return;
    if (desired.kind === 'clear') {
      if (this.sentKey === CLEARED) return;
      for (const id of [TX_PROFILE_ID, TX_DEFAULT_PROFILE_ID]) {
        const status = await this.guard(() => peer.dialect.clearProfile(peer.rpc, id), 'ClearChargingProfile');
        if (status !== 'Accepted' && status !== 'Unknown') this.fail(`the charger refused to clear the charging profile (${status})`);
      }
      this.sentKey = CLEARED;
      this.accepted = null;
      this.clearFault();
      return;
    }
    const order = this.orderFor(desired);
    const key = JSON.stringify({ ...order, startMs: 0 });
    if (key === this.sentKey) return;
    const status = await this.guard(() => peer.dialect.setProfile(peer.rpc, order), 'SetChargingProfile');
    if (status !== 'Accepted') this.fail(`rejected the charging profile (SetChargingProfile ${status}: ${describeOrder(order)})`);
    this.sentKey = key;
    this.accepted = order;
    this.clearFault();
    if (order.limit > 0 && this.isPlugged && this.transactionId === null && !this.remoteStartSent) await this.remoteStart(peer);
  }

  private orderFor(d: { currentA: number; phases: 1 | 3 }): ProfileOrder {
    const inTx = this.transactionId !== null;
    // Whole A / W: ocpp-rpc's strict 1.6 schema (multipleOf 0.1) refuses most tenths through float division.
    const limit = this.rateUnit === 'A' ? Math.floor(d.currentA) : Math.floor(d.currentA * d.phases * this.spec.voltageV);
    return {
      purpose: inTx ? 'TxProfile' : 'TxDefaultProfile',
      profileId: inTx ? TX_PROFILE_ID : TX_DEFAULT_PROFILE_ID,
      transactionId: this.transactionId,
      unit: this.rateUnit,
      limit: Math.max(0, limit),
      phases: d.phases,
      startMs: this.nowMs() - 60_000,
    };
  }

  /** Runs a call; a CALLERROR or timeout counts as a rejection. */
  private async guard(call: () => Promise<string>, what: string): Promise<string> {
    try {
      return await call();
    } catch (err) {
      return this.fail(`rejected the charging profile (${what}: ${errorMessage(err)})`);
    }
  }

  private fail(message: string): never {
    this.sentKey = null;
    if (this.profileError !== message) this.env.logger.warn({ chargePointId: this.chargePointId }, `OCPP ${this.chargePointId}: ${message}`);
    this.profileError = message;
    throw new GridpilotError(message, this.chargePointId);
  }

  private clearFault(): void {
    if (this.profileError === null) return;
    this.profileError = null;
    this.env.logger.info({ chargePointId: this.chargePointId }, `OCPP ${this.chargePointId}: the charging profile is accepted again`);
  }

  /** A car waits for authorisation (Preparing, no transaction) while we offer current: start it remotely, once per plug-in. */
  private async remoteStart(peer: { rpc: RpcPeer; dialect: CsmsDialect }): Promise<void> {
    this.remoteStartSent = true;
    try {
      const status = await peer.dialect.remoteStart(peer.rpc, REMOTE_START_ID_TAG);
      this.env.logger.info({ chargePointId: this.chargePointId, status }, `OCPP ${this.chargePointId}: remote start ${status}`);
    } catch (err) {
      this.env.logger.warn({ chargePointId: this.chargePointId, err: errorMessage(err) }, `OCPP ${this.chargePointId}: remote start failed`);
    }
  }
}

/** Current per phase a profile offers, A (W-unit limits converted at the nominal voltage). */
export function offeredCurrentA(order: ProfileOrder, voltageV: number): number {
  return order.unit === 'A' ? order.limit : Math.round((order.limit / (voltageV * order.phases)) * 10) / 10;
}

function describeOrder(o: ProfileOrder): string {
  return `${o.purpose} ${o.limit} ${o.unit} on ${o.phases} phase(s)`;
}
