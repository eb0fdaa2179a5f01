// Composition root: builds everything from config, starts and stops it in order.
// (Being written by the lead; this placeholder keeps the CLI compiling.)
import type { AppOptions, RunningAppInfo } from './app-options.ts';

export interface RunningApp {
  info: RunningAppInfo;
  stop(): Promise<void>;
}

export async function startApp(_opts: AppOptions): Promise<RunningApp> {
  await Promise.resolve();
  throw new Error('startApp: not implemented yet');
}
