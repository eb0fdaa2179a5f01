import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { cmd } from '../../client/index.ts';
import { parsePositiveInt, parsePositiveNumber, parseWattsArg } from '../arg-parsers.ts';
import { addConnectionOptions, connectClient, type ConnectionFlags } from '../connection-options.ts';
import { formatFeedback, isRejected } from '../format-feedback.ts';
import { EXIT_FAILURE, EXIT_OK, errorText, UsageError, type CliIo } from '../io.ts';
import { describeFields } from '../parse-send-args.ts';

export interface DemoFlags extends ConnectionFlags {
  /** Seconds between sends; keep it below the controller's fallback timeout (60 s). */
  interval: number;
  /** Stop after this many sends; default: until Ctrl-C. */
  count?: number;
  /** Seconds to wait for each feedback. */
  timeout: number;
  /** Storage setpoint, W, + charge. Default +5000. */
  storageW: number;
  /** Solar cap, W ≥ 0. Default 0. */
  solarW: number;
  /** On stop, send storage and solar `fallback` instead of waiting for the watchdog. */
  fallbackOnExit?: boolean;
}

/**
 * The original's example client [live §5 step 5]: every interval, "storage: charge at 5 kW,
 * solar: 0 kW", printing each feedback. Exit 0 when every command was accepted, else 1.
 */
export async function runDemo(flags: DemoFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  let fields: Record<string, unknown>;
  try {
    fields = cmd().storage.setpoint(flags.storageW).solar.setpoint(flags.solarW).toFields();
  } catch (err) {
    throw new UsageError(errorText(err));
  }
  const client = await connectClient(flags, io);
  if (!client) return EXIT_FAILURE;
  let failures = 0;
  try {
    io.err(`demo: every ${flags.interval} s, ${describeFields(fields)} → ${client.topics.command} (Ctrl-C stops)`);
    for (let n = 1; flags.count === undefined || n <= flags.count; n += 1) {
      if (signal.aborted) break;
      io.out(`#${n} → ${describeFields(fields)}`);
      try {
        const feedback = await client.send(fields, { timeoutMs: flags.timeout * 1000 });
        io.out(`${formatFeedback(feedback)}\n`);
        if (isRejected(feedback)) failures += 1;
      } catch (err) {
        failures += 1;
        io.err(`error: ${errorText(err)}`);
      }
      if (flags.count !== undefined && n >= flags.count) break;
      try {
        await sleep(flags.interval * 1000, undefined, { signal });
      } catch {
        break; // aborted: Ctrl-C
      }
    }
    if (flags.fallbackOnExit) {
      const feedback = await client.send(cmd().fallback('storage', 'solar'), { timeoutMs: flags.timeout * 1000 });
      io.out(`fallback sent\n${formatFeedback(feedback)}`);
    }
  } catch (err) {
    failures += 1;
    io.err(`error: ${errorText(err)}`);
  } finally {
    await client.close({ force: true });
  }
  return failures === 0 ? EXIT_OK : EXIT_FAILURE;
}

export function registerDemo(program: Command, run: (action: (signal: AbortSignal) => Promise<number>) => Promise<void>, io: CliIo): void {
  const command = program
    .command('demo')
    .summary('the example client: charge the battery at 5 kW, solar at 0 W, every 5 s')
    .description(
      'The example client of the getting-started guide: every --interval seconds it sends\n' +
        '"storage setpoint +5000 W (charge 5 kW), solar setpoint 0 W" and prints the feedback. Ctrl-C stops.',
    )
    .option('--interval <s>', 'seconds between sends (below the fallback timeout)', parsePositiveNumber, 5)
    .option('--count <n>', 'stop after n sends', parsePositiveInt)
    .option('--timeout <s>', 'seconds to wait for each feedback', parsePositiveNumber, 5)
    .option('--storage-w <W>', 'storage setpoint, + charge / − discharge', parseWattsArg, 5000)
    .option('--solar-w <W>', 'solar production cap, ≥ 0', parseWattsArg, 0)
    .option('--fallback-on-exit', 'on stop, cancel the remote command at once (storage/solar fallback)');
  addConnectionOptions(command);
  command.action((flags: DemoFlags) => run((signal) => runDemo(flags, io, signal)));
}
