import type { Clock } from '../core/clock.ts';
import type { CycleRecord } from '../control/controller.ts';
import { EnergyCounters } from '../control/energy-counters.ts';
import { buildFeedback, counterPowers } from '../control/feedback-builder.ts';
import type { Constraint } from '../control/plan.ts';
import { activeSignalOf, type SignalSource } from '../control/signals.ts';
import type { CommStatus } from '../devices/driver.ts';
import { GROUP_KEY } from '../devices/registry.ts';
import type { SimulatedSite } from '../devices/simulated/simulated-site.ts';
import type { SimWorldSnapshot } from '../devices/simulated/sim-world.ts';
import { COMPONENTS, DEVICE_GROUPS, type Component, type DeviceGroup } from '../protocol/components.ts';
import type { FeedbackState } from '../protocol/feedback.ts';
import type { ExecutedPolicy } from '../protocol/policies.ts';
import { RESPONSE_CODES } from '../protocol/response-codes.ts';
import type { SiteConfig } from '../site/site-config.ts';

/** The part of the Controller the web layer uses (the real Controller satisfies it). */
export interface WebController {
  lastCycle(): CycleRecord | null;
  /** Returns the function that stops the listener. */
  onCycle(listener: (r: CycleRecord) => void): () => void;
  /** Seconds until the watchdog fires; null when no live command is armed. */
  watchdogSecondsLeft(): number | null;
  /** Runs a cycle now (after a simulation change, so the UI shows it at once). */
  trigger(): Promise<void>;
}

/** What drives one component or device now. */
export interface SignalView {
  policy: ExecutedPolicy;
  /** Where the signal comes from, highest priority first: remote-device > remote-group > schedule > local [live §3.3 rule 8]. */
  source: SignalSource;
  /** Feedback's coarse view of `source` [live §4 extension]. */
  activeSignal: 'remote' | 'schedule' | 'local';
  /** W, sign of the component (storage + charge); only for `setpoint`/`limit`, else null. */
  setpointW: number | null;
}

/** One device now: what drives it, what it was asked, what it measures. */
export interface DeviceStateView extends SignalView {
  nodeId: string;
  name: string;
  group: DeviceGroup;
  /** Whether the remote signal includes this device [live §5 step 3]; if not, it follows only its local default. */
  isRemoteEnabled: boolean;
  /** The device's object as feedback shows it when a command addresses it by nodeId [live §4]. */
  feedback: Record<string, unknown>;
  /** The raw reading of this cycle (W, %, A; wire signs), or null when the read failed. */
  reading: Record<string, unknown> | null;
  /** Why the device was not read this cycle (it is then not driven), or null. */
  readError: string | null;
  /** How it is reached (`driver.type`) and its communication status (online / offline since, last good read, last error). */
  link: LinkView;
}

/**
 * A device group as a whole: its own signal (in `signals`) can be the local default while one of its
 * devices runs a live command addressed to it by nodeId [live §3.3 rule 8]; the status table's group
 * row says so instead of showing only `local`.
 */
export interface GroupView {
  /** nodeIds of the group's devices that follow a live (remote) command now, in config order. */
  remoteDeviceIds: string[];
  /** Whether the group or any device in it follows a live command now. */
  isAnyRemote: boolean;
}

/** A device's (or the grid meter's) driver and communication status; Unix ms. */
export interface LinkView {
  driver: string;
  isOnline: boolean;
  offlineSinceMs: number | null;
  lastGoodReadMs: number | null;
  lastError: string | null;
}

/** `GET /api/state` and every `/api/live` push. Signs are the wire's: grid + import, storage + charge, solar + production, loads + consumption. */
export interface WebState {
  /** Unix seconds (controller clock) when this view was built. */
  time: number;
  /** Unix ms (controller clock) of the control cycle the values come from. */
  cycleAtMs: number;
  siteNodeId: string;
  /** Whether any component or device follows a live (remote) command now — the status column of [live §5 step 4]. */
  isRemoteActive: boolean;
  /** Seconds until the watchdog returns remote-driven components to their defaults; null = no live command armed. */
  watchdogSecondsLeft: number | null;
  /** Feedback `data.state` [live §4] with its extensions (active_signal, watchdog_s, constraints), group objects only. */
  state: FeedbackState;
  /** What drives each component (including `site`, the export limit). */
  signals: Record<Component, SignalView>;
  /** Every device, in config order. */
  devices: DeviceStateView[];
  /** Per device group: which of its devices are remote-driven (a device command leaves the group's own signal local). */
  groups: Record<DeviceGroup, GroupView>;
  /** Active constraints of this cycle in words, filed under the component they held back. */
  constraints: Constraint[];
  /** Unix ms from which this view's `today_*` counters integrate (the web server's start; see README). */
  countersSinceMs: number;
  /** The simulated world (irradiance, extra load …) when the site is simulated, else null. */
  sim: SimWorldSnapshot | null;
  /** The grid meter's driver and communication status. */
  gridMeter: LinkView;
}

const GROUP_KEYS = new Set(['vpp_id', 'grid', 'storage', 'solar', 'heat_pump', 'switched_load', 'variable_load']);

/**
 * Keeps the web's view of the site current: observes every cycle (its own energy counters integrate
 * the same snapshots as the controller's) and builds the feedback-shaped state with the same
 * `buildFeedback` the MQTT side uses — without running a cycle, so reading it has no effect.
 */
export class LiveStateView {
  private counters: EnergyCounters | null = null;
  private countersSinceMs = 0;
  private latest: CycleRecord | null = null;

  constructor(
    private deps: { controller: WebController; site: SiteConfig; clock: Clock; sim?: SimulatedSite | undefined; commStatus?: (() => ReadonlyMap<string, CommStatus>) | undefined },
  ) {
    const first = deps.controller.lastCycle();
    if (first) this.observe(first);
  }

  /** After a live reconfiguration: the new site config and simulated world (the energy counters go on). */
  setSite(site: SiteConfig, sim: SimulatedSite | undefined): void {
    this.deps = { ...this.deps, site, sim };
  }

  /** Feeds one cycle (call from controller.onCycle). */
  observe(record: CycleRecord): void {
    if (!this.counters) {
      this.counters = new EnergyCounters(record.atMs);
      this.countersSinceMs = record.atMs;
    }
    this.counters.update(record.atMs, counterPowers(record.snapshot));
    this.latest = record;
  }

  /** The state now, or null before the first control cycle completed. */
  current(): WebState | null {
    const record = this.latest ?? this.deps.controller.lastCycle();
    if (!record) return null;
    if (!this.counters) this.observe(record);
    const { site, clock, controller, sim } = this.deps;
    const nowMs = clock.now();
    const watchdogS = controller.watchdogSecondsLeft();
    const feedback = buildFeedback({
      site,
      snapshot: record.snapshot,
      plan: record.plan,
      resolution: record.resolution,
      counters: this.counters as EnergyCounters,
      nowMs,
      requestTime: null,
      responseCode: RESPONSE_CODES.OK,
      errors: [],
      fields: {},
      addressedDevices: site.devices.map((d) => d.nodeId),
      watchdogS,
    });
    const groupState: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(feedback.data.state)) if (GROUP_KEYS.has(key)) groupState[key] = value;

    const comm = this.deps.commStatus?.() ?? new Map<string, CommStatus>();
    const linkOf = (id: string, driver: string): LinkView => {
      const st = comm.get(id);
      if (st) return { driver, ...st };
      // Without a registry (tests driving the simulator directly): the cycle's read is the status.
      const err = id === site.siteNodeId ? null : (record.snapshot.readErrors.get(id) ?? null);
      return { driver, isOnline: err === null, offlineSinceMs: err === null ? null : record.atMs, lastGoodReadMs: err === null ? record.atMs : null, lastError: err };
    };
    const signals = {} as Record<Component, SignalView>;
    for (const c of COMPONENTS) signals[c] = signalView(record.resolution.components[c]);
    const devices: DeviceStateView[] = site.devices.map((d) => {
      const sig = record.resolution.devices.get(d.nodeId);
      return {
        nodeId: d.nodeId,
        name: d.name,
        group: d.group,
        isRemoteEnabled: d.isRemoteEnabled,
        ...signalView(sig ?? { policy: site.defaults[d.group] as ExecutedPolicy, source: 'local' }),
        feedback: (feedback.data.state[d.nodeId] as Record<string, unknown> | undefined) ?? {},
        reading: readingOf(record, d.group, d.nodeId),
        readError: record.snapshot.readErrors.get(d.nodeId) ?? null,
        link: linkOf(d.nodeId, d.driver.type),
      };
    });
    const groups = {} as Record<DeviceGroup, GroupView>;
    for (const g of DEVICE_GROUPS) {
      const remoteDeviceIds = devices.filter((d) => d.group === g && d.activeSignal === 'remote').map((d) => d.nodeId);
      groups[g] = { remoteDeviceIds, isAnyRemote: signals[g].activeSignal === 'remote' || remoteDeviceIds.length > 0 };
    }
    const isRemoteActive = Object.values(signals).some((s) => s.activeSignal === 'remote') || devices.some((d) => d.activeSignal === 'remote');
    return {
      time: Math.floor(nowMs / 1000),
      cycleAtMs: record.atMs,
      siteNodeId: site.siteNodeId,
      isRemoteActive,
      watchdogSecondsLeft: watchdogS,
      state: groupState as FeedbackState,
      signals,
      devices,
      groups,
      constraints: record.plan.constraints.map((c) => ({ ...c })),
      countersSinceMs: this.countersSinceMs,
      sim: sim ? sim.world.snapshot() : null,
      gridMeter: linkOf(site.siteNodeId, site.grid.meter.driver.type),
    };
  }
}

function signalView(sig: { policy: ExecutedPolicy; source: SignalSource; setpointW?: number }): SignalView {
  return { policy: sig.policy, source: sig.source, activeSignal: activeSignalOf(sig.source), setpointW: sig.setpointW ?? null };
}

function readingOf(record: CycleRecord, group: DeviceGroup, nodeId: string): Record<string, unknown> | null {
  const map: ReadonlyMap<string, object> = record.snapshot[GROUP_KEY[group]];
  const r = map.get(nodeId);
  return r ? { ...(r as Record<string, unknown>) } : null;
}
