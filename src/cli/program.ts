import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerBacktest } from './commands/backtest.ts';
import { registerBroker } from './commands/broker.ts';
import { registerCheck } from './commands/check.ts';
import { registerDemo } from './commands/demo.ts';
import { registerFleet } from './commands/fleet.ts';
import { registerLog } from './commands/log.ts';
import { registerPrices } from './commands/prices.ts';
import { registerSchedule } from './commands/schedule.ts';
import { registerSend } from './commands/send.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerStart } from './commands/start.ts';
import { registerWatch } from './commands/watch.ts';
import { registerWeb } from './commands/web.ts';
import { consoleIo, errorText, EXIT_FAILURE, EXIT_USAGE, UsageError, type CliIo } from './io.ts';
import { terminationSignal } from './termination.ts';

function packageVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * The `gridpilot` command line. Each subcommand's action resolves to an exit code, which lands
 * in `process.exitCode` (no process.exit: output is flushed and connections closed first).
 */
export function buildProgram(io: CliIo = consoleIo): Command {
  const program = new Command('gridpilot')
    .description('Open-source site energy controller remote-controlled over MQTT (SmartgridOne "Live MQTT control" protocol).')
    .version(packageVersion())
    .showHelpAfterError('(add --help for usage)')
    // Bad command lines exit 2 (commander's default is 1, which here means "rejected / unreachable").
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE))
    .configureOutput({
      writeOut: (text) => io.out(text.replace(/\n$/, '')),
      writeErr: (text) => io.err(text.replace(/\n$/, '')),
    });

  const finish = (code: number | Promise<number>): Promise<void> =>
    Promise.resolve(code).then(
      (exitCode) => {
        process.exitCode = exitCode;
      },
      (err: unknown) => {
        if (err instanceof UsageError) {
          io.err(`error: ${err.message}\n(add --help for usage)`);
          process.exitCode = EXIT_USAGE;
        } else {
          io.err(`error: ${errorText(err)}`);
          process.exitCode = EXIT_FAILURE;
        }
      },
    );
  // Short commands: Ctrl-C kills them as usual.
  const run = (action: () => Promise<number>): Promise<void> => finish(action());
  // Long-running commands stop cleanly on the first SIGINT/SIGTERM.
  const runUntilSignal = async (action: (signal: AbortSignal) => Promise<number>): Promise<void> => {
    const termination = terminationSignal();
    try {
      await finish(action(termination.signal));
    } finally {
      termination.dispose();
    }
  };

  registerStart(program, runUntilSignal, io);
  registerSend(program, run, io);
  registerWatch(program, runUntilSignal, io);
  registerCheck(program, run, io);
  registerDemo(program, runUntilSignal, io);
  registerSchedule(program, run, io);
  registerLog(program, run, io);
  registerPrices(program, run, io);
  registerBacktest(program, run, io);
  registerBroker(program, run, io);
  registerSimulate(program, runUntilSignal, io);
  registerFleet(program, runUntilSignal, io);
  registerWeb(program, run, io);
  return program;
}
