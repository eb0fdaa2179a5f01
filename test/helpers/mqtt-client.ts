import net from 'node:net';
import { connect, MqttClient, type IClientOptions, type IPublishPacket } from 'mqtt';
import { mqttConnectOptions } from '../../src/remote/mqtt-options.ts';
import type { ProtocolVersion } from './brokers.ts';

/**
 * A test-side MQTT peer (an integrator, or an observer): connects without reconnecting, records
 * every message, and lets a test await the next one matching a predicate.
 */

export interface Received {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
  /** payload parsed as JSON (undefined when it is not JSON) */
  json: unknown;
}

export interface TestClient {
  readonly client: MqttClient;
  readonly received: readonly Received[];
  /** Resolves with the first message (already received or future) matching; rejects after timeoutMs. */
  waitFor(match: (m: Received) => boolean, timeoutMs?: number, what?: string): Promise<Received>;
  /** Resolves when the connection closes (rejects after timeoutMs). */
  waitForClose(timeoutMs?: number): Promise<void>;
  end(): Promise<void>;
}

let counter = 0;

export interface TestClientOptions {
  protocolVersion?: ProtocolVersion;
  username?: string;
  password?: string;
  clientId?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Extra MQTT.js options (will, keepalive …). */
  mqtt?: IClientOptions;
  /** mqtt:// only: the local address to connect from (any 127.x.y.z on Linux), to test per-address rules. */
  localAddress?: string;
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString()) as unknown;
  } catch {
    return undefined;
  }
}

function connectFrom(url: string, localAddress: string, options: IClientOptions): MqttClient {
  const { hostname, port, protocol } = new URL(url);
  if (protocol !== 'mqtt:') throw new Error(`localAddress needs an mqtt:// url, not ${url}`);
  return new MqttClient(() => net.connect({ host: hostname, port: Number(port), localAddress }), { ...options, protocol: 'mqtt', hostname, port: Number(port) });
}

/** Connects; resolves on CONNACK 0, rejects with the broker's refusal (err.code = return code). */
export async function connectTestClient(url: string, opts: TestClientOptions = {}): Promise<TestClient> {
  counter += 1;
  const options: IClientOptions = {
    ...mqttConnectOptions({
      url,
      protocolVersion: opts.protocolVersion ?? 4,
      clientId: opts.clientId ?? `t${process.pid % 10_000}-${counter}`,
      username: opts.username,
      password: opts.password,
      caFile: opts.caFile,
      certFile: opts.certFile,
      keyFile: opts.keyFile,
    }),
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...opts.mqtt,
  };
  const client = opts.localAddress === undefined ? connect(url, options) : connectFrom(url, opts.localAddress, options);
  const received: Received[] = [];
  const waiters = new Set<(m: Received) => void>();
  client.on('message', (topic, payload, packet) => {
    const m = { topic, payload, packet, json: parseJson(payload) };
    received.push(m);
    for (const w of [...waiters]) w(m);
  });
  client.on('error', () => undefined); // refusals are reported through the promise below
  await new Promise<void>((resolve, reject) => {
    const onConnect = (): void => {
      client.off('error', onError);
      client.off('close', onClose);
      resolve();
    };
    const onError = (err: Error): void => {
      client.off('connect', onConnect);
      client.off('close', onClose);
      client.end(true);
      reject(err);
    };
    const onClose = (): void => onError(new Error(`connection to ${url} closed before CONNACK`));
    client.once('connect', onConnect);
    client.once('error', onError);
    client.once('close', onClose);
  });
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));

  return {
    client,
    received,
    waitFor(match, timeoutMs = 4000, what = 'message') {
      const already = received.find(match);
      if (already) return Promise.resolve(already);
      return new Promise<Received>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${received.map((r) => `${r.topic} ${r.payload.toString()}`).join(' | ') || 'nothing'}`));
        }, timeoutMs);
        const waiter = (m: Received): void => {
          if (!match(m)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(m);
        };
        waiters.add(waiter);
      });
    },
    waitForClose(timeoutMs = 4000) {
      return withTimeout(closed, timeoutMs, 'connection close');
    },
    async end() {
      await client.endAsync(true);
    },
  };
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves the next time `fn` is called with a value matching `match`: a tiny event latch. */
export function latch<T>(): { fire(value: T): void; next(match: (v: T) => boolean, timeoutMs?: number, what?: string): Promise<T> } {
  const waiters = new Set<(v: T) => void>();
  return {
    fire(value) {
      for (const w of [...waiters]) w(value);
    },
    next(match, timeoutMs = 4000, what = 'event') {
      let waiter: ((v: T) => void) | undefined;
      const p = new Promise<T>((resolve) => {
        waiter = (v: T): void => {
          if (!match(v)) return;
          if (waiter) waiters.delete(waiter);
          resolve(v);
        };
        waiters.add(waiter);
      });
      return withTimeout(p, timeoutMs, what).finally(() => {
        if (waiter) waiters.delete(waiter);
      });
    },
  };
}
