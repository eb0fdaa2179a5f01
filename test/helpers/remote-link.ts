import type { MessageMeta, RemoteLogger } from '../../src/remote/remote-link.ts';
import { latch } from './mqtt-client.ts';

/** Records what a remote link hands to the controller, and lets a test await it. */
export function recordingHandlers() {
  const commands: { payload: string; meta: MessageMeta }[] = [];
  const schedules: { payload: string; meta: MessageMeta }[] = [];
  const messages = latch<{ kind: 'command' | 'schedule'; payload: string; meta: MessageMeta }>();
  const connection = latch<boolean>();
  const connectionChanges: boolean[] = [];
  return {
    commands,
    schedules,
    connectionChanges,
    onCommand(payload: Buffer, meta: MessageMeta): void {
      commands.push({ payload: payload.toString(), meta });
      messages.fire({ kind: 'command', payload: payload.toString(), meta });
    },
    onSchedule(payload: Buffer, meta: MessageMeta): void {
      schedules.push({ payload: payload.toString(), meta });
      messages.fire({ kind: 'schedule', payload: payload.toString(), meta });
    },
    onConnectionChange(connected: boolean): void {
      connectionChanges.push(connected);
      connection.fire(connected);
    },
    /** The command/schedule whose payload equals `payload`: already received, or the next one. */
    nextMessage(payload: string, timeoutMs?: number) {
      const command = commands.find((m) => m.payload === payload);
      if (command) return Promise.resolve({ kind: 'command' as const, ...command });
      const schedule = schedules.find((m) => m.payload === payload);
      if (schedule) return Promise.resolve({ kind: 'schedule' as const, ...schedule });
      return messages.next((m) => m.payload === payload, timeoutMs, `message ${payload}`);
    },
    /** Resolves once the link has reported `connected` for the n-th time (counting from 1). */
    connection(connected: boolean, n: number, timeoutMs?: number): Promise<void> {
      const count = (): number => connectionChanges.filter((c) => c === connected).length;
      if (count() >= n) return Promise.resolve();
      const what = `link ${connected ? 'connected' : 'disconnected'} (#${n}); changes so far: ${JSON.stringify(connectionChanges)}`;
      return connection.next(() => count() >= n, timeoutMs, what).then(() => undefined);
    },
  };
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps every entry (and can wake a test on one). */
export function recordingLogger(): RemoteLogger & { entries: LogEntry[]; next(match: (e: LogEntry) => boolean, timeoutMs?: number): Promise<LogEntry> } {
  const entries: LogEntry[] = [];
  const events = latch<LogEntry>();
  const at =
    (level: LogEntry['level']) =>
    (obj: object, msg = ''): void => {
      const e = { level, obj: obj as Record<string, unknown>, msg };
      entries.push(e);
      events.fire(e);
    };
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    next: (match, timeoutMs) => {
      const found = entries.find(match);
      return found ? Promise.resolve(found) : events.next(match, timeoutMs, 'log entry');
    },
  };
}
