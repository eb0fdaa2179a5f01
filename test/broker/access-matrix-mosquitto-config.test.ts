import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMosquittoConfig } from '../../src/cli/commands/broker-mosquitto-config.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { accountsDataDir, defineAccessMatrix } from '../helpers/access-matrix.ts';
import { runGeneratedMosquitto } from '../helpers/mosquitto.ts';
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
    const stopMosquitto = await runGeneratedMosquitto(out);
    return {
      host: '127.0.0.1',
      port,
      url: `mqtt://127.0.0.1:${port}`,
      async stop() {
        await stopMosquitto();
        rmSync(out, { recursive: true, force: true });
      },
    };
  },
});
