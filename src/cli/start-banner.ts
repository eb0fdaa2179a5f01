import { brokerWords } from '../broker/local-broker.ts';
import type { RunningAppInfo } from '../app-options.ts';
import { DEFAULT_BROKER_URL, DEFAULT_SERIAL } from './connection-options.ts';

/** The contract's example command fields [live §3]: solar capped at 5 kW, battery discharging 5 kW. */
export const EXAMPLE_FIELDS = {
  solar_policy: 'setpoint',
  solar_power_setpoint_w: 5000,
  storage_policy: 'setpoint',
  storage_power_setpoint_w: -5000,
} as const;

/** Host and port a local user reaches a broker URL on (a wildcard bind address becomes 127.0.0.1). */
export function reachableHostPort(brokerUrl: string): { host: string; port: number; protocol: string } {
  const url = new URL(brokerUrl);
  let host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '' || host === '0.0.0.0' || host === '::') host = '127.0.0.1';
  const defaults: Record<string, number> = { 'mqtt:': 1883, 'mqtts:': 8883, 'ws:': 80, 'wss:': 443 };
  const port = url.port ? Number(url.port) : (defaults[url.protocol] ?? 1883);
  return { host, port, protocol: url.protocol };
}

/** Escapes text for the inside of a double-quoted POSIX shell string. */
function shellDoubleQuoted(text: string): string {
  return text.replace(/["\\$`]/g, (c) => `\\${c}`);
}

/** Single-quoted POSIX shell word. */
function shellSingleQuoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The contract's example as a ready-to-paste mosquitto_pub line, with the current time taken
 * from `$(date +%s)` at paste time (a stale `time` is refused [live §3.3 rule 7]).
 */
export function mosquittoPubLine(info: Pick<RunningAppInfo, 'brokerUrl' | 'siteNodeId' | 'topics'>): string {
  const { host, port, protocol } = reachableHostPort(info.brokerUrl);
  const marker = '__TIME__';
  const json = JSON.stringify({ extraTags: { nodeId: info.siteNodeId }, time: marker, fields: EXAMPLE_FIELDS });
  const payload = shellDoubleQuoted(json).replace(`\\"${marker}\\"`, '$(date +%s)');
  const tls = protocol === 'mqtts:' ? ' --capath /etc/ssl/certs' : '';
  return `mosquitto_pub -h ${host} -p ${port}${tls} -V mqttv31 -q 1 -t ${shellSingleQuoted(info.topics.command)} -m "${payload}"`;
}

export function mosquittoSubLine(info: Pick<RunningAppInfo, 'brokerUrl' | 'topics'>): string {
  const { host, port, protocol } = reachableHostPort(info.brokerUrl);
  const tls = protocol === 'mqtts:' ? ' --capath /etc/ssl/certs' : '';
  return `mosquitto_sub -h ${host} -p ${port}${tls} -V mqttv31 -t ${shellSingleQuoted(info.topics.feedback)} -v`;
}

/** Says which devices are simulated whenever any is (a user must never mistake the simulator for their hardware). */
function simulatedNote(info: RunningAppInfo): string[] {
  const simulated = info.devices.filter((d) => d.driver === 'simulated').map((d) => d.nodeId);
  const meter = info.gridMeterDriver === 'simulated';
  if (simulated.length === 0 && !meter) return [];
  if (simulated.length === info.devices.length && meter) return ['  SIMULATED      every device and the grid meter are simulated (no hardware is driven)'];
  if (info.protocolSimulators?.length) return [`  SIMULATED      every device: ${simulated.length ? `${simulated.join(', ')} in-process, ` : ''}the others behind the protocol simulators below (no hardware is driven)`];
  return [`  SIMULATED      ${[...simulated, ...(meter ? ['grid meter'] : [])].join(', ')}`];
}

/** "a", "a and b", "a, b and c". */
function listWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

/** The local date after `day` (YYYY-MM-DD). */
function dayAfter(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/**
 * The prices the `cost` policy plans with, in words. Recorded prices replayed onto today (the
 * bundled prices past their span) say so and name the recorded days, so nobody takes them for
 * today's market: "the bundled Belgian day-ahead prices of 2024-12-06, replayed onto today (not today's market)".
 */
export function pricesWords(prices: NonNullable<RunningAppInfo['prices']>): string {
  const { source, replay, today } = prices;
  if (replay && replay.days.length) {
    const tomorrow = dayAfter(today);
    const onto = replay.days.map((d) => (d.day === today ? 'today' : d.day === tomorrow ? 'tomorrow' : d.day));
    const market = onto.includes('today') ? "today's market" : "the market's prices";
    return `${replay.source} of ${listWords(replay.days.map((d) => d.sourceDay))}, replayed onto ${listWords(onto)} (not ${market})`;
  }
  if (source === 'bundled') return 'the bundled Belgian day-ahead prices, on their own dates';
  if (source === 'entsoe') return 'ENTSO-E day-ahead prices (the market)';
  if (source === 'pushed') return 'only prices pushed on the prices topic';
  return `the price file ${source}`;
}

/** Who may connect to the local broker [issue 13]. */
export function accessWords(isAnonymousAllowed: boolean): string {
  return isAnonymousAllowed
    ? 'anonymous clients allowed (loopback, no integrator account yet); accounts: gridpilot broker list'
    : 'accounts only (anonymous off): gridpilot broker add-integrator NAME, grant NAME SERIAL; add -u NAME -P PASSWORD below';
}

/** What `gridpilot start` prints: where the broker is, the topics, the nodeIds, how to send a first command. */
export function formatStartBanner(info: RunningAppInfo): string {
  const { host, port, protocol } = reachableHostPort(info.brokerUrl);
  const localUrl = `${protocol}//${host}:${port}`;
  const cliFlags = [
    localUrl === DEFAULT_BROKER_URL ? '' : ` --broker ${localUrl}`,
    info.serial === DEFAULT_SERIAL ? '' : ` --serial ${info.serial}`,
  ].join('');
  const width = Math.max(10, ...info.devices.map((d) => d.nodeId.length));
  const lines = [
    `gridpilot is running: site ${info.siteNodeId} (serial ${info.serial})`,
    '',
    info.isEmbeddedBroker
      ? `  MQTT broker    ${localUrl}   (${brokerWords(info.localBroker)})`
      : `  MQTT broker    ${localUrl}   (external)`,
    ...(info.wsUrl ? [`  WebSocket      ${info.wsUrl}`] : []),
    ...tlsLines(info.localBroker),
    ...(info.localBroker ? [`  access         ${accessWords(info.localBroker.isAnonymousAllowed ?? true)}`] : []),
    ...(info.httpUrl ? [`  web UI / API   ${info.httpUrl}   (${loginWords(info.webLogin ?? null)})`] : []),
    `  fallback       ${info.fallbackTimeoutS} s: re-send a command within this, or the controller returns to its defaults`,
    ...(info.prices ? [`  prices         ${pricesWords(info.prices)}`] : []),
    '',
    '  topics',
    `    command      ${info.topics.command}`,
    `    feedback     ${info.topics.feedback}`,
    `    schedule     ${info.topics.schedule}`,
    `    status       ${info.topics.status}`,
    `    prices       ${info.topics.prices}   (day-ahead prices for the cost policy, docs/optimizer.md)`,
    '',
    `  site nodeId    ${info.siteNodeId}   (extraTags.nodeId of every command)`,
    '  device nodeIds (for "<nodeId>_policy" / "<nodeId>_power_setpoint_w")',
    ...(info.devices.length ? info.devices.map((d) => `    ${d.nodeId.padEnd(width)}  ${d.group.padEnd(19)}  ${d.driver.padEnd(9)}  ${d.name}`) : ['    (none)']),
    `    ${'grid meter'.padEnd(width)}  ${''.padEnd(19)}  ${info.gridMeterDriver}`,
    ...simulatedNote(info),
    ...(info.protocolSimulators?.length
      ? ['', '  protocol simulators (the real drivers reach the simulated devices through them)', ...info.protocolSimulators.map((p) => `    ${p.nodeId.padEnd(width)}  ${p.protocol.padEnd(7)}  ${p.url}`)]
      : []),
    '',
    '  Watch the feedback, then send the contract example (solar capped at 5 kW, battery discharging 5 kW):',
    `    ${mosquittoSubLine(info)}`,
    `    ${mosquittoPubLine(info)}`,
    '  or with this CLI:',
    `    npx gridpilot watch${cliFlags}`,
    `    npx gridpilot send${cliFlags} --solar setpoint 5000 --storage setpoint -5000`,
    '',
    'Ctrl-C stops.',
  ];
  return lines.join('\n');
}

/** The local broker's TLS listeners (mqtt.embedded.tls) and how clients log in on them. */
function tlsLines(b: RunningAppInfo['localBroker']): string[] {
  if (!b?.tlsUrl) return [];
  const login = b.isCertLoginOn ? 'password, or a client certificate whose CN is an account\'s --cert-cn' : 'password';
  return [`  TLS            ${b.tlsUrl}   (${login})`, ...(b.wssUrl ? [`  secure WS      ${b.wssUrl}`] : [])];
}

/** What the web UI's login asks for now. */
function loginWords(login: RunningAppInfo['webLogin']): string {
  if (!login) return 'no login';
  if (login.setupCode === null) return 'log in; reset a password with `gridpilot web passwd NAME`';
  return `first run: open it to set the admin password; from another machine give the setup code ${login.setupCode}`;
}
