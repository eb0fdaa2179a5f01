// A tiny stand-in for the controller's MQTT side: answers every command and schedule with a
// FeedbackSchema-valid feedback echoing requestTime. Test-only; the real one lives in src/remote.
import mqtt, { type MqttClient } from 'mqtt';
import { FeedbackSchema, type Feedback } from '../../../src/protocol/feedback.ts';
import { siteNodeIdFor, topicsFor, type SiteTopics } from '../../../src/protocol/topics.ts';

export interface ReceivedMessage {
  topic: string;
  /** The parsed JSON (or the text when not JSON). */
  message: unknown;
}

/** What to answer: a feedback tweak, or 'ignore' to stay silent. */
export type Responder = (received: ReceivedMessage) => { responseCode?: number; errors?: Array<{ field: string; message: string }>; requestTime?: unknown } | 'ignore';

export interface FakeController {
  topics: SiteTopics;
  received: ReceivedMessage[];
  /** Replaces the responder (default: response_code 0 for everything). */
  respondWith(responder: Responder): void;
  /** Resolves once at least `n` messages arrived. */
  waitForMessages(n: number): Promise<void>;
  /** Publishes any payload on the feedback topic. */
  publishFeedback(payload: string | object): Promise<void>;
  close(): Promise<void>;
}

/** A complete, valid feedback [live §4]; `fields` echoes the command's fields (handy for matching). */
export function makeFeedback(args: {
  requestTime: unknown;
  siteNodeId: string;
  responseCode?: number;
  fields?: Record<string, unknown>;
  errors?: Array<{ field: string; message: string }>;
  timeS?: number;
}): Feedback {
  const fields = args.fields ?? {};
  const storageW = typeof fields.storage_power_setpoint_w === 'number' ? fields.storage_power_setpoint_w : 0;
  const feedback = {
    time: args.timeS ?? Math.floor(Date.now() / 1000),
    requestTime: args.requestTime,
    siteNodeId: args.siteNodeId,
    fields,
    data: {
      response_code: args.responseCode ?? 0,
      ...(args.errors ? { errors: args.errors } : {}),
      state: {
        vpp_id: '',
        grid: { active_power_W: 1200, today_imported_energy_Wh: 3200, today_exported_energy_Wh: 1100, import_limit_W: 25000, export_limit_W: 20000 },
        storage: {
          energy_stored_Wh: 9000, energy_capacity_Wh: 15000, mean_soc_perc: 60, active_power_W: storageW, executed_power_W: storageW,
          executed_policy: typeof fields.storage_policy === 'string' ? fields.storage_policy : 'self_consumption',
          max_charge_power_W: 7500, max_discharge_power_W: 7500, today_charged_Wh: 0, today_discharged_Wh: 0, nr_devices: 2,
          active_signal: 'remote', watchdog_s: 60,
        },
        solar: { active_power_W: 0, executed_power_W: 0, executed_policy: 'setpoint', capacity_W: 8000, today_energy_Wh: 0, nr_devices: 1 },
        heat_pump: { executed_policy: 'cost', operation_modes: ['off'], executed_power_W: 0, nr_devices: 1 },
        switched_load: { executed_policy: 'cost', devices_on: 0, devices_off: 1, executed_power_W: 0, nr_devices: 1 },
        variable_load: {
          executed_policy: 'passive', executed_power_W: 0, active_power_W: 0, ev_requiring_charge: false, currentL1_A: 0, currentL2_A: 0,
          currentL3_A: 0, executed_current_A: 0, today_charged_Wh: 0, today_discharged_Wh: 0, total_charged_Wh: 0, total_discharged_Wh: 0,
          min_charge_current_A: 6, max_charge_current_A: 16, allow_zero_current: true,
        },
      },
    },
  };
  return FeedbackSchema.parse(feedback);
}

export async function startFakeController(url: string, serial: string): Promise<FakeController> {
  const topics = topicsFor(serial);
  const siteNodeId = siteNodeIdFor(serial);
  const client: MqttClient = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  const received: ReceivedMessage[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  let responder: Responder = () => ({});

  client.on('message', (topic, payload) => {
    const text = payload.toString('utf8');
    let message: unknown = text;
    try {
      message = JSON.parse(text);
    } catch {
      // keep the text
    }
    const entry = { topic, message };
    received.push(entry);
    for (const w of waiters.filter((w) => received.length >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    const answer = responder(entry);
    if (answer === 'ignore') return;
    const obj = typeof message === 'object' && message !== null ? (message as Record<string, unknown>) : {};
    const fields = typeof obj.fields === 'object' && obj.fields !== null ? (obj.fields as Record<string, unknown>) : {};
    const feedback = makeFeedback({
      requestTime: 'requestTime' in answer ? answer.requestTime : (obj.time ?? null),
      siteNodeId,
      fields,
      ...(answer.responseCode !== undefined ? { responseCode: answer.responseCode } : {}),
      ...(answer.errors ? { errors: answer.errors } : {}),
    });
    client.publish(topics.feedback, JSON.stringify(feedback), { qos: 1 });
  });
  await client.subscribeAsync([topics.command, topics.schedule], { qos: 1 });

  return {
    topics,
    received,
    respondWith: (r) => {
      responder = r;
    },
    waitForMessages: (n) =>
      received.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    publishFeedback: async (payload) => {
      await client.publishAsync(topics.feedback, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });
    },
    close: async () => {
      await client.endAsync(true);
    },
  };
}
