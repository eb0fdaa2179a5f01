/**
 * `/healthz`: is the controller doing its job? Healthy while the control cycle runs on time and
 * the store (when there is one) commits its writes. A lost broker connection is reported but does
 * not make it unhealthy: the controller then runs its local regime, which is correct behaviour,
 * and restarting it would not bring the broker back.
 */

export interface HealthInputs {
  /** Controller clock now, Unix ms. */
  nowMs: number;
  /** Start of the last completed cycle (controller clock), Unix ms; null before the first. */
  lastCycleAtMs: number | null;
  /** The last cycle's error; null when it succeeded. */
  lastCycleError: string | null;
  /** control.cycleMs, control.readTimeoutMs, control.writeTimeoutMs. */
  cycleMs: number;
  readTimeoutMs: number;
  writeTimeoutMs: number;
  /** null = no store (no data directory). */
  store: { isWorkerAlive: boolean; lastWrite: { atMs: number; error: string | null } | null } | null;
  /** null = not known (no link). */
  isBrokerConnected: boolean | null;
}

export interface HealthReport {
  status: 'ok' | 'unhealthy';
  /** Why it is unhealthy, in words; empty when ok. */
  reasons: string[];
  cycle: { lastAtMs: number | null; ageMs: number | null; maxAgeMs: number; lastError: string | null };
  store: { state: 'ok' | 'failing' | 'none'; lastWriteAtMs: number | null; error: string | null };
  broker: { isConnected: boolean | null };
}

/**
 * The longest a cycle may be overdue before the controller counts as stalled, ms: three periods,
 * and never less than one period plus a cycle's longest device read and write (bounded by their
 * timeouts), so a short `cycleMs` with slow devices is not reported as stalled.
 */
export function maxCycleAgeMs(i: Pick<HealthInputs, 'cycleMs' | 'readTimeoutMs' | 'writeTimeoutMs'>): number {
  return Math.max(3 * i.cycleMs, i.cycleMs + i.readTimeoutMs + i.writeTimeoutMs);
}

/** Pure: the report for these inputs. */
export function assessHealth(i: HealthInputs): HealthReport {
  const reasons: string[] = [];
  const maxAgeMs = maxCycleAgeMs(i);
  const ageMs = i.lastCycleAtMs === null ? null : Math.max(0, i.nowMs - i.lastCycleAtMs);
  if (ageMs === null) reasons.push('no control cycle has completed yet');
  else if (ageMs > maxAgeMs) {
    reasons.push(
      `the control cycle is stalled: the last one completed ${(ageMs / 1000).toFixed(1)} s ago (expected every ${i.cycleMs / 1000} s, at most ${maxAgeMs / 1000} s)` +
        (i.lastCycleError ? `; the last cycle failed: ${i.lastCycleError}` : ''),
    );
  }
  let storeState: HealthReport['store']['state'] = 'none';
  let storeError: string | null = null;
  if (i.store) {
    storeState = 'ok';
    if (!i.store.isWorkerAlive) {
      storeState = 'failing';
      storeError = 'the database worker is not running (it is being restarted)';
    } else if (i.store.lastWrite?.error) {
      storeState = 'failing';
      storeError = i.store.lastWrite.error;
    }
    if (storeError) reasons.push(`the store's last write failed: ${storeError}`);
  }
  return {
    status: reasons.length === 0 ? 'ok' : 'unhealthy',
    reasons,
    cycle: { lastAtMs: i.lastCycleAtMs, ageMs, maxAgeMs, lastError: i.lastCycleError },
    store: { state: storeState, lastWriteAtMs: i.store?.lastWrite?.atMs ?? null, error: storeError },
    broker: { isConnected: i.isBrokerConnected },
  };
}
