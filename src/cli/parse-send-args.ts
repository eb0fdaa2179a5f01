import { needsSetpoint, setpointKey, writePolicy } from '../client/index.ts';
import { DEVICE_GROUPS, isComponent, type Component, type DeviceGroup } from '../protocol/components.ts';
import { normalizePolicyText, parsePolicy, POLICIES_BY_COMPONENT } from '../protocol/policies.ts';
import { UsageError } from './io.ts';

/** The control flags of `gridpilot send`, for the help text. */
export const SEND_CONTROLS_HELP = `
Controls (any number, in any order; policies are read leniently: "Power-On", "on", "feedInLimit" …):
  --solar <policy> [W]                setpoint <W≥0> | feed_in_limitation | cost | off | fallback
  --storage <policy> [W]              setpoint <W, + charge / − discharge> | cost | self_consumption | off | fallback
  --heat-pump <policy>                power_on | power_off | cost | self_consumption | fallback
  --switched-load <policy>            power_on | power_off | cost | self_consumption | fallback
  --ev, --variable-power-load <policy> [W]
                                      setpoint <W≥0> | cost | self_consumption | passive | fallback
  --site <policy> [W]                 limit <export limit W≥0> | default | fallback
  --device <nodeId> <policy> [W]      one device by nodeId (repeatable)
  --fallback <component|nodeId>       cancel that remote command now (repeatable)
  --raw '<fields json>'               merge these fields verbatim (no checks)
  --empty                             send "fields": {} — only asks for a feedback
Watts: 5000, -5000, 5kW, -2.5kW, 300W.

Examples:
  gridpilot send --storage setpoint 5000 --solar setpoint 0
  gridpilot send --heat-pump on --switched-load off --ev setpoint 7000 --site limit 0
  gridpilot send --device OM12404080000000000_storage_1 setpoint -2000 --fallback solar
  gridpilot send --empty --json | jq .data.state.storage`;

const COMPONENT_FLAGS: Readonly<Record<string, Component>> = {
  '--solar': 'solar',
  '--storage': 'storage',
  '--heat-pump': 'heat_pump',
  '--heat_pump': 'heat_pump',
  '--switched-load': 'switched_load',
  '--switched_load': 'switched_load',
  '--variable-power-load': 'variable_power_load',
  '--variable_power_load': 'variable_power_load',
  '--ev': 'variable_power_load',
  '--site': 'site',
};

/** `5000`, `-5000`, `+5000`, `5kW`, `-2.5kw`, `300W` → watts; null when not a number of watts. */
export function parseWatts(text: string): number | null {
  const m = /^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)\s*(kw|w)?\s*$/i.exec(text);
  if (!m?.[1]) return null;
  const n = Number(m[1]) * (m[2]?.toLowerCase() === 'kw' ? 1000 : 1);
  return Number.isFinite(n) ? n : null;
}

/** `storage`, `heat-pump`, `heatPump`, `ev` … → a component; null otherwise. */
export function componentFromName(name: string): Component | null {
  const text = normalizePolicyText(name);
  if (text === 'ev') return 'variable_power_load';
  return isComponent(text) ? text : null;
}

/** The group of a default-form device nodeId `<SN>_<group>_<n>` [live §3.2 decided]; null when not in that form. */
export function groupFromNodeId(nodeId: string): DeviceGroup | null {
  for (const group of DEVICE_GROUPS) {
    if (new RegExp(`_${group}_\\d+$`).test(nodeId)) return group;
  }
  return null;
}

/**
 * A device policy when the device's group is unknown: the canonical string when every group that
 * knows the text agrees on it; otherwise the normalised text (e.g. `off`), which the controller
 * resolves for the device's group.
 */
function parseDevicePolicy(text: string): string | null {
  const candidates = new Set<string>();
  for (const group of DEVICE_GROUPS) {
    const policy = parsePolicy(group, text);
    if (policy !== null) candidates.add(policy);
  }
  const [only] = candidates;
  if (candidates.size === 1 && only !== undefined) return only;
  return candidates.size > 1 ? normalizePolicyText(text) : null;
}

/**
 * Turns the control arguments of `gridpilot send` into command `fields` [live §3.1, §3.2], with
 * canonical policy strings. Refuses (UsageError) what the controller would reject anyway: unknown
 * components or policies, a missing or non-numeric setpoint, a setpoint for a policy without one,
 * a component given twice, nothing to send. `--raw` bypasses the checks on purpose.
 */
export function parseSendArgs(tokens: readonly string[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const seen = new Set<string>();
  let isEmptyRequested = false;
  let hasRaw = false;
  let i = 0;

  const next = (what: string): string => {
    const value = tokens[i];
    if (value === undefined) throw new UsageError(`${what} is missing`);
    i += 1;
    return value;
  };
  const claim = (prefix: string, flag: string): void => {
    if (seen.has(prefix)) throw new UsageError(`${flag}: ${prefix} is controlled twice in one command`);
    seen.add(prefix);
  };
  const readPolicyAndSetpoint = (flag: string, prefix: string, group: Component | null, policy: string): void => {
    let setpointW: number | undefined;
    if (needsSetpoint(policy)) {
      const text = next(`${flag} ${policy}: the setpoint in W (e.g. ${flag} ${policy} 5000)`);
      const watts = parseWatts(text);
      if (watts === null) throw new UsageError(`${flag} ${policy}: "${text}" is not a number of watts (e.g. 5000, -5000, 5kW)`);
      setpointW = watts;
    } else {
      const peek = tokens[i];
      if (peek !== undefined && parseWatts(peek) !== null) throw new UsageError(`${flag} ${policy}: this policy takes no setpoint (got "${peek}")`);
    }
    try {
      writePolicy(fields, prefix, group, policy, setpointW);
    } catch (err) {
      throw new UsageError(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  while (i < tokens.length) {
    const flag = tokens[i++] ?? '';
    const component = COMPONENT_FLAGS[flag];
    if (component !== undefined) {
      const allowed = [...POLICIES_BY_COMPONENT[component], 'fallback'].join(', ');
      const text = next(`${flag}: the policy (${allowed})`);
      const policy = parsePolicy(component, text);
      if (policy === null) throw new UsageError(`${flag}: "${text}" is not a policy of ${component}; expected one of ${allowed}`);
      claim(component, flag);
      readPolicyAndSetpoint(flag, component, component, policy);
    } else if (flag === '--device') {
      const nodeId = next('--device: the device nodeId');
      if (nodeId.startsWith('--')) throw new UsageError(`--device: expected a device nodeId, got "${nodeId}"`);
      const group = groupFromNodeId(nodeId);
      const text = next(`--device ${nodeId}: the policy`);
      const policy = group ? parsePolicy(group, text) : parseDevicePolicy(text);
      if (policy === null) throw new UsageError(`--device ${nodeId}: "${text}" is not a policy${group ? ` of ${group}` : ''}`);
      claim(nodeId, '--device');
      readPolicyAndSetpoint(`--device ${nodeId}`, nodeId, group, policy);
    } else if (flag === '--fallback') {
      const target = next('--fallback: a component or device nodeId');
      const prefix = componentFromName(target) ?? target;
      claim(prefix, '--fallback');
      writePolicy(fields, prefix, null, 'fallback');
    } else if (flag === '--raw') {
      const text = next("--raw: a JSON object of fields, e.g. '{\"storage_policy\":\"cost\"}'");
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new UsageError(`--raw: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('--raw: expected a JSON object of fields');
      Object.assign(fields, value);
      hasRaw = true;
    } else if (flag === '--empty') {
      isEmptyRequested = true;
    } else {
      throw new UsageError(`unknown control "${flag}" (see gridpilot send --help)`);
    }
  }

  if (isEmptyRequested && Object.keys(fields).length > 0) throw new UsageError('--empty cannot be combined with controls');
  if (!isEmptyRequested && !hasRaw && Object.keys(fields).length === 0) {
    throw new UsageError('nothing to send: give at least one control (e.g. --storage setpoint 5000), or --empty to ask for feedback');
  }
  return fields;
}

/** One line describing fields, e.g. `storage setpoint +5000 W, solar setpoint 0 W`. */
export function describeFields(fields: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  const handled = new Set<string>();
  for (const key of Object.keys(fields)) {
    if (!key.endsWith('_policy')) continue;
    const prefix = key.slice(0, -'_policy'.length);
    const policy = fields[key];
    const setpoint = fields[setpointKey(prefix)];
    handled.add(key).add(setpointKey(prefix));
    const watts = typeof setpoint === 'number' ? ` ${setpoint > 0 && prefix === 'storage' ? '+' : ''}${setpoint} W` : setpoint === undefined ? '' : ` ${JSON.stringify(setpoint)}`;
    parts.push(`${prefix} ${String(policy)}${watts}`);
  }
  for (const [key, value] of Object.entries(fields)) {
    if (!handled.has(key)) parts.push(`${key}=${JSON.stringify(value)}`);
  }
  return parts.length ? parts.join(', ') : '(empty: feedback request)';
}
