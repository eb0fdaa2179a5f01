import type { CommandLogEntry } from '../../src/store/command-log.ts';

/** Command log entries for store tests: entry i arrives i seconds after `t0`, a remote storage setpoint answered with 0. */
export function commandLogEntries(t0: number): (i: number, over?: Partial<CommandLogEntry>) => CommandLogEntry {
  return (i, over = {}) => ({
    receivedAtMs: t0 + i * 1000,
    answeredAtMs: t0 + i * 1000 + 5,
    kind: 'command',
    topic: 'standard1/rp_one_s/remoteControlMetrics/SN',
    isRetained: false,
    requestTime: t0 / 1000 + i,
    payload: `{"i":${i}}`,
    payloadBytes: 8,
    payloadSha256: null,
    responseCode: 0,
    errors: [],
    executed: { components: { storage: { policy: 'setpoint', executedW: 1000 * i, activeSignal: 'remote' } }, exportLimitW: 10_000 },
    ...over,
  });
}
