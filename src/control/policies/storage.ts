import type { BatteryReading } from '../../devices/capabilities.ts';
import type { DeviceOf } from '../../site/site-config.ts';
import type { StorageOutput } from '../plan.ts';
import type { ResolvedSignal } from '../signals.ts';
import { splitProportional } from './split.ts';

export interface BatteryInput {
  cfg: DeviceOf<'storage'>;
  reading: BatteryReading;
  signal: ResolvedSignal;
}

/** W the battery may charge now: its reported room, 0 at or above maxSocPct. */
export function chargeRoomW(b: BatteryInput): number {
  return b.reading.socPct >= b.cfg.maxSocPct ? 0 : Math.max(0, b.reading.maxChargeW);
}

/** W the battery may discharge now: 0 at or below `floorPct` (minSocPct, or the reserve for self_consumption). */
export function dischargeRoomW(b: BatteryInput, floorPct = b.cfg.minSocPct): number {
  return b.reading.socPct <= Math.max(floorPct, b.cfg.minSocPct) ? 0 : Math.max(0, b.reading.maxDischargeW);
}

/**
 * Splits a signed total (+ charge) over batteries in proportion to each one's available charge
 * (or discharge) power, so stress is spread evenly [live §3.1 storage setpoint]. Clipped to what
 * they can do.
 */
export function splitStoragePowerW(totalW: number, batteries: readonly BatteryInput[], floorPct?: (b: BatteryInput) => number): number[] {
  if (totalW >= 0) {
    return splitProportional(totalW, batteries.map((b) => ({ weight: chargeRoomW(b), cap: chargeRoomW(b) })));
  }
  const rooms = batteries.map((b) => dischargeRoomW(b, floorPct?.(b)));
  return splitProportional(-totalW, rooms.map((r) => ({ weight: r, cap: r }))).map((w) => -w);
}

/**
 * Storage policies for one cycle.
 * - `setpoint`: the group's total split over the batteries that follow the group signal; a
 *   device-level setpoint drives its battery alone.
 * - `self_consumption`: aims the grid at zero: charge from surplus, discharge to cover the load,
 *   not below the reserve SoC. While the site imports no more than the deadband the batteries keep
 *   what they do (no hunting) unless `isHoldExpired` (a small error that persisted is corrected
 *   too, so the deadband never biases the balance); export the batteries could absorb is
 *   corrected at once: exported PV is the loss self-consumption exists to avoid.
 * - `off`: not driven.
 * @param otherW grid power of everything but these batteries, W (+ import), with the other assets as planned.
 */
export function planStorage(batteries: readonly BatteryInput[], otherW: number, deadband: { deadbandW: number; isHoldExpired: boolean }): StorageOutput[] {
  const out = new Map<string, StorageOutput>();
  const groupSetpoint = batteries.filter((b) => b.signal.policy === 'setpoint' && b.signal.source !== 'remote-device');
  const deviceSetpoint = batteries.filter((b) => b.signal.policy === 'setpoint' && b.signal.source === 'remote-device');
  const selfConsumption = batteries.filter((b) => b.signal.policy === 'self_consumption');

  let fixedW = 0;
  for (const b of deviceSetpoint) {
    const [w = 0] = splitStoragePowerW(b.signal.setpointW ?? 0, [b]);
    out.set(b.cfg.nodeId, { nodeId: b.cfg.nodeId, signal: b.signal, powerW: w, predictedW: w });
    fixedW += w;
  }
  const groupTotal = groupSetpoint[0]?.signal.setpointW ?? 0;
  splitStoragePowerW(groupTotal, groupSetpoint).forEach((w, i) => {
    const b = groupSetpoint[i];
    if (!b) return;
    out.set(b.cfg.nodeId, { nodeId: b.cfg.nodeId, signal: b.signal, powerW: w, predictedW: w });
    fixedW += w;
  });

  if (selfConsumption.length > 0) {
    const currentW = selfConsumption.reduce((s, b) => s + b.reading.powerW, 0);
    // Grid with these batteries as they are now; the target is zero exchange.
    const gridNowW = otherW + fixedW + currentW;
    const isHolding = gridNowW >= 0 && gridNowW <= deadband.deadbandW && !deadband.isHoldExpired;
    const wantW = isHolding ? currentW : currentW - gridNowW;
    const shares = splitStoragePowerW(wantW, selfConsumption, (b) => b.cfg.reserveSocPct);
    selfConsumption.forEach((b, i) => {
      const w = shares[i] ?? 0;
      out.set(b.cfg.nodeId, { nodeId: b.cfg.nodeId, signal: b.signal, powerW: w, predictedW: w });
    });
  }
  for (const b of batteries) {
    if (!out.has(b.cfg.nodeId)) out.set(b.cfg.nodeId, { nodeId: b.cfg.nodeId, signal: b.signal, powerW: null, predictedW: b.reading.powerW });
  }
  return batteries.map((b) => out.get(b.cfg.nodeId) as StorageOutput);
}
