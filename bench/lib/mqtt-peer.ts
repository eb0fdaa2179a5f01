// A lean MQTT.js peer for benchmarks: connect (3.1 / 3.1.1 / 5), and await the next message on a
// topic without keeping history (the test helper records everything, which a benchmark must not).
import { connect, type MqttClient } from 'mqtt';
import { keepSocketsUndelayed } from '../../src/protocol/transport.ts';
import { mqttConnectOptions, type MqttConnectionSettings, type MqttProtocolVersion } from '../../src/remote/mqtt-options.ts';

/**
 * The peer's TCP socket: 'undelayed' = TCP_NODELAY after every (re)connect, as the gridpilot SDK
 * and the controller's remote link do (`keepSocketsUndelayed`); 'default' = MQTT.js as it comes
 * (Nagle's algorithm on), what an integrator's own client does unless they set it.
 */
export type PeerSockets = 'undelayed' | 'default';

let counter = 0;

export interface BenchPeer {
  client: MqttClient;
  /** Resolves with the next message's arrival time (performance.now(), ms) and payload on `topic`. */
  next(topic: string, timeoutMs?: number): Promise<{ atMs: number; payload: Buffer }>;
  end(): Promise<void>;
}

/** Extra connection settings: credentials, a CA for mqtts://. */
export type PeerSettings = Pick<MqttConnectionSettings, 'username' | 'password' | 'caFile'>;

export async function connectPeer(url: string, protocolVersion: MqttProtocolVersion, name = 'bench', sockets: PeerSockets = 'undelayed', settings: PeerSettings = {}): Promise<BenchPeer> {
  counter += 1;
  const client = connect(url, {
    ...mqttConnectOptions({ url, protocolVersion, clientId: `${name}-${process.pid % 10_000}-${counter}`, ...settings }),
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  if (sockets === 'undelayed') keepSocketsUndelayed(client);
  const waiting = new Map<string, (m: { atMs: number; payload: Buffer }) => void>();
  client.on('message', (topic, payload) => {
    const atMs = performance.now();
    const w = waiting.get(topic);
    if (!w) return;
    waiting.delete(topic);
    w({ atMs, payload });
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return {
    client,
    next(topic, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(topic);
          reject(new Error(`no message on ${topic} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(topic, (m) => {
          clearTimeout(timer);
          resolve(m);
        });
      });
    },
    async end() {
      await client.endAsync(true);
    },
  };
}
