// The SDK integrators use: typed commands, a client that matches feedback to commands, keep-alive.
// Depends only on protocol/ and mqtt.
export { GridpilotClient, type GridpilotClientOptions, type SendOptions, type SendPricesOptions, type PriceSlotInput, type CloseOptions } from './gridpilot-client.ts';
export {
  CommandBuilder,
  cmd,
  type SolarControl,
  type StorageControl,
  type SwitchedControl,
  type VariablePowerLoadControl,
  type SiteControl,
  type DeviceControl,
  type GroupControlMap,
} from './command-builder.ts';
export {
  checkSetpointW,
  needsSetpoint,
  policyKey,
  setpointKey,
  writePolicy,
  type CommandFields,
  type ComponentPolicyMap,
  type DevicePolicy,
  type PolicyArgs,
  type PolicyOf,
  type RawFields,
  type SetpointPolicy,
} from './command-fields.ts';
export {
  buildCommand,
  buildSchedule,
  fieldsOf,
  unixTimeS,
  type CommandMessage,
  type FieldsInput,
  type ScheduleInput,
  type ScheduleMessage,
  type ScheduleMode,
  type ScheduleSlotInput,
} from './messages.ts';
export { at, clearSchedule, MAX_SLOTS, schedule, ScheduleBuilder, toUnixS, type TimeInput } from './schedule-builder.ts';
export { ClientClosedError, CommandRejectedError, FeedbackTimeoutError, InvalidFeedbackError } from './errors.ts';
export { FeedbackMatcher, realClock, requestTimeOf, type ClientClock, type PendingHandle } from './feedback-matcher.ts';
export { DEFAULT_FALLBACK_TIMEOUT_S, keepAliveTiming, startKeepAlive, type KeepAliveHandle, type KeepAliveOptions } from './keep-alive.ts';
export {
  connectMqtt,
  defaultClientId,
  isMqttProtocolVersion,
  mqttClientOptions,
  normalizeBrokerUrl,
  protocolOptions,
  redactUrl,
  type MqttConnectionOptions,
  type MqttProtocolVersion,
  type TlsFiles,
} from './mqtt-connect.ts';
export type { Feedback } from '../protocol/feedback.ts';
