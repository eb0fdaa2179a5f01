import type { BrokerAuth, TopicPrefixesInput } from '../../src/broker/auth.ts';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.ts';
import { startMosquitto } from './mosquitto.ts';

/**
 * The brokers the controller must work with, as fixtures other test files loop over:
 *
 *   for (const fixture of BROKERS) for (const v of fixture.protocols) test(`… (${fixture.name}, v${v})`, …)
 */

export type ProtocolVersion = 3 | 4 | 5;

export interface BrokerStartOptions {
  /** TCP port; default a free one. Pass a stopped broker's port to restart it "in place". */
  port?: number;
  /** WebSocket port; default a free one. */
  wsPort?: number;
  /** Accounts + ACL (mosquitto needs plain `password`s). */
  auth?: BrokerAuth;
  prefixes?: TopicPrefixesInput;
}

export interface RunningBroker {
  readonly name: BrokerName;
  readonly port: number;
  readonly wsPort: number;
  /** `mqtt://127.0.0.1:PORT` */
  readonly url: string;
  /** `ws://127.0.0.1:PORT/mqtt` */
  readonly wsUrl: string;
  /** Stops the broker; its ports are free when this resolves. Idempotent. */
  stop(): Promise<void>;
}

export type BrokerName = 'aedes' | 'mosquitto';

export interface BrokerFixture {
  readonly name: BrokerName;
  /** MQTT protocol levels the broker accepts (3 = 3.1, 4 = 3.1.1, 5 = 5.0). */
  readonly protocols: readonly ProtocolVersion[];
  /** How it answers a publish the ACL denies, per protocol level. */
  readonly deniedPublish: Readonly<Partial<Record<ProtocolVersion, 'dropped' | 'puback-0x87' | 'disconnect'>>>;
  /**
   * How it answers a subscription the ACL denies: a SUBACK failure (0x80 / 0x87), or (mosquitto
   * 2.0.11) a granted SUBACK and then no delivery of the topics the account may not read.
   */
  readonly deniedSubscribe: 'suback-failure' | 'granted-but-filtered';
  start(opts?: BrokerStartOptions): Promise<RunningBroker>;
}

export const aedesFixture: BrokerFixture = {
  name: 'aedes',
  protocols: [3, 4],
  // [live §1]: 3.1 dropped silently; 3.1.1 closed [MQTT-3.3.5-2] (aedes' default; configurable to 'drop').
  deniedPublish: { 3: 'dropped', 4: 'disconnect' },
  deniedSubscribe: 'suback-failure',
  async start(opts = {}) {
    const b = await startEmbeddedBroker({
      port: opts.port ?? 0,
      wsPort: opts.wsPort ?? 0,
      ...(opts.auth ? { auth: opts.auth } : {}),
      ...(opts.prefixes ? { topicPrefixes: opts.prefixes } : {}),
    });
    return { name: 'aedes', port: b.port, wsPort: b.wsPort ?? 0, url: b.url, wsUrl: b.wsUrl ?? '', stop: () => b.close() };
  },
};

export const mosquittoFixture: BrokerFixture = {
  name: 'mosquitto',
  protocols: [3, 4, 5],
  deniedPublish: { 3: 'dropped', 4: 'dropped', 5: 'puback-0x87' },
  deniedSubscribe: 'granted-but-filtered',
  async start(opts = {}) {
    const m = await startMosquitto({
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.wsPort !== undefined ? { wsPort: opts.wsPort } : {}),
      ...(opts.auth ? { auth: opts.auth } : {}),
      ...(opts.prefixes ? { prefixes: opts.prefixes } : {}),
    });
    return { name: 'mosquitto', port: m.port, wsPort: m.wsPort ?? 0, url: m.url, wsUrl: m.wsUrl ?? '', stop: () => m.stop() };
  },
};

export const BROKERS: readonly BrokerFixture[] = [aedesFixture, mosquittoFixture];
