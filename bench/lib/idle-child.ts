// Child process of bench/idle-resources.ts (not a benchmark itself: run-all only runs bench/*.ts).
//   node --import tsx bench/lib/idle-child.ts floor          → node + tsx, idling (the runtime floor)
//   node --import tsx bench/lib/idle-child.ts app <config>   → startApp on that site config, then idle
// Answers 'sample' over IPC with its own CPU time (process.cpuUsage, µs, all threads) and RSS.
import type { RunningApp } from '../../src/app.ts';
import { answerSamples } from './child-ipc.ts';

const [mode, configPath] = process.argv.slice(2);
let app: RunningApp | null = null;
if (mode === 'app') {
  if (!configPath) throw new Error('usage: idle-child.ts app <config.json>');
  // Imported here, so that the floor loads nothing of the app.
  const { startApp } = await import('../../src/app.ts');
  app = await startApp({ configPath, brokerPort: 0, wsPort: null, httpPort: null, logLevel: 'silent' });
} else if (mode !== 'floor') {
  throw new Error(`unknown mode ${mode ?? ''}`);
}

answerSamples(async () => app?.stop());
process.send?.({ ready: true, devices: app?.site.devices.length ?? 0 });
