import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApplyOutcome } from '../app-config-apply.ts';
import type { ProbeResult, ProbeTarget } from '../devices/probe.ts';
import type { ConfigRevisionInfo } from '../store/config-revisions.ts';
import { formatPath, HttpError, requireObjectBody } from './http-errors.ts';

/** What the config routes need of the app (app-config-apply.ts; the store's revision list). */
export interface ConfigEndpoints {
  apply(raw: unknown, actor: string | null): Promise<ApplyOutcome>;
  restore(revision: number, actor: string | null): Promise<ApplyOutcome>;
  /** "Test connection": builds the device with its real driver, reads it once, says what it found. */
  probe(target: ProbeTarget): Promise<ProbeResult>;
  /** Stored revisions, newest first; null without a data directory. */
  revisions(limit: number): Promise<ConfigRevisionInfo[] | null>;
}

/** A site config is a few kB; this leaves room for hundreds of devices. */
const CONFIG_BODY_LIMIT = 256 * 1024;

const RestoreSchema = z.strictObject({ revision: z.number().int().positive() });
const RevisionsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).optional() });

function answer(outcome: ApplyOutcome): unknown {
  if (outcome.ok) return outcome;
  throw new HttpError(outcome.status, outcome.error, outcome.errors);
}

/**
 * `POST /api/config` (save a whole site config as a new revision and apply it live: every problem
 * listed, nothing changed when it fails), `GET /api/config/revisions`, `POST /api/config/restore`.
 */
export function registerConfigRoutes(app: FastifyInstance, config: ConfigEndpoints): void {
  app.post('/api/config', { bodyLimit: CONFIG_BODY_LIMIT }, async (req) => {
    const body = requireObjectBody(req.body, 'a site configuration');
    return answer(await config.apply(body, req.webUser?.name ?? null));
  });

  // Reads a device with its real driver before it is saved (nothing of the running site changes).
  app.post('/api/devices/test', { bodyLimit: 64 * 1024 }, async (req) => {
    const body = requireObjectBody(req.body, '{ "device": { …a device config… } } or { "meter": { "driver": { … } } }');
    const keys = Object.keys(body);
    if (keys.length !== 1 || (keys[0] !== 'device' && keys[0] !== 'meter')) throw new HttpError(400, 'give exactly one of "device" (a device config) or "meter" ({ "driver": … })', [{ path: '$', message: `got keys: ${keys.join(', ') || 'none'}` }]);
    return config.probe(body as ProbeTarget);
  });

  app.get('/api/config/revisions', async (req) => {
    const q = RevisionsQuery.safeParse(req.query);
    if (!q.success) throw new HttpError(400, `invalid query: ${q.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ')}`);
    const list = await config.revisions(q.data.limit ?? 50);
    if (list === null) throw new HttpError(404, 'no data directory: revisions are not stored');
    return { revisions: list };
  });

  app.post('/api/config/restore', async (req) => {
    const parsed = RestoreSchema.safeParse(requireObjectBody(req.body, '{ "revision": number }'));
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
      throw new HttpError(400, `invalid restore: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
    }
    return answer(await config.restore(parsed.data.revision, req.webUser?.name ?? null));
  });
}
