import type { MqttClient } from 'mqtt';
import { FeedbackSchema, type Feedback } from '../protocol/feedback.ts';
import { siteNodeIdFor, topicsFor, type SiteTopics, type TopicPrefixes } from '../protocol/topics.ts';
import { ClientClosedError, FeedbackTimeoutError, InvalidFeedbackError } from './errors.ts';
import { FeedbackMatcher, realClock, type ClientClock } from './feedback-matcher.ts';
import { startKeepAlive, type KeepAliveHandle, type KeepAliveOptions } from './keep-alive.ts';
import { buildCommand, buildSchedule, fieldsOf, unixTimeS, type FieldsInput, type ScheduleInput } from './messages.ts';
import { connectMqtt, type MqttConnectionOptions, type MqttProtocolVersion } from './mqtt-connect.ts';

export interface GridpilotClientOptions extends MqttConnectionOptions {
  /** The controller's serial number, e.g. `OM12404080000000000`; part of every topic [live §2]. */
  serial: string;
  /** The site node the commands address. Default `<serial>_site_0` [live §3]. */
  siteNodeId?: string;
  /** Topic prefixes (white-label deployments). Default: the contract's [live §2]. */
  prefixes?: Partial<TopicPrefixes>;
  /** How long `send` waits for feedback unless told otherwise, ms. Default 5000. */
  defaultTimeoutMs?: number;
  /** Time source for `time` and timeouts. Default: real time. Tests inject a fake clock. */
  clock?: ClientClock;
}

export interface SendOptions {
  /** How long to wait for the matching feedback, ms. Default 5000 (the client's `defaultTimeoutMs`). */
  timeoutMs?: number;
  /** Override the message's `time`, Unix seconds (e.g. to see a controller refuse an old one). Default now. */
  time?: number;
}

/** One slot of day-ahead prices for the `cost` policy (docs/optimizer.md "Pushed over MQTT"). */
export interface PriceSlotInput {
  /** Slot start and end, Unix seconds (15 or 60 min, contiguous, on a boundary of their length). */
  start: number;
  end: number;
  /** Spot price, EUR/MWh (may be negative). */
  price_eur_mwh: number;
}

export interface SendPricesOptions extends SendOptions {
  /** Publish retained, so a controller that restarts gets the prices again. Default false. */
  retain?: boolean;
}

export interface CloseOptions {
  /** Drop in-flight QoS 1 publishes instead of waiting for their PUBACK. Default false. */
  force?: boolean;
}

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * The integrator's side of Live MQTT control: send commands and schedules, get the feedback
 * that answers each, keep a command alive against the watchdog.
 *
 *   const client = await GridpilotClient.connect({ url: 'mqtt://127.0.0.1:1883', serial: 'OM12404080000000000' });
 *   const feedback = await client.send(cmd().storage.setpoint(5000).solar.setpoint(0));
 *   await client.close();
 *
 * The feedback topic is subscribed before `connect` resolves, so no answer is lost.
 * A send resolves with its feedback whatever its response_code; it rejects only when no (valid)
 * answer comes: FeedbackTimeoutError, InvalidFeedbackError, ClientClosedError, or a publish error.
 */
export class GridpilotClient {
  readonly serial: string;
  readonly siteNodeId: string;
  readonly topics: SiteTopics;
  readonly protocolVersion: MqttProtocolVersion;

  readonly #mqtt: MqttClient;
  readonly #clock: ClientClock;
  readonly #matcher: FeedbackMatcher;
  readonly #defaultTimeoutMs: number;
  readonly #feedbackListeners = new Set<(feedback: Feedback) => void>();
  readonly #errorListeners = new Set<(err: Error) => void>();
  readonly #statusListeners = new Set<(status: unknown, raw: string) => void>();
  readonly #keepAlives = new Set<KeepAliveHandle>();
  #isStatusSubscribed = false;
  #isClosed = false;

  private constructor(mqttClient: MqttClient, opts: GridpilotClientOptions) {
    if (opts.serial.trim() === '') throw new RangeError('serial must not be empty');
    this.serial = opts.serial;
    this.siteNodeId = opts.siteNodeId ?? siteNodeIdFor(opts.serial);
    this.topics = topicsFor(opts.serial, opts.prefixes);
    this.protocolVersion = opts.protocolVersion ?? 3;
    this.#mqtt = mqttClient;
    this.#clock = opts.clock ?? realClock;
    this.#matcher = new FeedbackMatcher(this.#clock);
    this.#defaultTimeoutMs = opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    mqttClient.on('message', (topic, payload) => this.#onMessage(topic, payload));
    // An EventEmitter 'error' without a listener would crash the process: report it instead.
    mqttClient.on('error', (err) => this.#emitError(err));
  }

  /** Connects, subscribes to the feedback topic (QoS 1), then resolves. Rejects with a clear reason. */
  static async connect(opts: GridpilotClientOptions): Promise<GridpilotClient> {
    const mqttClient = await connectMqtt(opts);
    try {
      const client = new GridpilotClient(mqttClient, opts);
      await client.#subscribe(client.topics.feedback);
      return client;
    } catch (err) {
      await mqttClient.endAsync(true);
      throw err;
    }
  }

  get isConnected(): boolean {
    return this.#mqtt.connected;
  }

  /**
   * Publishes a live command (QoS 1) on the command topic and resolves with the feedback whose
   * `requestTime` is this command's `time` [live §4]. Equal requestTimes are matched in send order.
   */
  async send(fields: FieldsInput, opts: SendOptions = {}): Promise<Feedback> {
    if (this.#isClosed) throw new ClientClosedError();
    const message = buildCommand({ siteNodeId: this.siteNodeId, fields, time: opts.time ?? unixTimeS(this.#clock.now()) });
    return this.#publishAndWait(this.topics.command, message, message.time, opts.timeoutMs);
  }

  /** Sends an empty command, which only asks for a feedback [live §3.3 rule 3]. */
  async requestFeedback(opts: SendOptions = {}): Promise<Feedback> {
    return this.send({}, opts);
  }

  /** Publishes a schedule [scheduled §Message] and resolves with the feedback answering it. */
  async sendSchedule(input: ScheduleInput, opts: Omit<SendOptions, 'time'> = {}): Promise<Feedback> {
    if (this.#isClosed) throw new ClientClosedError();
    const message = buildSchedule({ ...input, siteNodeId: this.siteNodeId, time: input.time ?? unixTimeS(this.#clock.now()) });
    return this.#publishAndWait(this.topics.schedule, message, message.time, opts.timeoutMs);
  }

  /**
   * Publishes day-ahead spot prices on the prices topic (ours, `gridpilot/prices/<serial>`) and
   * resolves with the feedback answering them (response_code 0 stored, 10/11 rejected with
   * data.errors). They override the controller's own price source for the slots they cover.
   */
  async sendPrices(prices: readonly PriceSlotInput[], opts: SendPricesOptions = {}): Promise<Feedback> {
    if (this.#isClosed) throw new ClientClosedError();
    const message = { time: opts.time ?? unixTimeS(this.#clock.now()), currency: 'EUR', prices };
    return this.#publishAndWait(this.topics.prices, message, message.time, opts.timeoutMs, opts.retain ?? false);
  }

  /**
   * Re-sends the same command every `intervalMs` (default: fallback timeout / 3) so the watchdog
   * never fires [live §3.3 rule 2]. Sends once at once. Stopped by `stop()` or `close()`.
   */
  keepAlive(fields: FieldsInput, opts: KeepAliveOptions = {}): KeepAliveHandle {
    if (this.#isClosed) throw new ClientClosedError();
    const handle = startKeepAlive((f, o) => this.send(f, o), fieldsOf(fields), this.#clock, {
      ...opts,
      onError: opts.onError ?? ((err) => this.#emitError(err)),
    });
    this.#keepAlives.add(handle);
    return {
      stop: () => {
        handle.stop();
        this.#keepAlives.delete(handle);
      },
      get isRunning() {
        return handle.isRunning;
      },
    };
  }

  /** Every valid feedback on the topic (answers to anyone's command, periodic ones). Returns an unsubscribe. */
  onFeedback(listener: (feedback: Feedback) => void): () => void {
    this.#feedbackListeners.add(listener);
    return () => this.#feedbackListeners.delete(listener);
  }

  /** Invalid feedback messages, connection errors, failed keep-alive sends. Returns an unsubscribe. */
  onError(listener: (err: Error) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /**
   * Subscribes to the controller's retained online/offline status topic (ours, not the
   * original's). `status` is the parsed JSON, or the text when it is not JSON.
   */
  async onStatus(listener: (status: unknown, raw: string) => void): Promise<() => void> {
    if (this.#isClosed) throw new ClientClosedError();
    this.#statusListeners.add(listener);
    if (!this.#isStatusSubscribed) {
      this.#isStatusSubscribed = true;
      await this.#subscribe(this.topics.status);
    }
    return () => this.#statusListeners.delete(listener);
  }

  /** Stops every keep-alive, rejects every waiting send with ClientClosedError, disconnects. */
  async close(opts: CloseOptions = {}): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    for (const handle of this.#keepAlives) handle.stop();
    this.#keepAlives.clear();
    this.#matcher.rejectAll(new ClientClosedError());
    await this.#mqtt.endAsync(opts.force ?? false);
  }

  async #subscribe(topic: string): Promise<void> {
    const granted = await this.#mqtt.subscribeAsync(topic, { qos: 1 });
    const refused = granted.find((g) => g.qos === 128);
    if (refused) throw new Error(`the broker refused the subscription to ${topic} (not allowed for this user?)`);
  }

  #publishAndWait(topic: string, message: object, requestTime: number, timeoutMs = this.#defaultTimeoutMs, retain = false): Promise<Feedback> {
    // Wait first, publish second: the answer may arrive before the PUBACK.
    const handle = this.#matcher.wait(requestTime, timeoutMs, () => new FeedbackTimeoutError(requestTime, timeoutMs, this.topics.feedback, topic));
    this.#mqtt.publish(topic, JSON.stringify(message), { qos: 1, retain }, (err) => {
      // MQTT 5: a PUBACK reason code ≥ 0x80 (e.g. 0x87 Not authorized) lands here [live §1].
      if (err) handle.fail(new Error(`publish to ${topic} failed: ${err.message}`, { cause: err }));
    });
    return handle.promise;
  }

  #onMessage(topic: string, payload: Buffer): void {
    const text = payload.toString('utf8');
    if (topic === this.topics.feedback) this.#onFeedbackMessage(text);
    else if (topic === this.topics.status) this.#onStatusMessage(text);
  }

  #onFeedbackMessage(text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      this.#emitError(new InvalidFeedbackError(`not JSON (${err instanceof Error ? err.message : String(err)})`, text));
      return;
    }
    const parsed = FeedbackSchema.safeParse(raw);
    if (!parsed.success) {
      const reason = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '$'}: ${i.message}`)
        .join('; ');
      const err = new InvalidFeedbackError(reason, text);
      // An unusable answer to our command is still its answer: fail that send now, not at its timeout.
      const requestTime = typeof raw === 'object' && raw !== null && 'requestTime' in raw ? raw.requestTime : undefined;
      this.#matcher.reject(requestTime, err);
      this.#emitError(err);
      return;
    }
    const feedback = parsed.data;
    for (const listener of this.#feedbackListeners) {
      try {
        listener(feedback);
      } catch (err) {
        this.#emitError(err instanceof Error ? err : new Error(String(err)));
      }
    }
    this.#matcher.resolve(feedback.requestTime, feedback);
  }

  #onStatusMessage(text: string): void {
    let status: unknown = text;
    try {
      status = JSON.parse(text);
    } catch {
      // Plain text status ("online"/"offline"): keep the text.
    }
    for (const listener of this.#statusListeners) {
      try {
        listener(status, text);
      } catch (err) {
        this.#emitError(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  #emitError(err: Error): void {
    for (const listener of this.#errorListeners) {
      try {
        listener(err);
      } catch {
        // An error listener that throws has nowhere left to report to.
      }
    }
  }
}
