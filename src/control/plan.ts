import type { Component } from '../protocol/components.ts';
import type { ResolvedSignal } from './signals.ts';

/** What one cycle decided for each device. `predictedW` uses the wire's signs (storage + charge, loads + consumption, solar + production). */
export interface SolarOutput { nodeId: string; signal: ResolvedSignal; limitW: number | null; availableW: number; predictedW: number; held?: true }
export interface StorageOutput { nodeId: string; signal: ResolvedSignal; powerW: number | null; predictedW: number; held?: true }
export interface SwitchOutput { nodeId: string; signal: ResolvedSignal; isOn: boolean; predictedW: number; ratedW: number; waiting: string | null; wasOn: boolean; held?: true }
export interface EvOutput { nodeId: string; signal: ResolvedSignal; currentA: number | null; phases: 1 | 3; predictedW: number; held?: true }
// `held`: the device refused the previous cycle's write, so this cycle it is told to stay where it is
// and counted at what it measures; the grid limits lean on the other assets (write-hold.ts).

/** An active constraint ("export limit 2000 W: storage discharge clipped by 1200 W"), filed under the component it held back. */
export interface Constraint {
  component: Component;
  nodeId?: string;
  message: string;
}

/** The outcome of one cycle, before it is written to the devices. */
export interface CyclePlan {
  solar: SolarOutput[];
  storage: StorageOutput[];
  heatPumps: SwitchOutput[];
  switchedLoads: SwitchOutput[];
  evChargers: EvOutput[];
  /** Uncontrolled consumption estimated from the meter, W. */
  baseLoadW: number;
  /** Grid power these outputs should give, W, + import. */
  predictedGridW: number;
  importLimitW: number;
  exportLimitW: number;
  /** Active constraints this cycle: which limit or rule held which asset back, in words. */
  constraints: Constraint[];
  /** Where the `cost` executor departed from the plan this cycle (forecast errors corrected in real time), in words. */
  costNotes: Constraint[];
}

export const sumPredicted = (outputs: ReadonlyArray<{ predictedW: number }>): number => outputs.reduce((s, o) => s + o.predictedW, 0);

/** Is this output driven by the controller (not `off`/`passive`)? Undriven assets are never touched by limits [live §3.3 rule 6]. */
export const isDriven = (o: { signal: ResolvedSignal }): boolean => o.signal.policy !== 'off' && o.signal.policy !== 'passive';

/** Can the grid limits move this output? Driven, and not held after a failed write (write-hold.ts). */
export const isAdjustable = (o: { signal: ResolvedSignal; held?: true }): boolean => isDriven(o) && o.held !== true;
