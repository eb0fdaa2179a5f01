import { parse as parseYaml } from 'yaml';
import type { ScheduleInput, ScheduleMode } from '../client/index.ts';
import { UsageError } from './io.ts';

/*
 * The file `gridpilot schedule send` reads: JSON (or YAML), either a whole schedule message
 * [scheduled §Message] or just its `schedule` array. `time` is always set to now when sending (a
 * file's own `time` would soon be too old, 15); `extraTags.nodeId` defaults to the site of
 * --serial / --site-node-id. Slot times may be written, besides Unix seconds as on the wire:
 *   - ISO 8601: "2025-11-26T00:15:00Z"
 *   - relative to now: "now", "+15m", "+1h30m", "+90s", "+2d", "-5m"
 * and are sent as Unix seconds.
 */

const RELATIVE = /^([+-])((?:\d+(?:\.\d+)?[dhms])+)$/;
const UNIT_S: Record<string, number> = { d: 86_400, h: 3600, m: 60, s: 1 };

/** A slot time from a file → Unix seconds (numbers pass through: the controller reads ms too). */
export function slotTimeS(value: unknown, nowMs: number, where: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new UsageError(`${where}: expected a finite time, got ${value}`);
    return value;
  }
  if (typeof value !== 'string') throw new UsageError(`${where}: expected Unix seconds, an ISO 8601 time or "+15m", got ${JSON.stringify(value)}`);
  const text = value.trim();
  const nowS = Math.floor(nowMs / 1000);
  if (text === 'now') return nowS;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const rel = RELATIVE.exec(text.replace(/\s+/g, ''));
  if (rel) {
    let s = 0;
    for (const part of (rel[2] ?? '').matchAll(/(\d+(?:\.\d+)?)([dhms])/g)) s += Number(part[1]) * (UNIT_S[part[2] ?? 's'] ?? 1);
    return nowS + (rel[1] === '-' ? -1 : 1) * Math.round(s);
  }
  const ms = Date.parse(text);
  if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  throw new UsageError(`${where}: "${value}" is not a time (Unix seconds, ISO 8601 like 2025-11-26T00:15:00Z, or relative like +15m)`);
}

/**
 * Reads a schedule file's text into what `GridpilotClient.sendSchedule` takes. `mode` from the
 * command line wins over the file's. Throws UsageError naming the problem.
 */
export function readScheduleFile(text: string, opts: { nowMs: number; mode?: ScheduleMode; file?: string }): ScheduleInput {
  const name = opts.file ?? 'schedule file';
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new UsageError(`${name}: not valid JSON/YAML (${err instanceof Error ? err.message : String(err)})`);
  }
  let slots: unknown;
  let mode: unknown;
  let extraTags: unknown;
  if (Array.isArray(raw)) slots = raw;
  else if (typeof raw === 'object' && raw !== null && Array.isArray((raw as { schedule?: unknown }).schedule)) {
    const msg = raw as { schedule: unknown[]; mode?: unknown; extraTags?: unknown };
    slots = msg.schedule;
    mode = msg.mode;
    extraTags = msg.extraTags;
  } else {
    throw new UsageError(`${name}: expected a schedule message ({ "schedule": [ … ] }) or an array of slots`);
  }
  const schedule = (slots as unknown[]).map((slot, i) => {
    const where = `${name}: schedule[${i}]`;
    if (typeof slot !== 'object' || slot === null || Array.isArray(slot)) throw new UsageError(`${where}: expected { "start", "end", "fields" }`);
    const s = slot as { start?: unknown; end?: unknown; fields?: unknown };
    if (typeof s.fields !== 'object' || s.fields === null || Array.isArray(s.fields)) throw new UsageError(`${where}.fields: expected an object like { "storage_policy": "setpoint", "storage_power_setpoint_w": 3000 }`);
    return { start: slotTimeS(s.start, opts.nowMs, `${where}.start`), end: slotTimeS(s.end, opts.nowMs, `${where}.end`), fields: s.fields as Record<string, unknown> };
  });
  const input: ScheduleInput = { schedule };
  const m = opts.mode ?? mode;
  if (m !== undefined) {
    if (m !== 'merge' && m !== 'replace') throw new UsageError(`${name}: mode must be "merge" or "replace", got ${JSON.stringify(m)}`);
    input.mode = m;
  }
  const nodeId = typeof extraTags === 'object' && extraTags !== null ? (extraTags as { nodeId?: unknown }).nodeId : undefined;
  if (typeof nodeId === 'string') input.extraTags = { nodeId };
  return input;
}
