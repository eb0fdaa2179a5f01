// Prices pushed by the integrator over MQTT (topic gridpilot/prices/<SN>, docs/optimizer.md).
import { errorMessage } from '../core/errors.ts';
import type { Feedback } from '../protocol/feedback.ts';
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

/**
 * Handles one price message: validates it as a whole (nothing is stored unless all of it is valid),
 * lays it over the prices already known, asks for a re-plan, and answers with a feedback whose
 * `requestTime` is the message's `time` (code 0; 10 not JSON; 11 bad shape, with every problem in
 * data.errors). Never throws.
 */
export async function handlePriceMessage(payload: Buffer | string, deps: { controller: PriceAnswerer; prices: PushedPriceProvider; onAccepted: () => void }): Promise<PriceOutcome> {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  let value: unknown;
  let requestTime: unknown = null;
  let code: ResponseCode = RESPONSE_CODES.OK;
  let errors: FieldError[] = [];
  let stored: PriceOutcome['stored'];
  try {
    value = JSON.parse(text);
  } catch (err) {
    code = RESPONSE_CODES.NOT_JSON;
    errors = [{ field: '$', message: `not valid JSON: ${errorMessage(err)}` }];
  }
  if (code === RESPONSE_CODES.OK) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) requestTime = (value as Record<string, unknown>)['time'] ?? null;
    const check = validatePriceMessage(value);
    if (!check.ok) {
      code = typeof value === 'object' && value !== null && !Array.isArray(value) ? RESPONSE_CODES.BAD_SHAPE : RESPONSE_CODES.NOT_JSON;
      errors = check.errors.map((e) => {
        const at = e.indexOf(': ');
        return at > 0 ? { field: e.slice(0, at), message: e.slice(at + 2) } : { field: '$', message: e };
      });
    } else {
      deps.prices.accept(check.series);
      stored = { fromMs: check.series.startMs, toMs: priceSeriesEndMs(check.series), slots: check.series.pricesEurPerMwh.length };
      deps.onAccepted();
    }
  }
  const feedback = await deps.controller.answer({ requestTime, code, errors });
  return { feedback, code, accepted: code === RESPONSE_CODES.OK, ...(stored ? { stored } : {}) };
}
