import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { clearSchedule, type GridpilotClient, type ScheduleInput, type ScheduleMode } from '../../client/index.ts';
import type { Feedback } from '../../protocol/feedback.ts';
import { DEFAULT_DATA_DIR } from '../../store/paths.ts';
import type { ScheduleRow } from '../../store/schedule-rows.ts';
import { parsePositiveNumber } from '../arg-parsers.ts';
import { addConnectionOptions, connectClient, sendAndPrintFeedback, type ConnectionFlags } from '../connection-options.ts';
import { consoleIo, EXIT_FAILURE, EXIT_OK, UsageError, errorText, type CliIo } from '../io.ts';
import { readScheduleFile } from '../schedule-file.ts';

/*
 * `gridpilot schedule send <file>` / `show` / `clear` [scheduled §Message]. send and clear go over
 * MQTT (the schedule topic, answered on the feedback topic) like `gridpilot send`; show reads the
 * stored schedule from the controller's data directory (SQLite, read-only, safe while it runs),
 * or with --mqtt asks the controller (an empty command) for its summary, `data.schedule`.
 */

export interface ScheduleSendFlags extends ConnectionFlags {
  mode?: ScheduleMode;
  /** Seconds to wait for the feedback. */
  timeout: number;
  json?: boolean;
}

export interface ScheduleShowFlags extends ConnectionFlags {
  dataDir: string;
  mqtt?: boolean;
  timeout: number;
  json?: boolean;
}

function sendAndPrint(input: ScheduleInput, flags: ScheduleSendFlags, io: CliIo, what: string): Promise<number> {
  return sendAndPrintFeedback(
    flags,
    io,
    (client) => `→ ${client.topics.schedule}: ${what}`,
    (client) => client.sendSchedule(input, { timeoutMs: flags.timeout * 1000 }),
  );
}

/** Sends a schedule file; exit 0 when stored (response_code < 10), 1 when rejected, on timeout or without broker. */
export async function runScheduleSend(file: string, flags: ScheduleSendFlags, io: CliIo, nowMs = Date.now()): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${errorText(err)}`);
  }
  const input = readScheduleFile(text, { nowMs, file, ...(flags.mode !== undefined ? { mode: flags.mode } : {}) });
  const n = input.schedule.length;
  return sendAndPrint(input, flags, io, `${n} slot${n === 1 ? '' : 's'}, mode ${input.mode ?? 'merge (default)'}`);
}

/** Clears the stored schedule (`mode: replace`, no slot). */
export function runScheduleClear(flags: ScheduleSendFlags, io: CliIo): Promise<number> {
  return sendAndPrint(clearSchedule(), flags, io, 'clear (mode replace, no slot)');
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(':00.000Z', 'Z').replace('.000Z', 'Z');
}

function describeFields(fields: Record<string, string | number>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (!key.endsWith('_policy')) continue;
    const prefix = key.slice(0, -'_policy'.length);
    const w = fields[`${prefix}_power_setpoint_w`];
    parts.push(`${prefix} ${String(value)}${w !== undefined ? ` ${w} W` : ''}`);
  }
  return parts.length ? parts.join(', ') : '(every component on its local default)';
}

/** The stored slots as a table; the state column uses this machine's clock. */
export function formatScheduleRows(rows: readonly ScheduleRow[], file: string, nowMs = Date.now()): string {
  if (rows.length === 0) return `no schedule stored (${file})`;
  const lines = [`${rows.length} slot${rows.length === 1 ? '' : 's'} stored in ${file}:`, `  ${'start'.padEnd(20)} ${'end'.padEnd(20)} ${'state'.padEnd(7)} fields`];
  for (const r of rows) {
    const state = r.endMs <= nowMs ? 'ended' : r.startMs <= nowMs ? 'active' : '';
    lines.push(`  ${iso(r.startMs).padEnd(20)} ${iso(r.endMs).padEnd(20)} ${state.padEnd(7)} ${describeFields(r.fields)}`);
  }
  return lines.join('\n');
}

function formatSummary(feedback: Feedback): string {
  const s = feedback.data.schedule;
  if (!s) return 'the controller did not report a schedule (data.schedule missing: an older controller?)';
  const t = (v: number | null): string => (v === null ? '-' : iso(v * 1000));
  return `${s.slots} slot${s.slots === 1 ? '' : 's'} stored  next start ${t(s.next_start)}  active until ${t(s.active_until)}`;
}

/** Prints the stored schedule from the data directory, or (--mqtt) the controller's summary. */
export async function runScheduleShow(flags: ScheduleShowFlags, io: CliIo): Promise<number> {
  if (!flags.mqtt) {
    const { HistoryReader } = await import('../../store/queries.ts');
    let reader: InstanceType<typeof HistoryReader>;
    try {
      reader = new HistoryReader(flags.dataDir);
    } catch (err) {
      io.err(`error: ${errorText(err)}\n(to ask a controller over MQTT instead: gridpilot schedule show --mqtt)`);
      return EXIT_FAILURE;
    }
    try {
      const rows = reader.schedule();
      io.out(flags.json ? JSON.stringify(rows) : formatScheduleRows(rows, reader.file));
      return EXIT_OK;
    } finally {
      reader.close();
    }
  }
  const client: GridpilotClient | null = await connectClient(flags, io);
  if (!client) return EXIT_FAILURE;
  try {
    const feedback = await client.requestFeedback({ timeoutMs: flags.timeout * 1000 });
    io.out(flags.json ? JSON.stringify(feedback.data.schedule ?? null) : formatSummary(feedback));
    return EXIT_OK;
  } catch (err) {
    io.err(`error: ${errorText(err)}`);
    return EXIT_FAILURE;
  } finally {
    await client.close({ force: true });
  }
}

const FILE_HELP = `
The file (JSON or YAML) holds a whole schedule message or just its "schedule" array:
  [ { "start": "+15m", "end": "+30m", "fields": { "storage_policy": "setpoint", "storage_power_setpoint_w": 3000 } },
    { "start": "2025-11-26T00:30:00Z", "end": 1764118800, "fields": { "solar_policy": "feed_in_limitation" } } ]
Times: Unix seconds, ISO 8601, or relative to now ("now", "+15m", "+1h30m", "-5m").
"time" is set to now when sending; "extraTags.nodeId" defaults to the site of --serial.
Slots use the live command's group-level fields (no device nodeIds); a slot must end within 7 days.`;


/** Registers `gridpilot schedule send|show|clear`. */
export function registerSchedule(program: Command, run: (action: () => Promise<number>) => Promise<void>, io: CliIo = consoleIo): void {
  const schedule = program.command('schedule').summary('send, show or clear the stored schedule (scheduled control)').description('Scheduled MQTT control: slots sent ahead of time, stored by the controller, run on time.');

  const send = schedule
    .command('send')
    .summary('send a schedule file and print the feedback')
    .description('Sends a schedule (QoS 1, on the schedule topic) and prints the feedback that answers it.\nExit code 0 = stored, 1 = rejected (response_code ≥ 10), timeout or no broker, 2 = bad file or arguments.')
    .argument('<file>', 'schedule file (JSON or YAML): a whole message or just the slots array')
    .addOption(new Option('--mode <mode>', 'merge (replace the overlapping stored slots) or replace (delete all first); default: the file\'s, else merge').choices(['merge', 'replace']))
    .option('--timeout <s>', 'seconds to wait for the feedback', parsePositiveNumber, 5)
    .option('--json', 'print the raw feedback JSON (one line)');
  addConnectionOptions(send);
  send.addHelpText('after', FILE_HELP);
  send.action((file: string, flags: ScheduleSendFlags) => run(() => runScheduleSend(file, flags, io)));

  const show = schedule
    .command('show')
    .summary('print the stored schedule')
    .description("Prints the slots stored in the controller's data directory (read-only; safe while it runs).\nWith --mqtt, asks the controller over MQTT instead (an empty command) and prints its summary: slots, next start, active until.")
    .addOption(new Option('--data-dir <dir>', "the controller's data directory").default(DEFAULT_DATA_DIR).env('GRIDPILOT_DATA_DIR'))
    .option('--mqtt', 'ask the controller over MQTT for its summary instead of reading the data directory')
    .option('--timeout <s>', 'with --mqtt: seconds to wait for the feedback', parsePositiveNumber, 5)
    .option('--json', 'print JSON (the slots, or with --mqtt data.schedule)');
  addConnectionOptions(show);
  show.action((flags: ScheduleShowFlags) => run(() => runScheduleShow(flags, io)));

  const clear = schedule
    .command('clear')
    .summary('delete every stored slot')
    .description('Sends "mode": "replace" with no slot, which clears the stored schedule, and prints the feedback.')
    .option('--timeout <s>', 'seconds to wait for the feedback', parsePositiveNumber, 5)
    .option('--json', 'print the raw feedback JSON (one line)');
  addConnectionOptions(clear);
  clear.action((flags: ScheduleSendFlags) => run(() => runScheduleClear(flags, io)));
}
