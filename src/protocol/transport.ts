import type { MqttClient } from 'mqtt';

/**
 * Turns Nagle's algorithm off on an MQTT.js client's TCP/TLS socket, after every (re)connect.
 * Commands and feedback are small request/response packets: with Nagle on and delayed ACKs, each
 * hop waits ~40 ms (measured: 88 ms round trip instead of 0.4 ms; see docs/benchmarks.md).
 */
export function keepSocketsUndelayed(client: MqttClient): void {
  const apply = (): void => {
    const stream = client.stream as unknown as { setNoDelay?: (noDelay: boolean) => unknown } | undefined;
    if (typeof stream?.setNoDelay === 'function') stream.setNoDelay(true);
  };
  apply();
  client.on('connect', apply);
}

/**
 * MQTT protocol level: 3 = MQTT 3.1 (protocol name `MQIsdp`), 4 = 3.1.1, 5 = 5.0.
 * The original recommends 3.1 for integrators [live §1]: a broker usually drops a forbidden
 * publish silently under 3.1, but may close the connection under 3.1.1 [MQTT-3.3.5-2].
 */
export type MqttProtocolVersion = 3 | 4 | 5;

/** MQTT.js's protocol options for a level: MQTT 3.1 really is protocol name "MQIsdp", level 3; MQTT.js needs both set. */
export function protocolOptions(version: MqttProtocolVersion): { protocolId: 'MQIsdp' | 'MQTT'; protocolVersion: MqttProtocolVersion } {
  return version === 3 ? { protocolId: 'MQIsdp', protocolVersion: 3 } : { protocolId: 'MQTT', protocolVersion: version };
}

/** The broker URL schemes MQTT.js connects with (the controller and the SDK accept the same). */
export const MQTT_URL_SCHEMES: readonly string[] = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:'];
