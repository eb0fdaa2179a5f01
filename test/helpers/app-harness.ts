import { startApp, type RunningApp } from '../../src/app.ts';
import type { SimulatedSite } from '../../src/devices/simulated/simulated-site.ts';
import type { AppOptions } from '../../src/app-options.ts';
import type { Feedback } from '../../src/protocol/feedback.ts';
import type { ProtocolVersion } from './brokers.ts';
import { connectTestClient, type TestClient } from './mqtt-client.ts';

/** The running app plus an integrator-side MQTT client subscribed to the feedback topic. */
export interface AppUnderTest {
  app: RunningApp;
  /** The app's simulated site (throws when the app simulates nothing). */
  sim: SimulatedSite;
  integrator: TestClient;
  /** Publishes a raw payload on the command topic and resolves with the next feedback message. */
  publish(payload: string | Buffer): Promise<Feedback>;
  /** Sends `fields` with `time` = the app clock's now. */
  command(fields: Record<string, unknown>): Promise<Feedback>;
  nowS(): number;
  stop(): Promise<void>;
}

export async function startAppUnderTest(opts: AppOptions & { clientProtocol?: ProtocolVersion; brokerUrl?: string } = {}): Promise<AppUnderTest> {
  const app = await startApp({ brokerPort: 0, wsPort: null, httpPort: null, logLevel: 'silent', ...opts });
  const integrator = await connectTestClient(app.info.brokerUrl, { protocolVersion: opts.clientProtocol ?? 3 });
  await integrator.client.subscribeAsync(app.info.topics.feedback, { qos: 1 });
  const nowS = (): number => Math.floor(app.clock.now() / 1000);
  const publish = async (payload: string | Buffer): Promise<Feedback> => {
    const from = integrator.received.length;
    await integrator.client.publishAsync(app.info.topics.command, payload, { qos: 1 });
    const m = await integrator.waitFor((r) => r.topic === app.info.topics.feedback && integrator.received.indexOf(r) >= from, 8000, 'feedback');
    return m.json as Feedback;
  };
  return {
    app,
    get sim(): SimulatedSite {
      if (!app.sim) throw new Error('this app has no simulated devices');
      return app.sim;
    },
    integrator,
    publish,
    nowS,
    command: (fields) => publish(JSON.stringify({ extraTags: { nodeId: app.info.siteNodeId }, time: nowS(), fields })),
    async stop() {
      await integrator.end();
      await app.stop();
    },
  };
}

/**
 * Publishes `payload` on `topic` and resolves with the next feedback after it whose `requestTime`
 * is `requestTime` (any feedback when null: for payloads without a readable time).
 */
export async function publishForFeedback(t: AppUnderTest, topic: string, payload: string | Buffer, requestTime: unknown, what = 'feedback'): Promise<Feedback> {
  const from = t.integrator.received.length;
  await t.integrator.client.publishAsync(topic, payload, { qos: 1 });
  const m = await t.integrator.waitFor(
    (r) => r.topic === t.app.info.topics.feedback && t.integrator.received.indexOf(r) >= from && (requestTime === null || (r.json as Feedback).requestTime === requestTime),
    8000,
    what,
  );
  return m.json as Feedback;
}
