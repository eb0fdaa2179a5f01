import { startLocalBroker } from '../../src/broker/start-local-broker.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { A, accountsDataDir, defineAccessMatrix } from '../helpers/access-matrix.ts';

// The access matrix on the default broker of `gridpilot start`: Debian's mosquitto, run and
// supervised by gridpilot with files generated from the store's accounts.
defineAccessMatrix({
  name: 'the default broker (mosquitto run by gridpilot)',
  versions: [3, 4, 5],
  // mosquitto 2.0.11 drops a denied 3.1.1 publish and keeps the connection (no option to close it).
  deniedPublish: { 3: 'dropped', 4: 'dropped', 5: 'puback-0x87' },
  deniedSubscribe: 'granted-but-filtered',
  async start() {
    const dataDir = await accountsDataDir('gp-matrix-default-');
    const b = await startLocalBroker({ host: '127.0.0.1', port: 0, wsPort: null, engine: 'mosquitto', maxPacketBytes: 1 << 20 }, {}, silentLogger, { serial: A, dataDir });
    return { host: '127.0.0.1', port: b.port, url: b.url, stop: () => b.close() };
  },
});
