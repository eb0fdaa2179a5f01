import { z } from 'zod';

/**
 * `driver: { type: sunspec, … }`: a SunSpec device over Modbus TCP (inverter: models 101–103/120/123
 * and 701–704; storage: 124 with 802/803; meter: 201–204). Its map is discovered (SunS marker).
 */
export const SunSpecDriverSchema = z.strictObject({
  type: z.literal('sunspec'),
  /** Host name or IP of the device (or its Modbus TCP gateway). */
  host: z.string().min(1),
  /** Modbus TCP port. Default 502. */
  port: z.number().int().min(1).max(65_535).default(502),
  /** Modbus unit id (slave id), 0–255. Default 1. */
  unitId: z.number().int().min(0).max(255).default(1),
  /** Longest wait for one Modbus response, ms. Default 1000. */
  timeoutMs: z.number().int().min(50).max(30_000).default(1000),
  /**
   * The device's own revert timer, s, armed with every control write and refreshed before it runs
   * out [SunSpec 123 WMaxLimPct_RvrtTms, 124 InOutWRte_RvrtTms]: if gridpilot stops, the device
   * returns to its own default by itself after at most this. Default 60.
   */
  revertTimeoutS: z.number().int().min(5).max(3600).default(60),
  /**
   * Meters only: the meter reads + export (installed the other way round, or counting production
   * as +); gridpilot negates its W so that the grid stays + import. Default false. Check it at
   * commissioning: with no PV producing and loads on, the grid must read positive.
   */
  invertPower: z.boolean().default(false),
});
export type SunSpecDriverConfig = z.output<typeof SunSpecDriverSchema>;

export const SUNSPEC_GROUPS = ['solar', 'storage'] as const;
