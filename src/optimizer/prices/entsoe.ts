import { GridpilotError } from '../../core/errors.ts';
import { mergePriceSeries, type PriceSeries } from './price-series.ts';
import { childText, childrenNamed, parseXml, XmlSyntaxError, type XmlElement } from './xml-tree.ts';

/**
 * ENTSO-E transparency platform, day-ahead prices (document type A44, `Publication_MarketDocument`)
 * [ENTSO-E Transparency Platform RESTful API guide, §4.2.10 Day Ahead Prices; IEC 62325-451-3].
 *
 *     Publication_MarketDocument
 *       TimeSeries*            currency_Unit.name=EUR, price_Measure_Unit.name=MWH, curveType A01|A03
 *         Period*
 *           timeInterval/start, timeInterval/end   (e.g. 2024-01-01T23:00Z)
 *           resolution                            PT15M | PT30M | PT60M
 *           Point*  position (1-based), price.amount (EUR/MWh)
 *
 * Curve type A01 (sequential fixed size blocks) lists every position; A03 (variable sized blocks)
 * leaves out positions whose price equals the one before: a missing position repeats the previous
 * price, up to the end of the period [IEC 62325-451-3 curveType A03]. Periods of different
 * resolutions are joined on the finest one. An `Acknowledgement_MarketDocument` (the API's "no data"
 * or error answer) becomes a GridpilotError with its reason text.
 */

/** EIC code of the Belgian bidding zone. */
export const BELGIUM_BIDDING_ZONE_EIC = '10YBE----------2';
export const ENTSOE_API_URL = 'https://web-api.tp.entsoe.eu/api';
/** Longest Period accepted in a document, ms: the API serves at most one year per request. */
export const MAX_PERIOD_MS = 366 * 86_400_000;

/** Parses an A44 XML document into one price series; `source` names it in errors. */
export function parseEntsoeDayAheadXml(xml: string, source = 'ENTSO-E A44'): PriceSeries {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw new GridpilotError(`not well-formed XML at line ${err.line}, column ${err.column}: ${err.message}`, source);
    throw err;
  }
  if (root.name === 'Acknowledgement_MarketDocument') {
    const reasons = childrenNamed(root, 'Reason').map((r) => `${childText(r, 'code') ?? '?'} ${childText(r, 'text') ?? ''}`.trim());
    throw new GridpilotError(`ENTSO-E answered with an acknowledgement instead of prices: ${reasons.join('; ') || 'no reason given'}`, source);
  }
  if (root.name !== 'Publication_MarketDocument') throw new GridpilotError(`expected a Publication_MarketDocument, got <${root.name}>`, source);
  const type = childText(root, 'type');
  if (type !== undefined && type !== 'A44') throw new GridpilotError(`document type ${type} is not A44 (prices)`, source);

  const parts: PriceSeries[] = [];
  childrenNamed(root, 'TimeSeries').forEach((ts, t) => {
    const where = `${source}: TimeSeries[${t}]`;
    const currency = childText(ts, 'currency_Unit.name');
    if (currency !== undefined && currency !== 'EUR') throw new GridpilotError(`currency ${currency} is not EUR`, where);
    const unit = childText(ts, 'price_Measure_Unit.name');
    if (unit !== undefined && unit !== 'MWH') throw new GridpilotError(`price unit ${unit} is not MWH`, where);
    const curveType = childText(ts, 'curveType') ?? 'A01';
    if (curveType !== 'A01' && curveType !== 'A03') throw new GridpilotError(`curve type ${curveType} is not supported (A01, A03)`, where);
    childrenNamed(ts, 'Period').forEach((period, p) => parts.push(parsePeriod(period, curveType, `${where}.Period[${p}]`)));
  });
  // Later TimeSeries win where they overlap; so keep document order and let merge resolve.
  const merged = mergePriceSeries(parts);
  if (!merged) throw new GridpilotError('the document holds no prices', source);
  return merged;
}

function parsePeriod(period: XmlElement, curveType: 'A01' | 'A03', where: string): PriceSeries {
  const interval = period.children.find((c) => c.name === 'timeInterval');
  const startMs = parseEntsoeTime(interval ? childText(interval, 'start') : undefined, `${where}.timeInterval.start`);
  const endMs = parseEntsoeTime(interval ? childText(interval, 'end') : undefined, `${where}.timeInterval.end`);
  const slotMs = parseResolutionMs(childText(period, 'resolution'), `${where}.resolution`);
  const count = (endMs - startMs) / slotMs;
  if (!Number.isInteger(count) || count <= 0) throw new GridpilotError(`time interval is not a whole number of ${slotMs / 60_000}-minute slots`, where);
  // The API answers at most a year per request; a longer period is a broken document, and its slots
  // would be allocated before any Point is read (found by test/fuzz/prices-and-files.test.ts: out of memory).
  if (endMs - startMs > MAX_PERIOD_MS) throw new GridpilotError(`time interval of ${Math.round((endMs - startMs) / 86_400_000)} days is longer than the ${MAX_PERIOD_MS / 86_400_000} days a document can hold`, where);
  const prices = new Array<number | undefined>(count).fill(undefined);
  for (const point of childrenNamed(period, 'Point')) {
    const position = Number(childText(point, 'position'));
    const amount = Number(childText(point, 'price.amount'));
    if (!Number.isInteger(position) || position < 1 || position > count) {
      throw new GridpilotError(`Point position ${childText(point, 'position') ?? '(missing)'} is outside 1…${count}`, where);
    }
    if (!Number.isFinite(amount)) throw new GridpilotError(`Point ${position}: price.amount ${childText(point, 'price.amount') ?? '(missing)'} is not a number`, where);
    if (prices[position - 1] !== undefined) throw new GridpilotError(`Point position ${position} appears twice`, where);
    prices[position - 1] = amount;
  }
  if (prices[0] === undefined) throw new GridpilotError('position 1 is missing', where);
  let last = prices[0];
  const filled = prices.map((p, i) => {
    if (p === undefined) {
      // [IEC 62325-451-3] A03: a missing position repeats the previous price; A01 must be complete.
      if (curveType === 'A01') throw new GridpilotError(`position ${i + 1} is missing (curve type A01 lists every position)`, where);
      return last;
    }
    last = p;
    return p;
  });
  return { startMs, slotMs, pricesEurPerMwh: filled };
}

function parseEntsoeTime(text: string | undefined, where: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?Z$/.exec(text ?? '');
  if (!m) throw new GridpilotError(`expected a UTC time like 2024-01-01T23:00Z, got "${text ?? '(missing)'}"`, where);
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function parseResolutionMs(text: string | undefined, where: string): number {
  const m = /^PT(\d+)(M|H)$/.exec(text ?? '');
  if (!m) throw new GridpilotError(`resolution must be PT15M, PT30M or PT60M, got "${text ?? '(missing)'}"`, where);
  const ms = Number(m[1]) * (m[2] === 'H' ? 3_600_000 : 60_000);
  if (!(ms > 0) || 86_400_000 % ms !== 0) throw new GridpilotError(`resolution ${text ?? ''} does not divide a day`, where);
  return ms;
}

/** Options of {@link fetchEntsoeDayAheadPrices}. */
export interface EntsoeFetchOptions {
  /** The fetch to use (injected: tests pass a fake; production passes globalThis.fetch). */
  fetch: (url: string, init: { signal?: AbortSignal; headers: Record<string, string> }) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;
  /** The user's ENTSO-E API token (never logged or put in error messages). */
  securityToken: string;
  /** First instant wanted, Unix ms (rounded down to the hour). */
  fromMs: number;
  /** End of the wanted span, Unix ms, exclusive (rounded up to the hour). */
  toMs: number;
  /** Bidding zone EIC. Default Belgium, 10YBE----------2. */
  biddingZoneEic?: string;
  /** Default {@link ENTSOE_API_URL}. */
  baseUrl?: string;
  signal?: AbortSignal;
}

/**
 * Fetches and parses day-ahead prices [ENTSO-E API guide §4.2.10: documentType=A44, in_Domain =
 * out_Domain = the zone, periodStart/periodEnd as yyyyMMddHHmm UTC]. Throws a GridpilotError on an
 * HTTP error, an acknowledgement ("no matching data") or a malformed document.
 */
export async function fetchEntsoeDayAheadPrices(options: EntsoeFetchOptions): Promise<PriceSeries> {
  const zone = options.biddingZoneEic ?? BELGIUM_BIDDING_ZONE_EIC;
  const hour = 3_600_000;
  const params = new URLSearchParams({
    documentType: 'A44',
    in_Domain: zone,
    out_Domain: zone,
    periodStart: entsoeStamp(Math.floor(options.fromMs / hour) * hour),
    periodEnd: entsoeStamp(Math.ceil(options.toMs / hour) * hour),
  });
  const publicUrl = `${options.baseUrl ?? ENTSOE_API_URL}?${params.toString()}`;
  params.set('securityToken', options.securityToken);
  const url = `${options.baseUrl ?? ENTSOE_API_URL}?${params.toString()}`;
  const init: { signal?: AbortSignal; headers: Record<string, string> } = { headers: { accept: 'application/xml' } };
  if (options.signal) init.signal = options.signal;
  const response = await options.fetch(url, init);
  const body = await response.text();
  if (!response.ok) {
    // The API explains 4xx answers in an acknowledgement document; show its reason when there is one.
    let reason = '';
    try {
      parseEntsoeDayAheadXml(body, 'answer');
    } catch (err) {
      reason = `: ${(err as Error).message}`;
    }
    throw new GridpilotError(`HTTP ${response.status}${reason}`, publicUrl);
  }
  return parseEntsoeDayAheadXml(body, publicUrl);
}

function entsoeStamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace(/[-T:]/g, '');
}
