import { z } from 'zod';

/** `driver: { type: ocpp, chargePointId }`: an EV charger that connects to gridpilot's OCPP central system. */
export const OcppDriverSchema = z.strictObject({
  type: z.literal('ocpp'),
  /** The charge point's identity (the last path segment of the URL it connects to). */
  chargePointId: z.string().regex(/^[A-Za-z0-9_.:-]{1,48}$/, 'chargePointId may hold letters, digits and _ . : - (at most 48)'),
  /** Basic-auth password the charger must present (OCPP security profile 1/2); absent = none asked. */
  password: z.string().min(8).optional(),
});
export type OcppDriverConfig = z.output<typeof OcppDriverSchema>;

/** `ocpp:` at the top of the site config: the central system's WebSocket server. */
export const OcppServerSchema = z.strictObject({
  /** Bind address. Default 0.0.0.0 (chargers are on the LAN). */
  host: z.string().default('0.0.0.0'),
  /** TCP port. Default 8887; 0 = any free port. */
  port: z.number().int().min(0).max(65_535).default(8887),
  /** URL path the chargers connect under: ws://host:port/<path>/<chargePointId>. Default /ocpp. */
  path: z.string().regex(/^\/[A-Za-z0-9_./-]*$/).default('/ocpp'),
});
export type OcppServerConfig = z.output<typeof OcppServerSchema>;

export const OCPP_GROUPS = ['variable_power_load'] as const;
