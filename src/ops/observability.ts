import type { Clock } from '../core/clock.ts';
import type { ControllerStats, CycleRecord } from '../control/controller.ts';
import type { CommStatus } from '../devices/driver.ts';
import type { SiteConfig } from '../site/site-config.ts';
import type { StoreHealth, StoreWriteReport } from '../store/store.ts';
import { Counter, Gauge, Histogram, Registry, type Labels } from './exposition.ts';
import { assessHealth, type HealthReport } from './health.ts';

/** The parts metrics and health read (the real Controller, Store, RemoteLink and CostService fit). */
export interface ObservedParts {
  site: SiteConfig;
  clock: Pick<Clock, 'now'>;
  controller: { onCycle(l: (r: CycleRecord) => void): () => void; lastCycle(): CycleRecord | null; stats(): ControllerStats };
  /** null without a data directory. */
  store: { onWrite(l: (w: StoreWriteReport) => void): () => void; health(): StoreHealth } | null;
  /** The controller's MQTT link; null when there is none. */
  link: { isConnected(): boolean } | null;
  /** Communication status per device nodeId and of the grid meter (under the site nodeId). */
  commStatus: () => ReadonlyMap<string, CommStatus>;
  /** The `cost` policy's planner: the plan in force (a new object for every accepted plan). */
  plans: { currentPlan(): { status: string; solveMs: number } | null } | null;
}

export interface Observability {
  /** The Prometheus text exposition of every metric. */
  metrics(): string;
  health(): HealthReport;
  /** Stops observing (the listeners on the controller and the store). */
  close(): void;
}

const s = (ms: number): number => ms / 1000;
const one = (value: number, labels: Labels = {}) => [{ labels, value }];

/** Cycle: reads bounded by readTimeoutMs (500 ms default) and writes by writeTimeoutMs. */
const CYCLE_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Planner: a battery LP takes 30–130 ms, a MILP seconds, the timeout is planTimeoutMs (≤ 60 s). */
const SOLVE_BUCKETS_S = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Store: one transaction with an fsync (synchronous=FULL): ~1 ms on an SSD, tens on an SD card. */
const STORE_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The controller's metrics and health, from the running parts (ops/README.md lists them).
 * Histograms are fed by listeners (every cycle, every store batch, every new plan); everything
 * else is read at scrape time, so a scrape costs nothing between scrapes.
 */
export function observe(parts: ObservedParts): Observability {
  const { site, controller, store } = parts;
  const registry = new Registry();
  const startedAtS = Math.floor(Date.now() / 1000);

  const cycleSeconds = registry.register(new Histogram('gridpilot_cycle_duration_seconds', 'Wall time of a control cycle: device reads, arbitration, policies and limits, device writes.', CYCLE_BUCKETS_S));
  registry.register(new Counter('gridpilot_cycle_failures_total', 'Control cycles that failed (the devices kept their last setpoints).', [], () => one(controller.stats().cycleFailures)));
  registry.register(
    new Gauge('gridpilot_last_cycle_timestamp_seconds', 'Start of the last completed control cycle, Unix seconds (controller clock).', [], () => {
      const last = controller.lastCycle();
      return last ? one(s(last.atMs)) : [];
    }),
  );
  registry.register(
    new Counter('gridpilot_commands_total', 'Live commands answered (MQTT and the web API), by response_code.', ['response_code'], () =>
      [...controller.stats().commandsByCode].sort(([a], [b]) => a - b).map(([code, n]) => ({ labels: { response_code: String(code) }, value: n })),
    ),
  );
  registry.register(new Counter('gridpilot_watchdog_fallbacks_total', 'Times the watchdog expired the remote commands and the local defaults took over.', [], () => one(controller.stats().watchdogFallbacks)));
  registry.register(
    new Gauge('gridpilot_device_online', 'Whether a device (or the grid meter, group "grid") answered its last read: 1 online, 0 offline.', ['node_id', 'group'], () => {
      const status = parts.commStatus();
      const readErrors = controller.lastCycle()?.snapshot.readErrors;
      const online = (id: string): number => {
        const st = status.get(id);
        if (st) return st.isOnline ? 1 : 0;
        return readErrors?.has(id) ? 0 : 1;
      };
      return [
        { labels: { node_id: site.siteNodeId, group: 'grid' }, value: online(site.siteNodeId) },
        ...site.devices.map((d) => ({ labels: { node_id: d.nodeId, group: d.group }, value: online(d.nodeId) })),
      ];
    }),
  );
  registry.register(new Gauge('gridpilot_broker_connected', "Whether the controller's MQTT link is connected to the broker: 1 yes, 0 no.", [], () => (parts.link ? one(parts.link.isConnected() ? 1 : 0) : [])));
  const solveSeconds = registry.register(new Histogram('gridpilot_planner_solve_seconds', "Time the day-ahead planner took for a plan (the solver's own measure).", SOLVE_BUCKETS_S));
  const plansTotal = registry.register(new Counter('gridpilot_plans_total', 'Plans the cost policy received, by status (optimal, time_limit, fallback).', ['status']));
  const storeSeconds = registry.register(new Histogram('gridpilot_store_write_seconds', 'Wall time of one store transaction (a batch of writes sharing one fsync).', STORE_BUCKETS_S));
  const storeFailures = registry.register(new Counter('gridpilot_store_write_failures_total', 'Store writes that failed.'));
  registry.register(new Gauge('process_resident_memory_bytes', 'Resident memory of the process, bytes.', [], () => one(process.memoryUsage.rss())));
  registry.register(new Gauge('nodejs_heap_used_bytes', 'V8 heap in use, bytes.', [], () => one(process.memoryUsage().heapUsed)));
  registry.register(new Gauge('process_start_time_seconds', 'When the process started observing, Unix seconds (wall time).', [], () => one(startedAtS)));

  // A plan is seen by identity: the CostService replaces the object for every plan it accepts.
  // Checked after every cycle and at every scrape, so a plan replaced within one cycle (the fast
  // plan and its proof) counts once, the one that ran.
  let lastPlan: object | null = null;
  const notePlan = (): void => {
    const plan = parts.plans?.currentPlan() ?? null;
    if (plan === null || plan === lastPlan) return;
    lastPlan = plan;
    solveSeconds.observe(s(plan.solveMs));
    plansTotal.inc({ status: plan.status });
  };

  const stopCycles = controller.onCycle((record) => {
    cycleSeconds.observe(s(record.durationMs));
    notePlan();
  });
  const stopWrites =
    store?.onWrite((w) => {
      storeSeconds.observe(s(w.durationMs));
      if (w.failed > 0) storeFailures.inc({}, w.failed);
    }) ?? (() => undefined);

  return {
    metrics() {
      notePlan();
      return registry.render();
    },
    health() {
      const last = controller.lastCycle();
      return assessHealth({
        nowMs: parts.clock.now(),
        lastCycleAtMs: last?.atMs ?? null,
        lastCycleError: controller.stats().lastCycleError,
        cycleMs: site.control.cycleMs,
        readTimeoutMs: site.control.readTimeoutMs,
        writeTimeoutMs: site.control.writeTimeoutMs,
        store: store?.health() ?? null,
        isBrokerConnected: parts.link ? parts.link.isConnected() : null,
      });
    },
    close() {
      stopCycles();
      stopWrites();
    },
  };
}
