import type { SolarInverter, SolarReading } from '../../capabilities.ts';
import type { ModelBlock } from '../../sunspec/model-block.ts';
import { KeptControlDevice, type KeptControlOptions } from './kept-control-device.ts';
import { ReadDeadline, signalOf, type SignalSource } from './read-deadline.ts';
import type { SunSpecSession } from './sunspec-session.ts';

/** Inverter measurement models, preferred first. */
export const INVERTER_MEASUREMENT_MODELS = [103, 102, 101, 701] as const;

/** Longest wait for the reads a write may need (discovery, ratings, the control image), ms. */
const WRITE_READS_TIMEOUT_MS = 10_000;

/** Below this share of the cap, production is taken as what the panels give (not curtailed). */
export const UNCURTAILED_SHARE = 0.9;

/**
 * The W a curtailed inverter could produce, which SunSpec does not report. Our estimate:
 * - no cap in force, or production clearly below it (< 90 % of the cap): the measured W;
 * - production at the cap: the inverter's WMax (an upper bound). A controller that raises the
 *   cap then sees production either follow (more was available) or stay below the new cap (and
 *   the estimate becomes the measured W again), so it converges without a hidden model.
 */
export function estimateAvailableW(powerW: number, limitW: number | null, wMax: number): number {
  if (limitW === null || powerW < UNCURTAILED_SHARE * limitW) return powerW;
  return Math.max(powerW, wMax);
}

export interface SunSpecInverterOptions extends KeptControlOptions {
  /** The configured AC rating, W: used when the device reports none. */
  ratedPowerW: number;
}

/**
 * A SunSpec PV inverter [SunSpec 101–103 / 701 measurements, 120/121 or 702 ratings, 123 or 704
 * controls]. Production = the measurement model's W (≥ 0; + production). The cap is
 * 123 WMaxLimPct (% of WMax) with WMaxLim_Ena and WMaxLimPct_RvrtTms, or, without 123,
 * 704 WMaxLimPct with WMaxLimPctEna and WMaxLimPctRvrtTms (reverting to "disabled").
 */
export class SunSpecInverter extends KeptControlDevice<SunSpecInverterOptions> implements SolarInverter {
  private ratings: { generation: number; wMax: number } | null = null;

  async readState(signal: AbortSignal): Promise<SolarReading> {
    const { session } = this.opts;
    const meas = await session.find(INVERTER_MEASUREMENT_MODELS, signal);
    if (!meas) throw new Error(`${session.where}: no inverter measurement model (${INVERTER_MEASUREMENT_MODELS.join(', ')})`);
    const wMax = await this.wMax(signal);
    const control = await session.find([123, 704], signal);
    // One read where the chain allows (docs/benchmarks.md §5): the measurement and the control model.
    const [block, controlBlock] = await session.readModels([meas, control], signal);
    const w = block?.value('W') ?? null;
    if (w === null) throw new Error(`${session.where}: model ${meas.id} W is not implemented`);
    const powerW = Math.max(0, w);
    const limitW = control && controlBlock ? this.limitW(wMax, control.id, this.rememberControl(control, controlBlock)) : null;
    return { powerW, limitW, availablePowerW: estimateAvailableW(powerW, limitW, wMax) };
  }

  async setLimitW(limitW: number | null): Promise<void> {
    if (limitW !== null && !(Number.isFinite(limitW) && limitW >= 0)) throw new RangeError(`solar limit must be a finite number ≥ 0 W or null, got ${limitW}`);
    const { session } = this.opts;
    const signal = new ReadDeadline(WRITE_READS_TIMEOUT_MS);
    const controls = await this.controls(signal);
    const generation = session.link.generation;
    if (limitW === null) {
      await this.keeper.release(`${generation}:off`, async () => {
        const block = await this.controlBlock(controls.model, signal);
        await session.writePoints(block, controls.id === 123 ? { WMaxLim_Ena: 0 } : { WMaxLimPctEna: 0 });
      });
      return;
    }
    const wMax = await this.wMax(signal);
    const pct = Math.min(100, (limitW / wMax) * 100);
    // Rounded to the register's step before comparing, so that equal writes are skipped.
    const block = await this.controlBlock(controls.model, signal);
    const step = 10 ** (block.scaleOf('WMaxLimPct') ?? 0);
    const key = `${generation}:${Math.round(pct / step)}`;
    const revertS = this.opts.revertTimeoutS;
    await this.keeper.keep(key, async (isRefresh) => {
      const fresh = await this.controlBlock(controls.model, new ReadDeadline(WRITE_READS_TIMEOUT_MS));
      if (controls.id === 123) {
        // [SunSpec 123] the value, its timer, then the enable: in address order, so they go as one
        // request where the points between are implemented read-write points. A change leaves the
        // enable out when it is already on; a refresh re-writes it.
        const enable = isRefresh || fresh.raw('WMaxLim_Ena') !== 1 ? { WMaxLim_Ena: 1 } : {};
        await session.writePoints(fresh, { WMaxLimPct: pct, WMaxLimPct_RvrtTms: revertS, ...enable });
      } else {
        // [SunSpec 704] on reversion the function falls back to WMaxLimPctEnaRvrt = disabled; the
        // enable lies before the value, so it goes in a second request, after.
        await session.writePoints(fresh, { WMaxLimPct: pct, WMaxLimPctEnaRvrt: 0, WMaxLimPctRvrtTms: revertS });
        if (isRefresh || fresh.raw('WMaxLimPctEna') !== 1) await session.writePoints(fresh, { WMaxLimPctEna: 1 });
      }
    });
  }

  /** WMax, W: 121 WMax, else 120 WRtg, else 702 WMax / WMaxRtg, else the configured rating. */
  async wMax(signal: SignalSource): Promise<number> {
    const { session } = this.opts;
    if (this.ratings && this.ratings.generation === session.link.generation) return this.ratings.wMax;
    const pick = async (id: number, points: readonly string[]): Promise<number | null> => {
      const m = await session.find([id], signal);
      if (!m) return null;
      const b = await session.readModel(m, signalOf(signal));
      for (const p of points) {
        const v = b.value(p);
        if (v !== null && v > 0) return v;
      }
      return null;
    };
    const wMax = (await pick(121, ['WMax'])) ?? (await pick(120, ['WRtg'])) ?? (await pick(702, ['WMax', 'WMaxRtg'])) ?? this.opts.ratedPowerW;
    this.ratings = { generation: session.link.generation, wMax };
    return wMax;
  }

  private async controls(signal: SignalSource): Promise<{ id: 123 | 704; model: NonNullable<Awaited<ReturnType<SunSpecSession['find']>>> }> {
    const model = await this.opts.session.find([123, 704], signal);
    if (!model) throw new Error(`${this.opts.session.where}: no curtailment control (SunSpec model 123 or 704)`);
    return { id: model.id === 123 ? 123 : 704, model };
  }

  /** The cap in force, W, from the control model just read (null when not enabled). */
  private limitW(wMax: number, modelId: number, b: ModelBlock): number | null {
    const isEnabled = (modelId === 123 ? b.raw('WMaxLim_Ena') : b.raw('WMaxLimPctEna')) === 1;
    const pct = b.value('WMaxLimPct');
    return isEnabled && pct !== null ? (pct / 100) * wMax : null;
  }
}
