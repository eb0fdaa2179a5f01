// Prices pushed by the integrator over MQTT (topic gridpilot/prices/<SN>, docs/optimizer.md, docs/protocol.md § Price messages).
import { errorMessage } from '../core/errors.ts';
import type { Feedback } from '../protocol/feedback.ts';
import { decodeJsonObject } from '../protocol/json-input.ts';
import { RESPONSE_CODES, type FieldError, type ResponseCode } from '../protocol/response-codes.ts';
import { validatePriceMessage } from './prices/price-message.ts';
import type { PushedPriceProvider } from './prices/price-provider.ts';
import { priceSeriesEndMs } from './prices/price-series.ts';

/** The slice of the Controller a price message needs (as for schedules). */
export interface PriceAnswerer {
  answer(req: { requestTime: unknown; code: ResponseCode; errors?: FieldError[] }): Promise<Feedback>;
}

export interface PriceOutcome {
  feedback: Feedback;
  code: ResponseCode;
  /** Stored (response_code 0). */
  accepted: boolean;
  /** What was stored: first slot start and end of the last, Unix ms, and the number of slots. */
  stored?: { fromMs: number; toMs: number; slots: number };
}

/** Payloads larger than this are refused before parsing (400 slots are ~30 KB; room for pretty-printing). */
export const MAX_PRICE_MESSAGE_BYTES = 256 * 1024;

function fieldErrorOf(e: string): FieldError {
  const at = e.indexOf(': ');
  return at > 0 ? { field: e.slice(0, at), message: e.slice(at + 2) } : { field: '$', message: e };
}

/**
 * Handles one price message: validates it as a whole (nothing is stored unless all of it is valid),
 * lays it over the prices already known, asks for a re-plan, and answers with a feedback whose
 * `requestTime` is the message's `time`: 0 stored; 10 not JSON; 11 bad shape, slot length or price
 * (every problem in data.errors); 12 a reserved key; 15 prices that ended more than 48 h ago or start
 * more than 7 days ahead (by `nowMs`, the controller's clock); 20 the prices could not be combined
 * with those held (nothing changed). Every message gets an answer; never throws.
 */
export async function handlePriceMessage(
  payload: Buffer | string,
  deps: { controller: PriceAnswerer; prices: PushedPriceProvider; onAccepted: () => void; nowMs?: number },
): Promise<PriceOutcome> {
  let requestTime: unknown = null;
  let code: ResponseCode = RESPONSE_CODES.OK;
  let errors: FieldError[] = [];
  let stored: PriceOutcome['stored'];
  try {
    const decoded = decodeJsonObject(payload, MAX_PRICE_MESSAGE_BYTES);
    const value = decoded.value;
    if (value) requestTime = value['time'] ?? null;
    if (!decoded.ok) {
      code = decoded.code;
      errors = decoded.errors;
    } else {
      const check = validatePriceMessage(decoded.value, deps.nowMs === undefined ? {} : { nowMs: deps.nowMs });
      if (!check.ok) {
        code = check.isTimeRefused ? RESPONSE_CODES.BAD_TIME : RESPONSE_CODES.BAD_SHAPE;
        errors = check.errors.map(fieldErrorOf);
      } else {
        // accept() replaces the held series only once the merge succeeded: a failure changes nothing.
        deps.prices.accept(check.series);
        stored = { fromMs: check.series.startMs, toMs: priceSeriesEndMs(check.series), slots: check.series.pricesEurPerMwh.length };
        try {
          deps.onAccepted();
        } catch (err) {
          errors = [{ field: '$', message: `prices stored, but the re-plan could not be asked for: ${errorMessage(err)} (the next periodic re-plan uses them)` }];
        }
      }
    }
  } catch (err) {
    // [design principle 5] never silent: answered with 20, the prices held stay as they were.
    code = RESPONSE_CODES.INTERNAL_ERROR;
    errors = [{ field: '$', message: `internal error: ${errorMessage(err)}; the prices held are unchanged` }];
    stored = undefined;
  }
  const feedback = await deps.controller.answer({ requestTime, code, errors });
  return { feedback, code, accepted: code === RESPONSE_CODES.OK, ...(stored ? { stored } : {}) };
}
