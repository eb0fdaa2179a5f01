// The `cost` policy's planning side: owns the planner, the price provider, the forecasts and the
// site's load history; re-plans every `replanIntervalMs` (aligned to slot starts) and whenever
// prices or forecasts change; hands the controller the current plan slot synchronously
// (CostPlanSource), so the control loop never waits for a plan. See docs/optimizer.md.
//
// It bridges control and optimizer: it reads the controller's cycle records (type-only imports).
import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { CycleRecord } from '../control/controller.ts';
import { noPlan, type CostPlanSource, type CostPlanView } from '../control/cost-plan.ts';
import { localDateOf, localDayIndexOf, wallTimeToUtcMs } from '../core/local-time.ts';
import { LoadProfile } from '../environment/load-profile.ts';
import { evSessionEstimator, type EvSessionEstimator } from './ev-sessions.ts';
import { devicesOf, type SiteConfig } from '../site/site-config.ts';
import { HistoryLoadForecast, ProfileLoadForecast, RecordedLoadHistory, type LoadForecast, type LoadHistory } from './forecast/load-forecast.ts';
import type { PvForecast, PvForecastStatus } from './forecast/pv-forecast.ts';
import type { PlanProblem } from './planner/plan-problem.ts';
import { buildPlanProblem, type PlanInputs, type SitePlanState } from './planner/problem-from-site.ts';
import { planSlotAt, type SitePlan } from './planner/site-plan.ts';
import type { PlanCallOptions } from './planner-service.ts';
import type { PriceProvider, PriceReplay } from './prices/price-provider.ts';
import type { Tariff } from './prices/tariff.ts';
import type { Logger } from '../core/logger.ts';

/** Anything that turns a problem into a plan: the PlannerService (worker thread), or a synchronous solver for backtests. */
export interface Planner {
  plan(problem: PlanProblem, options?: PlanCallOptions): Promise<SitePlan>;
}

/** Where observed base load goes (and the default load forecast reads). */
export type LoadRecorder = LoadHistory & { record(ms: number, baseLoadW: number): void };

export type { EvSessionEstimator } from './ev-sessions.ts';

export type CostServiceLogger = Pick<Logger, 'info' | 'warn'>;

/** Options of {@link CostService}. Defaults come from `site.optimizer`. */
export interface CostServiceOptions {
  site: SiteConfig;
  clock: Clock;
  prices: PriceProvider;
  planner: Planner;
  pvForecast: PvForecast;
  /** Default: the site's own history (HistoryLoadForecast over `history`), else the standard profile of site.optimizer.annualLoadKWh in the site's time zone. */
  loadForecast?: LoadForecast;
  /** Where the observed base load is recorded. Default: in memory (6 weeks). */
  history?: LoadRecorder;
  /** Default: site.optimizer.tariff. */
  tariff?: Tariff;
  /** Outdoor temperature forecast, °C (heat-pump needs). Default: 10 °C. */
  temperatureC?: (ms: number) => number;
  /** EV sessions to plan. Default: from the readings and the chargers' configured `session` defaults ({@link evSessionEstimator} without chargers). */
  evSessions?: EvSessionEstimator;
  /** Re-plan period, ms. Default site.optimizer.replanIntervalS. */
  replanIntervalMs?: number;
  /** Horizon, ms. Default site.optimizer.horizonH. */
  maxHorizonMs?: number;
  /** Longest wait for one plan, ms. Default site.optimizer.planTimeoutMs. */
  planTimeoutMs?: number;
  /** Extra inputs passed to buildPlanProblem as they are (e.g. a price forecast beyond the published prices). */
  planInputs?: Pick<PlanInputs, 'heatPumpEnergyPerDayWh' | 'relayRunPerDayS' | 'heating' | 'priceForecast' | 'terminalValue' | 'surplusValue' | 'pvScenarios'>;
  logger?: CostServiceLogger;
}

/** The full plan and its context, for the web UI and the API. */
export interface CostPlanExplanation {
  status: CostPlanView['status'];
  message?: string;
  /** When the plan in force was made, Unix ms; null without one. */
  plannedAtMs: number | null;
  /** When the next periodic re-plan is due, Unix ms; null when stopped. */
  nextReplanAtMs: number | null;
  /** Expected saving over the local default regime today (the site's local day), EUR; null without a plan. */
  expectedSavingTodayEur: number | null;
  /** Expected saving per local day (site time zone) of the horizon (today from now on), EUR; `day` is the local date YYYY-MM-DD, `fromMs` its local midnight. */
  savingsByDay: Array<{ day: string; fromMs: number; savingEur: number }>;
  /** The plan: every slot, every asset, a reason per asset; null without one. */
  plan: SitePlan | null;
  /** How the PV forecast's service is doing (weather-service forecasts only). */
  pvForecast?: PvForecastStatus;
  /** Present when the plan's prices are another period's replayed onto its days (the bundled prices outside their span): which days, from which. */
  priceReplay?: PriceReplay;
}

const SLOT_MS = 900_000;
const DAY_MS = 86_400_000;

interface SwitchMemory {
  isOn: boolean;
  sinceMs: number;
  energyTodayWh: number;
  dayIndex: number;
}

/**
 * Plans for the `cost` policy and serves the plan to the controller (CostPlanSource).
 * Wire it: `controller = new Controller(site, devices, clock, { costPlan: service })`,
 * `controller.onCycle((r) => service.observe(r))`, `service.start()`.
 */
export class CostService implements CostPlanSource {
  private readonly history: LoadRecorder;
  private readonly loadForecast: LoadForecast;
  private readonly replanIntervalMs: number;
  private plan: SitePlan | null = null;
  private plannedAtMs: number | null = null;
  /** The replayed days of the plan in force (see PriceProvider.replayOf), null when its prices are their own days'. */
  private priceReplay: PriceReplay | null = null;
  private lastMessage = 'no plan yet: planning has not run';
  private inFlight: Promise<void> | null = null;
  private pendingReason: string | null = null;
  private cancelTimer: (() => void) | null = null;
  private nextReplanAtMs: number | null = null;
  private isRunning = false;
  private last: CycleRecord | null = null;
  private readonly switches = new Map<string, SwitchMemory>();
  private readonly evCharged = new Map<string, { connected: boolean; wh: number }>();
  private lastObservedMs: number | null = null;
  /** Expected saving per slot start of the current local day, EUR (past slots as planned then). */
  private readonly daySavings = new Map<number, number>();
  private viewCache: { key: string; view: CostPlanView } | null = null;
  /** The site's IANA time zone: its days (energy today, savings per day) and hours. */
  private readonly timeZone: string;
  private readonly evSessions: EvSessionEstimator;

  constructor(private readonly options: CostServiceOptions) {
    const site = options.site;
    this.timeZone = site.location.timeZone;
    this.evSessions = options.evSessions ?? evSessionEstimator({ site });
    this.history = options.history ?? new RecordedLoadHistory();
    this.loadForecast =
      options.loadForecast ??
      new HistoryLoadForecast(this.history, new ProfileLoadForecast(new LoadProfile({ annualLoadKWh: site.optimizer.annualLoadKWh, timeZone: this.timeZone })), {
        weeks: site.optimizer.loadHistoryWeeks,
      });
    this.replanIntervalMs = options.replanIntervalMs ?? site.optimizer.replanIntervalS * 1000;
  }

  /** Plans at once, then every replanIntervalMs at slot-aligned instants. */
  start(): void {
    if (this.isRunning) return;
    this.isRunning = true;
    this.requestReplan('start');
    this.schedule();
  }

  /** Stops re-planning and waits for a plan in progress (the planner itself is the caller's to close). */
  async stop(): Promise<void> {
    this.isRunning = false;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.nextReplanAtMs = null;
    await this.idle();
  }

  /** Prices changed (a pushed price message, a new day published): re-plan soon, without waiting for the period. */
  onPricesUpdated(): void {
    this.requestReplan('prices updated');
  }

  /** A forecast changed (new weather forecast, a car plugged in): re-plan soon. */
  onForecastUpdated(): void {
    this.requestReplan('forecast updated');
  }

  /** Asks for a re-plan; coalesced with one in progress (one more run after it). Never throws. */
  requestReplan(reason: string): void {
    if (this.inFlight) {
      this.pendingReason = reason;
      return;
    }
    const run = async (first: string): Promise<void> => {
      let why: string | null = first;
      while (why !== null) {
        this.pendingReason = null;
        await this.replan(why);
        why = this.pendingReason;
      }
    };
    this.inFlight = run(reason).finally(() => {
      this.inFlight = null;
    });
  }

  /** Resolves when no re-plan is running (backtests and tests step the clock, then wait for this). */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /**
   * Feeds one control cycle: the base load goes into the history; SoC, switch states and energy, and
   * EV state are kept for the next plan. Call from `controller.onCycle`.
   */
  observe(record: CycleRecord): void {
    const nowMs = record.atMs;
    this.history.record(nowMs, Math.max(0, record.plan.baseLoadW));
    const dtMs = this.lastObservedMs === null ? 0 : Math.max(0, Math.min(nowMs - this.lastObservedMs, 120_000));
    this.lastObservedMs = nowMs;
    const day = localDayIndexOf(nowMs, this.timeZone);
    for (const [id, r] of [...record.snapshot.heatPumps, ...record.snapshot.switchedLoads]) {
      const m = this.switches.get(id) ?? { isOn: r.isOn, sinceMs: nowMs - DAY_MS, energyTodayWh: 0, dayIndex: day };
      if (m.dayIndex !== day) {
        m.dayIndex = day;
        m.energyTodayWh = 0;
      }
      if (m.isOn !== r.isOn) {
        m.isOn = r.isOn;
        m.sinceMs = nowMs;
      }
      m.energyTodayWh += (r.powerW * dtMs) / 3_600_000;
      this.switches.set(id, m);
    }
    for (const [id, r] of record.snapshot.evChargers) {
      const m = this.evCharged.get(id) ?? { connected: false, wh: 0 };
      if (!r.isConnected) m.wh = 0;
      else m.wh += (r.powerW * dtMs) / 3_600_000;
      if (r.isConnected && !m.connected) this.requestReplan('car plugged in');
      m.connected = r.isConnected;
      this.evCharged.set(id, m);
    }
    this.last = record;
  }

  /** [CostPlanSource] The plan's slot at `nowMs`; synchronous, cached per slot. */
  planAt(nowMs: number): CostPlanView {
    const plan = this.plan;
    const slot = plan ? planSlotAt(plan, nowMs) : undefined;
    if (!plan || !slot) return noPlan(plan ? 'the plan does not cover now (no prices known beyond it)' : this.lastMessage);
    const key = `${this.plannedAtMs}:${slot.startMs}`;
    if (this.viewCache?.key === key) return this.viewCache.view;
    const index = plan.slots.indexOf(slot);
    const view: CostPlanView = {
      status: plan.status,
      slot,
      upcoming: plan.slots.slice(index + 1, index + 5),
      plannedAtMs: this.plannedAtMs,
      ...(plan.status === 'fallback' ? { message: plan.fallbackReason ?? 'the rule-based plan is used' } : {}),
      expectedSavingTodayEur: this.expectedSavingTodayEur(nowMs),
    };
    this.viewCache = { key, view };
    return view;
  }

  /** The plan in force, or null. */
  currentPlan(): SitePlan | null {
    return this.plan;
  }

  /** Everything the web UI shows about the plan (API). */
  explanation(nowMs: number = this.options.clock.now()): CostPlanExplanation {
    const view = this.planAt(nowMs);
    const byDay = new Map<number, { day: string; fromMs: number; savingEur: number }>();
    for (const s of this.plan?.slots ?? []) {
      const localDay = localDayIndexOf(s.startMs, this.timeZone);
      const entry = byDay.get(localDay) ?? { day: localDateOf(localDay), fromMs: wallTimeToUtcMs(localDay, 0, this.timeZone), savingEur: 0 };
      entry.savingEur += s.savingEur;
      byDay.set(localDay, entry);
    }
    return {
      status: view.status,
      ...(view.message !== undefined ? { message: view.message } : {}),
      plannedAtMs: this.plannedAtMs,
      nextReplanAtMs: this.nextReplanAtMs,
      expectedSavingTodayEur: view.expectedSavingTodayEur,
      savingsByDay: [...byDay.values()],
      plan: this.plan,
      ...(this.options.pvForecast.status ? { pvForecast: this.options.pvForecast.status() } : {}),
      ...(this.plan && this.priceReplay ? { priceReplay: this.priceReplay } : {}),
    };
  }

  private schedule(): void {
    if (!this.isRunning) return;
    const now = this.options.clock.now();
    const next = (Math.floor(now / this.replanIntervalMs) + 1) * this.replanIntervalMs;
    this.nextReplanAtMs = next;
    this.cancelTimer = this.options.clock.setTimer(next - now, () => {
      this.requestReplan('periodic');
      this.schedule();
    });
  }

  private state(nowMs: number): SitePlanState {
    const site = this.options.site;
    const snap = this.last?.snapshot;
    const state: SitePlanState = {};
    if (snap) {
      state.storageSocPct = Object.fromEntries([...snap.storage].map(([id, r]) => [id, r.socPct]));
      state.onOff = Object.fromEntries(
        [...this.switches].map(([id, m]) => [id, { isOn: m.isOn, stateForS: Math.max(0, (nowMs - m.sinceMs) / 1000), energyTodayWh: m.dayIndex === localDayIndexOf(nowMs, this.timeZone) ? m.energyTodayWh : 0 }]),
      );
    }
    const estimate = this.evSessions;
    state.evSessions = Object.fromEntries(
      devicesOf(site, 'variable_power_load').map((d) => [d.nodeId, estimate({ nodeId: d.nodeId, reading: snap?.evChargers.get(d.nodeId), nowMs, chargedThisSessionWh: this.evCharged.get(d.nodeId)?.wh ?? 0 })]),
    );
    return state;
  }

  private async replan(reason: string): Promise<void> {
    const { site, clock, logger } = this.options;
    const nowMs = clock.now();
    const horizonMs = this.options.maxHorizonMs ?? site.optimizer.horizonH * 3_600_000;
    try {
      const slotStart = Math.floor(nowMs / SLOT_MS) * SLOT_MS;
      const prices = await this.options.prices.readPrices(slotStart, slotStart + horizonMs);
      if (!prices || prices.startMs > slotStart) {
        this.lastMessage = `no day-ahead prices known for now${prices ? ` (the first known slot starts ${new Date(prices.startMs).toISOString()})` : ''}`;
        logger?.warn({ reason }, 'cost: no prices known; the cost policy runs without a plan');
        return;
      }
      // A weather service's forecast is fetched when due (it never throws; a failure keeps the last one).
      await this.options.pvForecast.update?.(nowMs);
      // A forecast may learn from the published prices (PriceInformedPvForecast); only what is known now.
      this.options.pvForecast.observePrices?.(prices);
      const o = site.optimizer;
      const problem = buildPlanProblem({
        site,
        nowMs,
        spotPrices: prices,
        tariff: this.options.tariff ?? o.tariff,
        pvForecast: this.options.pvForecast,
        loadForecast: this.loadForecast,
        state: this.state(nowMs),
        maxHorizonMs: horizonMs,
        cycleCostEurPerKwh: o.batteryWearEurPerKwh,
        ...(this.options.temperatureC ? { temperatureC: this.options.temperatureC } : {}),
        ...this.options.planInputs,
      });
      const timeoutMs = this.options.planTimeoutMs ?? o.planTimeoutMs;
      const plan = await this.options.planner.plan(problem, { timeoutMs });
      const replay = (await this.options.prices.replayOf?.(plan.startMs, plan.startMs + plan.slots.length * plan.slotMs)) ?? null;
      this.accept(plan, nowMs, replay);
      logger?.info({ reason, status: plan.status, slots: plan.slots.length, solveMs: Math.round(plan.solveMs), mipGap: plan.mipGap, expectedSavingEur: Math.round(plan.expectedSavingEur * 100) / 100 }, 'cost: new plan');
      // Anytime: the fast plan runs while the exact MILP proves it (or finds a cheaper one).
      if (plan.status === 'time_limit' && o.planProofMs > 0) {
        const proven = await this.options.planner.plan(problem, { timeoutMs, proveMs: o.planProofMs });
        if (proven.status !== 'fallback' && (proven.status === 'optimal' || proven.expectedCostEur < plan.expectedCostEur - 1e-6) && this.plan === plan) {
          this.accept(proven, nowMs, replay);
          logger?.info({ reason, status: proven.status, solveMs: Math.round(proven.solveMs), mipGap: proven.mipGap, expectedSavingEur: Math.round(proven.expectedSavingEur * 100) / 100 }, 'cost: plan proven');
        }
      }
    } catch (err) {
      // Keep the plan in force (it may still cover now); the reason shows when it runs out.
      this.lastMessage = `planning failed: ${errorMessage(err)}`;
      logger?.warn({ reason, err: errorMessage(err) }, 'cost: planning failed; keeping the last plan');
    }
  }

  private accept(plan: SitePlan, nowMs: number, replay: PriceReplay | null): void {
    this.plan = plan;
    this.priceReplay = replay;
    this.plannedAtMs = nowMs;
    this.viewCache = null;
    const today = localDayIndexOf(nowMs, this.timeZone);
    const dayStart = wallTimeToUtcMs(today, 0, this.timeZone);
    const dayEnd = wallTimeToUtcMs(today + 1, 0, this.timeZone);
    for (const k of this.daySavings.keys()) if (k < dayStart || k >= plan.startMs) this.daySavings.delete(k);
    for (const s of plan.slots) if (s.startMs >= dayStart && s.startMs < dayEnd) this.daySavings.set(s.startMs, s.savingEur);
  }

  private expectedSavingTodayEur(nowMs: number): number {
    const local = localDayIndexOf(nowMs, this.timeZone);
    const dayStart = wallTimeToUtcMs(local, 0, this.timeZone);
    const dayEnd = wallTimeToUtcMs(local + 1, 0, this.timeZone);
    let sum = 0;
    for (const [k, v] of this.daySavings) if (k >= dayStart && k < dayEnd) sum += v;
    return sum;
  }
}

/** A Planner that solves synchronously in this thread (backtests, tests): no worker, no timeout. */
export function syncPlanner(solve: (problem: PlanProblem) => SitePlan): Planner {
  return { plan: (problem) => Promise.resolve(solve(problem)) };
}
