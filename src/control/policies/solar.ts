import type { SolarReading } from '../../devices/capabilities.ts';
import type { DeviceOf } from '../../site/site-config.ts';
import type { SolarOutput } from '../plan.ts';
import type { ResolvedSignal } from '../signals.ts';
import { splitProportional } from './split.ts';

export interface InverterInput {
  cfg: DeviceOf<'solar'>;
  reading: SolarReading;
  signal: ResolvedSignal;
}

function output(i: InverterInput, limitW: number | null): SolarOutput {
  const availableW = Math.max(i.reading.availablePowerW, i.reading.powerW);
  // An uncapped inverter (`off`) produces what the sun gives.
  const predictedW = limitW === null ? availableW : Math.min(availableW, limitW);
  return { nodeId: i.cfg.nodeId, signal: i.signal, limitW, availableW, predictedW };
}

/**
 * Solar policies before grid limits:
 * - `setpoint`: a cap on total production, split over the inverters by capacity; a device-level
 *   setpoint caps its inverter alone.
 * - `feed_in_limitation`: uncapped here; the limit stage then curtails to the export limit.
 * - `off`: not driven (the cap is lifted; limits are not protected by solar) [live §3.1].
 */
export function planSolar(inverters: readonly InverterInput[]): SolarOutput[] {
  const group = inverters.filter((i) => i.signal.policy === 'setpoint' && i.signal.source !== 'remote-device');
  const groupCapW = group[0]?.signal.setpointW ?? 0;
  const shares = splitProportional(groupCapW, group.map((i) => ({ weight: i.cfg.ratedPowerW, cap: i.cfg.ratedPowerW })));
  const groupShare = new Map(group.map((i, k) => [i.cfg.nodeId, shares[k] ?? 0]));
  return inverters.map((i) => {
    switch (i.signal.policy) {
      case 'setpoint':
        return output(i, i.signal.source === 'remote-device' ? Math.min(i.signal.setpointW ?? 0, i.cfg.ratedPowerW) : (groupShare.get(i.cfg.nodeId) ?? 0));
      case 'off':
        return output(i, null);
      default:
        return output(i, i.cfg.ratedPowerW);
    }
  });
}

/** Lowers the production of driven inverters by `reduceW` in total (by capacity); returns what it achieved, W. */
export function curtailSolar(outputs: SolarOutput[], reduceW: number, ratedW: (nodeId: string) => number): number {
  const driven = outputs.filter((o) => o.signal.policy !== 'off' && o.held !== true);
  const producing = driven.reduce((s, o) => s + o.predictedW, 0);
  const targetW = Math.max(0, producing - reduceW);
  const shares = splitProportional(targetW, driven.map((o) => ({ weight: ratedW(o.nodeId), cap: o.predictedW })));
  driven.forEach((o, k) => {
    const w = shares[k] ?? 0;
    o.limitW = Math.floor(w);
    o.predictedW = Math.min(o.predictedW, o.limitW);
  });
  return producing - driven.reduce((s, o) => s + o.predictedW, 0);
}
