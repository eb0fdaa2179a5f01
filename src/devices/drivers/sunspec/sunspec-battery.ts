import type { Battery, BatteryReading } from '../../capabilities.ts';
import type { ModelBlock } from '../../sunspec/model-block.ts';
import { KeptControlDevice, type KeptControlOptions } from './kept-control-device.ts';
import { ReadDeadline, type SignalSource } from './read-deadline.ts';
import type { DiscoveredModel } from './sunspec-session.ts';

/** Longest wait for the reads a write may need (discovery, the control image), ms. */
const WRITE_READS_TIMEOUT_MS = 10_000;

/**
 * 802 (SoC, capacity, rate ratings, SoC limits) changes slowly: read at most this often, ms. A
 * periodic cycle (1 s) reads it every time; a command cycle within 0.9 s of the last read reuses
 * it, one Modbus request less (docs/sunspec.md). Power always comes fresh (101–103, or 802 itself,
 * which then is read every time).
 */
export const BATTERY_STATE_MAX_AGE_MS = 900;

/** [SunSpec 124 StorCtl_Mod] bit 0: the charge limit InWRte applies; bit 1: the discharge limit OutWRte applies. */
export const STORCTL_CHARGE = 1;
export const STORCTL_DISCHARGE = 2;

export interface SunSpecBatteryOptions extends KeptControlOptions {
  /** Configured values used when the device does not report them. */
  capacityWh: number;
  maxChargeW: number;
  maxDischargeW: number;
}

/**
 * A SunSpec battery [SunSpec 124 basic storage controls, with 802 battery base where present].
 *
 * Reading (+ charge): SoC = 802 SoC, else 124 ChaState; capacity = 802 WHRtg, else the config;
 * max charge/discharge = 802 WChaRteMax / WDisChaRteMax, else 124 WChaMax, capped by the config,
 * and 0 at the device's SoC limits (802 SoCMax / SoCMin, else 100 % / 0 %). Power = −W of the
 * device's inverter measurement model (101–103: + AC output, so − is charging), else −802 W
 * (taken as + discharge, the generator convention of 701; see docs/sunspec.md).
 *
 * Control: a setpoint P (+ charge) is the window [P, P] of 124's rates, both in % of WChaMax:
 * StorCtl_Mod = charge | discharge, InWRte = P %, OutWRte = −P % (a negative discharge limit forces
 * charging, and vice versa), with InOutWRte_RvrtTms armed and refreshed. null writes StorCtl_Mod = 0
 * (no limits: the device's own control).
 */
export class SunSpecBattery extends KeptControlDevice<SunSpecBatteryOptions> implements Battery {
  /** The last 802 block read, with when (clock ms) and the model it came from (a new connection rediscovers). */
  private last802: { block: ModelBlock; atMs: number; model: DiscoveredModel } | null = null;

  async readState(signal: AbortSignal): Promise<BatteryReading> {
    const { session, clock } = this.opts;
    const storage = await this.storageModel(signal);
    const m802 = await session.find([802], signal);
    const inverter = await session.find([103, 102, 101], signal);
    const nowMs = clock.now();
    const cached = inverter && m802 && this.last802?.model === m802 && nowMs - this.last802.atMs < BATTERY_STATE_MAX_AGE_MS && nowMs >= this.last802.atMs ? this.last802.block : null;
    // One read where the chain allows (docs/benchmarks.md §5): 124, 802 (unless fresh enough) and the measurement model.
    const [s124Read, read802 = null, meas = null] = await session.readModels([storage, cached ? undefined : m802, inverter], signal);
    const b802 = cached ?? read802;
    if (read802 && m802) this.last802 = { block: read802, atMs: nowMs, model: m802 };
    if (!s124Read) throw new Error(`${session.where}: model 124 was not read`);
    const s124 = this.rememberControl(storage, s124Read);
    const socPct = b802?.value('SoC') ?? s124.value('ChaState');
    if (socPct === null) throw new Error(`${session.where}: no state of charge (802 SoC, 124 ChaState not implemented)`);
    const capacityWh = b802?.value('WHRtg') ?? this.opts.capacityWh;
    const wChaMax = s124.value('WChaMax');
    const chargeRateW = Math.min(this.opts.maxChargeW, b802?.value('WChaRteMax') ?? wChaMax ?? this.opts.maxChargeW);
    const dischargeRateW = Math.min(this.opts.maxDischargeW, b802?.value('WDisChaRteMax') ?? wChaMax ?? this.opts.maxDischargeW);
    const socMaxPct = b802?.value('SoCMax') ?? 100;
    const socMinPct = b802?.value('SoCMin') ?? 0;
    const powerW = this.powerW(meas, b802);
    return {
      powerW,
      socPct,
      capacityWh,
      maxChargeW: socPct >= socMaxPct ? 0 : Math.max(0, chargeRateW),
      maxDischargeW: socPct <= socMinPct ? 0 : Math.max(0, dischargeRateW),
    };
  }

  async setPowerW(powerW: number | null): Promise<void> {
    if (powerW !== null && !Number.isFinite(powerW)) throw new RangeError(`battery setpoint must be a finite number of W or null, got ${powerW}`);
    const { session } = this.opts;
    const signal = new ReadDeadline(WRITE_READS_TIMEOUT_MS);
    const storage = await this.storageModel(signal);
    const generation = session.link.generation;
    if (powerW === null) {
      await this.keeper.release(`${generation}:release`, async () => {
        await session.writePoints(await this.controlBlock(storage, signal), { StorCtl_Mod: 0 });
      });
      return;
    }
    const block = await this.controlBlock(storage, signal);
    const wChaMax = block.value('WChaMax');
    if (wChaMax === null || wChaMax <= 0) throw new Error(`${session.where}: 124 WChaMax is not implemented: the rates cannot be set`);
    const pct = Math.max(-100, Math.min(100, (powerW / wChaMax) * 100));
    const step = 10 ** (block.scaleOf('InWRte') ?? 0);
    const revertS = this.opts.revertTimeoutS;
    await this.keeper.keep(`${generation}:${Math.round(pct / step)}`, async (isRefresh) => {
      const fresh = await this.controlBlock(storage, new ReadDeadline(WRITE_READS_TIMEOUT_MS));
      // [SunSpec 124] rates and their timer first (one request where the points between are
      // implemented read-write points: InOutWRte_WinTms, rewritten as read), then the mode that
      // makes them apply. A change leaves the mode out when it is already in force; a refresh
      // re-writes it.
      const mode = STORCTL_CHARGE | STORCTL_DISCHARGE;
      await session.writePoints(fresh, { OutWRte: -pct, InWRte: pct, InOutWRte_RvrtTms: revertS });
      if (isRefresh || fresh.raw('StorCtl_Mod') !== mode) await session.writePoints(fresh, { StorCtl_Mod: mode });
    });
  }

  private async storageModel(signal: SignalSource): Promise<DiscoveredModel> {
    const m = await this.opts.session.find([124], signal);
    if (!m) throw new Error(`${this.opts.session.where}: no storage control (SunSpec model 124)`);
    return m;
  }

  private powerW(meas: ModelBlock | null, b802: ModelBlock | null): number {
    const w = meas?.value('W') ?? null;
    if (w !== null) return 0 - w;
    const w802 = b802?.value('W') ?? null;
    if (w802 !== null) return 0 - w802;
    throw new Error(`${this.opts.session.where}: no battery power measurement (101–103 W or 802 W)`);
  }
}
