import { RPCClient } from 'ocpp-rpc';
import type { Clock } from '../../core/clock.ts';
import { errorMessage } from '../../core/errors.ts';
import { silentLogger, type Logger } from '../../core/logger.ts';
import { describeRpcError, type RpcPeer } from '../drivers/ocpp/rpc-peer.ts';
import type { SimEvChargerSnapshot } from '../simulated/sim-ev-charger.ts';
import { createCp16 } from './ocpp-cp-16.ts';
import { createCp201 } from './ocpp-cp-201.ts';
import type { CpCore, CpDialect, CpStatus, StoredProfile } from './ocpp-cp-dialect.ts';

/** The simulated charger behind the charge point: SimEvCharger fits. */
export interface SimChargerLike {
  setCurrentA(currentA: number | null, phases: 1 | 3): Promise<void>;
  snapshot(): SimEvChargerSnapshot;
}

export interface OcppChargePointOptions {
  /** The central system's endpoint without the id, e.g. ws://127.0.0.1:8887/ocpp. */
  url: string;
  /** Identity; the charge point connects to `<url>/<chargePointId>`. */
  chargePointId: string;
  ocppVersion: '1.6' | '2.0.1';
  /** HTTP Basic-auth password (security profile 1); absent = none sent. */
  password?: string | undefined;
  /** The physics: plug-in/out, draw, energy. */
  charger: SimChargerLike;
  /** Time of the simulated world (timestamps, meter and heartbeat timers). */
  clock: Clock;
  /** MeterValues (and car status checks) every this many clock seconds, > 0. Default 10. */
  meterIntervalS?: number;
  logger?: Logger;
  /** The unit the charge point declares (ChargingScheduleAllowedChargingRateUnit / SmartChargingCtrlr.RateUnit): A = Current, W = Power. Default A. */
  rateUnit?: 'A' | 'W';
  /** Phases the charger is wired for (a numberPhases 3 on a 1-phase charger uses 1). Default 3. */
  wiredPhases?: 1 | 3;
  /** Nominal voltage for W-unit limits, V. Default 230. */
  voltageV?: number;
  /** Connector (1.6) / EVSE (2.0.1). Default 1. */
  connectorId?: number;
  /** Start a transaction when the car plugs in (free vend); false = wait for a remote start. Default true. */
  startTransactionOnPlugIn?: boolean;
  /** idTag of plug-in transactions. Default SIMCAR. */
  idTag?: string;
  /** Answer SetChargingProfile with Rejected (tests). Default false. Changeable by setRejectProfiles(). */
  rejectProfiles?: boolean;
  /** Wall-clock ms between connection attempts. Default 2000. */
  reconnectDelayMs?: number;
}

/** One inbound call the charge point handled. */
export interface ReceivedCall {
  method: string;
  params: unknown;
}

/** A running simulated charge point. */
export interface OcppChargePoint {
  /** Stops the timers and the connection; idempotent. */
  close(): Promise<void>;
  /** Checks the car now and sends what changed (status, transaction), then MeterValues. */
  sync(): Promise<void>;
  isConnected(): boolean;
  /** The running transaction's id, or null. */
  transactionId(): string | null;
  /** Calls received from the central system so far, oldest first. */
  received(): readonly ReceivedCall[];
  setRejectProfiles(reject: boolean): void;
  /** Drops the connection (as a network outage would) and stays offline until goOnline(). */
  goOffline(): Promise<void>;
  /** Connects again after goOffline(). */
  goOnline(): void;
}

/**
 * Starts an OCPP charge point (1.6J or 2.0.1) whose physics is a simulated charger: it boots, reports
 * the car plugging in and out (StatusNotification), starts and stops transactions, sends MeterValues
 * every meterIntervalS, answers the rate-unit query, applies charging profiles to the charger, and
 * reconnects when the central system goes away. Resolves after the first connection attempt (which
 * may fail: it keeps trying).
 */
export async function startOcppChargePoint(options: OcppChargePointOptions): Promise<OcppChargePoint> {
  const cp = new SimChargePoint(options);
  await cp.connectOnce();
  return cp;
}

class SimChargePoint implements OcppChargePoint, CpCore {
  readonly chargePointId: string;
  readonly connectorId: number;
  readonly rateUnit: 'A' | 'W';
  private readonly dialect: CpDialect;
  private readonly logger: Logger;
  private readonly calls: ReceivedCall[] = [];
  private rpc: RPCClient | null = null;
  private connected = false;
  private closed = false;
  private offline = false;
  private rejectProfiles: boolean;
  private tx: string | null = null;
  private lastStatus: CpStatus | null = null;
  private remoteStartIdTag: string | null = null;
  /** A plug-in start was tried for the car plugged in now (not retried after a refusal or remote stop). */
  private hasTriedPlugInStart = false;
  /** The transaction start under way, if any. */
  private starting: Promise<string | null> | null = null;
  private remoteStopFor: string | null = null;
  private readonly profiles = new Map<'TxDefaultProfile' | 'TxProfile', StoredProfile>();
  private cancelMeter: (() => void) | null = null;
  private cancelHeartbeat: (() => void) | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: OcppChargePointOptions) {
    this.chargePointId = o.chargePointId;
    this.connectorId = o.connectorId ?? 1;
    this.rateUnit = o.rateUnit ?? 'A';
    this.logger = o.logger ?? silentLogger;
    this.rejectProfiles = o.rejectProfiles ?? false;
    this.dialect = o.ocppVersion === '1.6' ? createCp16(this) : createCp201(this);
    const meterS = o.meterIntervalS ?? 10;
    if (!(meterS > 0)) throw new RangeError(`meterIntervalS must be > 0, got ${meterS}`);
  }

  // ---- CpCore

  nowMs(): number {
    return this.o.clock.now();
  }

  record(method: string, params: unknown): void {
    this.calls.push({ method, params });
    this.log(`← ${method} ${JSON.stringify(params)}`);
  }

  log(text: string): void {
    this.logger.info({ chargePointId: this.chargePointId }, `${this.chargePointId}: ${text}`);
  }

  transactionId(): string | null {
    return this.tx;
  }

  async installProfile(p: StoredProfile): Promise<'Accepted' | 'Rejected'> {
    if (this.rejectProfiles) return 'Rejected';
    // The central system may send a TxProfile as soon as it knows the transaction, before our start call has returned.
    if (p.purpose === 'TxProfile' && this.starting) await this.starting.catch(() => null);
    // A TxProfile needs the running transaction [OCPP 1.6 §3.13.4, OCPP 2.0.1 K01.FR.09].
    if (p.purpose === 'TxProfile' && (this.tx === null || p.transactionId !== this.tx)) return 'Rejected';
    const before = this.profiles.get(p.purpose);
    this.profiles.set(p.purpose, p);
    try {
      await this.applyProfiles();
      return 'Accepted';
    } catch (err) {
      if (before) this.profiles.set(p.purpose, before);
      else this.profiles.delete(p.purpose);
      this.log(`profile refused: ${errorMessage(err)}`);
      await this.applyProfiles().catch(() => undefined);
      return 'Rejected';
    }
  }

  async clearProfiles(match: { id?: number | undefined; purpose?: string | undefined }): Promise<'Accepted' | 'Unknown'> {
    let cleared = 0;
    for (const [purpose, p] of [...this.profiles]) {
      if ((match.id === undefined || match.id === p.id) && (match.purpose === undefined || match.purpose === purpose)) {
        this.profiles.delete(purpose);
        cleared++;
      }
    }
    if (cleared === 0) return 'Unknown';
    await this.applyProfiles();
    return 'Accepted';
  }

  requestStart(idTag: string): 'Accepted' | 'Rejected' {
    if (this.tx !== null || !this.o.charger.snapshot().isConnected) return 'Rejected';
    this.remoteStartIdTag = idTag;
    setImmediate(() => void this.sync().catch(() => undefined));
    return 'Accepted';
  }

  requestStop(transactionId: string): 'Accepted' | 'Rejected' {
    if (this.tx !== transactionId) return 'Rejected';
    this.remoteStopFor = transactionId;
    setImmediate(() => void this.sync().catch(() => undefined));
    return 'Accepted';
  }

  // ---- OcppChargePoint

  isConnected(): boolean {
    return this.connected;
  }

  received(): readonly ReceivedCall[] {
    return this.calls;
  }

  setRejectProfiles(reject: boolean): void {
    this.rejectProfiles = reject;
  }

  async goOffline(): Promise<void> {
    this.offline = true;
    this.clearReconnect();
    const rpc = this.rpc;
    if (rpc) await rpc.close({ force: true });
  }

  goOnline(): void {
    this.offline = false;
    if (!this.rpc) void this.connectOnce();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearReconnect();
    this.cancelMeter?.();
    this.cancelHeartbeat?.();
    const rpc = this.rpc;
    this.rpc = null;
    if (rpc) await rpc.close({ force: true });
  }

  sync(): Promise<void> {
    return this.enqueue(() => this.syncNow());
  }

  // ---- Connection

  async connectOnce(): Promise<void> {
    if (this.closed || this.offline || this.rpc) return;
    const rpc = new RPCClient({
      endpoint: this.o.url.replace(/\/+$/, ''),
      identity: this.chargePointId,
      protocols: [this.dialect.subprotocol],
      strictMode: true,
      reconnect: false,
      callTimeoutMs: 10_000,
      ...(this.o.password === undefined ? {} : { password: this.o.password }),
    } as ConstructorParameters<typeof RPCClient>[0]); // ocpp-rpc types every option as required
    this.rpc = rpc;
    this.dialect.install(rpc as unknown as RpcPeer, this);
    rpc.on('close', () => this.onClosed(rpc));
    try {
      await rpc.connect();
    } catch (err) {
      this.log(`cannot connect to ${this.o.url}/${this.chargePointId}: ${describeConnectError(err)}`);
      this.onClosed(rpc);
      return;
    }
    this.connected = true;
    this.log(`connected to ${this.o.url}/${this.chargePointId} (OCPP ${this.o.ocppVersion})`);
    try {
      await this.enqueue(() => this.bootNow(rpc as unknown as RpcPeer));
    } catch (err) {
      this.log(`boot failed: ${errorMessage(err)}`);
    }
  }

  private onClosed(rpc: RPCClient): void {
    if (this.rpc !== rpc) return;
    this.rpc = null;
    if (this.connected) this.log('disconnected');
    this.connected = false;
    this.cancelHeartbeat?.();
    this.cancelHeartbeat = null;
    if (this.closed || this.offline) return;
    this.clearReconnect();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connectOnce();
    }, this.o.reconnectDelayMs ?? 2000);
    this.reconnectTimer.unref();
  }

  private clearReconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private async bootNow(peer: RpcPeer): Promise<void> {
    const { status, intervalS } = await this.dialect.boot(peer);
    this.log(`→ BootNotification: ${status}, heartbeat every ${intervalS} s`);
    if (status !== 'Accepted') {
      // [OCPP 1.6 §4.2]: retry after the interval given.
      const cancel = this.o.clock.setTimer(Math.max(1, intervalS) * 1000, () => {
        if (this.rpc === (peer as unknown)) void this.enqueue(() => this.bootNow(peer)).catch(() => undefined);
      });
      this.cancelHeartbeat = cancel;
      return;
    }
    this.scheduleHeartbeat(peer, intervalS);
    this.lastStatus = null;
    await this.syncNow(true);
    this.scheduleMeter();
  }

  private scheduleHeartbeat(peer: RpcPeer, intervalS: number): void {
    this.cancelHeartbeat?.();
    if (!(intervalS > 0)) return;
    this.cancelHeartbeat = this.o.clock.setTimer(intervalS * 1000, () => {
      if (this.rpc !== (peer as unknown)) return;
      this.dialect.heartbeat(peer).catch(() => undefined);
      this.scheduleHeartbeat(peer, intervalS);
    });
  }

  private scheduleMeter(): void {
    this.cancelMeter?.();
    this.cancelMeter = this.o.clock.setTimer((this.o.meterIntervalS ?? 10) * 1000, () => {
      if (this.closed) return;
      this.sync().catch((err: unknown) => this.log(`sync failed: ${errorMessage(err)}`));
      this.scheduleMeter();
    });
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  // ---- The car's story → OCPP messages

  private async syncNow(force = false): Promise<void> {
    const rpc = this.rpc;
    if (!rpc || !this.connected) return;
    const peer = rpc as unknown as RpcPeer;
    let snap = this.o.charger.snapshot();
    if (this.tx !== null && (!snap.isConnected || this.remoteStopFor === this.tx)) {
      const reason = snap.isConnected ? 'Remote' : 'EVDisconnected';
      const txId = this.tx;
      await this.dialect.stopTransaction(peer, txId, snap, reason);
      this.log(`→ transaction ${txId} stopped (${reason})`);
      this.tx = null;
      this.remoteStopFor = null;
      this.profiles.delete('TxProfile');
      await this.applyProfiles();
    }
    if (!snap.isConnected) this.hasTriedPlugInStart = false;
    const plugInStart = (this.o.startTransactionOnPlugIn ?? true) && !this.hasTriedPlugInStart;
    if (snap.isConnected && this.tx === null && (this.remoteStartIdTag !== null || plugInStart)) {
      this.hasTriedPlugInStart = true;
      await this.report(peer, 'Preparing', snap, force);
      const why = this.remoteStartIdTag !== null ? 'remote' : 'plug-in';
      const idTag = this.remoteStartIdTag ?? this.o.idTag ?? 'SIMCAR';
      this.remoteStartIdTag = null;
      this.starting = this.dialect.startTransaction(peer, snap, idTag, why);
      try {
        this.tx = await this.starting;
      } finally {
        this.starting = null;
      }
      this.log(this.tx === null ? `→ transaction refused for ${idTag}` : `→ transaction ${this.tx} started (${why})`);
    }
    snap = this.o.charger.snapshot();
    await this.report(peer, this.statusOf(snap), snap, force);
    await this.dialect.meterValues(peer, snap, this.tx);
  }

  private async report(peer: RpcPeer, status: CpStatus, snap: SimEvChargerSnapshot, force: boolean): Promise<void> {
    if (!force && status === this.lastStatus) return;
    await this.dialect.report(peer, status, snap, this.tx, force);
    this.lastStatus = status;
    this.log(`→ status ${status}`);
  }

  private statusOf(snap: SimEvChargerSnapshot): CpStatus {
    if (!snap.isConnected) return 'Available';
    if (this.tx === null) return 'Preparing';
    if (snap.powerW > 0) return 'Charging';
    return snap.isRequiringCharge ? 'SuspendedEVSE' : 'SuspendedEV';
  }

  /** Applies the profile in force (TxProfile of the running transaction, else TxDefaultProfile, else none) to the charger. */
  private async applyProfiles(): Promise<void> {
    const tx = this.profiles.get('TxProfile');
    const p = tx && tx.transactionId === this.tx ? tx : this.profiles.get('TxDefaultProfile');
    const wired = this.o.wiredPhases ?? 3;
    if (!p) {
      await this.o.charger.setCurrentA(null, wired);
      return;
    }
    const phases: 1 | 3 = p.phases === 1 || wired === 1 ? 1 : 3;
    // W is the total over the phases: A per phase = W / (V × phases) [OCPP 1.6 §7.9 ChargingRateUnitType].
    const currentA = p.unit === 'A' ? p.limit : p.limit / ((this.o.voltageV ?? 230) * phases);
    await this.o.charger.setCurrentA(currentA, phases);
    this.log(`applies ${p.purpose} ${p.limit} ${p.unit} → ${Math.round(currentA * 10) / 10} A × ${phases}`);
  }
}

function describeConnectError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? `HTTP ${code} ${describeRpcError(err)}` : describeRpcError(err);
}
