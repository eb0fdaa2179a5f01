import { Option, type Command } from 'commander';
import { GridpilotClient, normalizeBrokerUrl, type GridpilotClientOptions, type MqttProtocolVersion } from '../client/index.ts';
import type { Feedback } from '../protocol/feedback.ts';
import type { TopicPrefixes } from '../protocol/topics.ts';
import { DEMO_SERIAL } from '../site/demo-site.ts';
import { collect, parseMqttVersion } from './arg-parsers.ts';
import { formatFeedback, isRejected } from './format-feedback.ts';
import { EXIT_FAILURE, EXIT_OK, UsageError, errorText, type CliIo } from './io.ts';

export const DEFAULT_BROKER_URL = 'mqtt://127.0.0.1:1883';
/** The contract's example serial, which the demo site uses [live §3]. */
export const DEFAULT_SERIAL = DEMO_SERIAL;

/** The flags every client subcommand (send, watch, demo) shares. */
export interface ConnectionFlags {
  broker: string;
  serial: string;
  siteNodeId?: string;
  mqttVersion: MqttProtocolVersion;
  username?: string;
  password?: string;
  clientId?: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  topicPrefix?: string[];
}

/** `--broker <url>` (env GRIDPILOT_BROKER), the same for every command that reaches a broker. */
export function brokerOption(): Option {
  return new Option('--broker <url>', 'broker URL: mqtt://, mqtts://, ws://host/mqtt, wss://').default(DEFAULT_BROKER_URL).env('GRIDPILOT_BROKER');
}

export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .addOption(brokerOption())
    .addOption(new Option('--serial <sn>', "the controller's serial number (part of every topic)").default(DEFAULT_SERIAL).env('GRIDPILOT_SERIAL'))
    .addOption(new Option('--site-node-id <id>', 'site nodeId the commands address (default: <serial>_site_0)'))
    .addOption(new Option('--mqtt-version <v>', 'MQTT protocol: 3 (3.1, as the original recommends), 4 (3.1.1) or 5').default(3).argParser(parseMqttVersion))
    .addOption(new Option('-u, --username <name>', 'MQTT username').env('GRIDPILOT_MQTT_USERNAME'))
    .addOption(new Option('-P, --password <password>', 'MQTT password (prefer the environment variable)').env('GRIDPILOT_MQTT_PASSWORD'))
    .addOption(new Option('--client-id <id>', 'MQTT client id (default gridpilot_<random>; at most 23 characters under MQTT 3.1)'))
    .addOption(new Option('--ca <file>', 'PEM CA bundle for mqtts:// / wss://'))
    .addOption(new Option('--cert <file>', 'PEM client certificate'))
    .addOption(new Option('--key <file>', 'PEM private key of --cert'))
    .addOption(new Option('--insecure', 'accept any TLS server certificate (testing only)'))
    .addOption(new Option('--topic-prefix <kind=prefix>', 'override a topic prefix (command|feedback|schedule|status), repeatable').argParser(collect));
}

const PREFIX_KINDS = ['command', 'feedback', 'schedule', 'status'] as const;

export function parseTopicPrefixes(entries: readonly string[]): Partial<TopicPrefixes> {
  const prefixes: Partial<TopicPrefixes> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const kind = entry.slice(0, eq);
    const prefix = entry.slice(eq + 1);
    const known = PREFIX_KINDS.find((k) => k === kind);
    if (eq < 1 || !known || prefix === '') throw new UsageError(`--topic-prefix "${entry}": expected <${PREFIX_KINDS.join('|')}>=<prefix>`);
    prefixes[known] = prefix;
  }
  return prefixes;
}

/** The GridpilotClient options for these flags. Throws UsageError on a bad broker URL or prefix. */
export function clientOptionsFrom(flags: ConnectionFlags): GridpilotClientOptions {
  let url: string;
  try {
    url = normalizeBrokerUrl(flags.broker);
  } catch (err) {
    throw new UsageError(`--broker: ${err instanceof Error ? err.message : String(err)}`);
  }
  const opts: GridpilotClientOptions = { url, serial: flags.serial, protocolVersion: flags.mqttVersion };
  if (flags.siteNodeId !== undefined) opts.siteNodeId = flags.siteNodeId;
  if (flags.username !== undefined) opts.username = flags.username;
  if (flags.password !== undefined) opts.password = flags.password;
  if (flags.clientId !== undefined) opts.clientId = flags.clientId;
  if (flags.topicPrefix?.length) opts.prefixes = parseTopicPrefixes(flags.topicPrefix);
  if (flags.ca !== undefined || flags.cert !== undefined || flags.key !== undefined || flags.insecure) {
    opts.tls = {};
    if (flags.ca !== undefined) opts.tls.caFile = flags.ca;
    if (flags.cert !== undefined) opts.tls.certFile = flags.cert;
    if (flags.key !== undefined) opts.tls.keyFile = flags.key;
    if (flags.insecure) opts.tls.rejectUnauthorized = false;
  }
  return opts;
}

/** Connects the SDK client with the command's connection flags; on failure prints why and returns null. */
export async function connectClient(flags: ConnectionFlags, io: CliIo): Promise<GridpilotClient | null> {
  try {
    return await GridpilotClient.connect(clientOptionsFrom(flags));
  } catch (err) {
    io.err(`error: ${errorText(err)}`);
    return null;
  }
}

/**
 * The shape of every "send one message, print its feedback" command: connects, announces what goes
 * where on stderr (unless --json), sends, prints the feedback (or its JSON), closes. Exit 0 when the
 * answer accepts it (response_code < 10), 1 when rejected, on timeout or without a broker.
 */
export async function sendAndPrintFeedback(
  flags: ConnectionFlags & { json?: boolean | undefined },
  io: CliIo,
  announce: (client: GridpilotClient) => string,
  send: (client: GridpilotClient) => Promise<Feedback>,
): Promise<number> {
  const client = await connectClient(flags, io);
  if (!client) return EXIT_FAILURE;
  try {
    if (!flags.json) io.err(announce(client));
    const feedback = await send(client);
    io.out(flags.json ? JSON.stringify(feedback) : formatFeedback(feedback));
    return isRejected(feedback) ? EXIT_FAILURE : EXIT_OK;
  } catch (err) {
    io.err(`error: ${errorText(err)}`);
    return EXIT_FAILURE;
  } finally {
    await client.close({ force: true });
  }
}
