import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** `gc()` without `--expose-gc` on the command line (the test runner or tsx starts the process). */
export function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** RSS and heap used after two forced collections, MiB. */
export function memoryAfterGc(gc: () => void): { rssMB: number; heapUsedMB: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rssMB: m.rss / 2 ** 20, heapUsedMB: m.heapUsed / 2 ** 20 };
}
