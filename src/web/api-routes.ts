import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RunningAppInfo } from '../app-options.ts';
import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { SimulatedSite } from '../devices/simulated/simulated-site.ts';
import type { CostPlanExplanation } from '../optimizer/cost-service.ts';
import { MAX_COMMAND_BYTES } from '../protocol/command.ts';
import type { Feedback } from '../protocol/feedback.ts';
import { RESPONSE_CODE_MEANING, RESPONSE_CODES, type ResponseCode } from '../protocol/response-codes.ts';
import type { MessageIntake } from '../remote/message-intake.ts';
import type { SiteConfig } from '../site/site-config.ts';
import { checkSiteConfig } from './config-check.ts';
import { formatPath, HttpError, requireObjectBody } from './http-errors.ts';
import { protocolView } from './protocol-view.ts';
import { siteView } from './site-view.ts';
import type { LiveStateView, WebController } from './state-view.ts';

/** What `GET /api/plan` reads (the app's CostService). */
export interface PlanExplainer {
  explanation(nowMs?: number): CostPlanExplanation;
}

/** What a live reconfiguration changes under a running server (app-config-apply.ts). */
export interface LiveSite {
  site: SiteConfig;
  sim?: SimulatedSite | undefined;
}

export interface ApiDeps {
  /** The site config and simulated world now: read at every request. */
  live: LiveSite;
  costPlan?: PlanExplainer | undefined;
  /** Live configuration (config-routes.ts); `GET /api/site` says whether the UI may edit. */
  config?: unknown;
  /** The one message path (app.ts): `POST /api/command` goes through it. Absent = no such route. */
  messages?: MessageIntake | undefined;
  controller: WebController;
  site: SiteConfig;
  info: RunningAppInfo;
  sim?: SimulatedSite | undefined;
  clock: Clock;
  view: LiveStateView;
  /** Whether a store answers the history routes (`GET /api/site` says so as `hasHistory`, so the UI does not ask in vain). */
  hasHistory?: boolean;
}

/** A site config is a few kB; this leaves room for hundreds of devices. */
const CONFIG_BODY_LIMIT = 256 * 1024;
const SIM_BODY_LIMIT = 1024;

/** Irradiance on Earth's surface stays below ~1400 W/m²; extra load is a kettle, an oven, a test step. */
const SimChangeSchema = z
  .strictObject({
    /** W/m² ≥ 0 replacing the weather; null returns to the weather. */
    irradianceWm2: z.number().min(0).max(1500).nullable().optional(),
    /** W, + consumption, not steered by the controller. */
    extraLoadW: z.number().min(-50_000).max(50_000).optional(),
  })
  .refine((b) => b.irradianceWm2 !== undefined || b.extraLoadW !== undefined, { message: 'give irradianceWm2 (W/m², or null) and/or extraLoadW (W)' });

/**
 * The live command envelope for a `POST /api/command` body: a bare `fields` object is wrapped with
 * this site's nodeId and the controller clock's now; an envelope keeps what it has (a wrong nodeId
 * or a stale `time` is then judged exactly as over MQTT) and gets only the parts it lacks.
 */
export function commandEnvelopeOf(body: Record<string, unknown>, siteNodeId: string, nowMs: number): Record<string, unknown> {
  const time = Math.floor(nowMs / 1000);
  const isEnvelope = 'fields' in body || 'extraTags' in body || 'time' in body;
  if (!isEnvelope) return { extraTags: { nodeId: siteNodeId }, time, fields: body };
  return { ...body, extraTags: 'extraTags' in body ? body.extraTags : { nodeId: siteNodeId }, time: 'time' in body ? body.time : time };
}

export function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { controller, info, clock, view, live } = deps;
  let siteJson = { of: live.site, view: siteView(live.site) };

  app.get('/api/state', async () => {
    const state = view.current();
    if (!state) throw new HttpError(503, 'no control cycle has completed yet; try again in a second');
    return state;
  });

  app.get('/api/site', async () => {
    if (siteJson.of !== live.site) siteJson = { of: live.site, view: siteView(live.site) };
    return { ...siteJson.view, isSimulated: live.sim !== undefined, isConfigEditable: deps.config !== undefined, hasHistory: deps.hasHistory === true };
  });

  app.get('/api/protocol', async () => protocolView(info));

  // The `cost` policy's plan: status, expected savings per day, and every slot from the current one
  // on (prices, planned powers, SoC, a reason per asset).
  const { costPlan } = deps;
  app.get('/api/plan', async () => {
    if (!costPlan) throw new HttpError(404, 'no optimiser runs in this process');
    const nowMs = clock.now();
    const x = costPlan.explanation(nowMs);
    const plan = x.plan;
    const slots = plan ? plan.slots.filter((s) => s.startMs + plan.slotMs > nowMs) : [];
    return { ...x, nowMs, timeZone: live.site.location.timeZone, plan: plan ? { ...plan, slots } : null };
  });

  // The UI's "try a command": the MQTT commands' path (parsed, answered, logged in the command log
  // with source `web`, published on the feedback topic); the answer comes back over HTTP too.
  const { messages } = deps;
  if (messages) {
    app.post('/api/command', { bodyLimit: MAX_COMMAND_BYTES }, async (req, reply) => {
      const receivedAtMs = clock.now();
      const body = requireObjectBody(req.body, 'a live command\'s "fields" object, or a whole command envelope');
      const envelope = commandEnvelopeOf(body, live.site.siteNodeId, receivedAtMs);
      const answer = await messages.handle('command', JSON.stringify(envelope), { source: 'web', topic: 'POST /api/command', isRetained: false, receivedAtMs, actor: req.webUser?.name ?? null });
      void reply.header('x-command-id', answer.commandId);
      if (answer.accepted) return reply.code(200).send(answer.feedback);
      throw rejection(answer.code, answer.feedback);
    });
  }

  app.post('/api/config/validate', { bodyLimit: CONFIG_BODY_LIMIT }, async (req) => {
    const body = requireObjectBody(req.body, 'a site configuration');
    return checkSiteConfig(body);
  });

  if (live.sim) {
    app.post('/api/sim', { bodyLimit: SIM_BODY_LIMIT }, async (req) => {
      const sim = live.sim;
      if (!sim) throw new HttpError(404, 'this site has no simulated devices any more');
      const body = requireObjectBody(req.body, '{ "irradianceWm2"?: number | null, "extraLoadW"?: number }');
      const parsed = SimChangeSchema.safeParse(body);
      if (!parsed.success) {
        const details = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
        throw new HttpError(400, `invalid simulation change: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
      }
      const change = parsed.data;
      if (change.irradianceWm2 !== undefined) sim.world.setIrradianceOverride(change.irradianceWm2);
      if (change.extraLoadW !== undefined) sim.world.setExtraLoadW(change.extraLoadW);
      // Show the effect now rather than at the next periodic cycle; a failed cycle is the controller's to report.
      await controller.trigger().catch((err: unknown) => req.log.warn({ err: errorMessage(err) }, 'cycle after a simulation change failed'));
      return { ok: true, sim: sim.world.snapshot() };
    });
  }
}

/** A rejected command: 400 (the request's fault) or 500 (internal), carrying the feedback as MQTT would. */
function rejection(code: ResponseCode, feedback: Feedback): HttpError {
  const errors = feedback.data.errors ?? [];
  const meaning = RESPONSE_CODE_MEANING[code];
  const status = code === RESPONSE_CODES.INTERNAL_ERROR ? 500 : 400;
  return new HttpError(
    status,
    `command rejected (response_code ${code}: ${meaning})${errors.length ? `: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}` : ''}`,
    errors.map((e) => ({ path: e.field, message: e.message })),
    { response_code: code, feedback },
  );
}
