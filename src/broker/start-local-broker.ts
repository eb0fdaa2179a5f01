import { GridpilotError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { TopicPrefixesInput } from './auth.ts';
import { startEmbeddedBroker } from './embedded-broker.ts';
import type { LocalBroker } from './local-broker.ts';
import { startMosquittoBroker } from './mosquitto-broker.ts';
import { findMosquitto } from './mosquitto-config.ts';

/** `mqtt.embedded` of the site config. */
export interface LocalBrokerConfig {
  host: string;
  port: number;
  wsPort: number | null;
  engine: 'auto' | 'mosquitto' | 'aedes';
  mosquittoPath?: string | undefined;
  maxPacketBytes: number;
}

/**
 * The broker `gridpilot start` runs without `mqtt.brokerUrl`: mosquitto (MQTT 3.1, 3.1.1 and 5)
 * where it is installed or asked for, else the in-process aedes broker (3.1 and 3.1.1); 'mosquitto'
 * without one installed is an error naming what to install.
 */
export async function startLocalBroker(e: LocalBrokerConfig, topicPrefixes: TopicPrefixesInput, logger: Logger): Promise<LocalBroker> {
  const mosquitto = e.engine === 'aedes' ? null : findMosquitto(e.mosquittoPath);
  if (e.engine === 'mosquitto' && mosquitto === null) {
    throw new GridpilotError(`mosquitto not found${e.mosquittoPath ? ` at ${e.mosquittoPath}` : ''}: install the Debian package mosquitto (apt-get install mosquitto), or set mqtt.embedded.engine: aedes`, 'mqtt.embedded.engine');
  }
  if (mosquitto !== null) {
    return startMosquittoBroker({ mosquittoPath: mosquitto, host: e.host, port: e.port, wsPort: e.wsPort, topicPrefixes, maxPacketBytes: e.maxPacketBytes, logger });
  }
  return startEmbeddedBroker({ host: e.host, port: e.port, wsPort: e.wsPort, topicPrefixes, logger });
}
