import type { Command } from 'commander';
import type { PriceSlotInput } from '../../client/index.ts';
import { GridpilotError } from '../../core/errors.ts';
import { loadPriceFile } from '../../optimizer/prices/price-file.ts';
import { priceSeriesEndMs, slicePriceSeries } from '../../optimizer/prices/price-series.ts';
import { parsePositiveNumber } from '../arg-parsers.ts';
import { addConnectionOptions, sendAndPrintFeedback, type ConnectionFlags } from '../connection-options.ts';
import { consoleIo, UsageError, errorText, type CliIo } from '../io.ts';
import { slotTimeS } from '../schedule-file.ts';

/*
 * `gridpilot prices send <file>`: publishes day-ahead prices from a price file (the bundled CSV
 * format, or JSON) on the prices topic for the `cost` policy, and prints the feedback that answers
 * them (docs/optimizer.md "Pushed over MQTT").
 */

export interface PricesSendFlags extends ConnectionFlags {
  /** First instant to send: Unix s, ISO 8601 or relative ("now", "-1h"). Default: the current slot. */
  from?: string;
  /** Hours to send (1–96). Default 48. */
  hours: number;
  retain?: boolean;
  /** Seconds to wait for the feedback. */
  timeout: number;
  json?: boolean;
}

/** At most 400 slots in one message (price-message.ts); 96 h of quarter hours is 384. */
const MAX_HOURS = 96;

/** The slots of `file` in [from, from + hours), as the message's `prices` array. */
export function priceSlotsFromFile(file: string, flags: Pick<PricesSendFlags, 'from' | 'hours'>, nowMs: number): PriceSlotInput[] {
  if (!(flags.hours > 0 && flags.hours <= MAX_HOURS)) throw new UsageError(`--hours must be 1–${MAX_HOURS} (one message holds at most 400 slots)`);
  let series;
  try {
    series = loadPriceFile(file);
  } catch (err) {
    if (err instanceof GridpilotError) throw new UsageError(errorText(err));
    throw err;
  }
  const fromMs = (flags.from !== undefined ? slotTimeS(flags.from, nowMs, '--from') : Math.floor(nowMs / 1000)) * 1000;
  const startMs = Math.floor(fromMs / series.slotMs) * series.slotMs;
  const slice = slicePriceSeries(series, startMs, startMs + flags.hours * 3_600_000);
  if (slice.pricesEurPerMwh.length === 0) {
    const iso = (ms: number): string => new Date(ms).toISOString();
    throw new UsageError(`${file} covers ${iso(series.startMs)} … ${iso(priceSeriesEndMs(series))}, nothing from ${iso(startMs)}: choose --from within it`);
  }
  const s = slice.slotMs / 1000;
  const first = slice.startMs / 1000;
  return slice.pricesEurPerMwh.map((p, i) => ({ start: first + i * s, end: first + (i + 1) * s, price_eur_mwh: p }));
}

/** Sends the prices; exit 0 when stored, 1 when rejected, on timeout or without broker, 2 on a bad file or arguments. */
export async function runPricesSend(file: string, flags: PricesSendFlags, io: CliIo, nowMs = Date.now()): Promise<number> {
  const slots = priceSlotsFromFile(file, flags, nowMs);
  const first = slots[0];
  const last = slots[slots.length - 1];
  const span = first && last ? `${slots.length} slots ${new Date(first.start * 1000).toISOString()} … ${new Date(last.end * 1000).toISOString()}` : 'no slot';
  return sendAndPrintFeedback(
    flags,
    io,
    (client) => `→ ${client.topics.prices}: ${span}${flags.retain ? ' (retained)' : ''}`,
    (client) => client.sendPrices(slots, { timeoutMs: flags.timeout * 1000, retain: flags.retain ?? false }),
  );
}

/** Registers `gridpilot prices send`. */
export function registerPrices(program: Command, run: (action: () => Promise<number>) => Promise<void>, io: CliIo = consoleIo): void {
  const prices = program.command('prices').summary('send day-ahead prices for the cost policy').description('Day-ahead spot prices pushed over MQTT (gridpilot/prices/<serial>) for the cost policy.');
  const send = prices
    .command('send')
    .summary('send prices from a file and print the feedback')
    .description(
      'Sends the prices of a file (CSV datetime_utc,date,hour,minute,price_eur_mwh as data/be-day-ahead-prices-2024-2025.csv,\n' +
        'or JSON) from --from for --hours, and prints the feedback that answers them. They override the controller\'s\n' +
        'own price source for the slots they cover. Exit code 0 = stored, 1 = rejected, timeout or no broker, 2 = bad file or arguments.',
    )
    .argument('<file>', 'price file: CSV (bundled format) or JSON')
    .option('--from <time>', 'first instant: Unix s, ISO 8601 or relative ("now", "-1h"); default now')
    .option('--hours <h>', `hours to send (1–${MAX_HOURS})`, parsePositiveNumber, 48)
    .option('--retain', 'publish retained (a restarted controller gets them again)')
    .option('--timeout <s>', 'seconds to wait for the feedback', parsePositiveNumber, 5)
    .option('--json', 'print the raw feedback JSON (one line)');
  addConnectionOptions(send);
  send.action((file: string, flags: PricesSendFlags) => run(() => runPricesSend(file, flags, io)));
}
