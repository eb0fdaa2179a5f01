import type { Command } from 'commander';
import { InvalidFeedbackError, redactUrl } from '../../client/index.ts';
import { parsePositiveInt } from '../arg-parsers.ts';
import { addConnectionOptions, clientOptionsFrom, connectClient, type ConnectionFlags } from '../connection-options.ts';
import { formatFeedback, formatStatus } from '../format-feedback.ts';
import { EXIT_FAILURE, EXIT_OK, errorText, type CliIo } from '../io.ts';
import { whenAborted } from '../termination.ts';

export interface WatchFlags extends ConnectionFlags {
  /** One raw feedback JSON per line on stdout (status messages are not printed). */
  json?: boolean;
  /** Stop after this many feedback messages. */
  count?: number;
  /** Also show the controller's status topic. Default true (`--no-status`). */
  status: boolean;
}

/** Prints every feedback (and status) message live until `signal` aborts or `count` feedbacks arrived. */
export async function runWatch(flags: WatchFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  const client = await connectClient(flags, io);
  if (!client) return EXIT_FAILURE;
  const done = new AbortController();
  const stop = (): void => done.abort();
  signal.addEventListener('abort', stop, { once: true });
  try {
    let received = 0;
    client.onFeedback((feedback) => {
      io.out(flags.json ? JSON.stringify(feedback) : `${formatFeedback(feedback)}\n`);
      received += 1;
      if (flags.count !== undefined && received >= flags.count) stop();
    });
    client.onError((err) => {
      if (err instanceof InvalidFeedbackError) io.err(`${err.message}\n  payload: ${err.payload.slice(0, 500)}`);
      else io.err(`error: ${err.message}`);
    });
    if (flags.status && !flags.json) await client.onStatus((status) => io.out(formatStatus(client.topics.status, status)));
    io.err(`watching ${client.topics.feedback}${flags.status && !flags.json ? ` and ${client.topics.status}` : ''} on ${redactUrl(clientOptionsFrom(flags).url)} (Ctrl-C stops)`);
    await whenAborted(done.signal);
    return EXIT_OK;
  } catch (err) {
    io.err(`error: ${errorText(err)}`);
    return EXIT_FAILURE;
  } finally {
    signal.removeEventListener('abort', stop);
    await client.close({ force: true });
  }
}

export function registerWatch(program: Command, run: (action: (signal: AbortSignal) => Promise<number>) => Promise<void>, io: CliIo): void {
  const cmd = program
    .command('watch')
    .summary('print feedback (and status) messages live')
    .description('Subscribes to the feedback topic (and the status topic) and prints each message as it arrives.')
    .option('--json', 'print each feedback as one raw JSON line (for jq); status is not printed')
    .option('--count <n>', 'stop after n feedback messages', parsePositiveInt)
    .option('--no-status', 'do not subscribe to the status topic');
  addConnectionOptions(cmd);
  cmd.action((flags: WatchFlags) => run((signal) => runWatch(flags, io, signal)));
}
