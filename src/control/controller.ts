import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { Component } from '../protocol/components.ts';
import { parseCommand, type CommandContext, type CommandSignal, type ParseResult } from '../protocol/command.ts';
import type { Feedback, ScheduleSummary } from '../protocol/feedback.ts';
import type { ExecutedPolicy } from '../protocol/policies.ts';
import { capErrors, RESPONSE_CODES, type FieldError, type ResponseCode } from '../protocol/response-codes.ts';
import { hardExportLimitW, hardImportLimitW, type SiteConfig } from '../site/site-config.ts';
import type { CostPlanSource, CostPlanView } from './cost-plan.ts';
import { computeCycle, type CycleMemory } from './cycle.ts';
import { EnergyCounters } from './energy-counters.ts';
import { buildFeedback, counterPowers } from './feedback-builder.ts';
import type { CyclePlan } from './plan.ts';
import { RemoteCommandState } from './remote-state.ts';
import { RunTimeGuard } from './run-time-guard.ts';
import { arbitrate, type Resolution } from './signals.ts';
import { readSnapshot, type SiteDevices, type SiteSnapshot } from './snapshot.ts';
import { writePlan } from './write-plan.ts';
import type { Logger } from '../core/logger.ts';

/** A lower-priority control source (the stored schedule) [live §3.3 rule 8]. */
export interface ScheduleSource {
  /** Group-level signals of the slot active at `nowMs` (empty when none), and when it ends. */
  activeAt(nowMs: number): { signals: CommandSignal[]; endMs: number } | null;
  summary(nowMs: number): ScheduleSummary;
}

export type ControllerLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

/** What each cycle produced, for telemetry and the UI. */
export interface CycleRecord {
  atMs: number;
  snapshot: SiteSnapshot;
  plan: CyclePlan;
  resolution: Resolution;
  /** The day-ahead plan the `cost` policy saw this cycle; null without a plan source. */
  cost: CostPlanView | null;
  /** Compute time of the pure part, ms. */
  computeMs: number;
  /** Wall time of the whole cycle (reads, compute, writes), ms. */
  durationMs: number;
}

/** Counts since the controller was built, for metrics (`ops/`). */
export interface ControllerStats {
  /** Live commands answered, by response_code [live §4.1] (MQTT and the web API alike). */
  commandsByCode: ReadonlyMap<ResponseCode, number>;
  /** Times the watchdog expired the remote commands and the local regime took over [live §3.3 rule 2]. */
  watchdogFallbacks: number;
  /** Cycles that failed (devices kept their last setpoints). */
  cycleFailures: number;
  /** The last cycle's error, null when the last cycle succeeded. */
  lastCycleError: string | null;
}

/** A processed command: the feedback to publish, and what was applied (for the command log). */
export interface CommandOutcome {
  feedback: Feedback;
  accepted: boolean;
  code: ResponseCode;
  /** The command was applied (accepted and not empty): its `time`, Unix ms; else null. */
  appliedTimeMs: number | null;
}

/** Options of {@link Controller}. */
export interface ControllerOptions {
  logger?: ControllerLogger;
  /** The stored schedule (lower priority than live commands). */
  schedule?: ScheduleSource;
  /** The day-ahead plan `cost` follows (the optimiser's CostService); without one, `cost` runs its no-plan behaviour (self_consumption) and says so. */
  costPlan?: CostPlanSource;
}

/**
 * The control loop [design §One cycle]: periodic (cycleMs) and event-driven (a command runs a
 * cycle at once). Cycles never overlap: commands and ticks queue on one chain.
 */
export class Controller {
  private remote: RemoteCommandState;
  private readonly memory: CycleMemory = { guards: new Map(), evPhases: new Map(), undrivenStorage: new Set(), writeFailed: new Set(), deadbandHoldSinceMs: null };
  private readonly counters: EnergyCounters;
  private chain: Promise<unknown> = Promise.resolve();
  private cancelTick: (() => void) | null = null;
  private cancelWatchdog: (() => void) | null = null;
  private running = false;
  private last: CycleRecord | null = null;
  private cycleListeners: Array<(r: CycleRecord) => void> = [];
  private feedbackListeners: Array<(f: Feedback) => void> = [];
  private lastCycleError: string | null = null;
  private readonly commandsByCode = new Map<ResponseCode, number>();
  private watchdogFallbacks = 0;
  private cycleFailures = 0;
  /** `time` of the newest non-empty command applied, Unix ms (kept after its watchdog fired); null before any. */
  private lastAppliedTimeMs: number | null = null;

  /**
   * Restores the ordering rule's "last applied" `time` (Unix ms) at start, from the command log, so
   * that a delayed or replayed (retained) command cannot override a newer one across a restart.
   * Never moves it back.
   */
  restoreLastAppliedTimeMs(timeMs: number | null): void {
    if (timeMs === null || !Number.isFinite(timeMs)) return;
    this.lastAppliedTimeMs = Math.max(this.lastAppliedTimeMs ?? -Infinity, timeMs);
  }

  constructor(
    private currentSite: SiteConfig,
    private devices: SiteDevices,
    private readonly clock: Clock,
    private opts: ControllerOptions = {},
  ) {
    this.remote = new RemoteCommandState(currentSite.remoteSignal.fallbackTimeoutS * 1000);
    this.counters = new EnergyCounters(clock.now());
    this.syncGuards(null);
  }

  /** The site config the controller runs now (changes at a live reconfiguration). */
  get site(): SiteConfig {
    return this.currentSite;
  }

  /**
   * Switches to a new site config and its devices at a cycle boundary (after the cycle in progress),
   * then runs a cycle on them at once [#16 live apply]. What carries over: the live command in force
   * and its watchdog — minus signals for devices that are gone or no longer remote-enabled, or all
   * of them when remote control is now off —, the ordering rule's last applied time, the energy
   * counters, and the run-time state of every heat pump and relay whose config is unchanged (so a
   * config edit cannot be used to bypass a minimum on/off time). The new fallback timeout applies
   * from the next command. `costPlan`: the new plan source (the cost wiring is rebuilt with the site).
   */
  reconfigure(site: SiteConfig, devices: SiteDevices, costPlan?: CostPlanSource | null): Promise<void> {
    return this.exclusive(async (switchTo) => switchTo(site, devices, costPlan));
  }

  /**
   * Runs `fn` between two cycles with no cycle, command or watchdog in between (e.g. closing the
   * old devices before the new ones take a port they hold); `fn` switches with the function it is
   * given (as `reconfigure` does). A cycle runs after it, whatever `fn` did.
   */
  exclusive<T>(fn: (switchTo: (site: SiteConfig, devices: SiteDevices, costPlan?: CostPlanSource | null) => void) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      try {
        return await fn((site, devices, costPlan) => this.switchTo(site, devices, costPlan));
      } finally {
        await this.runCycle().catch((err: unknown) => this.opts.logger?.warn({ err: errorMessage(err) }, 'cycle after a configuration switch failed'));
      }
    });
  }

  private switchTo(site: SiteConfig, devices: SiteDevices, costPlan?: CostPlanSource | null): void {
    const previous = this.currentSite;
    this.currentSite = site;
    this.devices = devices;
    if (costPlan !== undefined) {
      const { costPlan: _old, ...rest } = this.opts;
      this.opts = costPlan ? { ...rest, costPlan } : rest;
    }
    const devicesNow = new Map(site.devices.map((d) => [d.nodeId, d]));
    this.remote = this.remote.carriedOver(site.remoteSignal.fallbackTimeoutS * 1000, (sig) => {
      if (!site.remoteSignal.enabled) return false;
      if (sig.target.kind !== 'device') return true;
      return devicesNow.get(sig.target.nodeId)?.isRemoteEnabled === true;
    });
    this.armWatchdog();
    this.syncGuards(previous);
    for (const id of [...this.memory.evPhases.keys()]) if (!devicesNow.has(id)) this.memory.evPhases.delete(id);
    for (const id of [...this.memory.undrivenStorage]) if (!devicesNow.has(id)) this.memory.undrivenStorage.delete(id);
    for (const id of [...this.memory.writeFailed]) if (!devicesNow.has(id)) this.memory.writeFailed.delete(id);
    this.memory.deadbandHoldSinceMs = null;
  }

  /** One run-time guard per heat pump and relay; kept for a device whose config is unchanged. */
  private syncGuards(previous: SiteConfig | null): void {
    const before = new Map(previous?.devices.map((d) => [d.nodeId, JSON.stringify(d)]) ?? []);
    const guards = new Map<string, RunTimeGuard>();
    for (const d of this.currentSite.devices) {
      if (d.group !== 'heat_pump' && d.group !== 'switched_load') continue;
      const kept = this.memory.guards.get(d.nodeId);
      guards.set(d.nodeId, kept && before.get(d.nodeId) === JSON.stringify(d) ? kept : new RunTimeGuard(d));
    }
    this.memory.guards.clear();
    for (const [id, g] of guards) this.memory.guards.set(id, g);
  }

  /** Starts the periodic cycle (the first one runs at once). */
  start(): Promise<void> {
    this.running = true;
    const tick = (): void => {
      if (!this.running) return;
      this.cancelTick = this.clock.setTimer(this.site.control.cycleMs, tick);
      void this.enqueue(() => this.runCycle()).catch(() => undefined);
      const every = this.site.remoteSignal.feedbackIntervalS;
      if (every > 0 && this.shouldPublishPeriodic(every)) void this.enqueue(() => this.periodicFeedback()).catch(() => undefined);
    };
    this.cancelTick = this.clock.setTimer(this.site.control.cycleMs, tick);
    return this.enqueue(() => this.runCycle()).then(() => undefined);
  }

  /** Stops the loop after the cycle in progress. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelTick?.();
    this.cancelWatchdog?.();
    await this.chain.catch(() => undefined);
  }

  /** Called after every cycle; returns the function that stops it. */
  onCycle(listener: (r: CycleRecord) => void): () => void {
    this.cycleListeners.push(listener);
    return () => {
      this.cycleListeners = this.cycleListeners.filter((l) => l !== listener);
    };
  }

  /** Feedback that is not the answer to a command (periodic feedback); returns the function that stops it. */
  onFeedback(listener: (f: Feedback) => void): () => void {
    this.feedbackListeners.push(listener);
    return () => {
      this.feedbackListeners = this.feedbackListeners.filter((l) => l !== listener);
    };
  }

  lastCycle(): CycleRecord | null {
    return this.last;
  }

  /** Counters for metrics; a fresh copy, cheap. */
  stats(): ControllerStats {
    return { commandsByCode: new Map(this.commandsByCode), watchdogFallbacks: this.watchdogFallbacks, cycleFailures: this.cycleFailures, lastCycleError: this.lastCycleError };
  }

  /** The seconds until the watchdog fires, or null when no live command is armed. */
  watchdogSecondsLeft(): number | null {
    return this.remote.secondsLeft(this.clock.now());
  }

  /** Re-runs a cycle now (e.g. when a schedule changed). */
  trigger(): Promise<void> {
    return this.enqueue(() => this.runCycle()).then(() => undefined);
  }

  /**
   * Validates a live command as a whole and applies it at once [live §3.3]; always answers with a
   * feedback message, whatever the input. `isRetained`: the broker replayed it at subscribe time
   * (then it must be newer than the last command applied). Never throws.
   */
  handleCommand(payload: Buffer | string, meta: { isRetained?: boolean } = {}): Promise<CommandOutcome> {
    return this.enqueue(async () => {
      const nowMs = this.clock.now();
      let parsed: ParseResult;
      try {
        parsed = parseCommand(payload, { ...this.commandContext(nowMs), lastAppliedTimeMs: this.lastAppliedTimeMs, isRetained: meta.isRetained ?? false });
      } catch (err) {
        parsed = { ok: false, code: RESPONSE_CODES.INTERNAL_ERROR, errors: [{ field: '$', message: `internal error: ${errorMessage(err)}` }], requestTime: null };
      }
      const isApplied = parsed.ok && !parsed.isEmpty;
      if (parsed.ok && !parsed.isEmpty) {
        // Commands are serialized on the chain, so this is the newest applied [ordering rule].
        this.lastAppliedTimeMs = Math.max(this.lastAppliedTimeMs ?? -Infinity, parsed.timeMs);
        this.remote.accept(parsed.signals, nowMs);
        this.armWatchdog();
      }
      let record = this.last;
      try {
        record = await this.runCycle();
      } catch (err) {
        if (!record) {
          this.countCommand(RESPONSE_CODES.INTERNAL_ERROR);
          return this.fallbackOutcome(parsed, `internal error: ${errorMessage(err)}`);
        }
      }
      const errors: FieldError[] = parsed.ok ? parsed.warnings : parsed.errors;
      const fields = parsed.ok ? fieldsOf(parsed.signals) : {};
      const addressed = parsed.ok ? parsed.signals.flatMap((s) => (s.target.kind === 'device' ? [s.target.nodeId] : [])) : [];
      const feedback = await this.feedbackFor(record as CycleRecord, { requestTime: parsed.requestTime, code: parsed.code, errors, fields, addressed });
      this.countCommand(parsed.code);
      return { feedback, accepted: parsed.ok, code: parsed.code, appliedTimeMs: isApplied && parsed.ok ? parsed.timeMs : null };
    });
  }

  /**
   * Runs a cycle now and answers with a feedback message (for messages other than live commands,
   * e.g. a schedule: `requestTime` echoes its `time`). Serialized with the cycles; never throws.
   */
  answer(req: { requestTime: unknown; code: ResponseCode; errors?: FieldError[] }): Promise<Feedback> {
    return this.enqueue(async () => {
      let record = this.last;
      try {
        record = await this.runCycle();
      } catch (err) {
        if (!record) return this.fallbackOutcome({ ok: false, code: req.code, errors: req.errors ?? [], requestTime: req.requestTime }, `internal error: ${errorMessage(err)}`).feedback;
      }
      return this.feedbackFor(record as CycleRecord, { requestTime: req.requestTime, code: req.code, errors: req.errors ?? [], fields: {}, addressed: [] });
    });
  }

  /**
   * What remote messages are validated against at `nowMs` (site, devices, time window, policies
   * this controller cannot run): live commands, and schedules, which must accept the same [scheduled §Message].
   */
  commandContext(nowMs: number = this.clock.now()): CommandContext {
    const rs = this.site.remoteSignal;
    return {
      siteNodeId: this.site.siteNodeId,
      devices: new Map(this.site.devices.map((d) => [d.nodeId, { group: d.group, isRemoteEnabled: d.isRemoteEnabled }])),
      isRemoteEnabled: rs.enabled,
      nowMs,
      maxAgeMs: (rs.maxCommandAgeS ?? rs.fallbackTimeoutS) * 1000,
      maxFutureMs: rs.maxFutureS * 1000,
    };
  }

  private countCommand(code: ResponseCode): void {
    this.commandsByCode.set(code, (this.commandsByCode.get(code) ?? 0) + 1);
  }

  private armWatchdog(): void {
    this.cancelWatchdog?.();
    const at = this.remote.watchdogAtMs();
    if (at === null) return;
    this.cancelWatchdog = this.clock.setTimer(at - this.clock.now(), () => {
      void this.enqueue(() => this.runCycle()).catch(() => undefined);
    });
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private resolve(nowMs: number): Resolution {
    const defaults = { ...this.site.defaults, site: 'default' } as Record<Component, ExecutedPolicy>;
    const slot = this.opts.schedule?.activeAt(nowMs) ?? null;
    return arbitrate({ site: this.site, remote: this.remote.activeSignals(nowMs), schedule: slot?.signals ?? [], defaults });
  }

  /** The plan source's view, or null without one; a failing source counts as "no plan" (the cycle must run). */
  private costPlanAt(nowMs: number): CostPlanView | null {
    const source = this.opts.costPlan;
    if (!source) return null;
    try {
      return source.planAt(nowMs);
    } catch (err) {
      return { status: 'none', slot: null, upcoming: [], plannedAtMs: null, message: `the plan source failed: ${errorMessage(err)}`, expectedSavingTodayEur: null };
    }
  }

  private exportLimitW(res: Resolution): number {
    const hard = hardExportLimitW(this.site);
    const site = res.components.site;
    return site.policy === 'limit' && site.setpointW !== undefined ? Math.min(hard, Math.max(0, site.setpointW)) : hard;
  }

  private async runCycle(): Promise<CycleRecord> {
    const nowMs = this.clock.now();
    const startedAt = performance.now();
    if (this.remote.expire(nowMs)) {
      this.watchdogFallbacks++;
      this.opts.logger?.info({ event: 'watchdog' }, 'remote command expired; local regime takes over');
    }
    try {
      const snapshot = await readSnapshot(this.devices, nowMs, this.site.control.readTimeoutMs);
      this.counters.update(nowMs, counterPowers(snapshot));
      const t0 = performance.now();
      const resolution = this.resolve(nowMs);
      const cost = this.costPlanAt(nowMs);
      const plan = computeCycle({
        site: this.site,
        snapshot,
        resolution,
        memory: this.memory,
        exportLimitW: this.exportLimitW(resolution),
        importLimitW: hardImportLimitW(this.site),
        nowMs,
        ...(cost ? { cost } : {}),
      });
      const computeMs = performance.now() - t0;
      for (const [id, why] of snapshot.readErrors) {
        const group = this.site.devices.find((d) => d.nodeId === id)?.group ?? 'site';
        plan.constraints.push({ component: group, nodeId: id, message: `${id}: not read this cycle (${why}); not driven` });
      }
      this.memory.writeFailed = await writePlan(this.devices, plan, this.opts.logger);
      this.logConstraintChanges(plan);
      const record: CycleRecord = { atMs: nowMs, snapshot, plan, resolution, cost, computeMs, durationMs: performance.now() - startedAt };
      this.last = record;
      this.lastCycleError = null;
      for (const l of this.cycleListeners) l(record);
      return record;
    } catch (err) {
      const msg = errorMessage(err);
      this.cycleFailures++;
      if (msg !== this.lastCycleError) this.opts.logger?.error({ err: msg }, 'control cycle failed; devices keep their last setpoints');
      this.lastCycleError = msg;
      throw err;
    }
  }

  private async feedbackFor(
    record: CycleRecord,
    req: { requestTime: unknown; code: ResponseCode; errors: FieldError[]; fields: Record<string, unknown>; addressed: string[] },
  ): Promise<Feedback> {
    const nowMs = this.clock.now();
    // One reading per command [issue 12 §1]: the feedback shows the cycle's own readings (taken
    // before its writes) and the executed setpoints; a second read would double the bus traffic.
    const snapshot = record.snapshot;
    const meter = this.devices.commStatus?.().get(this.site.siteNodeId);
    const schedule = this.opts.schedule?.summary(nowMs);
    return buildFeedback({
      site: this.site,
      snapshot,
      plan: record.plan,
      resolution: record.resolution,
      counters: this.counters,
      nowMs,
      requestTime: req.requestTime,
      responseCode: req.code,
      errors: req.errors,
      fields: req.fields,
      addressedDevices: req.addressed,
      watchdogS: this.remote.secondsLeft(nowMs),
      ...(schedule ? { schedule } : {}),
      cost: record.cost,
      ...(meter && !meter.isOnline ? { gridMeterOffline: { sinceMs: meter.offlineSinceMs ?? nowMs, error: meter.lastError ?? 'not read' } } : {}),
    });
  }

  private constraintKinds = new Set<string>();
  /** Logs when a limit or rule starts or stops holding an asset back (not every cycle it does). */
  private logConstraintChanges(plan: CyclePlan): void {
    const kinds = new Map(plan.constraints.map((c) => [`${c.component}:${c.message.replace(/-?\d+(\.\d+)?/g, '#')}`, c]));
    for (const [kind, c] of kinds) if (!this.constraintKinds.has(kind)) this.opts.logger?.info({ component: c.component, nodeId: c.nodeId }, `constraint: ${c.message}`);
    for (const kind of this.constraintKinds) if (!kinds.has(kind)) this.opts.logger?.info({ constraint: kind }, 'constraint released');
    this.constraintKinds = new Set(kinds.keys());
  }

  private lastPeriodicMs = -Infinity;
  private shouldPublishPeriodic(everyS: number): boolean {
    const now = this.clock.now();
    // Half a cycle of slack: a tick that comes a millisecond early on the wall clock (timers run on
    // the monotonic one) must not skip a whole interval (feedbackIntervalS 1 lost ~6 % that way).
    if (now - this.lastPeriodicMs < everyS * 1000 - this.site.control.cycleMs / 2) return false;
    this.lastPeriodicMs = now;
    return true;
  }

  private async periodicFeedback(): Promise<void> {
    if (!this.last) return;
    const f = await this.feedbackFor(this.last, { requestTime: null, code: RESPONSE_CODES.OK, errors: [], fields: {}, addressed: [] });
    for (const l of this.feedbackListeners) l(f);
  }

  private fallbackOutcome(parsed: ParseResult, message: string): CommandOutcome {
    // No cycle has ever succeeded: answer with the code and an empty state rather than stay silent.
    const feedback = {
      time: Math.floor(this.clock.now() / 1000),
      requestTime: (parsed.requestTime ?? null) as Feedback['requestTime'],
      siteNodeId: this.site.siteNodeId,
      fields: {},
      data: { response_code: RESPONSE_CODES.INTERNAL_ERROR, errors: capErrors([{ field: '$', message }, ...(parsed.ok ? [] : parsed.errors)]) },
    } as unknown as Feedback;
    // A command taken into the remote state before the cycle failed still counts for the ordering rule.
    return { feedback, accepted: false, code: RESPONSE_CODES.INTERNAL_ERROR, appliedTimeMs: parsed.ok && !parsed.isEmpty ? parsed.timeMs : null };
  }
}

function targetName(s: CommandSignal): string {
  return s.target.kind === 'component' ? s.target.component : s.target.nodeId;
}

/** The applied fields with canonical policy strings (what feedback echoes in `fields`). */
function fieldsOf(signals: readonly CommandSignal[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of signals) {
    const name = targetName(s);
    out[`${name}_policy`] = s.policy;
    if (s.setpointW !== undefined) out[`${name}_power_setpoint_w`] = s.setpointW;
  }
  return out;
}
