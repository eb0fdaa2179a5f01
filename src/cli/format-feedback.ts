import type { Feedback } from '../protocol/feedback.ts';
import { RESPONSE_CODE_MEANING, RESPONSE_CODES, type ResponseCode } from '../protocol/response-codes.ts';

/*
 * The feedback pretty-printer shared by send, watch and demo: one compact block per message,
 * signs as on the wire (grid + import, storage + charge, solar + production, loads + consumption).
 */

const CODE_NAMES = new Map<number, string>(Object.entries(RESPONSE_CODES).map(([name, code]) => [code, name]));
const GROUP_KEYS = new Set(['vpp_id', 'grid', 'storage', 'solar', 'heat_pump', 'switched_load', 'variable_load']);

/** `0 OK: command accepted and applied …`; unknown codes say so. */
export function describeResponseCode(code: number): string {
  const name = CODE_NAMES.get(code);
  const meaning = (RESPONSE_CODE_MEANING as Record<number, string | undefined>)[code];
  return name && meaning ? `${code} ${name}: ${meaning}` : `${code} (not in the response_code table)`;
}

/** Whether the controller rejected the message as a whole [live §4.1]: response_code ≥ 10. */
export function isRejected(feedback: Feedback): boolean {
  return feedback.data.response_code >= 10;
}

function isoTime(wireTime: number): string {
  const ms = Math.abs(wireTime) > 1e11 ? wireTime : wireTime * 1000;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(wireTime) : date.toISOString().replace('.000Z', 'Z');
}

function watts(w: number, signed = false): string {
  const rounded = Math.round(w);
  return `${signed && rounded > 0 ? '+' : ''}${rounded} W`;
}

function kWh(wh: number): string {
  return `${(wh / 1000).toFixed(1)} kWh`;
}

function signalNote(group: { active_signal?: string | undefined; watchdog_s?: number | undefined; constraints?: string[] | undefined }): string {
  const parts: string[] = [];
  if (group.active_signal) parts.push(group.active_signal);
  if (group.watchdog_s !== undefined) parts.push(`watchdog ${Math.round(group.watchdog_s)} s`);
  return parts.length ? `  [${parts.join(', ')}]` : '';
}

function devices(n: number): string {
  return `(${n} device${n === 1 ? '' : 's'})`;
}

function row(label: string, policy: string, rest: string): string {
  return `  ${label.padEnd(14)} ${policy.padEnd(18)} ${rest}`.trimEnd();
}

function constraintLines(group: { constraints?: string[] | undefined }): string[] {
  return (group.constraints ?? []).map((c) => `  ${''.padEnd(14)} ↳ ${c}`);
}

function describeDevice(nodeId: string, value: unknown): string {
  if (typeof value !== 'object' || value === null) return `  ${nodeId}: ${JSON.stringify(value)}`;
  const v = value as Record<string, unknown>;
  const policy = typeof v.executed_policy === 'string' ? v.executed_policy : '';
  const parts: string[] = [];
  if (typeof v.executed_power_W === 'number') parts.push(`executed ${watts(v.executed_power_W, true)}`);
  if (typeof v.active_power_W === 'number') parts.push(`active ${watts(v.active_power_W, true)}`);
  if (typeof v.mean_soc_perc === 'number') parts.push(`SoC ${Math.round(v.mean_soc_perc)} %`);
  if (typeof v.soc_perc === 'number') parts.push(`SoC ${Math.round(v.soc_perc)} %`);
  if (!policy && parts.length === 0) return `  ${nodeId}: ${JSON.stringify(value)}`;
  return `  ${nodeId}\n${row('', policy, parts.join('  '))}`;
}

/**
 * One block per feedback message: header, response code and meaning, errors, then one row per
 * component (executed policy, executed/active power, the key state), devices and schedule.
 */
export function formatFeedback(feedback: Feedback): string {
  const { data } = feedback;
  const s = data.state;
  const lines: string[] = [];
  lines.push(`feedback  requestTime ${String(feedback.requestTime)}  site ${feedback.siteNodeId}  at ${isoTime(feedback.time)}`);
  lines.push(`  response_code ${describeResponseCode(data.response_code)}`);
  for (const e of data.errors ?? []) lines.push(`  ! ${e.field}: ${e.message}`);

  const g = s.grid;
  const direction = g.active_power_W > 0 ? 'import' : g.active_power_W < 0 ? 'export' : 'balanced';
  lines.push(
    row('grid', '', `${watts(g.active_power_W, true)} (${direction})  limits import ${watts(g.import_limit_W)} / export ${watts(g.export_limit_W)}  today +${kWh(g.today_imported_energy_Wh)} −${kWh(g.today_exported_energy_Wh)}${signalNote(g)}`),
  );
  lines.push(...constraintLines(g));

  const st = s.storage;
  lines.push(
    row('storage', st.executed_policy, `executed ${watts(st.executed_power_W, true)}  active ${watts(st.active_power_W, true)}  SoC ${Math.round(st.mean_soc_perc)} %  ${devices(st.nr_devices)}${signalNote(st)}`),
  );
  lines.push(...constraintLines(st));

  const so = s.solar;
  lines.push(row('solar', so.executed_policy, `executed ${watts(so.executed_power_W)}  active ${watts(so.active_power_W)}  capacity ${watts(so.capacity_W)}  ${devices(so.nr_devices)}${signalNote(so)}`));
  lines.push(...constraintLines(so));

  const hp = s.heat_pump;
  lines.push(row('heat_pump', hp.executed_policy, `executed ${watts(hp.executed_power_W)}  modes ${hp.operation_modes.join(',') || '-'}  ${devices(hp.nr_devices)}${signalNote(hp)}`));
  lines.push(...constraintLines(hp));

  const sl = s.switched_load;
  lines.push(row('switched_load', sl.executed_policy, `executed ${watts(sl.executed_power_W)}  on ${sl.devices_on} / off ${sl.devices_off}  ${devices(sl.nr_devices)}${signalNote(sl)}`));
  lines.push(...constraintLines(sl));

  const ev = s.variable_load;
  const evState = ev.ev_requiring_charge ? 'EV wants charge' : 'no EV wants charge';
  lines.push(
    row('variable_load', ev.executed_policy, `executed ${watts(ev.executed_power_W)} (${ev.executed_current_A} A)  active ${watts(ev.active_power_W)}  ${evState}${signalNote(ev)}`),
  );
  lines.push(...constraintLines(ev));

  for (const [key, value] of Object.entries(s)) {
    if (!GROUP_KEYS.has(key)) lines.push(describeDevice(key, value));
  }
  if (data.schedule) {
    const sc = data.schedule;
    const next = sc.next_start === null ? '-' : isoTime(sc.next_start);
    const until = sc.active_until === null ? '-' : isoTime(sc.active_until);
    lines.push(row('schedule', '', `${sc.slots} slot${sc.slots === 1 ? '' : 's'}  next start ${next}  active until ${until}`));
  }
  return lines.join('\n');
}

/** One line per status message (retained online/offline status of the controller). */
export function formatStatus(topic: string, status: unknown, nowMs: number = Date.now()): string {
  const text = typeof status === 'string' ? status : JSON.stringify(status);
  return `status    ${topic}  at ${isoTime(Math.floor(nowMs / 1000))}: ${text}`;
}

export function isKnownResponseCode(code: number): code is ResponseCode {
  return CODE_NAMES.has(code);
}
