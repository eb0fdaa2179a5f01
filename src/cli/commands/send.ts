import type { Command } from 'commander';
import { parsePositiveNumber } from '../arg-parsers.ts';
import { addConnectionOptions, sendAndPrintFeedback, type ConnectionFlags } from '../connection-options.ts';
import type { CliIo } from '../io.ts';
import { describeFields, parseSendArgs, SEND_CONTROLS_HELP } from '../parse-send-args.ts';

export interface SendFlags extends ConnectionFlags {
  /** Seconds to wait for the feedback. */
  timeout: number;
  /** Print the raw feedback JSON (one line) instead of the summary. */
  json?: boolean;
}

/**
 * Sends one live command and prints the feedback that answers it. Exit 0 when accepted
 * (response_code < 10), 1 when rejected, on timeout or when the broker cannot be reached.
 * Throws UsageError for bad control arguments (before connecting).
 */
export async function runSend(controls: readonly string[], flags: SendFlags, io: CliIo): Promise<number> {
  const fields = parseSendArgs(controls);
  return sendAndPrintFeedback(
    flags,
    io,
    (client) => `→ ${client.topics.command}: ${describeFields(fields)}`,
    (client) => client.send(fields, { timeoutMs: flags.timeout * 1000 }),
  );
}

export function registerSend(program: Command, run: (action: () => Promise<number>) => Promise<void>, io: CliIo): void {
  const cmd = program
    .command('send')
    .summary('send one live command and print the feedback')
    .description('Sends one live command (QoS 1) and prints the feedback that answers it.\nExit code 0 = accepted, 1 = rejected (response_code ≥ 10), timeout or no broker, 2 = bad arguments.')
    .argument('[controls...]', 'component controls, see below')
    .allowUnknownOption()
    .allowExcessArguments()
    .option('--timeout <s>', 'seconds to wait for the feedback', parsePositiveNumber, 5)
    .option('--json', 'print the raw feedback JSON (one line) instead of the summary');
  addConnectionOptions(cmd);
  cmd.addHelpText('after', SEND_CONTROLS_HELP);
  cmd.action((controls: string[], flags: SendFlags) => run(() => runSend(controls, flags, io)));
}
