// A controller process for the durability test: the real app (startApp) against an external
// broker, with a data directory. Prints one JSON line when ready, with what its first cycle ran.
// Env: BROKER_URL, DATA_DIR. Runs until killed.
import { startApp } from '../../src/app.ts';
import { errorMessage } from '../../src/core/errors.ts';

try {
  const app = await startApp({
    brokerUrl: process.env.BROKER_URL ?? 'mqtt://127.0.0.1:1883',
    dataDir: process.env.DATA_DIR ?? '.gridpilot',
    wsPort: null,
    httpPort: null,
    logLevel: process.env.LOG_LEVEL ?? 'silent',
  });
  const first = app.controller.lastCycle();
  process.stdout.write(
    `${JSON.stringify({ ready: true, pid: process.pid, firstCycle: first ? { atMs: first.atMs, storage: first.resolution.components.storage } : null })}\n`,
  );
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ready: false, error: errorMessage(err) })}\n`);
  process.exitCode = 1;
}
