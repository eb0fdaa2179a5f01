// Benchmark instrumentation for the SunSpec driver's Modbus link: counts requests (wrapping the
// link's two request methods) and measures what one request costs against a server on its own.
import { FakeClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { ModbusLink } from '../../src/devices/drivers/sunspec/modbus-link.ts';

/**
 * Requests since the last reset(): reads, writes, and per link ("host:port unit N"), since the
 * requests of one link run one after the other (its longest queue is the command's critical path).
 * `only`: count just the links whose `where` starts with one of these.
 */
export const requests = {
  reads: 0,
  writes: 0,
  perLink: new Map<string, number>(),
  only: null as ReadonlySet<string> | null,
  reset(): void {
    this.reads = 0;
    this.writes = 0;
    this.perLink.clear();
  },
  /** The most requests any one link made since the last reset. */
  maxPerLink(): number {
    return Math.max(0, ...this.perLink.values());
  },
};

const counted = (where: string): boolean => {
  if (requests.only !== null && ![...requests.only].some((w) => where.startsWith(w))) return false;
  requests.perLink.set(where, (requests.perLink.get(where) ?? 0) + 1);
  return true;
};

{
  const proto = ModbusLink.prototype;
  const read = Reflect.get(proto, 'readHoldingRegisters') as ModbusLink['readHoldingRegisters'];
  const write = Reflect.get(proto, 'writeRegisters') as ModbusLink['writeRegisters'];
  proto.readHoldingRegisters = function (this: ModbusLink, ...args: Parameters<ModbusLink['readHoldingRegisters']>) {
    if (counted(this.where)) requests.reads += 1;
    return read.apply(this, args);
  };
  proto.writeRegisters = function (this: ModbusLink, ...args: Parameters<ModbusLink['writeRegisters']>) {
    if (counted(this.where)) requests.writes += 1;
    return write.apply(this, args);
  };
}

/** Times `n` one-after-the-other FC 3 reads of `length` registers at `address` over a link of its own (ms each, after 50 warm-up). */
export async function timeBareRequests(host: string, port: number, address: number, length: number, n: number): Promise<number[]> {
  const link = new ModbusLink({ host, port, unitId: 1, timeoutMs: 2000, clock: new FakeClock(), logger: silentLogger });
  await link.start();
  const ms: number[] = [];
  try {
    for (let i = 0; i < n + 50; i += 1) {
      const t0 = performance.now();
      await link.readHoldingRegisters(address, length, AbortSignal.timeout(2000));
      if (i >= 50) ms.push(performance.now() - t0);
    }
  } finally {
    await link.close();
  }
  return ms;
}
