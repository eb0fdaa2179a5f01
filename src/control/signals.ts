import type { Component, DeviceGroup } from '../protocol/components.ts';
import type { CommandSignal } from '../protocol/command.ts';
import type { ExecutedPolicy } from '../protocol/policies.ts';
import type { SiteConfig } from '../site/site-config.ts';

/** Where the signal that drives an asset came from, highest priority first [live §3.3 rule 8]. */
export type SignalSource = 'remote-device' | 'remote-group' | 'schedule' | 'local';

export interface ResolvedSignal {
  source: SignalSource;
  policy: ExecutedPolicy;
  /** W, sign of the component (storage + charge); for `setpoint`/`limit` only. */
  setpointW?: number;
}

/** What drives each component and each device in this cycle. */
export interface Resolution {
  /** The group-level signal of each component (what feedback reports as its executed_policy). */
  components: Record<Component, ResolvedSignal>;
  /** The signal of each device, by nodeId. */
  devices: Map<string, ResolvedSignal & { group: DeviceGroup }>;
}

export interface ArbitrationInput {
  site: SiteConfig;
  /** Active live command signals (already without `fallback`), or none. */
  remote: readonly CommandSignal[];
  /** Signals of the schedule slot active now (group-level only), or none. */
  schedule: readonly CommandSignal[];
  /** Local default policy per component. */
  defaults: Record<Component, ExecutedPolicy>;
}

function toResolved(signal: CommandSignal, source: SignalSource): ResolvedSignal {
  const policy = signal.policy as ExecutedPolicy;
  return signal.setpointW === undefined ? { source, policy } : { source, policy, setpointW: signal.setpointW };
}

/**
 * Picks the signal for every component and device: remote device > remote group > schedule >
 * local default [live §3.3 rule 8]. A device not included in the remote signal follows only its
 * local default. Pure. Grid limits are applied later and beat all of these.
 */
export function arbitrate(input: ArbitrationInput): Resolution {
  const { site, remote, schedule, defaults } = input;
  const components = {} as Record<Component, ResolvedSignal>;
  const localOf = (c: Component): ResolvedSignal => ({ source: 'local', policy: defaults[c] });
  const groupSignal = new Map<Component, ResolvedSignal>();
  const scheduleSignal = new Map<Component, ResolvedSignal>();
  for (const s of schedule) if (s.target.kind === 'component') scheduleSignal.set(s.target.component, toResolved(s, 'schedule'));
  for (const s of remote) if (s.target.kind === 'component') groupSignal.set(s.target.component, toResolved(s, 'remote-group'));
  const deviceSignal = new Map<string, ResolvedSignal>();
  for (const s of remote) if (s.target.kind === 'device') deviceSignal.set(s.target.nodeId, toResolved(s, 'remote-device'));

  for (const c of Object.keys(defaults) as Component[]) {
    components[c] = groupSignal.get(c) ?? scheduleSignal.get(c) ?? localOf(c);
  }
  const devices = new Map<string, ResolvedSignal & { group: DeviceGroup }>();
  for (const d of site.devices) {
    const chosen = d.isRemoteEnabled ? (deviceSignal.get(d.nodeId) ?? components[d.group]) : localOf(d.group);
    devices.set(d.nodeId, { ...chosen, group: d.group });
  }
  return { components, devices };
}

/** Feedback's coarse view of a source [live §4 decided extension]. */
export function activeSignalOf(source: SignalSource): 'remote' | 'schedule' | 'local' {
  return source === 'remote-device' || source === 'remote-group' ? 'remote' : source;
}
