import { evOffer, evPowerW, type EvInput } from './policies/ev.ts';
import { curtailSolar } from './policies/solar.ts';
import { chargeRoomW, dischargeRoomW, type BatteryInput } from './policies/storage.ts';
import type { SwitchInput } from './policies/switched.ts';
import { isAdjustable, sumPredicted, type Constraint, type CyclePlan, type StorageOutput, type SwitchOutput } from './plan.ts';

export interface LimitInputs {
  batteries: ReadonlyMap<string, BatteryInput>;
  switches: ReadonlyMap<string, SwitchInput>;
  evs: ReadonlyMap<string, EvInput>;
  solarRatedW: (nodeId: string) => number;
  safetyMarginW: number;
  nowMs: number;
}

export function predictedGridW(plan: CyclePlan): number {
  return (
    plan.baseLoadW +
    sumPredicted(plan.storage) +
    sumPredicted(plan.heatPumps) +
    sumPredicted(plan.switchedLoads) +
    sumPredicted(plan.evChargers) -
    sumPredicted(plan.solar)
  );
}

const round = (w: number): number => Math.round(w);

/** Moves driven batteries' power by up to |deltaW| (+ = towards charge), each no further than `bound(o)`; returns what moved, W. */
function shiftStorage(outputs: StorageOutput[], deltaW: number, bound: (o: StorageOutput) => number): number {
  let left = Math.abs(deltaW);
  const sign = Math.sign(deltaW);
  for (const o of outputs) {
    if (left <= 0 || o.powerW === null) continue;
    const room = Math.max(0, sign * (bound(o) - o.powerW));
    const move = Math.min(room, left);
    o.powerW += sign * move;
    o.predictedW = o.powerW;
    left -= move;
  }
  return Math.abs(deltaW) - left;
}

function shedSwitches(outputs: SwitchOutput[], excessW: number, inputs: LimitInputs, component: 'heat_pump' | 'switched_load', notes: Constraint[]): number {
  const label = component === 'heat_pump' ? 'heat pump' : 'relay';
  let shed = 0;
  for (const o of outputs) {
    if (shed >= excessW) break;
    if (!o.isOn || !isAdjustable(o)) continue;
    const guard = inputs.switches.get(o.nodeId)?.guard;
    // Turning it on was only a wish this cycle: dropping it breaks no run-time rule.
    if (o.wasOn && guard && !guard.canTurnOff(inputs.nowMs)) continue;
    o.isOn = false;
    shed += o.predictedW;
    notes.push({ component, nodeId: o.nodeId, message: `import limit: ${label} ${o.nodeId} switched off (${round(o.predictedW)} W)` });
    o.predictedW = 0;
  }
  return shed;
}

/**
 * Keeps the grid inside its limits minus the safety margin, every cycle, over every driven asset
 * [live §3.3 rule 6]. Nothing beats this, not even a remote command.
 * Export (too much feed-in): 1. less battery discharge, 2. solar curtailment.
 * Import (above the fuse/contract): 1. less battery charge, 2. relay loads off, 3. heat pumps off
 * (both within their minimum on-times), 4. EV down to minimum current, then paused, 5. battery discharge.
 * Records each intervention in `plan.constraints`.
 */
export function enforceGridLimits(plan: CyclePlan, inputs: LimitInputs): void {
  const maxImportW = Math.max(0, plan.importLimitW - inputs.safetyMarginW);
  const maxExportW = Math.max(0, plan.exportLimitW - inputs.safetyMarginW);
  const notes = plan.constraints;
  let gridW = predictedGridW(plan);
  const driven = plan.storage.filter(isAdjustable);

  if (gridW < -maxExportW) {
    let excess = -maxExportW - gridW;
    const lessDischarge = shiftStorage(driven, excess, (o) => Math.max(o.powerW ?? 0, 0));
    if (lessDischarge > 0.5) notes.push({ component: 'storage', message: `export limit ${round(plan.exportLimitW)} W: storage discharge clipped by ${round(lessDischarge)} W` });
    excess -= lessDischarge;
    if (excess > 0.5) {
      const curtailed = curtailSolar(plan.solar, excess, inputs.solarRatedW);
      if (curtailed > 0.5) notes.push({ component: 'solar', message: `export limit ${round(plan.exportLimitW)} W: solar curtailed by ${round(curtailed)} W` });
      excess -= curtailed;
    }
    if (excess > 0.5) notes.push({ component: 'site', message: `export limit ${round(plan.exportLimitW)} W exceeded by ${round(excess)} W: no driven asset left to reduce` });
  } else if (gridW > maxImportW) {
    let excess = gridW - maxImportW;
    const lessCharge = shiftStorage(driven, -excess, (o) => Math.min(o.powerW ?? 0, 0));
    if (lessCharge > 0.5) notes.push({ component: 'storage', message: `import limit ${round(plan.importLimitW)} W: storage charge clipped by ${round(lessCharge)} W` });
    excess -= lessCharge;
    if (excess > 0.5) excess -= shedSwitches(plan.switchedLoads, excess, inputs, 'switched_load', notes);
    if (excess > 0.5) excess -= shedSwitches(plan.heatPumps, excess, inputs, 'heat_pump', notes);
    if (excess > 0.5) excess -= reduceEvs(plan, excess, inputs, notes);
    if (excess > 0.5) {
      const more = shiftStorage(driven, -excess, (o) => -dischargeRoomW(inputs.batteries.get(o.nodeId) as BatteryInput));
      if (more > 0.5) notes.push({ component: 'storage', message: `import limit ${round(plan.importLimitW)} W: storage discharge raised by ${round(more)} W` });
      excess -= more;
    }
    if (excess > 0.5) notes.push({ component: 'site', message: `import limit ${round(plan.importLimitW)} W exceeded by ${round(excess)} W: no driven asset left to shed` });
  }
  // Device limits again after shifting (charge room may be 0 at full SoC).
  for (const o of driven) {
    const b = inputs.batteries.get(o.nodeId);
    if (!b || o.powerW === null) continue;
    o.powerW = Math.max(-dischargeRoomW(b), Math.min(chargeRoomW(b), o.powerW));
    o.predictedW = o.powerW;
  }
  gridW = predictedGridW(plan);
  plan.predictedGridW = gridW;
}

function reduceEvs(plan: CyclePlan, excessW: number, inputs: LimitInputs, notes: Constraint[]): number {
  let shed = 0;
  for (const o of plan.evChargers) {
    if (shed >= excessW || !isAdjustable(o) || o.predictedW <= 0) continue;
    const e = inputs.evs.get(o.nodeId);
    if (!e) continue;
    const targetW = Math.max(0, o.predictedW - (excessW - shed));
    const lowered = evOffer({ ...e, phaseState: { phases: o.phases, switchedAtMs: inputs.nowMs } }, targetW, inputs.nowMs);
    // Below the minimum: pause if allowed, else hold the minimum.
    const minW = evPowerW(e.cfg, e.cfg.minCurrentA, e.reading.isConnected && e.reading.phases < o.phases ? e.reading.phases : o.phases);
    const newW = lowered.predictedW > targetW && e.cfg.allowZeroCurrent ? 0 : lowered.predictedW;
    const newA = newW === 0 ? 0 : lowered.currentA;
    if (newW >= o.predictedW) continue;
    shed += o.predictedW - newW;
    notes.push({ component: 'variable_power_load', nodeId: o.nodeId, message: `import limit: EV ${o.nodeId} ${newW === 0 ? 'paused' : `lowered to ${newA} A`} (${round(o.predictedW - newW)} W; min ${round(minW)} W)` });
    o.currentA = newA;
    o.predictedW = newW;
  }
  return shed;
}
