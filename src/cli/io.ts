/** Where a command writes: stdout for results, stderr for diagnostics. Tests capture both. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const consoleIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** Collects output in memory (tests). */
export function memoryIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

/** Exit codes of every subcommand. */
export const EXIT_OK = 0;
/** Rejected command (response_code ≥ 10), timeout, unreachable broker, failed check. */
export const EXIT_FAILURE = 1;
/** Bad command-line arguments. */
export const EXIT_USAGE = 2;
/** `gridpilot start`: an internal error the controller could not contain (an uncaught exception): stopped in order, restart it (BSD EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;

/** A mistake in the command line: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
