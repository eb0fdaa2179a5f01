import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { runMosquittoConfig } from '../../src/cli/commands/broker-mosquitto-config.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { accountsDataDir, defineAccessMatrix } from '../helpers/access-matrix.ts';
import { MOSQUITTO_PATH } from '../helpers/mosquitto.ts';
import { freePort } from '../helpers/ports.ts';

// The access matrix on a production mosquitto: real Debian mosquitto 2 started on exactly what
// `gridpilot broker mosquitto-config --out DIR` wrote (the port given is a free one).
defineAccessMatrix({
  name: 'mosquitto on the files of `gridpilot broker mosquitto-config`',
  versions: [3, 4, 5],
  deniedPublish: { 3: 'dropped', 4: 'dropped', 5: 'puback-0x87' },
  deniedSubscribe: 'granted-but-filtered',
  async start() {
    const dataDir = await accountsDataDir('gp-matrix-conf-');
    const out = mkdtempSync(join(tmpdir(), 'gp-matrix-mosq-'));
    const port = await freePort();
    await runMosquittoConfig({ out, dataDir, port, host: '127.0.0.1' }, memoryIo());
    // Started as root, mosquitto drops to the `mosquitto` user, who cannot read these 0600 files
    // (a production install chowns them instead): stay the current user.
    appendFileSync(join(out, 'mosquitto.conf'), `user ${userInfo().username}\n`);
    const child = spawn(MOSQUITTO_PATH, ['-c', join(out, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        log += chunk.toString();
        if (/mosquitto version \S+ running/.test(log)) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`mosquitto exited (${String(code)}):\n${log}`)));
    });
    // Nothing to complain about in the generated files (the root warning is this test machine's).
    assert.doesNotMatch(log.replace(/^.*should not be run as root.*$/m, ''), /error|warning/i, log);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return {
      host: '127.0.0.1',
      port,
      url: `mqtt://127.0.0.1:${port}`,
      async stop() {
        child.kill('SIGTERM');
        await exited;
        rmSync(out, { recursive: true, force: true });
      },
    };
  },
});
