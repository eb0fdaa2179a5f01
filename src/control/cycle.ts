import { devicesOf, type SiteConfig } from '../site/site-config.ts';
import type { CostPlanView } from './cost-plan.ts';
import { CostStep } from './cost-step.ts';
import { enforceGridLimits, predictedGridW } from './limits.ts';
import { evPassive, planEvSetpoints, planEvSurplus, type EvInput, type EvPhaseState } from './policies/ev.ts';
import { planSolar, type InverterInput } from './policies/solar.ts';
import { chargeRoomW, planStorage, type BatteryInput } from './policies/storage.ts';
import { planCommandedSwitches, planSurplusSwitches, type SwitchInput } from './policies/switched.ts';
import { sumPredicted, type CyclePlan, type EvOutput, type SwitchOutput } from './plan.ts';
import type { RunTimeGuard } from './run-time-guard.ts';
import type { Resolution, ResolvedSignal } from './signals.ts';
import type { SiteSnapshot } from './snapshot.ts';
import { holdUnwritable } from './write-hold.ts';

/** Memory the cycle keeps between runs (run-time guards, EV phases). */
export interface CycleMemory {
  guards: Map<string, RunTimeGuard>;
  evPhases: Map<string, EvPhaseState>;
  /** Batteries left undriven (`off`) by the previous cycle. */
  undrivenStorage: Set<string>;
  /** Devices whose write failed in the previous cycle: held this cycle (write-hold.ts). */
  writeFailed: Set<string>;
  /** Since when self_consumption has held a small (in-deadband) grid error, Unix ms; null when none. */
  deadbandHoldSinceMs: number | null;
}

/** A small grid error is tolerated this long before self_consumption corrects it, ms. */
export const DEADBAND_HOLD_MS = 30_000;

export interface CycleInput {
  site: SiteConfig;
  snapshot: SiteSnapshot;
  resolution: Resolution;
  memory: CycleMemory;
  /** Export limit in force (the site `limit` policy may lower the configured one), W. */
  exportLimitW: number;
  importLimitW: number;
  nowMs: number;
  /** The day-ahead plan for `cost` (see cost-plan.ts); absent = no optimiser: `cost` runs its no-plan fallback. */
  cost?: CostPlanView;
}

const signalOf = (r: Resolution, nodeId: string): ResolvedSignal => r.devices.get(nodeId) ?? { source: 'local', policy: 'off' };

/**
 * One control cycle, pure but for the memory it updates: snapshot + signals → setpoints.
 * Order: estimate the uncontrolled load from the meter; commanded loads; surplus loads (relays and
 * heat pumps, then EVs) — PV surplus goes to them before the batteries; solar caps; batteries;
 * then grid limits over everything driven [design §One cycle].
 */
export function computeCycle(input: CycleInput): CyclePlan {
  const { site, snapshot: snap, resolution, memory, nowMs } = input;
  const sum = <T>(m: Map<string, T>, f: (t: T) => number): number => [...m.values()].reduce((s, t) => s + f(t), 0);
  const baseLoadW =
    snap.gridPowerW -
    sum(snap.storage, (b) => b.powerW) -
    sum(snap.heatPumps, (h) => h.powerW) -
    sum(snap.switchedLoads, (h) => h.powerW) -
    sum(snap.evChargers, (e) => e.powerW) +
    sum(snap.solar, (s) => s.powerW);

  const inverters: InverterInput[] = devicesOf(site, 'solar').flatMap((cfg) => {
    const reading = snap.solar.get(cfg.nodeId);
    return reading ? [{ cfg, reading, signal: signalOf(resolution, cfg.nodeId) }] : [];
  });
  const batteries: BatteryInput[] = devicesOf(site, 'storage').flatMap((cfg) => {
    const reading = snap.storage.get(cfg.nodeId);
    return reading ? [{ cfg, reading, signal: signalOf(resolution, cfg.nodeId) }] : [];
  });
  const switchInputs = (group: 'heat_pump' | 'switched_load', readings: SiteSnapshot['heatPumps']): SwitchInput[] =>
    devicesOf(site, group).flatMap((cfg) => {
      const reading = readings.get(cfg.nodeId);
      const guard = memory.guards.get(cfg.nodeId);
      if (!reading || !guard) return [];
      guard.observe(reading.isOn, nowMs);
      return [{ cfg, reading, signal: signalOf(resolution, cfg.nodeId), guard }];
    });
  const heatPumps = switchInputs('heat_pump', snap.heatPumps);
  const relays = switchInputs('switched_load', snap.switchedLoads);
  const evs: EvInput[] = devicesOf(site, 'variable_power_load').flatMap((cfg) => {
    const reading = snap.evChargers.get(cfg.nodeId);
    if (!reading) return [];
    const phaseState = memory.evPhases.get(cfg.nodeId) ?? { phases: cfg.phases, switchedAtMs: -Infinity };
    memory.evPhases.set(cfg.nodeId, phaseState);
    return [{ cfg, reading, signal: signalOf(resolution, cfg.nodeId), phaseState }];
  });

  const solar = planSolar(inverters);
  const byPolicy = <T extends { signal: ResolvedSignal }>(items: readonly T[], ...policies: string[]): T[] => items.filter((i) => policies.includes(i.signal.policy));

  // `cost`: the plan's slot, or the documented no-plan behaviour (self_consumption) [docs/control.md].
  const cost = new CostStep(input.cost);

  // Loads with a fixed command first, then those the plan drives.
  const switchOut = new Map<string, SwitchOutput>();
  for (const o of planCommandedSwitches(byPolicy([...heatPumps, ...relays], 'power_on', 'power_off'), nowMs)) switchOut.set(o.nodeId, o);
  const evOut = new Map<string, EvOutput>();
  for (const o of planEvSetpoints(byPolicy(evs, 'setpoint'), nowMs)) evOut.set(o.nodeId, o);
  for (const e of byPolicy(evs, 'passive')) evOut.set(e.cfg.nodeId, evPassive(e));
  const costLoads = cost.loads([...heatPumps, ...relays], evs, nowMs);
  for (const o of costLoads.switches) switchOut.set(o.nodeId, o);
  for (const o of costLoads.evs) evOut.set(o.nodeId, o);
  cost.solar(solar);
  const ruleBatteries = batteries.map((b) => cost.batteryForRules(b));

  // PV surplus (before batteries) for the self-consumption loads.
  const fixedLoadsW = sumPredicted([...switchOut.values()]) + sumPredicted([...evOut.values()]);
  let surplusW = sumPredicted(solar) - baseLoadW - fixedLoadsW;
  const selfBatteries = ruleBatteries.filter((b) => b.signal.policy === 'self_consumption');
  const capWh = selfBatteries.reduce((s, b) => s + b.reading.capacityWh, 0);
  const meanSocPct = capWh > 0 ? selfBatteries.reduce((s, b) => s + b.reading.socPct * b.reading.capacityWh, 0) / capWh : 100;
  if (meanSocPct < site.control.batteryPrioritySocPct) {
    // Batteries first: surplus loads only get what the batteries cannot take.
    surplusW -= selfBatteries.reduce((s, b) => s + chargeRoomW(b), 0);
  }
  const surplusSwitches = planSurplusSwitches([...byPolicy([...relays, ...heatPumps], 'self_consumption'), ...costLoads.unplannedSwitches], surplusW, nowMs);
  for (const o of surplusSwitches.outputs) switchOut.set(o.nodeId, o);
  surplusW = surplusSwitches.surplusW;
  const surplusEvs = planEvSurplus([...byPolicy(evs, 'self_consumption'), ...costLoads.unplannedEvs], surplusW, nowMs);
  for (const o of surplusEvs.outputs) evOut.set(o.nodeId, o);

  const heatPumpOut = heatPumps.map((h) => switchOut.get(h.cfg.nodeId) as SwitchOutput);
  const relayOut = relays.map((h) => switchOut.get(h.cfg.nodeId) as SwitchOutput);
  const evOutputs = evs.map((e) => evOut.get(e.cfg.nodeId) as EvOutput);
  const otherW = baseLoadW + sumPredicted(heatPumpOut) + sumPredicted(relayOut) + sumPredicted(evOutputs) - sumPredicted(solar);
  const currentSelfW = ruleBatteries.filter((b) => b.signal.policy === 'self_consumption').reduce((s, b) => s + b.reading.powerW, 0);
  const errorW = otherW + currentSelfW + ruleBatteries.filter((b) => b.signal.policy === 'setpoint').reduce((s, b) => s + b.reading.powerW, 0);
  const inBand = errorW >= 0 && errorW <= site.control.deadbandW;
  if (!inBand) memory.deadbandHoldSinceMs = null;
  else memory.deadbandHoldSinceMs ??= nowMs;
  const isHoldExpired = memory.deadbandHoldSinceMs !== null && nowMs - memory.deadbandHoldSinceMs >= DEADBAND_HOLD_MS;
  if (isHoldExpired) memory.deadbandHoldSinceMs = null;
  // Batteries that follow a plan are counted as they are now while the others decide, then follow it.
  const storage = planStorage(ruleBatteries, otherW + cost.plannedStorageW(batteries), { deadbandW: site.control.deadbandW, isHoldExpired });
  for (const [i, o] of storage.entries()) o.signal = batteries[i]?.signal ?? o.signal;
  cost.storage(batteries, storage, otherW);
  for (const o of storage) {
    // A battery released this cycle goes idle until its own logic acts; one already released does what it measures.
    if (o.powerW === null && !memory.undrivenStorage.has(o.nodeId)) o.predictedW = 0;
  }
  memory.undrivenStorage = new Set(storage.filter((o) => o.powerW === null).map((o) => o.nodeId));

  const plan: CyclePlan = {
    solar,
    storage,
    heatPumps: heatPumpOut,
    switchedLoads: relayOut,
    evChargers: evOutputs,
    baseLoadW,
    predictedGridW: 0,
    importLimitW: input.importLimitW,
    exportLimitW: input.exportLimitW,
    constraints: [...cost.noPlanNotes],
    costNotes: cost.notes,
  };
  holdUnwritable(plan, snap, memory.writeFailed);
  plan.predictedGridW = predictedGridW(plan);
  const ratedW = new Map(inverters.map((i) => [i.cfg.nodeId, i.cfg.ratedPowerW]));
  if (cost.curtailForNegativeExport(plan.solar, plan.predictedGridW, (id) => ratedW.get(id) ?? 0)) plan.predictedGridW = predictedGridW(plan);
  enforceGridLimits(plan, {
    batteries: new Map(batteries.map((b) => [b.cfg.nodeId, b])),
    switches: new Map([...heatPumps, ...relays].map((s) => [s.cfg.nodeId, s])),
    evs: new Map(evs.map((e) => [e.cfg.nodeId, e])),
    solarRatedW: (id) => ratedW.get(id) ?? 0,
    safetyMarginW: site.grid.safetyMarginW,
    nowMs,
  });

  // Commit what will be written: switch history and EV phase changes.
  for (const o of [...plan.heatPumps, ...plan.switchedLoads]) memory.guards.get(o.nodeId)?.commit(o.isOn, nowMs);
  for (const o of plan.evChargers) {
    const st = memory.evPhases.get(o.nodeId);
    if (st && o.currentA !== null && o.phases !== st.phases) {
      st.phases = o.phases;
      st.switchedAtMs = nowMs;
    }
  }
  for (const o of plan.heatPumps) if (o.waiting) plan.constraints.push({ component: 'heat_pump', nodeId: o.nodeId, message: `${o.nodeId}: ${o.waiting}` });
  for (const o of plan.switchedLoads) if (o.waiting) plan.constraints.push({ component: 'switched_load', nodeId: o.nodeId, message: `${o.nodeId}: ${o.waiting}` });
  return plan;
}
