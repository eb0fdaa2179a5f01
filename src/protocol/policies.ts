import type { Component } from './components.ts';

/** Every canonical policy string [live §3.1, decided]. `fallback` is a command, never executed. */
export const POLICIES = [
  'setpoint',
  'feed_in_limitation',
  'cost',
  'self_consumption',
  'off',
  'passive',
  'power_on',
  'power_off',
  'limit',
  'default',
  'fallback',
] as const;
export type Policy = (typeof POLICIES)[number];
/** A policy a component can actually run (what feedback reports as `executed_policy`). */
export type ExecutedPolicy = Exclude<Policy, 'fallback'>;

/** The canonical policies each component accepts [live §3.1]. `fallback` is valid for all. */
export const POLICIES_BY_COMPONENT: Record<Component, readonly ExecutedPolicy[]> = {
  solar: ['setpoint', 'feed_in_limitation', 'cost', 'off'],
  storage: ['setpoint', 'cost', 'self_consumption', 'off'],
  heat_pump: ['cost', 'self_consumption', 'power_off', 'power_on'],
  switched_load: ['cost', 'self_consumption', 'power_off', 'power_on'],
  variable_power_load: ['setpoint', 'cost', 'self_consumption', 'passive'],
  site: ['limit', 'default'],
};

/** Policies that need `<component>_power_setpoint_w` [live §3.3 rule 5]. */
export const SETPOINT_POLICIES: ReadonlySet<Policy> = new Set(['setpoint', 'limit']);

/** Policies under which the controller does not drive the assets at all (limits not protected) [live §3.3 rule 6]. */
export const UNDRIVEN_POLICIES: ReadonlySet<Policy> = new Set(['off', 'passive']);

const ALIASES: Record<string, Policy> = {
  feedin_limitation: 'feed_in_limitation',
  feed_in_limit: 'feed_in_limitation',
  self_consumption_optimization: 'self_consumption',
  self_consumption_optimisation: 'self_consumption',
  cost_optimization: 'cost',
  cost_optimisation: 'cost',
  export_limit: 'limit',
};

/** Lower-case, with camelCase humps, `-` and spaces read as `_` [live §3.1 decided]. */
export function normalizePolicyText(raw: string): string {
  return raw
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[-\s]+/g, '_');
}

/**
 * Parses a policy string leniently for one component. Returns the canonical policy, or null when
 * the string is not a policy of that component. `on`/`off` mean `power_on`/`power_off` on heat
 * pumps and relays; elsewhere `off` is the plain `off` policy.
 */
export function parsePolicy(component: Component, raw: string): Policy | null {
  const text = normalizePolicyText(raw);
  if (text === 'fallback') return 'fallback';
  const isSwitched = component === 'heat_pump' || component === 'switched_load';
  let policy: string = (Object.hasOwn(ALIASES, text) ? ALIASES[text] : undefined) ?? text;
  if (isSwitched && policy === 'on') policy = 'power_on';
  if (isSwitched && policy === 'off') policy = 'power_off';
  const allowed = POLICIES_BY_COMPONENT[component] as readonly string[];
  return allowed.includes(policy) ? (policy as Policy) : null;
}
