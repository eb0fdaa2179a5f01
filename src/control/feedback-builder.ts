import type { DeviceGroup } from '../protocol/components.ts';
import type { Feedback, FeedbackState, PlanSummary, ScheduleSummary } from '../protocol/feedback.ts';
import { capErrors, type FieldError, type ResponseCode } from '../protocol/response-codes.ts';
import { devicesOf, type SiteConfig } from '../site/site-config.ts';
import type { CostPlanSlot, CostPlanView } from './cost-plan.ts';
import type { EnergyCounters } from './energy-counters.ts';
import type { CyclePlan } from './plan.ts';
import { activeSignalOf, type Resolution } from './signals.ts';
import type { SiteSnapshot } from './snapshot.ts';

const W = (x: number): number => Math.round(x);
const Wh = (x: number): number => Math.round(x * 10) / 10;
const sum = (xs: Iterable<number>): number => [...xs].reduce((s, x) => s + x, 0);

/** Powers (W ≥ 0) the energy counters integrate, by key. */
export function counterPowers(snap: SiteSnapshot): Map<string, number> {
  const m = new Map<string, number>();
  m.set('grid.import', Math.max(0, snap.gridPowerW));
  m.set('grid.export', Math.max(0, -snap.gridPowerW));
  let charge = 0;
  let discharge = 0;
  for (const [id, b] of snap.storage) {
    m.set(`${id}.charge`, Math.max(0, b.powerW));
    m.set(`${id}.discharge`, Math.max(0, -b.powerW));
    charge += Math.max(0, b.powerW);
    discharge += Math.max(0, -b.powerW);
  }
  m.set('storage.charge', charge);
  m.set('storage.discharge', discharge);
  for (const [id, s] of snap.solar) m.set(`${id}.energy`, s.powerW);
  m.set('solar.energy', sum([...snap.solar.values()].map((s) => s.powerW)));
  for (const [id, e] of snap.evChargers) m.set(`${id}.charge`, e.powerW);
  m.set('ev.charge', sum([...snap.evChargers.values()].map((e) => e.powerW)));
  for (const [id, h] of [...snap.heatPumps, ...snap.switchedLoads]) m.set(`${id}.energy`, h.powerW);
  return m;
}

export interface FeedbackInput {
  site: SiteConfig;
  snapshot: SiteSnapshot;
  plan: CyclePlan;
  resolution: Resolution;
  counters: EnergyCounters;
  nowMs: number;
  /** The command's `time` as sent (echoed as requestTime). */
  requestTime: unknown;
  responseCode: ResponseCode;
  errors: FieldError[];
  /** Fields as applied (canonical policies); {} for a rejected or empty command. */
  fields: Record<string, unknown>;
  /** Device nodeIds the command addressed (each gets an object in state). */
  addressedDevices: readonly string[];
  watchdogS: number | null;
  schedule?: ScheduleSummary;
  /** The plan the `cost` policy followed this cycle (null without a plan source). */
  cost?: CostPlanView | null;
  /** The grid meter did not answer (the cycle is held): since when and why. */
  gridMeterOffline?: { sinceMs: number; error: string };
}

/** `data.plan` [decided extension] and its slots: the wire shapes are protocol/feedback.ts's. */
export type PlanFeedback = PlanSummary;
export type PlanSlotFeedback = PlanFeedback['next_slots'][number];

const eurKwh = (x: number): number => Math.round(x * 10_000) / 10_000;

function slotFeedback(slot: CostPlanSlot, capacityWh: ReadonlyMap<string, number>): PlanSlotFeedback {
  let capWh = 0;
  let socWh = 0;
  for (const b of slot.storage) {
    const c = capacityWh.get(b.nodeId) ?? 0;
    capWh += c;
    socWh += (c * b.socPct) / 100;
  }
  return {
    start: Math.floor(slot.startMs / 1000),
    import_eur_kwh: eurKwh(slot.importPriceEurPerKwh),
    export_eur_kwh: eurKwh(slot.exportPriceEurPerKwh),
    grid_W: W(slot.gridW),
    storage_W: W(sum(slot.storage.map((b) => b.powerW))),
    soc_perc: capWh > 0 ? Math.round((socWh / capWh) * 1000) / 10 : null,
  };
}

/** `data.plan` for this cycle, or null when nothing executes `cost`. */
export function planFeedback(f: Pick<FeedbackInput, 'site' | 'plan' | 'resolution' | 'cost'>): PlanFeedback | null {
  const costGroups = new Set<string>();
  for (const [group, sig] of Object.entries(f.resolution.components)) if (sig.policy === 'cost') costGroups.add(group);
  for (const sig of f.resolution.devices.values()) if (sig.policy === 'cost') costGroups.add(sig.group);
  if (costGroups.size === 0) return null;
  const view = f.cost ?? { status: 'none' as const, slot: null, upcoming: [], plannedAtMs: null, message: 'no optimiser is configured', expectedSavingTodayEur: null };
  const capacityWh = new Map(devicesOf(f.site, 'storage').map((d) => [d.nodeId, d.capacityWh]));
  const out: PlanFeedback = {
    status: view.status,
    ...(view.message !== undefined ? { message: view.message } : {}),
    planned_at: view.plannedAtMs === null ? null : Math.floor(view.plannedAtMs / 1000),
    slot: null,
    next_slots: view.upcoming.slice(0, 4).map((s) => slotFeedback(s, capacityWh)),
    expected_saving_eur_today: view.expectedSavingTodayEur === null ? null : Math.round(view.expectedSavingTodayEur * 100) / 100,
  };
  const slot = view.slot;
  if (slot) {
    const reasons: Record<string, string> = {};
    const pick = (group: string, items: ReadonlyArray<{ nodeId: string; reason: string }>): void => {
      if (!costGroups.has(group) || items.length === 0) return;
      const distinct = [...new Set(items.map((x) => x.reason))];
      reasons[group] = distinct.length === 1 ? (distinct[0] ?? '') : items.map((x) => `${x.nodeId}: ${x.reason}`).join('; ');
    };
    pick('storage', slot.storage);
    pick('solar', slot.solar);
    const onOffGroup = (id: string): string | undefined => f.site.devices.find((d) => d.nodeId === id)?.group;
    pick('heat_pump', slot.onOff.filter((o) => onOffGroup(o.nodeId) === 'heat_pump'));
    pick('switched_load', slot.onOff.filter((o) => onOffGroup(o.nodeId) === 'switched_load'));
    pick('variable_power_load', slot.evs);
    out.slot = { ...slotFeedback(slot, capacityWh), solar_W: W(sum(slot.solar.map((x) => x.powerW))), reasons };
  }
  if (f.plan.costNotes.length) out.adjustments = f.plan.costNotes.map((c) => c.message);
  return out;
}

/** Builds the feedback message [live §4], with the decided extensions. */
export function buildFeedback(f: FeedbackInput): Feedback {
  const { site, snapshot: snap, plan, resolution: res, counters } = f;
  const ext = (group: DeviceGroup | 'site') => {
    const sig = res.components[group];
    const active = activeSignalOf(sig.source);
    const held = plan.constraints.filter((c) => c.component === group).map((c) => c.message);
    return {
      active_signal: active,
      ...(active === 'remote' && f.watchdogS !== null ? { watchdog_s: f.watchdogS } : {}),
      ...(held.length && group !== 'site' ? { constraints: held } : {}),
    };
  };
  // [decided] nr_devices counts the group's devices that answered this cycle; the others are named in offline_devices.
  const offline = (group: DeviceGroup): { nr_devices: number; offline_devices?: string[] } => {
    const ids = devicesOf(site, group).map((d) => d.nodeId);
    const down = ids.filter((id) => snap.readErrors.has(id));
    return { nr_devices: ids.length - down.length, ...(down.length ? { offline_devices: down } : {}) };
  };
  const evOffline = offline('variable_power_load').offline_devices;
  const storageCfg = devicesOf(site, 'storage');
  const readings = storageCfg.flatMap((d) => snap.storage.get(d.nodeId) ?? []);
  const capacityWh = sum(readings.map((r) => r.capacityWh));
  const storedWh = sum(readings.map((r) => (r.capacityWh * r.socPct) / 100));
  const evCfg = devicesOf(site, 'variable_power_load');
  const evReadings = [...snap.evChargers.values()];
  const currents = [0, 1, 2].map((k) => sum(evReadings.map((r) => r.currentsA[k] ?? 0)));
  const firstEv = evCfg[0];
  const state: FeedbackState = {
    vpp_id: site.remoteSignal.vppId,
    grid: {
      active_power_W: W(snap.gridPowerW),
      today_imported_energy_Wh: Wh(counters.todayWh('grid.import')),
      today_exported_energy_Wh: Wh(counters.todayWh('grid.export')),
      import_limit_W: W(plan.importLimitW),
      export_limit_W: W(plan.exportLimitW),
      ...ext('site'),
      ...(f.gridMeterOffline ? { meter_offline_since: Math.floor(f.gridMeterOffline.sinceMs / 1000) } : {}),
      constraints: [...(f.gridMeterOffline ? [`grid meter offline (${f.gridMeterOffline.error}): the site is not driven; devices keep their last setpoints`] : []), ...plan.constraints.map((c) => c.message)],
    },
    storage: {
      energy_stored_Wh: Wh(storedWh),
      energy_capacity_Wh: Wh(capacityWh),
      mean_soc_perc: capacityWh > 0 ? Math.round((storedWh / capacityWh) * 1000) / 10 : 0,
      active_power_W: W(sum(readings.map((r) => r.powerW))),
      executed_power_W: W(sum(plan.storage.map((o) => o.powerW ?? 0))),
      executed_policy: res.components.storage.policy,
      max_charge_power_W: W(sum(readings.map((r) => r.maxChargeW))),
      max_discharge_power_W: W(sum(readings.map((r) => r.maxDischargeW))),
      today_charged_Wh: Wh(counters.todayWh('storage.charge')),
      today_discharged_Wh: Wh(counters.todayWh('storage.discharge')),
      ...offline('storage'),
      ...ext('storage'),
    },
    solar: {
      active_power_W: W(sum([...snap.solar.values()].map((s) => s.powerW))),
      executed_power_W: W(sum(plan.solar.map((o) => o.predictedW))),
      executed_policy: res.components.solar.policy,
      capacity_W: W(sum(devicesOf(site, 'solar').map((d) => d.ratedPowerW))),
      today_energy_Wh: Wh(counters.todayWh('solar.energy')),
      today_self_consumption_perc: selfConsumptionPct(counters),
      ...offline('solar'),
      ...ext('solar'),
    },
    heat_pump: {
      executed_policy: res.components.heat_pump.policy,
      operation_modes: plan.heatPumps.length ? plan.heatPumps.map((o) => (o.isOn ? 'on' : 'off')) : ['off'],
      executed_power_W: W(sum(plan.heatPumps.map((o) => o.predictedW))),
      ...offline('heat_pump'),
      ...ext('heat_pump'),
    },
    switched_load: {
      executed_policy: res.components.switched_load.policy,
      devices_on: plan.switchedLoads.filter((o) => o.isOn).length,
      devices_off: plan.switchedLoads.filter((o) => !o.isOn).length,
      executed_power_W: W(sum(plan.switchedLoads.map((o) => o.predictedW))),
      ...offline('switched_load'),
      ...ext('switched_load'),
    },
    variable_load: {
      executed_policy: res.components.variable_power_load.policy,
      executed_power_W: W(sum(plan.evChargers.map((o) => o.predictedW))),
      active_power_W: W(sum(evReadings.map((r) => r.powerW))),
      ev_requiring_charge: evReadings.some((r) => r.isConnected && r.isRequiringCharge),
      currentL1_A: Math.round((currents[0] ?? 0) * 10) / 10,
      currentL2_A: Math.round((currents[1] ?? 0) * 10) / 10,
      currentL3_A: Math.round((currents[2] ?? 0) * 10) / 10,
      executed_current_A: sum(plan.evChargers.map((o) => o.currentA ?? 0)),
      today_charged_Wh: Wh(counters.todayWh('ev.charge')),
      today_discharged_Wh: 0,
      total_charged_Wh: Wh(counters.totalWh('ev.charge')),
      total_discharged_Wh: 0,
      min_charge_current_A: firstEv ? Math.min(...evCfg.map((d) => d.minCurrentA)) : 6,
      max_charge_current_A: firstEv ? sum(evCfg.map((d) => d.maxCurrentA)) : 16,
      allow_zero_current: evCfg.every((d) => d.allowZeroCurrent),
      // variable_load has no nr_devices on the wire [live §4]; only the offline list is added.
      ...(evOffline ? { offline_devices: evOffline } : {}),
      ...ext('variable_power_load'),
    },
  };
  for (const id of f.addressedDevices) {
    const obj = deviceState(id, f);
    if (obj) state[id] = obj;
  }
  const data: Feedback['data'] & { plan?: PlanFeedback } = { response_code: f.responseCode, state };
  // Bounded [docs/protocol.md § Feedback]: a 64 KiB command of unknown keys must not answer with 700 KB.
  if (f.errors.length) data.errors = capErrors(f.errors);
  if (f.schedule) data.schedule = f.schedule;
  const planSummary = planFeedback(f);
  if (planSummary) data.plan = planSummary;
  return {
    time: Math.floor(f.nowMs / 1000),
    requestTime: (f.requestTime ?? null) as Feedback['requestTime'],
    siteNodeId: site.siteNodeId,
    fields: f.fields,
    data,
  };
}

/** One device's object in feedback state, with the same kind of fields as its group [live §4]. */
function deviceState(nodeId: string, f: FeedbackInput): Record<string, unknown> | null {
  const cfg = f.site.devices.find((d) => d.nodeId === nodeId);
  const sig = f.resolution.devices.get(nodeId);
  if (!cfg || !sig) return null;
  const common = { group: cfg.group, name: cfg.name, executed_policy: sig.policy, active_signal: activeSignalOf(sig.source) };
  const snap = f.snapshot;
  switch (cfg.group) {
    case 'storage': {
      const r = snap.storage.get(nodeId);
      const o = f.plan.storage.find((x) => x.nodeId === nodeId);
      return {
        ...common,
        soc_perc: r ? Math.round(r.socPct * 10) / 10 : null,
        energy_capacity_Wh: r ? Wh(r.capacityWh) : null,
        active_power_W: r ? W(r.powerW) : null,
        executed_power_W: W(o?.powerW ?? 0),
        max_charge_power_W: r ? W(r.maxChargeW) : null,
        max_discharge_power_W: r ? W(r.maxDischargeW) : null,
        today_charged_Wh: Wh(f.counters.todayWh(`${nodeId}.charge`)),
        today_discharged_Wh: Wh(f.counters.todayWh(`${nodeId}.discharge`)),
      };
    }
    case 'solar': {
      const r = snap.solar.get(nodeId);
      const o = f.plan.solar.find((x) => x.nodeId === nodeId);
      return { ...common, active_power_W: r ? W(r.powerW) : null, executed_power_W: W(o?.predictedW ?? 0), capacity_W: cfg.ratedPowerW, today_energy_Wh: Wh(f.counters.todayWh(`${nodeId}.energy`)) };
    }
    case 'heat_pump':
    case 'switched_load': {
      const o = [...f.plan.heatPumps, ...f.plan.switchedLoads].find((x) => x.nodeId === nodeId);
      return { ...common, operation_mode: o?.isOn ? 'on' : 'off', executed_power_W: W(o?.predictedW ?? 0), waiting: o?.waiting ?? null };
    }
    case 'variable_power_load': {
      const r = snap.evChargers.get(nodeId);
      const o = f.plan.evChargers.find((x) => x.nodeId === nodeId);
      return {
        ...common,
        executed_power_W: W(o?.predictedW ?? 0),
        active_power_W: r ? W(r.powerW) : null,
        ev_requiring_charge: Boolean(r?.isConnected && r.isRequiringCharge),
        executed_current_A: o?.currentA ?? null,
        phases: o?.phases ?? cfg.phases,
        currentL1_A: r?.currentsA[0] ?? 0,
        currentL2_A: r?.currentsA[1] ?? 0,
        currentL3_A: r?.currentsA[2] ?? 0,
        min_charge_current_A: cfg.minCurrentA,
        max_charge_current_A: cfg.maxCurrentA,
        allow_zero_current: cfg.allowZeroCurrent,
      };
    }
  }
}

/** Share of today's PV energy used on site (not exported), %; 100 with no PV yet. */
export function selfConsumptionPct(counters: EnergyCounters): number {
  const pvWh = counters.todayWh('solar.energy');
  if (pvWh <= 0) return 100;
  const usedWh = Math.max(0, pvWh - counters.todayWh('grid.export'));
  return Math.round((usedWh / pvWh) * 1000) / 10;
}
