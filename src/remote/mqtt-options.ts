import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { MQTT_URL_SCHEMES, protocolOptions, type MqttProtocolVersion } from '../protocol/transport.ts';

/**
 * Turns the controller's connection settings into MQTT.js options (the SDK has its own in
 * client/mqtt-connect.ts; both take the protocol level and URL schemes from protocol/transport.ts).
 */

export type { MqttProtocolVersion } from '../protocol/transport.ts';

export interface MqttConnectionSettings {
  /** `mqtt://host:1883`, `mqtts://host:8883`, `ws://host:80/mqtt`, `wss://host:443/mqtt` (tcp:// and ssl:// too). */
  url: string;
  protocolVersion: MqttProtocolVersion;
  username?: string | undefined;
  password?: string | undefined;
  /** MQTT 3.1 brokers may refuse ids longer than 23 characters [MQTT 3.1 §3.1]. */
  clientId?: string | undefined;
  /** PEM CA file to trust (mqtts/wss); default: the system CAs. */
  caFile?: string | undefined;
  /** PEM client certificate file (needs keyFile). */
  certFile?: string | undefined;
  /** PEM private key of the client certificate (needs certFile). */
  keyFile?: string | undefined;
  /** Verify the broker's certificate. Default true. */
  rejectUnauthorized?: boolean | undefined;
}

const SCHEMES = new Set(MQTT_URL_SCHEMES);

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read MQTT ${what} ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * MQTT.js options for `mqtt.connect(settings.url, options)`. Throws (naming the file or field) on
 * a bad URL scheme, an unreadable TLS file or a certificate without its key.
 * MQTT 3.1 is `protocolId: 'MQIsdp'` + `protocolVersion: 3` (MQTT.js would otherwise send "MQTT"
 * with level 3, which brokers refuse); over WebSocket MQTT.js then offers the `mqttv3.1` subprotocol.
 */
export function mqttConnectOptions(settings: MqttConnectionSettings): IClientOptions {
  let scheme: string;
  try {
    scheme = new URL(settings.url).protocol;
  } catch {
    throw new Error(`invalid MQTT broker URL: ${settings.url}`);
  }
  if (!SCHEMES.has(scheme)) {
    throw new Error(`unsupported MQTT broker URL scheme ${scheme} in ${settings.url} (use mqtt, mqtts, ws or wss)`);
  }
  if ((settings.certFile === undefined) !== (settings.keyFile === undefined)) {
    throw new Error('MQTT client certificate needs both certFile and keyFile');
  }
  const options: IClientOptions = protocolOptions(settings.protocolVersion);
  if (settings.username !== undefined) options.username = settings.username;
  if (settings.password !== undefined) options.password = settings.password;
  if (settings.clientId !== undefined) options.clientId = settings.clientId;
  if (settings.caFile !== undefined) options.ca = readPem(settings.caFile, 'CA file');
  if (settings.certFile !== undefined) options.cert = readPem(settings.certFile, 'certificate file');
  if (settings.keyFile !== undefined) options.key = readPem(settings.keyFile, 'key file');
  if (settings.rejectUnauthorized !== undefined) options.rejectUnauthorized = settings.rejectUnauthorized;
  return options;
}
