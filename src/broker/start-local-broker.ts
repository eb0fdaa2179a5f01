import { GridpilotError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { TopicPrefixesInput } from './auth.ts';
import type { BrokerLimits } from './connection-guard.ts';
import { startEmbeddedBroker } from './embedded-broker.ts';
import type { LocalBroker } from './local-broker.ts';
import { startMosquittoBroker } from './mosquitto-broker.ts';
import { findMosquitto } from './mosquitto-config.ts';
import { openLocalAccess } from './local-access.ts';
import { loadBrokerTlsFiles, type LocalBrokerTlsConfig } from './tls-files.ts';

/** `mqtt.embedded` of the site config. */
export interface LocalBrokerConfig {
  host: string;
  port: number;
  wsPort: number | null;
  engine: 'auto' | 'mosquitto' | 'aedes';
  mosquittoPath?: string | undefined;
  maxPacketBytes: number;
  /** aedes only: a denied MQTT 3.1.1 publish closes the connection ('disconnect', default [MQTT-3.3.5-2]) or is dropped ('drop'). */
  deniedPublish311?: 'disconnect' | 'drop' | undefined;
  /** mqtts:// (and wss://) listeners; absent = off. Files checked before anything starts. */
  tls?: LocalBrokerTlsConfig | undefined;
  /** Abuse limits of the public listeners (absent keys: DEFAULT_BROKER_LIMITS). */
  limits?: Partial<BrokerLimits> | undefined;
  /** Origins whose web pages may use MQTT over WebSocket; absent/empty = none. */
  wsAllowedOrigins?: readonly string[] | undefined;
}

/**
 * The broker `gridpilot start` runs without `mqtt.brokerUrl`: mosquitto (MQTT 3.1, 3.1.1 and 5)
 * where it is installed or asked for, else the in-process aedes broker (3.1 and 3.1.1); 'mosquitto'
 * without one installed is an error naming what to install.
 */
export async function startLocalBroker(
  e: LocalBrokerConfig,
  topicPrefixes: TopicPrefixesInput,
  logger: Logger,
  site: { serial: string; dataDir?: string | undefined } = { serial: 'local' },
): Promise<LocalBroker & { controllerLogin: { username: string; password: string } }> {
  const mosquitto = e.engine === 'aedes' ? null : findMosquitto(e.mosquittoPath);
  if (e.engine === 'mosquitto' && mosquitto === null) {
    throw new GridpilotError(`mosquitto not found${e.mosquittoPath ? ` at ${e.mosquittoPath}` : ''}: install the Debian package mosquitto (apt-get install mosquitto), or set mqtt.embedded.engine: aedes`, 'mqtt.embedded.engine');
  }
  // Bad TLS files fail here, naming the config key and the file, before any account or port is touched.
  if (e.tls) loadBrokerTlsFiles(e.tls);
  const tls = e.tls ? { port: e.tls.port, certFile: e.tls.certFile, keyFile: e.tls.keyFile, ...(e.tls.caFile !== undefined ? { caFile: e.tls.caFile } : {}) } : undefined;
  const wssPort = e.tls?.wssPort ?? null;
  // Accounts [issue 13]: the store's, or an in-memory controller account without a data directory.
  const access = openLocalAccess({ serial: site.serial, bindHost: e.host, dataDir: site.dataDir, logger });
  const broker =
    mosquitto !== null
      ? await startMosquittoBroker({ mosquittoPath: mosquitto, host: e.host, port: e.port, wsPort: e.wsPort, tls, wssPort, topicPrefixes, access: access.policy, maxPacketBytes: e.maxPacketBytes, limits: e.limits, wsAllowedOrigins: e.wsAllowedOrigins, logger })
      : await startEmbeddedBroker({ host: e.host, port: e.port, wsPort: e.wsPort, tls, wssPort, topicPrefixes, access: access.policy, deniedPublish: e.deniedPublish311 ?? 'disconnect', maxPacketBytes: e.maxPacketBytes, limits: e.limits, wsAllowedOrigins: e.wsAllowedOrigins, logger });
  if (e.tls?.caFile !== undefined && !broker.isCertLoginOn) {
    logger.warn({ caFile: e.tls.caFile }, 'broker: mosquitto takes no client-certificate login (passwords only on TLS); mqtt.embedded.engine: aedes has it');
  }
  const stopWatch = access.watch((policy) => broker.applyAccess(policy));
  const close = broker.close.bind(broker);
  return Object.assign(broker, {
    controllerLogin: access.controllerLogin,
    close: () => {
      stopWatch();
      return close();
    },
  });
}
