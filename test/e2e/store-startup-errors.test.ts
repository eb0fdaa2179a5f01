import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers/schedule-peer.ts';

// A data directory the controller cannot use makes `gridpilot start` exit at once with a clear
// message (which file, what to do) — not a crash loop, not a stack trace.

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startCli(dataDir: string, asUid?: number): Promise<Run> {
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'start', '--data-dir', dataDir, '--broker-port', '0', '--ws-port', 'off', '--http-port', 'off', '--log-level', 'silent'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(asUid !== undefined ? { uid: asUid, gid: asUid } : {}) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gridpilot start did not exit within 20 s (it should refuse the data directory): ${stdout}${stderr}`));
    }, 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function assertCleanRefusal(run: Run, mentions: RegExp[]): void {
  assert.equal(run.code, 1, `exit code; stderr: ${run.stderr}`);
  assert.match(run.stderr, /^error: could not start: /m);
  for (const m of mentions) assert.match(run.stderr, m);
  assert.doesNotMatch(run.stderr, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
  assert.doesNotMatch(run.stdout, /gridpilot .*running|broker/i, 'nothing started');
}

const NOBODY = 65534;

/**
 * A data directory the controller cannot write: chmod for an ordinary user; as root (who writes
 * anywhere), the controller runs as `nobody` when that user can read this checkout, else the
 * directory is bind-mounted read-only. Null when neither works here.
 */
function readOnlyDirFor(data: string, parent: string): { path: string; uid?: number; cleanup(): void } | null {
  if (process.getuid?.() !== 0) {
    chmodSync(data, 0o555);
    return { path: data, cleanup: () => chmodSync(data, 0o755) };
  }
  chmodSync(parent, 0o755);
  chmodSync(data, 0o755);
  const canRead = spawnSync(process.execPath, ['-e', `require('fs').readFileSync(${JSON.stringify(join(process.cwd(), 'src/cli/main.ts'))}); require.resolve('tsx', { paths: [${JSON.stringify(process.cwd())}] })`], {
    uid: NOBODY,
    gid: NOBODY,
  });
  if (canRead.status === 0) return { path: data, uid: NOBODY, cleanup: () => undefined };
  const mountPoint = join(parent, 'ro-mount');
  mkdirSync(mountPoint);
  const bind = spawnSync('mount', ['--bind', '-o', 'ro', data, mountPoint]);
  if (bind.status !== 0) return null;
  return { path: mountPoint, cleanup: () => void spawnSync('umount', [mountPoint]) };
}

describe('gridpilot start with an unusable data directory', () => {
  const dir = tempDir('gp-badstore-');
  after(() => dir.remove());

  it('garbage bytes in the database: names the file, says to move it away or use another --data-dir', async () => {
    const data = join(dir.path, 'corrupt');
    mkdirSync(data);
    writeFileSync(join(data, 'gridpilot.db'), Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 251)));
    const run = await startCli(data);
    assertCleanRefusal(run, [new RegExp(`${join(data, 'gridpilot.db')}`), /not a gridpilot store/, /mv /, /--data-dir/]);
  });

  it('a read-only data directory: names it, says to grant write access or use another --data-dir', async (t) => {
    const data = join(dir.path, 'readonly');
    mkdirSync(data);
    const ro = readOnlyDirFor(data, dir.path);
    if (!ro) {
      t.skip('running as root, and neither an unprivileged user that can read this checkout nor a read-only bind mount is available');
      return;
    }
    try {
      const run = await startCli(ro.path, ro.uid);
      assertCleanRefusal(run, [new RegExp(`data directory ${ro.path} is not writable`), /write access/, /--data-dir/]);
    } finally {
      ro.cleanup();
    }
  });
});
