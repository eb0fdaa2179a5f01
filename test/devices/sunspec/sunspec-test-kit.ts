import { until as untilHolds } from '../../helpers/until.ts';
import modbusSerial from 'modbus-serial';
import type { Clock } from '../../../src/core/clock.ts';
import { sunspecDriver } from '../../../src/devices/drivers/sunspec/index.ts';
import type { DeviceConfig } from '../../../src/site/site-config.ts';
import { testDriverContext, type TestDriverContext } from '../../helpers/driver-context.ts';

/** A test DriverContext over `clock` whose shared instances the test starts and closes. */
export function driverContext(clock: Clock): TestDriverContext {
  return testDriverContext({ clock });
}

export interface DriverTarget {
  port: number;
  unitId?: number;
  timeoutMs?: number;
  revertTimeoutS?: number;
}

const driverCfg = (t: DriverTarget) => ({ type: 'sunspec' as const, host: '127.0.0.1', port: t.port, unitId: t.unitId ?? 1, timeoutMs: t.timeoutMs ?? 1000, revertTimeoutS: t.revertTimeoutS ?? 60 });

export function solarConfig(t: DriverTarget, ratedPowerW = 5000): DeviceConfig {
  return { group: 'solar', nodeId: 'pv1', name: 'pv1', isRemoteEnabled: true, ratedPowerW, driver: driverCfg(t) } as DeviceConfig;
}

export function storageConfig(t: DriverTarget): DeviceConfig {
  return {
    group: 'storage', nodeId: 'bat1', name: 'bat1', isRemoteEnabled: true, capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 5000,
    minSocPct: 5, maxSocPct: 100, reserveSocPct: 0, efficiency: 0.95, initialSocPct: 50, driver: driverCfg(t),
  } as DeviceConfig;
}

export function meterDriver(t: DriverTarget, invertPower = false): unknown {
  return { ...driverCfg(t), invertPower };
}

export { sunspecDriver };

const ModbusRTU = modbusSerial as unknown as typeof modbusSerial.default;

/** An independent raw Modbus client, to look at registers the way a third party would. */
export async function rawClient(port: number, unitId = 1): Promise<{ read(address: number, n: number): Promise<number[]>; write(address: number, words: number[]): Promise<void>; close(): Promise<void> }> {
  const c = new ModbusRTU();
  c.setTimeout(2000);
  await c.connectTCP('127.0.0.1', { port });
  c.setID(unitId);
  return {
    read: async (address, n) => (await c.readHoldingRegisters(address, n)).data,
    write: async (address, words) => {
      await c.writeRegisters(address, words);
    },
    close: () => new Promise<void>((resolve) => c.close(() => resolve())),
  };
}

/** Finds a model's ID address by walking the chain with the raw client (independent of the driver). */
export async function rawModelAddress(client: { read(a: number, n: number): Promise<number[]> }, base: number, id: number): Promise<number> {
  let a = base + 2;
  for (;;) {
    const [mid = 0xffff, len = 0] = await client.read(a, 2);
    if (mid === 0xffff) throw new Error(`model ${id} not found`);
    if (mid === id) return a;
    a += 2 + len;
  }
}

export const toInt16 = (w: number): number => (w >= 0x8000 ? w - 0x10000 : w);

/** Waits (real time, bounded) until `check` resolves true. */
export const until = (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> => untilHolds(check, what, timeoutMs);

export const signal = (): AbortSignal => AbortSignal.timeout(5000);
