// The one path every incoming message takes, from MQTT or the web API: parse, answer, log, publish.
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import { newCommandId } from '../core/command-id.ts';
import { errorMessage } from '../core/errors.ts';
import type { CommandOutcome } from '../control/controller.ts';
import { handlePriceMessage, type PriceAnswerer } from '../optimizer/price-push.ts';
import type { PushedPriceProvider } from '../optimizer/prices/price-provider.ts';
import type { Feedback } from '../protocol/feedback.ts';
import type { ResponseCode } from '../protocol/response-codes.ts';
import { handleScheduleMessage, type ScheduleAnswerer } from '../schedule/schedule-handler.ts';
import type { ScheduleStore } from '../schedule/schedule-store.ts';
import { commandLogEntry, type CommandLogEntry, type LoggedMessageKind, type MessageSource, type PricesLogSummary } from '../store/command-log.ts';
import type { PriceSeries } from '../optimizer/prices/price-series.ts';

/** Where and how a message arrived. */
export interface IncomingMeta {
  source: MessageSource;
  /** The MQTT topic it came on, or the web API's route (`POST /api/command`). */
  topic: string;
  /** A retained message the broker replayed at subscribe time (MQTT only). */
  isRetained: boolean;
  /** Clock time of arrival, Unix ms. */
  receivedAtMs: number;
  /** Who sent it from the web (the session's user); null over MQTT. */
  actor?: string | null;
}

/** The answer to one message, as published on the feedback topic and returned to a web caller. */
export interface IntakeAnswer {
  /** The id given on arrival: on its log lines, its command-log row and here. */
  commandId: string;
  kind: LoggedMessageKind;
  code: ResponseCode;
  /** Applied or stored (response_code < 10). */
  accepted: boolean;
  feedback: Feedback;
}

/** The controller's side the intake needs. */
export interface IntakeController extends ScheduleAnswerer, PriceAnswerer {
  handleCommand(payload: Buffer | string, meta?: { isRetained?: boolean }): Promise<CommandOutcome>;
}

/** The store's side: durable log entries and the pushed price series. */
export interface IntakeStore {
  readonly file: string;
  logCommand(entry: CommandLogEntry): Promise<unknown>;
  savePushedPrices(series: PriceSeries): Promise<unknown>;
}

export interface MessageIntakeDeps {
  controller: IntakeController;
  schedules: ScheduleStore;
  /** The pushed price series the cost policy uses now (a live reconfiguration replaces it). */
  prices: () => PushedPriceProvider;
  /** Called after a price message was accepted (the cost service re-plans). */
  onPricesAccepted: () => void;
  store: IntakeStore | null;
  clock: Clock;
  logger: Logger;
  /** Publishes a feedback on the site's feedback topic (rejects when the broker is unreachable). */
  publish: (feedback: Feedback) => Promise<void>;
}

export interface MessageIntake {
  /**
   * Handles one message of `kind`: every message gets an answer (never rejects for bad input). The
   * command-log entry is durable before the answer is published; the answer resolves once logged,
   * and its feedback is published on the feedback topic whatever the source, so that every
   * subscriber sees every change to the site.
   */
  handle(kind: LoggedMessageKind, payload: Buffer | string, meta: IncomingMeta): Promise<IntakeAnswer>;
}

interface Handled {
  feedback: Feedback;
  code: ResponseCode;
  accepted: boolean;
  appliedTimeMs?: number | null;
  prices?: PricesLogSummary;
}

export function createMessageIntake(deps: MessageIntakeDeps): MessageIntake {
  const { controller, schedules, store, clock, logger } = deps;
  let lastJournalError: string | null = null;
  let lastPricesSaveError: string | null = null;

  const journal = async (commandId: string, kind: LoggedMessageKind, payload: Buffer | string, meta: IncomingMeta, h: Handled): Promise<void> => {
    // One line per answered message, tied to its command-log row by commandId (docs/operations.md).
    const code = h.feedback.data.response_code;
    logger[code >= 10 ? 'warn' : 'info'](
      { commandId, kind, source: meta.source, ...(meta.actor ? { actor: meta.actor } : {}), responseCode: code, requestTime: h.feedback.requestTime, topic: meta.topic, isRetained: meta.isRetained },
      `${kind}: answered`,
    );
    if (!store) return;
    try {
      await store.logCommand(
        commandLogEntry({
          commandId,
          kind,
          payload,
          topic: meta.topic,
          isRetained: meta.isRetained,
          source: meta.source,
          actor: meta.actor ?? null,
          appliedTimeMs: h.appliedTimeMs ?? null,
          receivedAtMs: meta.receivedAtMs,
          answeredAtMs: clock.now(),
          feedback: h.feedback,
          ...(h.prices ? { prices: h.prices } : {}),
        }),
      );
      if (lastJournalError !== null) logger.info({ file: store.file }, 'command log: entries are stored again');
      lastJournalError = null;
    } catch (err) {
      // Every message still gets its answer [design principle 5]; the gap in the log is reported
      // here, once per distinct failure rather than once per message.
      const msg = errorMessage(err);
      if (msg !== lastJournalError) logger.error({ err: msg, commandId, kind, requestTime: h.feedback.requestTime }, 'command log entry not stored (answers are still published)');
      lastJournalError = msg;
    }
  };

  /** Saves the provider's whole series (durable before the answer); a failure is logged once per distinct error. */
  const savePrices = async (): Promise<void> => {
    const series = deps.prices().current();
    if (!store || !series) return;
    try {
      await store.savePushedPrices(series);
      lastPricesSaveError = null;
    } catch (err) {
      const msg = errorMessage(err);
      if (msg !== lastPricesSaveError) logger.error({ err: msg }, 'prices: pushed prices in force but not stored (lost at the next restart)');
      lastPricesSaveError = msg;
    }
  };

  const run = async (commandId: string, kind: LoggedMessageKind, payload: Buffer | string, meta: IncomingMeta): Promise<Handled> => {
    switch (kind) {
      case 'command': {
        const outcome = await controller.handleCommand(payload, { isRetained: meta.isRetained });
        await journal(commandId, kind, payload, meta, outcome);
        return outcome;
      }
      case 'schedule': {
        const outcome = await handleScheduleMessage(payload, { controller, schedules, nowMs: clock.now() });
        if (outcome.accepted) logger.info({ commandId, code: outcome.code, schedule: outcome.feedback.data.schedule }, 'schedule: stored');
        else logger.warn({ commandId, code: outcome.code, errors: outcome.feedback.data.errors }, 'schedule: rejected');
        await journal(commandId, kind, payload, meta, outcome);
        return outcome;
      }
      case 'prices': {
        const outcome = await handlePriceMessage(payload, { controller, prices: deps.prices(), onAccepted: deps.onPricesAccepted, nowMs: clock.now() });
        if (outcome.accepted) logger.info({ commandId, prices: outcome.stored }, 'prices: pushed prices stored; re-planning');
        else logger.warn({ commandId, code: outcome.code, errors: outcome.feedback.data.errors }, 'prices: rejected');
        const h: Handled = { ...outcome, ...(outcome.stored ? { prices: outcome.stored } : {}) };
        // Both writes queued in the same turn share one commit (one fsync).
        await Promise.all([outcome.accepted ? savePrices() : null, journal(commandId, kind, payload, meta, h)]);
        return h;
      }
    }
  };

  return {
    async handle(kind, payload, meta) {
      const commandId = newCommandId();
      let h: Handled;
      try {
        h = await run(commandId, kind, payload, meta);
      } catch (err) {
        // The handlers never throw for bad input; this is a bug or a dead controller: say so, loudly.
        logger.error({ err: errorMessage(err), commandId, kind, source: meta.source }, `could not answer a ${kind === 'prices' ? 'price message' : kind}`);
        throw err;
      }
      deps.publish(h.feedback).catch((err: unknown) => logger.warn({ err: errorMessage(err), commandId, kind }, 'feedback not published'));
      return { commandId, kind, code: h.code, accepted: h.accepted, feedback: h.feedback };
    },
  };
}
