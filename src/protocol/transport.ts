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
