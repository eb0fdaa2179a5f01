import { z } from 'zod';

/**
 * `mqtt.embedded.limits` and `mqtt.embedded.wsAllowedOrigins` of the site config: the local broker's
 * abuse limits (enforced by src/broker/connection-guard.ts in front of either engine) and the
 * WebSocket Origin allow-list. User docs: docs/operations.md "Abuse limits", docs/configuration.md.
 */

/** The defaults, one place for the schema and the broker library (src/broker/connection-guard.ts). */
export const DEFAULT_BROKER_LIMITS = {
  maxConnections: 1024,
  connectTimeoutMs: 10_000,
  maxMessagesPerS: 1000,
  messageBurst: 2000,
  overRate: 'throttle',
  failedConnectsBeforeBackoff: 5,
  backoffMs: 1000,
  backoffMaxMs: 60_000,
} as const;

const D = DEFAULT_BROKER_LIMITS;

export const BrokerLimitsSchema = z
  .strictObject({
    /** Open connections over all the broker's listeners (the controller's own excepted), 1–100,000. */
    maxConnections: z.number().int().min(1).max(100_000).default(D.maxConnections),
    /** A connection must send its whole CONNECT within this, ms, 100–600,000 (else closed, a failed login). */
    connectTimeoutMs: z.number().int().min(100).max(600_000).default(D.connectTimeoutMs),
    /** PUBLISH packets per second one connection may send on average, > 0 (token bucket)… */
    maxMessagesPerS: z.number().positive().max(1_000_000).default(D.maxMessagesPerS),
    /** …and at once, ≥ 1. */
    messageBurst: z.number().int().min(1).max(10_000_000).default(D.messageBurst),
    /**
     * Over the rate: 'throttle' (default) — the connection's reading pauses until its bucket refills, so its messages
     * arrive at the rate, none lost and nobody disconnected (TCP back-pressure; the sender's library sees a slower
     * broker); 'disconnect' — the connection is closed (MQTT 5: DISCONNECT 0x96 "message rate too high" first), what
     * it sent before the excess is delivered.
     */
    overRate: z.enum(['throttle', 'disconnect']).default(D.overRate),
    /** Failed logins in a row from one remote address before that address is refused, 1–1000. */
    failedConnectsBeforeBackoff: z.number().int().min(1).max(1000).default(D.failedConnectsBeforeBackoff),
    /** The first refusal period, ms (doubles with each further failure), 1–3,600,000. */
    backoffMs: z.number().int().min(1).max(3_600_000).default(D.backoffMs),
    /** The longest refusal period, ms, ≥ backoffMs, at most 24 h. */
    backoffMaxMs: z.number().int().min(1).max(86_400_000).default(D.backoffMaxMs),
  })
  .refine((l) => l.backoffMaxMs >= l.backoffMs, { message: 'backoffMaxMs must be ≥ backoffMs', path: ['backoffMaxMs'] });

export type BrokerLimits = z.output<typeof BrokerLimitsSchema>;

/** An http(s) origin as a browser sends it in `Origin`: scheme, host, optional port, nothing after. */
export function isHttpOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

export const WsAllowedOriginsSchema = z.array(z.string().refine(isHttpOrigin, { message: 'an origin: http:// or https://, a host and an optional port, nothing after it' })).default([]);
