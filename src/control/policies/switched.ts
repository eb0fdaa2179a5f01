import type { SwitchReading } from '../../devices/capabilities.ts';
import type { DeviceOf } from '../../site/site-config.ts';
import type { SwitchOutput } from '../plan.ts';
import type { RunTimeGuard } from '../run-time-guard.ts';
import type { ResolvedSignal } from '../signals.ts';

export interface SwitchInput {
  cfg: DeviceOf<'heat_pump'> | DeviceOf<'switched_load'>;
  reading: SwitchReading;
  signal: ResolvedSignal;
  guard: RunTimeGuard;
}

/** Power the device draws when on, W: what it draws now if on, else its rating. */
const onPowerW = (s: SwitchInput): number => (s.reading.isOn && s.reading.powerW > 0 ? s.reading.powerW : s.cfg.ratedPowerW);

function decide(s: SwitchInput, wantOn: boolean, nowMs: number): SwitchOutput {
  const d = s.guard.evaluate(wantOn, nowMs);
  const ratedW = onPowerW(s);
  return { nodeId: s.cfg.nodeId, signal: s.signal, isOn: d.isOn, predictedW: d.isOn ? ratedW : 0, ratedW, waiting: d.waiting, wasOn: s.reading.isOn };
}

/** `power_on` / `power_off`. Run-time rules always apply [live §3.1]. */
export function planCommandedSwitches(inputs: readonly SwitchInput[], nowMs: number): SwitchOutput[] {
  return inputs.map((s) => decide(s, s.signal.policy === 'power_on', nowMs));
}

/** `cost` with a plan: on or off as the plan's slot says, through the run-time guard (min/max run times always hold). */
export function planSwitchesTo(inputs: readonly SwitchInput[], wantOn: (s: SwitchInput) => boolean, nowMs: number): SwitchOutput[] {
  return inputs.map((s) => decide(s, wantOn(s), nowMs));
}

/**
 * `self_consumption`: switch on with PV surplus, with a threshold to start and a hysteresis to
 * stop, one device after another (those already on keep their place first).
 * @param surplusW PV surplus before these devices and before the batteries, W (≥ 0 means export).
 * @returns the outputs and the surplus left for the next consumers.
 */
export function planSurplusSwitches(inputs: readonly SwitchInput[], surplusW: number, nowMs: number): { outputs: SwitchOutput[]; surplusW: number } {
  const ordered = [...inputs].sort((a, b) => Number(b.reading.isOn) - Number(a.reading.isOn));
  const outputs = new Map<string, SwitchOutput>();
  let left = surplusW;
  for (const s of ordered) {
    const needW = onPowerW(s);
    const wantOn = s.reading.isOn ? left - needW >= -s.cfg.hysteresisW : left >= needW + s.cfg.surplusThresholdW;
    const out = decide(s, wantOn, nowMs);
    left -= out.predictedW;
    outputs.set(s.cfg.nodeId, out);
  }
  return { outputs: inputs.map((s) => outputs.get(s.cfg.nodeId) as SwitchOutput), surplusW: left };
}
