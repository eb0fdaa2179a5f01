import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import { localDateOf, localDayIndexOf, localDayStartMs } from '../core/local-time.ts';
import type { PriceProvider } from '../optimizer/prices/price-provider.ts';
import { applyTariff } from '../optimizer/prices/tariff.ts';
import type { ScheduleSummary } from '../protocol/feedback.ts';
import { RESPONSE_CODE_MEANING, type ResponseCode } from '../protocol/response-codes.ts';
import { slotFields, type ScheduleSlot } from '../protocol/schedule.ts';
import type { SiteConfig } from '../site/site-config.ts';
import type { CommandLogRow } from '../store/command-log.ts';
import type { CommandQuery, TelemetryQuery, TelemetrySeries } from '../store/queries.ts';
import { integrateEnergy, type EnergyToday } from './energy-today.ts';
import { HttpError } from './http-errors.ts';
import { BoolParam, InstantParam, intParam, parseQuery } from './query-params.ts';

/** The store's read side (the app's `Store` fits): telemetry history and the command log, both off the control loop. */
export interface HistorySource {
  queryTelemetry(q: TelemetryQuery): Promise<TelemetrySeries>;
  queryCommands(q: CommandQuery): Promise<CommandLogRow[]>;
}

/** The stored schedule (the app's `ScheduleStore` fits). */
export interface ScheduleReader {
  /** Slots not yet ended at `nowMs`, by start. */
  list(nowMs: number): ScheduleSlot[];
  summary(nowMs: number): ScheduleSummary;
}

export interface HistoryDeps {
  site: SiteConfig;
  clock: Clock;
  /** Absent (no data directory) = `/api/history`, `/api/energy/today` and `/api/commands` answer 404 saying so. */
  history?: HistorySource | undefined;
  schedule?: ScheduleReader | undefined;
  /** The prices the planner reads (CostWiring.prices): History shows them through the site's tariff. */
  prices?: PriceProvider | undefined;
}

const DAY_MS = 86_400_000;
/** Longest History range: a month view (31 days) with room for a DST day. */
export const MAX_HISTORY_SPAN_MS = 32 * DAY_MS;
/** Finest resolution per span (≤ ~10,000 points per series). */
const MAX_SPAN_BY_RESOLUTION = { cycle: 3_600_000, '1m': 7 * DAY_MS, '15m': MAX_HISTORY_SPAN_MS } as const;
/** A price read (ENTSO-E is over the internet) never holds the page longer than this, ms. */
const PRICE_READ_TIMEOUT_MS = 5000;

export const HistoryQuerySchema = z
  .strictObject({
    from: InstantParam,
    to: InstantParam,
    resolution: z.enum(['auto', 'cycle', '1m', '15m']).default('auto'),
  })
  .superRefine((q, ctx) => {
    if (!(q.to > q.from)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (q.to - q.from > MAX_HISTORY_SPAN_MS) ctx.addIssue({ code: 'custom', path: ['to'], message: `the range is at most ${MAX_HISTORY_SPAN_MS / DAY_MS} days` });
    else if (q.resolution !== 'auto' && q.to - q.from > MAX_SPAN_BY_RESOLUTION[q.resolution]) {
      ctx.addIssue({ code: 'custom', path: ['resolution'], message: `${q.resolution} covers at most ${MAX_SPAN_BY_RESOLUTION[q.resolution] / 3_600_000} h; choose a coarser one or auto` });
    }
  });

export const CommandsQuerySchema = z.strictObject({
  kind: z.enum(['command', 'schedule', 'prices']).optional(),
  source: z.enum(['mqtt', 'web']).optional(),
  rejected: BoolParam.optional(),
  commandId: z.string().min(1).max(100).optional(),
  /** Page cursor: `<receivedAtMs>:<id>` of the last row shown (`next` of the previous page). */
  before: z
    .string()
    .regex(/^\d{1,15}:\d{1,15}$/, 'give the "next" cursor of the previous page: <receivedAtMs>:<id>')
    .transform((t) => {
      const [at, id] = t.split(':').map(Number);
      return { receivedAtMs: at as number, id: id as number };
    })
    .optional(),
  limit: intParam(1, 200).default(50),
});

/** Prices over a range as the site pays and earns them, EUR/kWh (through the tariff), on the source's slots. */
export interface HistoryPrices {
  startMs: number;
  slotMs: number;
  spotEurPerMwh: number[];
  importEurPerKwh: number[];
  exportEurPerKwh: number[];
}

/** `GET /api/history`. */
export interface HistoryAnswer extends TelemetrySeries {
  timeZone: string;
  fromMs: number;
  toMs: number;
  /** Null when no price is known for the range (or no optimiser prices are wired). */
  prices: HistoryPrices | null;
  /** Why the prices could not be read, or null. */
  pricesError: string | null;
}

/** One command-log row as the Command log page shows it. */
export interface CommandLogItem extends CommandLogRow {
  /** The response code in words (response-codes.ts). */
  responseMeaning: string;
}

/** `GET /api/commands`. */
export interface CommandsAnswer {
  timeZone: string;
  rows: CommandLogItem[];
  /** The `before` cursor of the next (older) page; null when this page is the last. */
  next: string | null;
}

/** `GET /api/schedule`. */
export interface ScheduleAnswer {
  timeZone: string;
  nowMs: number;
  summary: ScheduleSummary;
  /** Slots not yet ended, by start; `fields` in the wire's canonical form. */
  slots: Array<{ startMs: number; endMs: number; isActive: boolean; fields: Record<string, string | number> }>;
}

function noStore(what: string): HttpError {
  return new HttpError(404, `${what} needs the store: start gridpilot with a data directory (--data-dir)`);
}

/** GET /api/history, /api/energy/today, /api/commands, /api/schedule. */
export function registerHistoryRoutes(app: FastifyInstance, deps: HistoryDeps): void {
  const { site, clock, history, schedule, prices } = deps;
  const timeZone = site.location.timeZone;

  app.get('/api/history', async (req): Promise<HistoryAnswer> => {
    const q = parseQuery(HistoryQuerySchema, req.query, 'GET /api/history');
    if (!history) throw noStore('the history');
    let series = await history.queryTelemetry({ fromMs: q.from, toMs: q.to, resolution: q.resolution });
    // A day older than the 1-minute retention (history.minuteDays) still has its 15-minute rows.
    if (q.resolution === 'auto' && series.resolution === '1m' && series.atMs.length === 0) series = await history.queryTelemetry({ fromMs: q.from, toMs: q.to, resolution: '15m' });
    let answerPrices: HistoryPrices | null = null;
    let pricesError: string | null = null;
    if (prices) {
      try {
        const spot = await prices.readPrices(q.from, q.to, AbortSignal.timeout(PRICE_READ_TIMEOUT_MS));
        if (spot && spot.pricesEurPerMwh.length > 0) {
          const paid = applyTariff(spot, site.optimizer.tariff);
          answerPrices = { startMs: spot.startMs, slotMs: spot.slotMs, spotEurPerMwh: [...spot.pricesEurPerMwh], importEurPerKwh: paid.importEurPerKwh, exportEurPerKwh: paid.exportEurPerKwh };
        }
      } catch (err) {
        pricesError = errorMessage(err);
      }
    }
    return { ...series, timeZone, fromMs: q.from, toMs: q.to, prices: answerPrices, pricesError };
  });

  app.get('/api/energy/today', async (req): Promise<EnergyToday> => {
    parseQuery(z.strictObject({}), req.query, 'GET /api/energy/today');
    if (!history) throw noStore("today's energy");
    const toMs = clock.now();
    const fromMs = localDayStartMs(toMs, timeZone);
    const minutes = await history.queryTelemetry({ fromMs, toMs, resolution: '1m' });
    const last = minutes.atMs[minutes.atMs.length - 1];
    const cycles = await history.queryTelemetry({ fromMs: last === undefined ? fromMs : Math.max(fromMs, last + 60_000), toMs: toMs + 1, resolution: 'cycle' });
    const totals = integrateEnergy(minutes, cycles, { fromMs, toMs, cycleMs: site.control.cycleMs });
    return { day: localDateOf(localDayIndexOf(toMs, timeZone)), timeZone, fromMs, toMs, ...totals };
  });

  app.get('/api/commands', async (req): Promise<CommandsAnswer> => {
    const q = parseQuery(CommandsQuerySchema, req.query, 'GET /api/commands');
    if (!history) throw noStore('the command log');
    const query: CommandQuery = { limit: q.limit + 1 };
    if (q.kind) query.kind = q.kind;
    if (q.source) query.source = q.source;
    if (q.rejected) query.isRejectedOnly = true;
    if (q.commandId) query.commandId = q.commandId;
    if (q.before) query.olderThan = q.before;
    const found = await history.queryCommands(query);
    const rows = found.slice(0, q.limit).map((r) => ({ ...r, responseMeaning: RESPONSE_CODE_MEANING[r.responseCode as ResponseCode] ?? `response code ${r.responseCode}` }));
    const lastRow = rows[rows.length - 1];
    return { timeZone, rows, next: found.length > q.limit && lastRow ? `${lastRow.receivedAtMs}:${lastRow.id}` : null };
  });

  app.get('/api/schedule', async (req): Promise<ScheduleAnswer> => {
    parseQuery(z.strictObject({}), req.query, 'GET /api/schedule');
    const nowMs = clock.now();
    if (!schedule) return { timeZone, nowMs, summary: { slots: 0, next_start: null, active_until: null }, slots: [] };
    const slots = schedule.list(nowMs).map((s) => ({ startMs: s.startMs, endMs: s.endMs, isActive: s.startMs <= nowMs && nowMs < s.endMs, fields: slotFields(s.signals) }));
    return { timeZone, nowMs, summary: schedule.summary(nowMs), slots };
  });
}
