import type { Database } from 'better-sqlite3';

/** A stored schedule slot: ms bounds and its canonical group-level fields [scheduled §Message]. */
export interface ScheduleRow {
  /** Unix ms, inclusive. */
  startMs: number;
  /** Unix ms, exclusive. */
  endMs: number;
  /** Canonical fields, e.g. `{ storage_policy: 'setpoint', storage_power_setpoint_w: 3000 }`. */
  fields: Record<string, string | number>;
}

/** Replaces the whole stored schedule (at most 2,000 rows) in the caller's transaction. */
export function replaceScheduleRows(db: Database, rows: readonly ScheduleRow[]): void {
  db.prepare('DELETE FROM schedule_slots').run();
  const insert = db.prepare('INSERT INTO schedule_slots (start_ms, end_ms, fields_json) VALUES (?, ?, ?)');
  for (const r of rows) insert.run(r.startMs, r.endMs, JSON.stringify(r.fields));
}

/** Every stored slot, by start. Rows whose fields are not a JSON object are skipped. */
export function readScheduleRows(db: Database): ScheduleRow[] {
  const raw = db.prepare('SELECT start_ms, end_ms, fields_json FROM schedule_slots ORDER BY start_ms').all() as Array<{ start_ms: number; end_ms: number; fields_json: string }>;
  const rows: ScheduleRow[] = [];
  for (const r of raw) {
    let fields: unknown;
    try {
      fields = JSON.parse(r.fields_json);
    } catch {
      continue;
    }
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) continue;
    rows.push({ startMs: r.start_ms, endMs: r.end_ms, fields: fields as Record<string, string | number> });
  }
  return rows;
}
