import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { definedPrefixes, topicsFor, type TopicPrefixesInput } from '../protocol/topics.ts';
import type { BrokerAuth } from './auth.ts';

/**
 * Debian's mosquitto 2 as gridpilot's broker: where it is, and its configuration, password file and
 * ACL generated from the same accounts the embedded aedes broker takes (src/broker/auth.ts).
 */

/** Where mosquitto is looked for when no path is configured: Debian's, a local build's, then PATH. */
export function findMosquitto(configured?: string): string | null {
  const executable = (path: string): boolean => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (configured !== undefined) return executable(configured) ? configured : null;
  const candidates = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', ...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'mosquitto'))];
  return candidates.find(executable) ?? null;
}

/** A mosquitto 2 password-file line (`$7$` = PBKDF2-SHA512, what mosquitto_passwd writes). */
export function mosquittoPasswordLine(username: string, password: string): string {
  const iterations = 101;
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `${username}:$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** The ACL file equivalent to the embedded broker's rules for these accounts. */
export function mosquittoAcl(auth: BrokerAuth, prefixes?: TopicPrefixesInput): string {
  const lines: string[] = [];
  for (const user of auth.users) {
    lines.push(`user ${user.username}`);
    for (const serial of user.serials) {
      const t = topicsFor(serial, definedPrefixes(prefixes));
      const [write, read] = user.role === 'controller' ? [[t.feedback, t.status], [t.command, t.schedule, t.prices]] : [[t.command, t.schedule, t.prices], [t.feedback, t.status]];
      for (const topic of write) lines.push(`topic write ${topic}`);
      for (const topic of read) lines.push(`topic read ${topic}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** What {@link mosquittoConf} writes. */
export interface MosquittoConfOptions {
  /** TCP listeners: port and bind address. */
  listeners: ReadonlyArray<{ port: number; host: string }>;
  /** A WebSocket listener served by mosquitto itself (libwebsockets takes an interface name, e.g. `lo`), or none. */
  webSocket?: { port: number; iface: string } | undefined;
  /** Paths of the password and ACL files, or none (anonymous clients may do anything). */
  auth?: { passwordFile: string; aclFile: string } | undefined;
  /** Largest packet accepted, bytes (mosquitto closes the connection of a client that sends a larger one). */
  maxPacketBytes: number;
  /** Appended as is. */
  extra?: string | undefined;
}

/** The mosquitto.conf text: no persistence, logs on stderr, the listeners, accounts or anonymous. */
export function mosquittoConf(o: MosquittoConfOptions): string {
  const conf = [
    'per_listener_settings false',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
    `max_packet_size ${o.maxPacketBytes}`,
    ...o.listeners.map((l) => `listener ${l.port} ${l.host}`),
    ...(o.webSocket ? [`listener ${o.webSocket.port} ${o.webSocket.iface}`, 'protocol websockets'] : []),
    ...(o.auth ? ['allow_anonymous false', `password_file ${o.auth.passwordFile}`, `acl_file ${o.auth.aclFile}`] : ['allow_anonymous true']),
    ...(o.extra ? [o.extra] : []),
  ];
  return conf.join('\n') + '\n';
}
