/**
 * Components of the wire contract [live §3.1]. Assets of one type merge into one component.
 * Note: commands call the EV group `variable_power_load`; feedback calls it `variable_load` [live §4].
 */
export const DEVICE_GROUPS = ['solar', 'storage', 'heat_pump', 'switched_load', 'variable_power_load'] as const;
export type DeviceGroup = (typeof DEVICE_GROUPS)[number];

export const COMPONENTS = [...DEVICE_GROUPS, 'site'] as const;
export type Component = (typeof COMPONENTS)[number];

/** Key of each group's object in the feedback `state`. */
export const FEEDBACK_KEY: Record<DeviceGroup, string> = {
  solar: 'solar',
  storage: 'storage',
  heat_pump: 'heat_pump',
  switched_load: 'switched_load',
  variable_power_load: 'variable_load',
};

export function isComponent(name: string): name is Component {
  return (COMPONENTS as readonly string[]).includes(name);
}

export function isDeviceGroup(name: string): name is DeviceGroup {
  return (DEVICE_GROUPS as readonly string[]).includes(name);
}
