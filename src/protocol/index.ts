// The wire contract, for integrators and tools: topics, messages, policies, response codes.
export * from './components.ts';
export * from './policies.ts';
export * from './response-codes.ts';
export * from './topics.ts';
export * from './feedback.ts';
export { parseCommand, CommandEnvelopeSchema, MAX_COMMAND_BYTES, type CommandContext, type CommandSignal, type ParseResult, type SignalTarget } from './command.ts';
export { wireJsonSchemas } from './json-schema.ts';
