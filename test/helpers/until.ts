/**
 * Waits (real time, bounded) until `check` holds: lets queued cycles, sockets and child processes
 * catch up. With `isErrorNotYet`, a check that throws or rejects counts as "not yet" (e.g. a read
 * from a server that is still coming back); otherwise its error ends the wait at once.
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 4000, options: { isErrorNotYet?: boolean } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      if (!options.isErrorNotYet) throw err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
