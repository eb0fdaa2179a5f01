import type { BuiltDevice, BuiltMeter, DriverContext, DriverFactory } from '../../driver.ts';
import type { DeviceConfig } from '../../../site/site-config.ts';
import { MODBUS_GROUPS, ModbusDriverSchema, modbusMapKindProblem, type ModbusDriverConfig } from './config.ts';
import { ModbusTcpConnection } from './connection.ts';
import { ModbusEvCharger } from './modbus-ev-charger.ts';
import { ModbusMeter } from './modbus-meter.ts';
import { ModbusSwitch } from './modbus-switch.ts';
import { PointIo, WriteMemo } from './point-io.ts';

export { ModbusDriverSchema, MODBUS_GROUPS, modbusMapKindProblem, loadModbusMapFile, type ModbusDriverConfig } from './config.ts';
export { ModbusMapSchema, type ModbusMap } from './map-schema.ts';
export { ModbusTcpConnection, ModbusRequestError } from './connection.ts';
export { ModbusMeter, type MeterReading } from './modbus-meter.ts';
export { ModbusSwitch } from './modbus-switch.ts';
export { ModbusEvCharger } from './modbus-ev-charger.ts';

/** The key under which devices on one host:port share a connection (ctx.shared). */
export function modbusConnectionKey(host: string, port: number): string {
  return `modbus-tcp:${host}:${port}`;
}

function parseDriver(driver: unknown, what: string): ModbusDriverConfig {
  // Already validated at config load; parsing again (idempotent: `map` is inline by now) guards direct use.
  const parsed = ModbusDriverSchema.safeParse(driver);
  if (!parsed.success) throw new Error(`${what}: invalid modbus driver config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function ioFor(cfg: ModbusDriverConfig, ctx: DriverContext): PointIo {
  const conn = ctx.shared(modbusConnectionKey(cfg.host, cfg.port), () => new ModbusTcpConnection({ host: cfg.host, port: cfg.port, clock: ctx.clock, logger: ctx.logger }));
  return new PointIo(conn, cfg.unitId, cfg.timeoutMs, cfg.map.maxReadRegisters, cfg.map.maxReadGap);
}

/**
 * `driver.type: modbus`: relays and heat pumps (map kind `switch`), EV chargers (`ev_charger`) and
 * the grid meter (`meter`), read and written through the register map of the config (docs/modbus.md).
 * Devices on one host:port share one connection and its request queue.
 */
export const modbusDriver: DriverFactory = {
  type: 'modbus',
  groups: MODBUS_GROUPS,
  canMeter: true,

  createDevice(device: DeviceConfig, ctx: DriverContext): BuiltDevice {
    const cfg = parseDriver(device.driver, `device ${device.nodeId}`);
    const problem = modbusMapKindProblem(device.group, cfg);
    if (problem) throw new Error(`device ${device.nodeId}: ${problem}`);
    const io = ioFor(cfg, ctx);
    const where = `modbus ${cfg.host}:${cfg.port} unit ${cfg.unitId}`;
    const map = cfg.map;
    const memo = new WriteMemo(io, ctx.clock, ctx.logger, map.kind === 'meter' ? undefined : map.watchdogS);
    if ((device.group === 'switched_load' || device.group === 'heat_pump') && map.kind === 'switch') {
      return new ModbusSwitch(io, memo, map, device.ratedPowerW, where);
    }
    if (device.group === 'variable_power_load' && map.kind === 'ev_charger') {
      return new ModbusEvCharger(io, memo, map, { phases: device.phases, canSwitchPhases: device.canSwitchPhases, maxCurrentA: device.maxCurrentA, voltageV: device.voltageV }, where);
    }
    throw new Error(`device ${device.nodeId}: the modbus driver cannot drive a ${device.group} device`);
  },

  createMeter(driver: unknown, ctx: DriverContext): BuiltMeter {
    const cfg = parseDriver(driver, 'grid.meter');
    const problem = modbusMapKindProblem('grid_meter', cfg);
    if (problem || cfg.map.kind !== 'meter') throw new Error(`grid.meter: ${problem ?? 'needs a meter map'}`);
    return new ModbusMeter(ioFor(cfg, ctx), cfg.map);
  },
};
