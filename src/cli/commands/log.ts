import { InvalidArgumentError, Option, type Command } from 'commander';
import type { LoggedMessageKind, CommandLogRow } from '../../store/command-log.ts';
import { DEFAULT_DATA_DIR } from '../../store/paths.ts';
import { parsePositiveInt } from '../arg-parsers.ts';
import { describeResponseCode } from '../format-feedback.ts';
import { consoleIo, EXIT_FAILURE, EXIT_OK, errorText, type CliIo } from '../io.ts';
import { slotTimeS } from '../schedule-file.ts';

/*
 * `gridpilot log`: the recent commands, schedules and price messages the controller received, with the
 * response_code each was answered with and what was executed. Reads the command log from the
 * data directory's SQLite store directly (read-only, safe while the controller runs): the log is
 * local audit data, and the wire protocol has no message to ask for it.
 */

export interface LogFlags {
  dataDir: string;
  limit: number;
  /** Unix ms. */
  since?: number;
  kind?: LoggedMessageKind;
  rejected?: boolean;
  json?: boolean;
  /** Print whole payloads. */
  payload?: boolean;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '').replace('T', ' ');
}

function short(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function slotsText(n: number | string, fromMs: number, toMs: number): string {
  return `${n} price slot${n === 1 ? '' : 's'}, ${iso(fromMs).slice(0, 16)} → ${iso(toMs).slice(0, 16)}`;
}

/**
 * A price message: slots, first start and last end. describeRequest takes them from what was
 * stored when it was accepted (a large message's payload is truncated in the log); for a rejected
 * one, from the payload as far as it is readable.
 */
function describePrices(msg: unknown, payload: string): string {
  const prices = typeof msg === 'object' && msg !== null ? (msg as { prices?: unknown }).prices : undefined;
  if (!Array.isArray(prices) || prices.length === 0) return short(payload, 60);
  const first = prices[0] as { start?: unknown } | null;
  const last = prices[prices.length - 1] as { end?: unknown } | null;
  if (typeof first?.start !== 'number' || typeof last?.end !== 'number') return `${prices.length} price slot${prices.length === 1 ? '' : 's'}`;
  return slotsText(prices.length, first.start * 1000, last.end * 1000);
}

/** What the message asked for, in one line. */
function describeRequest(row: CommandLogRow): string {
  const storedPrices = row.executed?.prices;
  if (row.kind === 'prices' && storedPrices) return slotsText(storedPrices.slots, storedPrices.fromMs, storedPrices.toMs);
  let msg: unknown;
  try {
    msg = JSON.parse(row.payload);
  } catch {
    return `payload ${short(JSON.stringify(row.payload), 60)}${row.payloadBytes > row.payload.length ? ` (${row.payloadBytes} bytes)` : ''}`;
  }
  if (row.kind === 'prices') return describePrices(msg, row.payload);
  if (typeof msg !== 'object' || msg === null) return short(row.payload, 60);
  if (row.kind === 'schedule') {
    const m = msg as { mode?: unknown; schedule?: unknown };
    const n = Array.isArray(m.schedule) ? m.schedule.length : '?';
    return `${typeof m.mode === 'string' ? m.mode : 'merge'}, ${n} slot${n === 1 ? '' : 's'}`;
  }
  const fields = (msg as { fields?: unknown }).fields;
  if (typeof fields !== 'object' || fields === null) return short(row.payload, 60);
  const entries = Object.entries(fields);
  if (entries.length === 0) return '(empty: feedback request)';
  return short(entries.map(([k, v]) => `${k.replace(/_power_setpoint_w$/, '_W').replace(/_policy$/, '')}=${String(v)}`).join(' '));
}

function describeExecuted(row: CommandLogRow): string {
  const c = row.executed?.components;
  if (!c) return '';
  const part = (key: string, label: string): string | null => {
    const x = c[key];
    if (!x) return null;
    return `${label} ${x.policy}${x.executedW !== 0 ? ` ${Math.round(x.executedW)} W` : ''}${x.activeSignal && x.activeSignal !== 'local' ? ` [${x.activeSignal}]` : ''}`;
  };
  return [part('storage', 'storage'), part('solar', 'solar'), part('variable_load', 'ev')].filter((p) => p !== null).join(' · ');
}

/** One block per entry, newest first. */
export function formatLogRows(rows: readonly CommandLogRow[], opts: { payload?: boolean } = {}): string {
  const lines: string[] = [];
  for (const r of rows) {
    lines.push(`${iso(r.receivedAtMs)}  ${r.kind.padEnd(8)}  ${describeResponseCode(r.responseCode).split(':')[0]?.padEnd(20)}  ${describeRequest(r)}`);
    const executed = describeExecuted(r);
    if (executed && r.responseCode < 10) lines.push(`${''.padEnd(25)}→ ${executed}`);
    for (const e of r.errors) lines.push(`${''.padEnd(25)}! ${e.field}: ${e.message}`);
    if (opts.payload) lines.push(`${''.padEnd(25)}${r.payload}`);
  }
  return lines.join('\n');
}

export async function runLog(flags: LogFlags, io: CliIo): Promise<number> {
  const { HistoryReader } = await import('../../store/queries.ts');
  let reader: InstanceType<typeof HistoryReader>;
  try {
    reader = new HistoryReader(flags.dataDir);
  } catch (err) {
    io.err(`error: ${errorText(err)}`);
    return EXIT_FAILURE;
  }
  try {
    const rows = reader.commands({
      limit: flags.limit,
      ...(flags.since !== undefined ? { fromMs: flags.since } : {}),
      ...(flags.kind !== undefined ? { kind: flags.kind } : {}),
      ...(flags.rejected ? { isRejectedOnly: true } : {}),
    });
    if (flags.json) {
      for (const r of rows) io.out(JSON.stringify(r));
    } else if (rows.length === 0) {
      io.out(`no matching entries in ${reader.file}`);
    } else {
      io.out(formatLogRows(rows, { payload: flags.payload ?? false }));
    }
    return EXIT_OK;
  } finally {
    reader.close();
  }
}

function parseSince(text: string): number {
  try {
    return slotTimeS(/^\d+$/.test(text) ? Number(text) : text, Date.now(), '--since') * 1000;
  } catch {
    throw new InvalidArgumentError('expected an ISO 8601 time, Unix seconds, or relative like -1h.');
  }
}


/** Registers `gridpilot log`. */
export function registerLog(program: Command, run: (action: () => Promise<number>) => Promise<void>, io: CliIo = consoleIo): void {
  program
    .command('log')
    .summary('print recent commands, schedules and price messages with their response codes')
    .description("Prints the command log from the controller's data directory (read-only; safe while it runs), newest first:\nwhen, what kind, the response_code it was answered with, what it asked for and what was executed.")
    .addOption(new Option('--data-dir <dir>', "the controller's data directory").default(DEFAULT_DATA_DIR).env('GRIDPILOT_DATA_DIR'))
    .option('-n, --limit <n>', 'most entries', parsePositiveInt, 20)
    .option('--since <time>', 'only entries received since: ISO 8601, Unix seconds, or relative like -1h', parseSince)
    .addOption(new Option('--kind <kind>', 'only commands, only schedules or only price messages').choices(['command', 'schedule', 'prices']))
    .option('--rejected', 'only messages rejected as a whole (response_code ≥ 10)')
    .option('--payload', 'also print each payload (as stored, at most 8 KiB)')
    .option('--json', 'one JSON object per entry and line (for jq)')
    .action((flags: LogFlags) => run(() => runLog(flags, io)));
}
