import modbusSerial from 'modbus-serial';
import type { Clock } from '../../core/clock.ts';
import { freePort } from '../../core/free-port.ts';
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
import { ModbusExceptionError, SunSpecRegisterMap } from './sunspec-register-map.ts';

export type { BatteryRatings, InverterRatings } from './sunspec-personalities.ts';

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
  /** Modbus unit id the server answers (others get no answer, as on a real bus). 1–247, default 1. 255 = any. */
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

const ServerTCP = (modbusSerial as unknown as { ServerTCP: typeof modbusSerial.ServerTCP }).ServerTCP;
type Cb<T> = (err: Error | null, value: T) => void;

/**
 * A SunSpec Modbus TCP server in front of a capability object (in practice a simulated device):
 * every read refreshes the register image from the device, control writes go to the device
 * (setLimitW / setPowerW), and the revert timers are enforced on `clock`. Unmapped addresses and
 * read-only registers answer "illegal data address"; out-of-range control values "illegal data value".
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

  // Requests are handled one at a time, so that a refresh and a write never interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>, cb: Cb<T>): void => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    run.then(
      (v) => cb(null, v),
      (err: unknown) => {
        if (!(err instanceof ModbusExceptionError)) logger.warn({ err: String(err) }, 'sunspec sim: request failed');
        cb(err instanceof Error ? err : new Error(String(err)), undefined as unknown as T);
      },
    );
  };
  const read = async (address: number, length: number): Promise<number[]> => {
    map.read(address, length); // address check first: no refresh for a bad request
    await personality.refresh(AbortSignal.timeout(5000));
    return map.read(address, length);
  };
  const write = async (address: number, words: readonly number[]): Promise<void> => {
    const image = map.write(address, words);
    await personality.onWrite(image);
  };

  // The callback forms (4 and 3 arguments): modbus-serial's promise form of
  // getMultipleHoldingRegisters does not await the promise (8.0.x), the callback form does.
  const vector = {
    getMultipleHoldingRegisters: (addr: number, length: number, _unit: number, cb: Cb<number[]>) => serial(() => read(addr, length), cb),
    getHoldingRegister: (addr: number, _unit: number, cb: Cb<number>) => serial(async () => (await read(addr, 1))[0] ?? 0, cb),
    setRegisterArray: (addr: number, values: number[], _unit: number, cb: Cb<void>) => serial(() => write(addr, values), cb),
    setRegister: (addr: number, value: number, _unit: number, cb: Cb<void>) => serial(() => write(addr, [value]), cb),
  };

  const server = await listen(vector, host, opts.port, unitId);
  logger.info({ host, port: server.port, unitId, model: opts.model }, 'sunspec sim: listening');
  let closing: Promise<void> | null = null;
  return {
    host,
    port: server.port,
    unitId,
    url: `modbus-tcp://${host}:${server.port}/${unitId}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        personality.close();
        server.tcp.close(() => resolve());
      });
      return closing;
    },
  };
}

type Vector = ConstructorParameters<typeof ServerTCP>[0];

/** modbus-serial's ServerTCP treats port 0 as 502: pick a free port ourselves (retrying a lost race). */
async function listen(vector: Vector, host: string, port: number, unitId: number): Promise<{ tcp: InstanceType<typeof ServerTCP>; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const p = port === 0 ? await freePort(host) : port;
    const tcp = new ServerTCP(vector, { host, port: p, unitID: unitId });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.on('initialized', () => resolve());
        tcp.on('serverError', (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))));
      });
      tcp.on('serverError', () => undefined);
      tcp.on('socketError', () => undefined);
      tcp.on('error', () => undefined);
      return { tcp, port: p };
    } catch (err) {
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      if (port !== 0 || attempt >= 4) throw new Error(`sunspec sim: cannot listen on ${host}:${p}: ${(err as Error).message}`, { cause: err });
    }
  }
}
