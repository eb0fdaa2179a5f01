import type { EvChargerReading } from '../../devices/capabilities.ts';
import type { DeviceOf } from '../../site/site-config.ts';
import type { EvOutput } from '../plan.ts';
import type { ResolvedSignal } from '../signals.ts';

/** Phase-switching memory of one charger. */
export interface EvPhaseState {
  phases: 1 | 3;
  /** When the phases last changed, Unix ms. */
  switchedAtMs: number;
}

export interface EvInput {
  cfg: DeviceOf<'variable_power_load'>;
  reading: EvChargerReading;
  signal: ResolvedSignal;
  phaseState: EvPhaseState;
}

/** W drawn at `currentA` per phase on `phases` phases. */
export const evPowerW = (cfg: DeviceOf<'variable_power_load'>, currentA: number, phases: 1 | 3): number => currentA * phases * cfg.voltageV;

/**
 * Chooses the phase count for a wanted power: 1 phase below what 3 phases deliver at minimum
 * current, else 3 — only where the charger can switch, and never sooner than its dwell time.
 */
export function choosePhases(e: EvInput, wantW: number, nowMs: number): 1 | 3 {
  if (!e.cfg.canSwitchPhases || e.cfg.phases === 1) return e.cfg.phases;
  const wanted: 1 | 3 = wantW < evPowerW(e.cfg, e.cfg.minCurrentA, 3) ? 1 : 3;
  if (wanted === e.phaseState.phases) return wanted;
  const dwellOk = nowMs - e.phaseState.switchedAtMs >= e.cfg.phaseSwitchDwellS * 1000;
  return dwellOk ? wanted : e.phaseState.phases;
}

/**
 * Converts a wanted power into a current offer: W / (phases × V), floored to 0.1 A, clipped to
 * [min, max]. Below the minimum the charger pauses (0 A) when it allows zero current, else it
 * holds the minimum [decided].
 */
export function evOffer(e: EvInput, wantW: number, nowMs: number): EvOutput {
  const phases = choosePhases(e, Math.max(0, wantW), nowMs);
  // A car that uses fewer phases than offered (a 1-phase car on a 3-phase charger) draws on those only.
  const carPhases = e.reading.isConnected && e.reading.phases < e.phaseState.phases ? e.reading.phases : phases;
  const drawPhases: 1 | 3 = carPhases < phases ? carPhases : phases;
  const raw = Math.floor((Math.max(0, wantW) / (drawPhases * e.cfg.voltageV)) * 10) / 10;
  let currentA = Math.min(raw, e.cfg.maxCurrentA);
  if (currentA < e.cfg.minCurrentA) currentA = e.cfg.allowZeroCurrent ? 0 : e.cfg.minCurrentA;
  const predictedW = e.reading.isConnected && e.reading.isRequiringCharge ? evPowerW(e.cfg, currentA, drawPhases) : 0;
  return { nodeId: e.cfg.nodeId, signal: e.signal, currentA, phases, predictedW };
}

/** `passive`: not driven; the charger follows its own settings. */
export function evPassive(e: EvInput): EvOutput {
  return { nodeId: e.cfg.nodeId, signal: e.signal, currentA: null, phases: e.reading.phases, predictedW: e.reading.powerW };
}

/**
 * `setpoint`: the group's total charging power over the chargers that follow it, shared equally
 * among cars that want energy (a device-level setpoint drives its charger alone).
 */
export function planEvSetpoints(inputs: readonly EvInput[], nowMs: number): EvOutput[] {
  const group = inputs.filter((e) => e.signal.source !== 'remote-device');
  const wanting = group.filter((e) => e.reading.isConnected && e.reading.isRequiringCharge);
  let leftW = group[0]?.signal.setpointW ?? 0;
  const out = new Map<string, EvOutput>();
  wanting.forEach((e, k) => {
    const share = leftW / (wanting.length - k);
    const o = evOffer(e, share, nowMs);
    leftW -= o.predictedW;
    out.set(e.cfg.nodeId, o);
  });
  for (const e of inputs) {
    if (out.has(e.cfg.nodeId)) continue;
    out.set(e.cfg.nodeId, evOffer(e, e.signal.source === 'remote-device' ? (e.signal.setpointW ?? 0) : 0, nowMs));
  }
  return inputs.map((e) => out.get(e.cfg.nodeId) as EvOutput);
}

/**
 * `self_consumption`: charge from PV surplus (`pv`), or at least the minimum current plus the
 * surplus (`min_pv`). Returns the surplus left.
 */
export function planEvSurplus(inputs: readonly EvInput[], surplusW: number, nowMs: number): { outputs: EvOutput[]; surplusW: number } {
  let left = surplusW;
  const outputs = inputs.map((e) => {
    const floorW = e.cfg.surplusMode === 'min_pv' ? evPowerW(e.cfg, e.cfg.minCurrentA, e.cfg.canSwitchPhases ? 1 : e.cfg.phases) : 0;
    const o = evOffer(e, Math.max(floorW, left), nowMs);
    left -= o.predictedW;
    return o;
  });
  return { outputs, surplusW: left };
}
