import { z } from 'zod';

/** An OCPP idToken / idTag: 1.6 allows at most 20 characters [OCPP 1.6 §7.28 IdToken]. */
const idTag = z.string().min(1).max(20);

/** `driver: { type: ocpp, chargePointId }`: an EV charger that connects to gridpilot's OCPP central system. */
export const OcppDriverSchema = z.strictObject({
  type: z.literal('ocpp'),
  /** The charge point's identity (the last path segment of the URL it connects to). */
  chargePointId: z.string().regex(/^[A-Za-z0-9_.:-]{1,48}$/, 'chargePointId may hold letters, digits and _ . : - (at most 48)'),
  /** Basic-auth password the charger must present (OCPP security profile 1/2); absent = none asked. */
  password: z.string().min(8).optional(),
  /** The connector (OCPP 1.6) / EVSE (OCPP 2.0.1, connector 1 of it) that this device is, ≥ 1. Default 1. */
  connectorId: z.number().int().min(1).default(1),
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
  /** Serve wss:// (OCPP security profile 2) with this PEM certificate and key; absent = plain ws://. */
  tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
  /** Heartbeat interval the chargers are told in the BootNotification answer, s, 10–86400. Default 300. */
  heartbeatIntervalS: z.number().int().min(10).max(86_400).default(300),
  /**
   * Which idTags (1.6) / idTokens (2.0.1) Authorize, StartTransaction and TransactionEvent accept:
   * `free` (default) accepts any; `{ idTags: [...] }` only those (others get Invalid).
   */
  authorization: z.union([z.literal('free'), z.strictObject({ idTags: z.array(idTag).min(1) })]).default('free'),
  /** How long a call to a charger (SetChargingProfile …) may take before it fails, ms. Default 15000. */
  callTimeoutMs: z.number().int().min(100).max(120_000).default(15_000),
});
export type OcppServerConfig = z.output<typeof OcppServerSchema>;

export const OCPP_GROUPS = ['variable_power_load'] as const;
