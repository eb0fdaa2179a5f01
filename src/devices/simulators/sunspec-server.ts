import type { Clock } from '../../core/clock.ts';
import { silentLogger, type Logger } from '../../core/logger.ts';
import type { Battery, GridMeter, SolarInverter } from '../capabilities.ts';
import {
  batteryPersonality,
  inverterPersonality,
  meterPersonality,
  type BatteryRatings,
  type InverterRatings,
  type SunSpecPersonality,
} from './sunspec-personalities.ts';
import { startModbusTcpServer, type ModbusRegisterHandler, type RunningModbusTcpServer } from './modbus-tcp-server.ts';
import { SunSpecRegisterMap } from './sunspec-register-map.ts';

export type { BatteryRatings, InverterRatings } from './sunspec-personalities.ts';

/** Longest wait for the device behind the server on a read, ms. */
const REFRESH_TIMEOUT_MS = 5000;

/** Which simulated device the server fronts, with the capability object that does the physics. */
export type SunSpecSimDevice =
  | { model: 'inverter'; device: SolarInverter; ratings: InverterRatings }
  | { model: 'battery'; device: Battery; ratings: BatteryRatings }
  /** `ratings.maxPowerW`: largest |W| the meter must show, sets W_SF. Default 30 000. */
  | { model: 'meter'; device: GridMeter; ratings?: { maxPowerW?: number } };

export type SunSpecServerOptions = SunSpecSimDevice & {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** TCP port; 0 = a free one. */
  port: number;
  /** Modbus unit id the server answers (others get no answer, as on a real bus). 0–255, default 1; 255 = any. */
  unitId?: number;
  /** Address of the `SunS` marker: 40000 (default), 50000 or 0. */
  baseAddress?: 0 | 40000 | 50000;
  /** Model 1 SN. Default `SIM-<model>-<unitId>`. */
  serialNumber?: string;
  /** Runs the revert timers (the simulated world's clock). */
  clock: Clock;
  logger?: Logger;
};

export interface RunningSunSpecServer {
  host: string;
  port: number;
  unitId: number;
  /** `modbus-tcp://host:port/unitId` */
  url: string;
  /** Stops listening, drops every client, cancels the revert timers; idempotent. */
  close(): Promise<void>;
}

/**
 * A SunSpec Modbus TCP server in front of a capability object (in practice a simulated device):
 * every read refreshes the register image from the device, control writes go to the device
 * (setLimitW / setPowerW), and the revert timers are enforced on `clock`. Unmapped addresses and
 * read-only registers answer "illegal data address"; out-of-range control values "illegal data
 * value"; FC 4 (input registers) "illegal function" (SunSpec maps are holding registers). Served
 * by gridpilot's own Modbus TCP server, which answers in the tick a request arrives when the
 * device does (see modbus-tcp-server.ts for why not modbus-serial's ServerTCP).
 */
export async function startSunSpecServer(opts: SunSpecServerOptions): Promise<RunningSunSpecServer> {
  const host = opts.host ?? '127.0.0.1';
  const unitId = opts.unitId ?? 1;
  const logger = opts.logger ?? silentLogger;
  const ctx = { clock: opts.clock, logger, unitId, serialNumber: opts.serialNumber ?? `SIM-${opts.model}-${unitId}` };
  const personality: SunSpecPersonality =
    opts.model === 'inverter'
      ? inverterPersonality(opts.device, opts.ratings, ctx)
      : opts.model === 'battery'
        ? batteryPersonality(opts.device, opts.ratings, ctx)
        : meterPersonality(opts.device, opts.ratings?.maxPowerW ?? 30_000, ctx);
  const map = new SunSpecRegisterMap(opts.baseAddress ?? 40000, personality.images);

  // Requests (of every connection) are handled one at a time, so that a refresh and a write never
  // interleave. Promise chaining only: a device that answers at once answers in the same tick.
  let queue: Promise<unknown> = Promise.resolve();
  let unsettled = 0;
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = unsettled === 0 ? work() : queue.then(work);
    unsettled++;
    queue = run.then(
      () => void unsettled--,
      () => void unsettled--,
    );
    return run;
  };
  // A refresh is bounded by 4–5 s: one AbortSignal.timeout(5 s) serves the refreshes of a second
  // (a signal per request costs ~5 µs; requests run one at a time, so listeners do not pile up).
  let bound: { signal: AbortSignal; reuseUntilMs: number } | null = null;
  const refreshSignal = (): AbortSignal => {
    const nowMs = performance.now();
    if (!bound || nowMs > bound.reuseUntilMs) bound = { signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS), reuseUntilMs: nowMs + 1000 };
    return bound.signal;
  };
  const handler: ModbusRegisterHandler = {
    readHoldingRegisters: (address, length) =>
      serial(async () => {
        map.check(address, length); // no refresh for a bad request
        await personality.refresh(refreshSignal());
        return map.read(address, length);
      }),
    writeRegisters: (address, words) =>
      serial(async () => {
        const image = map.write(address, words);
        await personality.onWrite(image);
      }),
  };

  let server: RunningModbusTcpServer;
  try {
    server = await startModbusTcpServer({ host, port: opts.port, unitId, handler, logger });
  } catch (err) {
    personality.close();
    throw new Error(`sunspec sim: ${(err as Error).message}`, { cause: err });
  }
  logger.info({ host, port: server.port, unitId, model: opts.model }, 'sunspec sim: listening');
  let closing: Promise<void> | null = null;
  return {
    host,
    port: server.port,
    unitId,
    url: `modbus-tcp://${host}:${server.port}/${unitId}`,
    close() {
      closing ??= (async () => {
        personality.close();
        await server.close();
      })();
      return closing;
    },
  };
}
