import { isDriven, type Constraint, type CyclePlan } from './plan.ts';
import type { SiteSnapshot } from './snapshot.ts';

/**
 * Devices that refused the previous cycle's write [issue 14, soak]. Such a device keeps doing what
 * it did before, whatever it is told now, so counting it at its new setpoint would leave the grid
 * over a limit for as long as the fault lasts. Instead, this cycle a driven one is *held*: told to
 * stay where it is (battery: its measured power; inverter: the cap in force; relay or heat pump:
 * its measured state; EV charger: the current it was last offered) — so a write that gets through
 * changes nothing the prediction did not count — and counted at what it measures. The grid limits
 * then lean on the other assets (`isAdjustable`). An undriven one (`off`, `passive`) is not written
 * to differently; it is only counted at what it measures. The hold ends with the first cycle whose
 * write succeeds.
 */
export function holdUnwritable(plan: CyclePlan, snap: SiteSnapshot, failed: ReadonlySet<string>): void {
  if (failed.size === 0) return;
  const notes: Constraint[] = [];
  const note = (component: Constraint['component'], nodeId: string, w: number): void => {
    notes.push({ component, nodeId, message: `${nodeId}: the last write failed; held at its measured ${Math.round(w)} W, limits lean on the other assets` });
  };
  for (const o of plan.storage) {
    const r = snap.storage.get(o.nodeId);
    if (!failed.has(o.nodeId) || !r) continue;
    o.predictedW = r.powerW;
    if (!isDriven(o)) continue;
    o.powerW = Math.round(r.powerW);
    o.held = true;
    note('storage', o.nodeId, r.powerW);
  }
  for (const o of plan.solar) {
    const r = snap.solar.get(o.nodeId);
    if (!failed.has(o.nodeId) || !r) continue;
    o.predictedW = r.powerW;
    if (!isDriven(o)) continue;
    o.limitW = r.limitW;
    o.held = true;
    note('solar', o.nodeId, r.powerW);
  }
  for (const [component, outputs, readings] of [
    ['heat_pump', plan.heatPumps, snap.heatPumps],
    ['switched_load', plan.switchedLoads, snap.switchedLoads],
  ] as const) {
    for (const o of outputs) {
      const r = readings.get(o.nodeId);
      if (!failed.has(o.nodeId) || !r) continue;
      o.predictedW = r.powerW;
      if (!isDriven(o)) continue;
      o.isOn = r.isOn;
      o.held = true;
      note(component, o.nodeId, r.powerW);
    }
  }
  for (const o of plan.evChargers) {
    const r = snap.evChargers.get(o.nodeId);
    if (!failed.has(o.nodeId) || !r) continue;
    o.predictedW = r.powerW;
    if (!isDriven(o)) continue;
    o.currentA = r.offeredCurrentA;
    o.phases = r.phases;
    o.held = true;
    note('variable_power_load', o.nodeId, r.powerW);
  }
  plan.constraints.push(...notes);
}
