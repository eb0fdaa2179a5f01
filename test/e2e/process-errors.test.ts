import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/schedule-peer.ts';

// A real `gridpilot start` with errors injected as a misbehaving library would raise them
// (test/fixtures/inject-errors.mjs): a stray promise rejection is contained (logged, the controller
// keeps running); an uncaught exception stops the controller in order and exits 70 for the supervisor.

function start(env: Record<string, string>, stopAfterMs: number | null): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = tempDir('gp-process-errors-');
  const dataDir = dir.path;
  const args = ['--import', 'tsx', '--import', './test/fixtures/inject-errors.mjs', 'src/cli/main.ts', 'start', '--data-dir', dataDir, '--broker-port', '0', '--ws-port', 'off', '--http-port', 'off', '--log-level', 'silent'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  if (stopAfterMs !== null) {
    const poll = setInterval(() => {
      if (stderr.includes('injected stray rejection')) {
        clearInterval(poll);
        setTimeout(() => child.kill('SIGTERM'), stopAfterMs);
      }
    }, 50);
    child.once('exit', () => clearInterval(poll));
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gridpilot start did not exit within 40 s: ${stdout}${stderr}`));
    }, 40_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      dir.remove();
      resolve({ code, stdout, stderr });
    });
  });
}

void describe('gridpilot start: errors it did not expect', () => {
  void it('contains a stray promise rejection: logged, the controller keeps running until stopped, exit 0', async () => {
    const run = await start({}, 1500);
    assert.match(run.stderr, /error: unhandled promise rejection \(contained; the controller keeps running\): Error: injected stray rejection/);
    assert.match(run.stderr, /stopping \(Ctrl-C again to force\)/, 'it ran until the SIGTERM');
    assert.match(run.stderr, /stopped\./);
    assert.equal(run.code, 0, run.stderr);
  });

  void it('an uncaught exception stops the controller in order and exits 70 (restart me)', async () => {
    const run = await start({ GRIDPILOT_TEST_THROW: '1' }, null);
    assert.match(run.stderr, /fatal: uncaught exception: Error: injected uncaught exception/);
    assert.match(run.stderr, /stopping after an internal error/);
    assert.match(run.stderr, /stopped\./);
    assert.equal(run.code, 70, run.stderr);
  });
});
