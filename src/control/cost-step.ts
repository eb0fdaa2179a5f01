import { hasPlanSlot, noPlan, type CostPlanSlot, type CostPlanView } from './cost-plan.ts';
import { isBothPricesNegative, isExportPriceNegative, planCostStorage } from './policies/cost.ts';
import { evOffer, type EvInput } from './policies/ev.ts';
import { curtailSolar } from './policies/solar.ts';
import type { BatteryInput } from './policies/storage.ts';
import { planSwitchesTo, type SwitchInput } from './policies/switched.ts';
import type { Constraint, EvOutput, SolarOutput, StorageOutput, SwitchOutput } from './plan.ts';

/**
 * The `cost` executor as one step of the cycle [docs/control.md "The cost policy"]: what the
 * devices under `cost` do with the plan slot in force, and what they do without one (the
 * documented safe behaviour: self_consumption, uncapped solar). The cycle calls it at the points
 * where the plan's decisions enter the site's order (loads, solar, batteries, curtailment); all
 * that is special about `cost` lives here, the cycle only runs the steps in order.
 */
export class CostStep {
  /** The slot the plan drives now; null without a plan. */
  readonly slot: CostPlanSlot | null;
  /** The slot batteries follow: none under a rule-based (fallback) plan, whose batteries do plain self_consumption. */
  readonly storageSlot: CostPlanSlot | null;
  /** Where a device under `cost` runs without a plan, for the feedback's constraints (one per component). */
  readonly noPlanNotes: Constraint[] = [];
  /** Real-time deviations from the plan in words (feedback `data.plan.adjustments`). */
  readonly notes: Constraint[] = [];
  private readonly view: CostPlanView;

  /** @param view the plan as this cycle sees it; absent = no optimiser is configured. */
  constructor(view: CostPlanView | undefined) {
    this.view = view ?? noPlan('no optimiser is configured');
    this.slot = hasPlanSlot(this.view) ? this.view.slot : null;
    this.storageSlot = this.view.status === 'fallback' ? null : this.slot;
  }

  /**
   * Loads under `cost`: relays, heat pumps and EVs with an entry in the slot run as planned (a
   * rule-based plan too: it keeps their must-run rules); those without one are handed back to run
   * on PV surplus like self_consumption.
   */
  loads(
    switches: readonly SwitchInput[],
    evs: readonly EvInput[],
    nowMs: number,
  ): { switches: SwitchOutput[]; evs: EvOutput[]; unplannedSwitches: SwitchInput[]; unplannedEvs: EvInput[] } {
    const plannedSwitch = (s: SwitchInput) => this.slot?.onOff.find((o) => o.nodeId === s.cfg.nodeId);
    const plannedEv = (e: EvInput) => this.slot?.evs.find((o) => o.nodeId === e.cfg.nodeId);
    const costSwitches = switches.filter((s) => s.signal.policy === 'cost');
    const costEvs = evs.filter((e) => e.signal.policy === 'cost');
    const unplannedSwitches = costSwitches.filter((s) => !plannedSwitch(s));
    const unplannedEvs = costEvs.filter((e) => !plannedEv(e));
    for (const s of unplannedSwitches) this.withoutPlan(s.cfg.group, 'runs on PV surplus (self_consumption)');
    for (const e of unplannedEvs) this.withoutPlan(e.cfg.group, 'charges from PV surplus (self_consumption)');
    return {
      switches: planSwitchesTo(
        costSwitches.filter((s) => plannedSwitch(s)),
        (s) => plannedSwitch(s)?.isOn ?? false,
        nowMs,
      ),
      evs: costEvs.flatMap((e) => {
        const planned = plannedEv(e);
        return planned ? [evOffer(e, planned.powerW, nowMs)] : [];
      }),
      unplannedSwitches,
      unplannedEvs,
    };
  }

  /** Solar under `cost`, before anything else uses its prediction: all off while both prices are negative (real time, from the slot's prices). */
  solar(solar: SolarOutput[]): void {
    const costSolar = solar.filter((o) => o.signal.policy === 'cost');
    if (this.slot && isBothPricesNegative(this.slot)) {
      for (const o of costSolar) {
        o.limitW = 0;
        o.predictedW = 0;
      }
    }
    if (!this.slot && costSolar.length > 0) this.withoutPlan('solar', 'production uncapped but for the export limit (feed_in_limitation)');
  }

  /** The policy a battery runs under in the rule step: `cost` without a storage slot is self_consumption. */
  batteryForRules(b: BatteryInput): BatteryInput {
    if (b.signal.policy !== 'cost' || this.storageSlot) return b;
    return { ...b, signal: { ...b.signal, policy: 'self_consumption' } };
  }

  /** Grid power the batteries under `cost` add while the other batteries decide, W: as they are now when they follow a plan. */
  plannedStorageW(batteries: readonly BatteryInput[]): number {
    if (!this.storageSlot) return 0;
    return batteries.filter((b) => b.signal.policy === 'cost').reduce((s, b) => s + b.reading.powerW, 0);
  }

  /**
   * Batteries under `cost` with a storage slot, after the others (their outputs replace the rule
   * step's in `storage`): the plan's power corrected by where the plan put the grid.
   * @param otherW grid power of everything but the batteries, W (+ import)
   */
  storage(batteries: readonly BatteryInput[], storage: StorageOutput[], otherW: number): void {
    const costBatteries = batteries.filter((b) => b.signal.policy === 'cost');
    if (costBatteries.length === 0) return;
    const slot = this.storageSlot;
    if (!slot) {
      this.withoutPlan('storage', 'the batteries do self_consumption');
      return;
    }
    const othersW = storage.filter((o) => o.signal.policy !== 'cost').reduce((s, o) => s + o.predictedW, 0);
    const isPlannedCurtailment = isExportPriceNegative(slot) && slot.solar.some((x) => x.limitW !== null);
    const planned = planCostStorage(costBatteries, slot, otherW + othersW, isPlannedCurtailment);
    for (const o of planned.outputs) {
      const k = storage.findIndex((x) => x.nodeId === o.nodeId);
      if (k >= 0) storage[k] = o;
    }
    if (planned.note) this.notes.push({ component: 'storage', message: planned.note });
  }

  /**
   * [live §3.1 solar cost] A negative export price (the import price not): solar under `cost`
   * produces only what the site uses, batteries included. Returns whether it cut anything.
   * @param gridW the site's predicted grid power with everything decided, W (+ import)
   */
  curtailForNegativeExport(solar: SolarOutput[], gridW: number, ratedW: (nodeId: string) => number): boolean {
    const slot = this.slot;
    const costSolar = solar.filter((o) => o.signal.policy === 'cost');
    if (!slot || !isExportPriceNegative(slot) || isBothPricesNegative(slot) || gridW >= 0 || costSolar.length === 0) return false;
    const cutW = curtailSolar(costSolar, -gridW, ratedW);
    if (cutW > 0.5) this.notes.push({ component: 'solar', message: `solar curtailed by ${Math.round(cutW)} W: the export price is negative (${slot.exportPriceEurPerKwh.toFixed(3)} €/kWh)` });
    return true;
  }

  private withoutPlan(component: Constraint['component'], behaviour: string): void {
    if (this.noPlanNotes.some((c) => c.component === component)) return;
    const v = this.view;
    const why = v.status === 'none' ? `no plan (${v.message ?? 'none yet'})` : v.status === 'fallback' ? `rule-based plan (${v.message ?? 'the planner failed'})` : 'no plan entry for this device';
    this.noPlanNotes.push({ component, message: `cost: ${why}; ${behaviour}` });
  }
}
