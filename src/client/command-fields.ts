import type { Component, DeviceGroup } from '../protocol/components.ts';
import { SETPOINT_POLICIES, type Policy } from '../protocol/policies.ts';

/**
 * The `fields` object of a command [live §3]: `<prefix>_policy` (string) and
 * `<prefix>_power_setpoint_w` (number, W) per component or device nodeId.
 * Builders only ever produce strings and numbers; `RawFields` is what may go on the wire
 * (e.g. to test how a controller rejects a bad value).
 */
export type CommandFields = Record<string, string | number>;
export type RawFields = Readonly<Record<string, unknown>>;

/** Canonical policies per component, as literal types [live §3.1] (`fallback` is valid for all). */
export interface ComponentPolicyMap {
  solar: 'setpoint' | 'feed_in_limitation' | 'cost' | 'off' | 'fallback';
  storage: 'setpoint' | 'cost' | 'self_consumption' | 'off' | 'fallback';
  heat_pump: 'cost' | 'self_consumption' | 'power_off' | 'power_on' | 'fallback';
  switched_load: 'cost' | 'self_consumption' | 'power_off' | 'power_on' | 'fallback';
  variable_power_load: 'setpoint' | 'cost' | 'self_consumption' | 'passive' | 'fallback';
  site: 'limit' | 'default' | 'fallback';
}
// Compile-time guard: the map covers exactly the protocol's components and only its policies.
type AssertSubset<T extends Policy> = T;
export type PolicyOf<C extends Component> = AssertSubset<ComponentPolicyMap[C]>;
/** Any policy a single device can take (a device belongs to one of the device groups). */
export type DevicePolicy = ComponentPolicyMap[DeviceGroup];

/** Policies that need a setpoint in W [live §3.3 rule 5]. */
export type SetpointPolicy = 'setpoint' | 'limit';
/** Extra arguments a policy takes: exactly one number (W) for `setpoint`/`limit`, none otherwise. */
export type PolicyArgs<P extends string> = P extends SetpointPolicy ? [setpointW: number] : [];

export function policyKey(prefix: string): string {
  return `${prefix}_policy`;
}

export function setpointKey(prefix: string): string {
  return `${prefix}_power_setpoint_w`;
}

export function needsSetpoint(policy: string): boolean {
  return SETPOINT_POLICIES.has(policy as Policy);
}

/**
 * Checks a setpoint before it goes on the wire: finite watts, and ≥ 0 except for storage
 * (+ charge, − discharge) [live §3.1]. `group` null = unknown (a device nodeId without a group).
 * Throws a RangeError naming the field.
 */
export function checkSetpointW(prefix: string, group: Component | null, setpointW: number): void {
  if (typeof setpointW !== 'number' || !Number.isFinite(setpointW)) {
    throw new RangeError(`${setpointKey(prefix)}: expected a finite number of watts, got ${String(setpointW)}`);
  }
  if (group !== null && group !== 'storage' && setpointW < 0) {
    throw new RangeError(`${setpointKey(prefix)}: ${group} setpoint must be ≥ 0 W, got ${setpointW} (only storage is signed: + charge, − discharge)`);
  }
}

/**
 * Writes one policy (and its setpoint) into `fields`, replacing whatever that prefix had.
 * A setpoint policy without a setpoint, or a setpoint for a policy that ignores it, throws.
 */
export function writePolicy(fields: Record<string, unknown>, prefix: string, group: Component | null, policy: string, setpointW?: number): void {
  if (needsSetpoint(policy)) {
    if (setpointW === undefined) throw new RangeError(`${policyKey(prefix)}: policy "${policy}" needs a setpoint in W`);
    checkSetpointW(prefix, group, setpointW);
  } else if (setpointW !== undefined) {
    throw new RangeError(`${policyKey(prefix)}: policy "${policy}" takes no setpoint (got ${setpointW} W)`);
  }
  delete fields[setpointKey(prefix)];
  fields[policyKey(prefix)] = policy;
  if (setpointW !== undefined) fields[setpointKey(prefix)] = setpointW;
}
