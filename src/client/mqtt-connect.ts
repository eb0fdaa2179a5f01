import { keepSocketsUndelayed, MQTT_URL_SCHEMES, protocolOptions, type MqttProtocolVersion } from '../protocol/transport.ts';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export type { MqttProtocolVersion } from '../protocol/transport.ts';

/** Client certificate / CA files for mqtts:// and wss:// [live §1]. Paths are read at connect. */
export interface TlsFiles {
  /** PEM CA bundle that signed the broker's certificate. Default: Node's trusted CAs. */
  caFile?: string;
  /** PEM client certificate (when the broker authenticates clients by certificate). */
  certFile?: string;
  /** PEM private key of `certFile`. */
  keyFile?: string;
  /** Default true. False accepts any server certificate (testing only). */
  rejectUnauthorized?: boolean;
}

export interface MqttConnectionOptions {
  /**
   * Broker URL: mqtt://host:1883, mqtts://host:8883, ws://host:80/mqtt, wss://host:443/mqtt.
   * A bare `host[:port]` means mqtt://; a ws(s) URL without a path gets `/mqtt` [live §1 decided].
   */
  url: string;
  /** Default 3 (MQTT 3.1, `MQIsdp`), as the original recommends [live §1]. */
  protocolVersion?: MqttProtocolVersion;
  username?: string;
  password?: string;
  /** Default `gridpilot_<8 hex>`; MQTT 3.1 allows at most 23 characters. */
  clientId?: string;
  tls?: TlsFiles;
  /** How long the first connection may take, ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** MQTT keep-alive, s. Default 30. */
  keepAliveS?: number;
  /** Delay between reconnect attempts after a lost connection, ms; 0 = never reconnect. Default 1000. */
  reconnectPeriodMs?: number;
}

export { protocolOptions } from '../protocol/transport.ts';

export function isMqttProtocolVersion(value: unknown): value is MqttProtocolVersion {
  return value === 3 || value === 4 || value === 5;
}

const SCHEMES = MQTT_URL_SCHEMES;

/** `host[:port]` → `mqtt://host[:port]`; `ws://host:80` → `ws://host:80/mqtt`. Throws on other schemes. */
export function normalizeBrokerUrl(raw: string): string {
  const text = raw.trim();
  const url = new URL(text.includes('://') ? text : `mqtt://${text}`);
  if (!SCHEMES.includes(url.protocol)) {
    throw new RangeError(`broker URL "${raw}": scheme must be one of ${SCHEMES.map((s) => s.replace(':', '://')).join(', ')}`);
  }
  if ((url.protocol === 'ws:' || url.protocol === 'wss:') && url.pathname === '/') url.pathname = '/mqtt';
  return url.toString();
}

/** A URL safe to print (no password). */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return raw;
  }
}

export function defaultClientId(): string {
  return `gridpilot_${randomBytes(4).toString('hex')}`;
}

/** The MQTT.js options for these connection options (TLS files read here). */
export async function mqttClientOptions(opts: MqttConnectionOptions): Promise<IClientOptions> {
  const version = opts.protocolVersion ?? 3;
  if (!isMqttProtocolVersion(version)) throw new RangeError(`protocolVersion must be 3 (MQTT 3.1), 4 (3.1.1) or 5, got ${String(version)}`);
  const clientId = opts.clientId ?? defaultClientId();
  if (version === 3 && (clientId.length < 1 || clientId.length > 23)) {
    throw new RangeError(`MQTT 3.1 client ids are 1 to 23 characters; "${clientId}" has ${clientId.length}`);
  }
  const options: IClientOptions = {
    ...protocolOptions(version),
    clientId,
    clean: true,
    keepalive: opts.keepAliveS ?? 30,
    reconnectPeriod: opts.reconnectPeriodMs ?? 1000,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    resubscribe: true,
  };
  if (opts.username !== undefined) options.username = opts.username;
  if (opts.password !== undefined) options.password = opts.password;
  const tls = opts.tls;
  if (tls) {
    if (tls.caFile !== undefined) options.ca = await readFile(tls.caFile);
    if (tls.certFile !== undefined) options.cert = await readFile(tls.certFile);
    if (tls.keyFile !== undefined) options.key = await readFile(tls.keyFile);
    if (tls.rejectUnauthorized !== undefined) options.rejectUnauthorized = tls.rejectUnauthorized;
  }
  return options;
}

/**
 * Connects and waits for the CONNACK. Rejects with a clear message when the broker cannot be
 * reached, refuses the connection, or does not answer within `connectTimeoutMs` — and then
 * stops retrying (an unreachable broker is an error, not a silent reconnect loop).
 */
export async function connectMqtt(opts: MqttConnectionOptions): Promise<MqttClient> {
  const url = normalizeBrokerUrl(opts.url);
  const options = await mqttClientOptions(opts);
  const timeoutMs = opts.connectTimeoutMs ?? 10_000;
  const client = mqtt.connect(url, options);
  keepSocketsUndelayed(client);
  const shown = redactUrl(url);
  return new Promise<MqttClient>((resolve, reject) => {
    let lastError: Error | null = null;
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
    };
    const fail = (message: string, cause: unknown): void => {
      cleanup();
      client.end(true);
      reject(new Error(`could not connect to ${shown}: ${message}`, { cause }));
    };
    const onConnect = (): void => {
      cleanup();
      resolve(client);
    };
    const onError = (err: Error): void => {
      lastError = err;
      // A CONNACK refusal (bad credentials, client id, protocol) will not heal by retrying.
      if ('code' in err && typeof err.code === 'number') fail(err.message, err);
    };
    const onClose = (): void => {
      if (lastError) fail(lastError.message, lastError);
      else fail(`the connection was closed before the broker accepted it (wrong port or protocol? MQTT version ${options.protocolVersion ?? 3} refused?)`, null);
    };
    const timer = setTimeout(() => fail(`no CONNACK within ${timeoutMs} ms`, lastError), timeoutMs);
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}
