// The wire contract, for integrators and tools: topics, messages, policies, response codes.
export * from './components.ts';
export * from './policies.ts';
export * from './response-codes.ts';
export * from './topics.ts';
export * from './feedback.ts';
export { parseCommand, CommandEnvelopeSchema, MAX_COMMAND_BYTES, type CommandContext, type CommandSignal, type ParseResult, type SignalTarget } from './command.ts';
export {
  parseSchedule,
  slotFields,
  ScheduleMessageSchema,
  SCHEDULE_MODES,
  SCHEDULE_HORIZON_MS,
  MAX_SCHEDULE_SLOTS,
  type ScheduleMode,
  type ScheduleSlot,
  type ScheduleContext,
  type ScheduleParseResult,
} from './schedule.ts';
export { wireJsonSchemas } from './json-schema.ts';
