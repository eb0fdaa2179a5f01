import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { Battery, GridMeter, SolarInverter } from '../capabilities.ts';
import { ModelImage } from '../sunspec/model-image.ts';
import { ILLEGAL_DATA_VALUE, ModbusExceptionError } from './modbus-tcp-server.ts';
import { scaleFactorFor } from './sunspec-register-map.ts';

/**
 * What a simulated SunSpec device does behind its register map: which models it serves, how a
 * read refreshes them from the capability object, and how a control write reaches it — with the
 * device's revert timer enforced: a control not re-written within its RvrtTms reverts the device
 * to its default (no limit / no storage control) [SunSpec 123 WMaxLimPct_RvrtTms, 124 InOutWRte_RvrtTms].
 */
export interface SunSpecPersonality {
  images: ModelImage[];
  refresh(signal: AbortSignal): Promise<void>;
  onWrite(image: ModelImage): Promise<void>;
  close(): void;
}

export interface PersonalityContext {
  clock: Clock;
  logger: Logger;
  unitId: number;
  serialNumber: string;
}

/** Inverter ratings, W. */
export interface InverterRatings {
  ratedPowerW: number;
}
/** Battery ratings. */
export interface BatteryRatings {
  capacityWh: number;
  maxChargeW: number;
  maxDischargeW: number;
  /** Device SoC limits, % (802 SoCMin / SoCMax). Defaults 0 / 100. */
  minSocPct?: number;
  maxSocPct?: number;
}

function commonModel(ctx: PersonalityContext, md: string): ModelImage {
  return new ModelImage(1).set('Mn', 'gridpilot').set('Md', md).set('Vr', '1').set('SN', ctx.serialNumber).set('DA', ctx.unitId);
}

/** A revert timer on the injected clock. */
class RevertTimer {
  private cancel: (() => void) | null = null;
  constructor(private readonly clock: Clock) {}
  arm(seconds: number | null, revert: () => void): void {
    this.stop();
    if (seconds !== null && seconds > 0) this.cancel = this.clock.setTimer(seconds * 1000, () => {
      this.cancel = null;
      revert();
    });
  }
  stop(): void {
    this.cancel?.();
    this.cancel = null;
  }
}

/** Energy counter integrated from successive power readings, Wh. */
class EnergyCounter {
  private lastMs: number | null = null;
  importWh = 0;
  exportWh = 0;
  add(nowMs: number, powerW: number): void {
    if (this.lastMs !== null && nowMs > this.lastMs) {
      const wh = (powerW * (nowMs - this.lastMs)) / 3_600_000;
      if (wh > 0) this.importWh += wh;
      else this.exportWh -= wh;
    }
    this.lastMs = nowMs;
  }
}

/** 103 measurements: W (+ AC output), per-phase current at 230 V, 50 Hz, WH, operating state. */
function setInverterMeasurements(m103: ModelImage, outputW: number, producedWh: number, state: number): void {
  m103
    .set('W', Math.round(outputW))
    .set('A', Math.abs(outputW) / 230)
    .set('AphA', Math.abs(outputW) / 690)
    .set('AphB', Math.abs(outputW) / 690)
    .set('AphC', Math.abs(outputW) / 690)
    .set('WH', Math.max(1, Math.round(producedWh)))
    .set('St', state);
}

function newInverterMeasurements(maxW: number): ModelImage {
  return new ModelImage(103)
    .set('A_SF', -2).set('V_SF', -1).set('PhVphA', 230).set('PhVphB', 230).set('PhVphC', 230)
    .set('W_SF', scaleFactorFor(maxW, true)).set('Hz_SF', -2).set('Hz', 50).set('WH_SF', 0).set('Tmp_SF', -1).set('TmpCab', 35)
    .set('Evt1', 0).set('Evt2', 0);
}

/** Inverter: 1 + 103 + 120 + 121 + 123. */
export function inverterPersonality(device: SolarInverter, ratings: InverterRatings, ctx: PersonalityContext): SunSpecPersonality {
  const ratedW = ratings.ratedPowerW;
  const wSf = scaleFactorFor(ratedW, false);
  const m103 = newInverterMeasurements(ratedW);
  const m120 = new ModelImage(120).set('DERTyp', 4).set('WRtg_SF', wSf).set('WRtg', ratedW).set('VARtg_SF', wSf).set('VARtg', ratedW).set('ARtg_SF', -1).set('ARtg', ratedW / 690);
  const m121 = new ModelImage(121).set('WMax_SF', wSf).set('WMax', ratedW).set('VRef_SF', 0).set('VRef', 230).set('VRefOfs_SF', 0).set('VRefOfs', 0);
  // WMaxLimPct in 0.1 % steps, so that clients must apply its scale factor.
  const m123 = new ModelImage(123)
    .set('Conn', 1).set('WMaxLimPct_SF', -1).set('OutPFSet_SF', -3).set('WMaxLimPct', 100)
    .set('WMaxLimPct_WinTms', 0).set('WMaxLimPct_RvrtTms', 0).set('WMaxLimPct_RmpTms', 0).set('WMaxLim_Ena', 0).set('OutPFSet_Ena', 0).set('VArPct_Ena', 0);
  const energy = new EnergyCounter();
  const timer = new RevertTimer(ctx.clock);
  const limitFromImage = (): number | null => {
    const v = m123.view(0);
    const pct = v.value('WMaxLimPct');
    return v.raw('WMaxLim_Ena') === 1 && pct !== null ? (pct / 100) * ratedW : null;
  };
  return {
    images: [commonModel(ctx, 'sim-inverter'), m103, m120, m121, m123],
    async refresh(signal) {
      const s = await device.readState(signal);
      energy.add(ctx.clock.now(), -s.powerW);
      const isThrottled = limitFromImage() !== null;
      setInverterMeasurements(m103, s.powerW, energy.exportWh, s.powerW <= 0 ? 2 : isThrottled ? 5 : 4);
    },
    async onWrite(image) {
      if (image !== m123) return;
      const v = m123.view(0);
      const pct = v.value('WMaxLimPct');
      if (pct === null || pct < 0 || pct > 100) throw new ModbusExceptionError(ILLEGAL_DATA_VALUE, `WMaxLimPct must be 0–100 %, got ${String(pct)}`);
      const ena = v.raw('WMaxLim_Ena');
      if (ena !== 0 && ena !== 1) throw new ModbusExceptionError(ILLEGAL_DATA_VALUE, `WMaxLim_Ena must be 0 or 1, got ${String(ena)}`);
      await device.setLimitW(limitFromImage());
      const rvrtS = v.raw('WMaxLimPct_RvrtTms');
      // Every write of the control restarts its timer; expiry disables the limit.
      timer.arm(ena === 1 && typeof rvrtS === 'number' ? rvrtS : null, () => {
        m123.set('WMaxLim_Ena', 0);
        ctx.logger.info({ unitId: ctx.unitId }, 'sunspec sim: WMaxLimPct revert timer expired; limit lifted');
        device.setLimitW(null).catch((err: unknown) => ctx.logger.warn({ err: String(err) }, 'sunspec sim: revert failed'));
      });
    },
    close: () => timer.stop(),
  };
}

/** Battery: 1 + 103 (its AC side, W + output) + 124 + 802. */
export function batteryPersonality(device: Battery, ratings: BatteryRatings, ctx: PersonalityContext): SunSpecPersonality {
  const maxW = Math.max(ratings.maxChargeW, ratings.maxDischargeW);
  const m103 = newInverterMeasurements(maxW);
  const m124 = new ModelImage(124)
    .set('WChaMax_SF', scaleFactorFor(ratings.maxChargeW, false)).set('WChaMax', ratings.maxChargeW)
    .set('WChaDisChaGra_SF', 0).set('WChaGra', 100).set('WDisChaGra', 100).set('StorCtl_Mod', 0)
    .set('ChaState_SF', -1).set('InOutWRte_SF', -1).set('OutWRte', 100).set('InWRte', 100)
    .set('InOutWRte_WinTms', 0).set('InOutWRte_RvrtTms', 0).set('InOutWRte_RmpTms', 0).set('ChaSt', 1);
  const m802 = new ModelImage(802)
    .set('AHRtg_SF', 0).set('WHRtg_SF', scaleFactorFor(ratings.capacityWh, false)).set('WHRtg', ratings.capacityWh)
    .set('WChaDisChaMax_SF', scaleFactorFor(maxW, false)).set('WChaRteMax', ratings.maxChargeW).set('WDisChaRteMax', ratings.maxDischargeW)
    .set('SoC_SF', -1).set('SoCMax', ratings.maxSocPct ?? 100).set('SoCMin', ratings.minSocPct ?? 0)
    .set('LocRemCtl', 0).set('Typ', 4).set('State', 3).set('V_SF', -1).set('V', 400).set('CellV_SF', -3).set('A_SF', -1).set('AMax_SF', 0)
    .set('W_SF', scaleFactorFor(maxW, true)).set('Evt1', 0).set('Evt2', 0).set('EvtVnd1', 0).set('EvtVnd2', 0).set('AlmRst', 0).set('SetOp', 1).set('SetInvState', 1);
  const energy = new EnergyCounter();
  const timer = new RevertTimer(ctx.clock);
  const setpointFromImage = (): number | null => {
    const v = m124.view(0);
    const mode = v.raw('StorCtl_Mod');
    if (typeof mode !== 'number' || (mode & 3) === 0) return null;
    const wChaMax = v.value('WChaMax') ?? ratings.maxChargeW;
    // The window of allowed power, % of WChaMax, + charge: [−OutWRte, InWRte] for the active bits.
    const hi = mode & 1 ? (v.value('InWRte') ?? 100) : 100;
    const lo = mode & 2 ? -(v.value('OutWRte') ?? 100) : -100;
    if (lo > hi) throw new ModbusExceptionError(ILLEGAL_DATA_VALUE, `InWRte/OutWRte window is empty (${lo}…${hi} %)`);
    // Without a site to follow, the battery sits at the point of the window nearest to idle.
    const pct = Math.min(hi, Math.max(lo, 0));
    return (pct / 100) * wChaMax;
  };
  return {
    images: [commonModel(ctx, 'sim-battery'), m103, m124, m802],
    async refresh(signal) {
      const s = await device.readState(signal);
      energy.add(ctx.clock.now(), s.powerW);
      setInverterMeasurements(m103, -s.powerW, energy.exportWh, 4);
      m124.set('ChaState', s.socPct).set('ChaSt', s.powerW > 0 ? 4 : s.powerW < 0 ? 3 : s.maxChargeW === 0 ? 5 : s.maxDischargeW === 0 ? 2 : 6);
      m802.set('SoC', s.socPct).set('W', Math.round(-s.powerW)).set('A', -s.powerW / 400).set('ChaSt', s.powerW > 0 ? 4 : s.powerW < 0 ? 3 : 6);
    },
    async onWrite(image) {
      if (image !== m124) return;
      const v = m124.view(0);
      for (const p of ['InWRte', 'OutWRte'] as const) {
        const pct = v.value(p);
        if (pct !== null && (pct < -100 || pct > 100)) throw new ModbusExceptionError(ILLEGAL_DATA_VALUE, `${p} must be −100…100 %, got ${pct}`);
      }
      const setpointW = setpointFromImage();
      await device.setPowerW(setpointW);
      const rvrtS = v.raw('InOutWRte_RvrtTms');
      timer.arm(setpointW !== null && typeof rvrtS === 'number' ? rvrtS : null, () => {
        m124.set('StorCtl_Mod', 0);
        ctx.logger.info({ unitId: ctx.unitId }, 'sunspec sim: InOutWRte revert timer expired; storage control released');
        device.setPowerW(null).catch((err: unknown) => ctx.logger.warn({ err: String(err) }, 'sunspec sim: revert failed'));
      });
    },
    close: () => timer.stop(),
  };
}

/** Meter: 1 + 203 (W + import; per-phase thirds; 230 V, 50 Hz; import/export energy). */
export function meterPersonality(device: GridMeter, maxW: number, ctx: PersonalityContext): SunSpecPersonality {
  const m203 = new ModelImage(203)
    .set('A_SF', -2).set('V_SF', -1).set('PhV', 230).set('PhVphA', 230).set('PhVphB', 230).set('PhVphC', 230)
    .set('PPV', 400).set('PhVphAB', 400).set('PhVphBC', 400).set('PhVphCA', 400)
    .set('Hz_SF', -2).set('Hz', 50).set('W_SF', scaleFactorFor(maxW, true)).set('TotWh_SF', 0).set('Evt', 0);
  const energy = new EnergyCounter();
  return {
    images: [commonModel(ctx, 'sim-meter'), m203],
    async refresh(signal) {
      const w = await device.readPowerW(signal);
      energy.add(ctx.clock.now(), w);
      m203
        .set('W', Math.round(w)).set('WphA', Math.round(w / 3)).set('WphB', Math.round(w / 3)).set('WphC', Math.round(w / 3))
        .set('A', w / 230).set('AphA', w / 690).set('AphB', w / 690).set('AphC', w / 690)
        .set('TotWhImp', Math.max(1, Math.round(energy.importWh))).set('TotWhExp', Math.max(1, Math.round(energy.exportWh)));
    },
    onWrite: () => Promise.resolve(),
    close: () => undefined,
  };
}
