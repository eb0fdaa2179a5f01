import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAddressAllowed, parseCidr, type CidrBlock } from '../core/cidr.ts';
import type { HealthReport } from '../ops/health.ts';
import { EXPOSITION_CONTENT_TYPE } from '../ops/exposition.ts';

/** What `/metrics` and `/healthz` read (ops/observability.ts `observe()` fits). */
export interface OpsEndpoints {
  /** Prometheus text exposition. */
  metrics(): string;
  health(): HealthReport;
}

/**
 * The routes that need no session, for scrapers and supervisors: a login layer added later must
 * exempt exactly these (they are guarded by the peer's address instead).
 */
export const SESSIONLESS_ROUTES = ['/metrics', '/healthz'] as const;

/** Default of `web.metricsAllow`: loopback only. */
export const DEFAULT_METRICS_ALLOW = ['127.0.0.0/8', '::1'] as const;

/**
 * `GET /metrics` (Prometheus text format 0.0.4) and `GET /healthz` (200 `{ status: "ok", … }`,
 * 503 `{ status: "unhealthy", reasons, … }`). Only peers in `allow` (TCP peer address; forwarded
 * headers are ignored) get an answer; others get 403.
 */
export function registerOpsRoutes(app: FastifyInstance, ops: OpsEndpoints, allow: readonly string[]): void {
  const blocks: CidrBlock[] = allow.map((a) => parseCidr(a));
  const guard = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const peer = req.socket.remoteAddress;
    if (!isAddressAllowed(peer, blocks)) {
      const path = req.url.split('?')[0] ?? '';
      await reply.code(403).send({ error: `${path} is not served to ${peer ?? 'an unknown address'}; allow it in web.metricsAllow`, details: [] });
    }
  };
  app.get('/metrics', { onRequest: guard }, async (_req, reply) => {
    void reply.header('content-type', EXPOSITION_CONTENT_TYPE).header('cache-control', 'no-store');
    return ops.metrics();
  });
  app.get('/healthz', { onRequest: guard }, async (_req, reply) => {
    const report = ops.health();
    void reply.code(report.status === 'ok' ? 200 : 503).header('cache-control', 'no-store');
    return report;
  });
}
