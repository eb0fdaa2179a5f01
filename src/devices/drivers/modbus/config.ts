import { z } from 'zod';

/**
 * `driver: { type: modbus, … }`: a device that is not SunSpec, read and written through a register
 * map given in the config (meters, relays, Modbus EV chargers). The map's schema is defined in
 * this folder; this is its placeholder until the generic Modbus driver lands.
 */
export const ModbusDriverSchema = z.strictObject({
  type: z.literal('modbus'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(502),
  unitId: z.number().int().min(0).max(255).default(1),
  timeoutMs: z.number().int().min(50).max(30_000).default(1000),
  map: z.record(z.string(), z.unknown()),
});
export type ModbusDriverConfig = z.output<typeof ModbusDriverSchema>;

export const MODBUS_GROUPS = ['heat_pump', 'switched_load', 'variable_power_load'] as const;
