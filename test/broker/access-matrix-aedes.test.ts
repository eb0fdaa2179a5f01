import { startLocalBroker } from '../../src/broker/start-local-broker.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { A, accountsDataDir, defineAccessMatrix } from '../helpers/access-matrix.ts';

// The access matrix on the aedes engine of `gridpilot start` (MQTT 3.1 and 3.1.1 only).
defineAccessMatrix({
  name: 'the aedes engine (mqtt.embedded.engine: aedes)',
  versions: [3, 4],
  deniedPublish: { 3: 'dropped', 4: 'disconnect' },
  deniedSubscribe: 'suback-failure',
  async start() {
    const dataDir = await accountsDataDir('gp-matrix-aedes-');
    const b = await startLocalBroker({ host: '127.0.0.1', port: 0, wsPort: null, engine: 'aedes', maxPacketBytes: 1 << 20 }, {}, silentLogger, { serial: A, dataDir });
    return { host: '127.0.0.1', port: b.port, url: b.url, stop: () => b.close() };
  },
});
