import { brokerWords } from '../broker/local-broker.ts';
import type { RunningAppInfo } from '../app-options.ts';
import { EXAMPLE_FIELDS, mosquittoPubLine, mosquittoSubLine } from '../cli/start-banner.ts';
import { POLICIES_BY_COMPONENT, type ExecutedPolicy } from '../protocol/policies.ts';
import type { Component } from '../protocol/components.ts';
import { RESPONSE_CODE_MEANING } from '../protocol/response-codes.ts';

/** `GET /api/protocol`: everything an integrator needs to send a first command [live §2, §3, §5]. */
export interface ProtocolView {
  serial: string;
  siteNodeId: string;
  /** mqtt://host:port the controller uses (embedded or external). */
  brokerUrl: string;
  isEmbeddedBroker: boolean;
  /** The controller's own broker in words (which one, which MQTT versions), or null with an external one. */
  brokerDescription: string | null;
  /** ws://host:port/mqtt of the embedded broker, when on. */
  wsUrl: string | null;
  /** mqtts://host:port and wss://host:port/mqtt of the embedded broker (`mqtt.embedded.tls`), null when off. */
  tlsUrl: string | null;
  wssUrl: string | null;
  topics: RunningAppInfo['topics'];
  /** Seconds without a command before remote control falls back [live §3.3 rule 2]. */
  fallbackTimeoutS: number;
  /** The contract's §3 example as shell text: `time` is `$(date +%s)`, filled in by the shell at paste time. */
  exampleCommand: string;
  /** The example's `fields` (what `POST /api/command` takes as its body). */
  exampleFields: Record<string, unknown>;
  /** Ready-to-paste commands (MQTT 3.1, as the original recommends). */
  mosquittoPub: string;
  mosquittoSub: string;
  /** Device nodeIds, for `<nodeId>_policy` / `<nodeId>_power_setpoint_w` [live §3.2]. */
  devices: RunningAppInfo['devices'];
  /** Canonical policies per component [live §3.1]; `fallback` is valid for all. */
  policies: Record<Component, readonly ExecutedPolicy[]>;
  /** response_code → meaning [live §4.1]. */
  responseCodes: Record<string, string>;
}

export function protocolView(info: RunningAppInfo): ProtocolView {
  const marker = '"__TIME__"';
  const exampleCommand = JSON.stringify({ extraTags: { nodeId: info.siteNodeId }, time: '__TIME__', fields: EXAMPLE_FIELDS }, null, 2).replace(marker, '$(date +%s)');
  return {
    serial: info.serial,
    siteNodeId: info.siteNodeId,
    brokerUrl: info.brokerUrl,
    isEmbeddedBroker: info.isEmbeddedBroker,
    brokerDescription: info.isEmbeddedBroker ? brokerWords(info.localBroker) : null,
    wsUrl: info.wsUrl,
    tlsUrl: info.localBroker?.tlsUrl ?? null,
    wssUrl: info.localBroker?.wssUrl ?? null,
    topics: { ...info.topics },
    fallbackTimeoutS: info.fallbackTimeoutS,
    exampleCommand,
    exampleFields: { ...EXAMPLE_FIELDS },
    mosquittoPub: mosquittoPubLine(info),
    mosquittoSub: mosquittoSubLine(info),
    devices: info.devices.map((d) => ({ ...d })),
    policies: POLICIES_BY_COMPONENT,
    responseCodes: Object.fromEntries(Object.entries(RESPONSE_CODE_MEANING)),
  };
}
