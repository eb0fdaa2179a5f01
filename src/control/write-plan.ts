import { errorMessage } from '../core/errors.ts';
import type { Constraint, CyclePlan } from './plan.ts';
import type { SiteDevices } from './snapshot.ts';

/**
 * Writes one cycle's setpoints to the devices, in parallel; a failed write is logged, noted in the
 * plan's constraints and left for the next cycle. Returns the nodeIds whose write failed (the next
 * cycle holds them: write-hold.ts).
 */
export async function writePlan(devices: SiteDevices, plan: CyclePlan, logger?: { warn(obj: object, msg?: string): void }): Promise<Set<string>> {
  const writes: Array<[string, Promise<void> | undefined]> = [
    ...plan.solar.map((o): [string, Promise<void> | undefined] => [o.nodeId, devices.solar.get(o.nodeId)?.setLimitW(o.limitW)]),
    ...plan.storage.map((o): [string, Promise<void> | undefined] => [o.nodeId, devices.storage.get(o.nodeId)?.setPowerW(o.powerW)]),
    ...plan.heatPumps.map((o): [string, Promise<void> | undefined] => [o.nodeId, devices.heatPumps.get(o.nodeId)?.setOn(o.isOn)]),
    ...plan.switchedLoads.map((o): [string, Promise<void> | undefined] => [o.nodeId, devices.switchedLoads.get(o.nodeId)?.setOn(o.isOn)]),
    ...plan.evChargers.map((o): [string, Promise<void> | undefined] => [o.nodeId, devices.evChargers.get(o.nodeId)?.setCurrentA(o.currentA, o.phases)]),
  ];
  const results = await Promise.allSettled(writes.map(([, p]) => p ?? Promise.resolve()));
  const failed = new Set<string>();
  results.forEach((r, i) => {
    if (r.status === 'rejected') {
      const id = writes[i]?.[0] ?? '?';
      failed.add(id);
      plan.constraints.push({ component: groupOf(plan, id), nodeId: id, message: `${id}: write failed (${errorMessage(r.reason)})` });
      logger?.warn({ device: id, err: errorMessage(r.reason) }, 'device write failed');
    }
  });
  return failed;
}

function groupOf(plan: CyclePlan, nodeId: string): Constraint['component'] {
  if (plan.solar.some((o) => o.nodeId === nodeId)) return 'solar';
  if (plan.storage.some((o) => o.nodeId === nodeId)) return 'storage';
  if (plan.heatPumps.some((o) => o.nodeId === nodeId)) return 'heat_pump';
  if (plan.switchedLoads.some((o) => o.nodeId === nodeId)) return 'switched_load';
  return 'variable_power_load';
}
