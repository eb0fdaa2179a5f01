import { keepSocketsUndelayed } from '../protocol/transport.ts';
import { createHash } from 'node:crypto';
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { systemClock, type Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import { definedPrefixes, topicsFor, type SiteTopics, type TopicPrefixesInput } from '../protocol/topics.ts';
import { backoffDelayMs, type BackoffOptions } from './backoff.ts';
import { mqttConnectOptions, type MqttConnectionSettings } from './mqtt-options.ts';
import type { Logger } from '../core/logger.ts';

export type { TopicPrefixesInput } from '../protocol/topics.ts';

/**
 * The controller's side of the wire [live §1–2]: subscribes to its command and schedule topics,
 * publishes feedback, and keeps a retained online/offline status. It never blocks the controller:
 * without a broker it keeps retrying in the background while the local regime runs.
 */

/** The logger the link uses. */
export type RemoteLogger = Logger;

export interface MessageMeta {
  topic: string;
  qos: 0 | 1 | 2;
  /** A retained message replayed at subscribe time (may be old: check its `time`). */
  retain: boolean;
  /** Clock time of arrival, Unix ms. */
  receivedAtMs: number;
}

export interface RemoteLinkOptions extends MqttConnectionSettings {
  /** Controller serial number; the topics end in it. */
  serial: string;
  /** Topic prefixes (white label); default the protocol's. */
  prefixes?: TopicPrefixesInput | undefined;
  /** Raw command payload [live §3]; parsing and feedback are the caller's job. Must not throw (it is caught and logged). */
  onCommand(payload: Buffer, meta: MessageMeta): void;
  /** Raw schedule payload [scheduled]. Must not throw (it is caught and logged). */
  onSchedule(payload: Buffer, meta: MessageMeta): void;
  /** Raw price message (ours, docs/optimizer.md); without it the prices topic is not subscribed. Must not throw. */
  onPrices?: ((payload: Buffer, meta: MessageMeta) => void) | undefined;
  /** Called with true after each (re)connect is ready (subscribed, online published) and false on each loss. */
  onConnectionChange?: ((connected: boolean) => void) | undefined;
  /** How long connectRemoteLink waits for the first connection before resolving anyway, ms. Default 3000. */
  initialWaitMs?: number | undefined;
  /** Reconnect delays; default 1 s doubling to 30 s, ±20 % jitter; reset after a successful connect. */
  reconnect?: BackoffOptions | undefined;
  /** A publish not acknowledged within this time rejects, ms. Default 10 000. */
  publishTimeoutMs?: number | undefined;
  /** MQTT keepalive, s (the broker sends the last will after 1.5× this of silence). Default 30. */
  keepaliveS?: number | undefined;
  /** Time source for status `time` and message meta. Default system time. */
  clock?: Pick<Clock, 'now'> | undefined;
  logger?: RemoteLogger | undefined;
}

export interface RemoteLink {
  readonly topics: SiteTopics;
  readonly clientId: string;
  /** Publishes a feedback object as JSON (QoS 1, not retained); resolves on PUBACK. Rejects when offline or closed. */
  publishFeedback(obj: unknown): Promise<void>;
  /** True while connected to the broker. */
  isConnected(): boolean;
  /** Publishes the retained `offline` status, disconnects cleanly and stops reconnecting. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_INITIAL_WAIT_MS = 3000;
const CLOSE_PUBLISH_TIMEOUT_MS = 2000;

const noop = (): void => undefined;
const silentLogger: RemoteLogger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * Stable per-serial client id, at most 23 characters so MQTT 3.1 brokers accept it: `gp-<serial>`,
 * or `gp-` and a hash of the serial when that is too long.
 */
export function defaultClientId(serial: string): string {
  const id = `gp-${serial}`;
  return id.length <= 23 ? id : `gp-${createHash('sha256').update(serial).digest('hex').slice(0, 20)}`;
}

/** Retained status payloads on `<status prefix>/<SN>` (ours; the spec has no status topic). */
export function onlineStatus(nowMs: number): string {
  return JSON.stringify({ status: 'online', time: Math.floor(nowMs / 1000) });
}
export function offlineStatus(nowMs?: number): string {
  return JSON.stringify(nowMs === undefined ? { status: 'offline' } : { status: 'offline', time: Math.floor(nowMs / 1000) });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Connects to the broker. Resolves once connected, subscribed and `online` is published — or after
 * `initialWaitMs` when the broker is not reachable (a warning is logged and retries go on in the
 * background). Rejects only on bad settings (URL scheme, TLS files).
 */
export async function connectRemoteLink(opts: RemoteLinkOptions): Promise<RemoteLink> {
  const log = opts.logger ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const topics = topicsFor(opts.serial, definedPrefixes(opts.prefixes));
  const clientId = opts.clientId ?? defaultClientId(opts.serial);
  const publishTimeoutMs = opts.publishTimeoutMs ?? 10_000;

  const options: IClientOptions = {
    ...mqttConnectOptions({ ...opts, clientId }),
    clean: true,
    keepalive: opts.keepaliveS ?? 30,
    connectTimeout: 10_000,
    reconnectPeriod: backoffDelayMs(0, opts.reconnect),
    // Keep retrying after a CONNACK refusal too (bad credentials may be fixed on the broker side,
    // an MQTT 5 client against a 3.1.1-only broker will keep failing but must not give up silently).
    reconnectOnConnackError: true,
    // We subscribe ourselves on every connect (clean session), so MQTT.js must not do it again.
    resubscribe: false,
    will: { topic: topics.status, payload: Buffer.from(offlineStatus()), qos: 1, retain: true },
  };

  const client: MqttClient = connect(opts.url, options);
  keepSocketsUndelayed(client);
  let closed = false;
  let ready = false;
  let attempt = 0;
  let lastError: string | null = null;
  let markReady: () => void = noop;
  const firstReady = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const setReady = (value: boolean): void => {
    if (ready === value) return;
    ready = value;
    try {
      opts.onConnectionChange?.(value);
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'remote: onConnectionChange threw');
    }
  };

  // mqtt.js retries at a fixed `reconnectPeriod`, read when it schedules the next attempt after a
  // loss; raising it at each attempt gives the exponential backoff.
  client.on('reconnect', () => {
    attempt += 1;
    client.options.reconnectPeriod = backoffDelayMs(attempt, opts.reconnect);
    log.debug({ url: opts.url, attempt }, 'remote: reconnecting');
  });

  client.on('error', (err) => {
    const code = (err as { code?: unknown }).code;
    let message = errorMessage(err);
    if (opts.protocolVersion === 5 && code === 1) {
      message += ' (the broker does not speak MQTT 5, e.g. the embedded aedes broker: use protocolVersion 4 or 3)';
    }
    if (message !== lastError) {
      log.warn({ url: opts.url, err: message }, 'remote: MQTT connection error (retrying in the background)');
      lastError = message;
    }
  });

  client.on('close', () => {
    setReady(false);
    if (!closed) log.debug({ url: opts.url, nextRetryMs: client.options.reconnectPeriod }, 'remote: connection closed');
  });

  let generation = 0;
  client.on('connect', () => {
    attempt = 0;
    lastError = null;
    // Jittered already for the first retry: after a broker restart a whole fleet retries at once.
    client.options.reconnectPeriod = backoffDelayMs(0, opts.reconnect);
    generation += 1;
    void onConnected(generation);
  });

  /** Subscribes and publishes `online` on every (re)connect: the session is clean, nothing survives. */
  async function onConnected(gen: number): Promise<void> {
    const current = (): boolean => gen === generation && client.connected && !closed;
    try {
      await client.subscribeAsync({ [topics.command]: { qos: 1 }, [topics.schedule]: { qos: 1 }, ...(opts.onPrices ? { [topics.prices]: { qos: 1 } } : {}) });
    } catch (err) {
      if (!current()) return; // lost the connection meanwhile; the next 'connect' starts over
      log.error({ err: errorMessage(err), topics: [topics.command, topics.schedule, ...(opts.onPrices ? [topics.prices] : [])] }, 'remote: broker refused the subscription (check the ACL of this account)');
    }
    try {
      await client.publishAsync(topics.status, onlineStatus(clock.now()), { qos: 1, retain: true });
    } catch (err) {
      if (!current()) return;
      log.error({ err: errorMessage(err), topic: topics.status }, 'remote: broker refused the online status (check the ACL of this account)');
    }
    if (!current()) return;
    log.info({ url: opts.url, clientId, command: topics.command, feedback: topics.feedback }, 'remote: connected');
    setReady(true);
    markReady();
  }

  client.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) => {
    const handler = topic === topics.command ? opts.onCommand : topic === topics.schedule ? opts.onSchedule : topic === topics.prices ? opts.onPrices : null;
    if (!handler) return; // other topics (e.g. a broker that also forwards wildcards) are ignored
    const meta: MessageMeta = { topic, qos: packet.qos, retain: packet.retain, receivedAtMs: clock.now() };
    try {
      handler(payload, meta);
    } catch (err) {
      log.error({ topic, err: errorMessage(err) }, 'remote: message handler threw');
    }
  });

  const initialWaitMs = opts.initialWaitMs ?? DEFAULT_INITIAL_WAIT_MS;
  let waitTimer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    firstReady.then(() => false),
    new Promise<boolean>((resolve) => {
      waitTimer = setTimeout(() => resolve(true), initialWaitMs);
    }),
  ]);
  clearTimeout(waitTimer);
  if (timedOut) {
    log.warn(
      { url: opts.url, waitedMs: initialWaitMs, err: lastError },
      'remote: broker not reachable yet; running on local control and retrying in the background',
    );
  }

  let closing: Promise<void> | null = null;
  return {
    topics,
    clientId,
    isConnected: () => client.connected,
    async publishFeedback(obj: unknown): Promise<void> {
      if (closed) throw new Error('remote link is closed: feedback not sent');
      if (!client.connected) throw new Error('not connected to the MQTT broker: feedback not sent');
      const payload = JSON.stringify(obj);
      await withTimeout(
        client.publishAsync(topics.feedback, payload, { qos: 1, retain: false }),
        publishTimeoutMs,
        `feedback not acknowledged by the broker within ${publishTimeoutMs} ms`,
      );
    },
    close(): Promise<void> {
      closing ??= (async () => {
        closed = true;
        if (client.connected) {
          try {
            await withTimeout(
              client.publishAsync(topics.status, offlineStatus(clock.now()), { qos: 1, retain: true }),
              CLOSE_PUBLISH_TIMEOUT_MS,
              'offline status not acknowledged',
            );
            // A DISCONNECT makes the broker discard the last will [MQTT-3.14.4-3].
            await withTimeout(client.endAsync(false), CLOSE_PUBLISH_TIMEOUT_MS, 'disconnect timed out');
          } catch (err) {
            log.warn({ err: errorMessage(err) }, 'remote: clean close failed; the broker will publish the last will');
            await client.endAsync(true);
          }
        } else {
          await client.endAsync(true);
        }
        setReady(false);
        log.info({ url: opts.url }, 'remote: closed');
      })();
      return closing;
    },
  };
}
