// The EV sessions the planner plans for: what the chargers know about their cars (the optional
// EvCharger.sessionNeed capability), and where they do not know, the configured defaults of each
// charger (`session: { departureTime, energyWh }` in the site config). See docs/optimizer.md.
import { localDayIndexOf, wallTimeToUtcMs } from '../core/local-time.ts';
import type { EvCharger, EvChargerReading, EvSessionNeed } from '../devices/capabilities.ts';
import { devicesOf, type SiteConfig } from '../site/site-config.ts';
import type { EvSession } from './planner/plan-problem.ts';

/** What is known about the car at a charger: the sessions to plan (a plugged-in car has fromMs ≤ now). */
export type EvSessionEstimator = (input: {
  nodeId: string;
  /** The charger's reading of the last cycle; undefined = none yet (or it did not answer). */
  reading: EvChargerReading | undefined;
  /** Unix ms. */
  nowMs: number;
  /** AC energy the charger delivered since the car was plugged in, Wh ≥ 0 (the service counts it). */
  chargedThisSessionWh: number;
}) => EvSession[];

/** A charger's configured session defaults (the device config's `session`). */
export interface EvSessionDefaults {
  /** Usual departure, minutes after local midnight, 0–1439; undefined = none. */
  departureMinute?: number;
  /** AC energy a car usually wants per visit, Wh > 0; undefined = none. */
  energyWh?: number;
}

/** "HH:MM" → minutes after midnight (the schema checked the form). */
export function minuteOfDayOf(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/**
 * The first local `minuteOfDay` (in `timeZone`) after `pluggedInAtMs` that is still ahead of `nowMs`,
 * Unix ms: a car plugged in at 18:00 with a usual departure of 07:30 leaves at 07:30 the next
 * morning; one still there after its usual departure (a weekend) is planned to the next one.
 */
export function nextDepartureMs(minuteOfDay: number, pluggedInAtMs: number, nowMs: number, timeZone: string): number {
  const from = Math.min(pluggedInAtMs, nowMs);
  let day = localDayIndexOf(from, timeZone);
  let at = wallTimeToUtcMs(day, minuteOfDay, timeZone);
  while (at <= from || at <= nowMs) at = wallTimeToUtcMs(++day, minuteOfDay, timeZone);
  return at;
}

/** Options of {@link evSessionEstimator}. */
export interface EvSessionEstimatorOptions {
  /** The site: its chargers' `session` defaults and its time zone. */
  site: SiteConfig;
  /** The chargers by nodeId; those with `sessionNeed` tell what they know. Default none. */
  chargers?: ReadonlyMap<string, Pick<EvCharger, 'sessionNeed'>>;
}

/**
 * The EV sessions of the site's chargers, from three sources in order, each piece on its own:
 * 1. the charger's `sessionNeed(now)` (a simulated car tells all; an OCPP charger the plug-in time);
 *    null there = no car, no session;
 * 2. without it, a car counts as plugged in (since a minute ago) when the reading says connected and
 *    requiring charge;
 * 3. an unknown departure is the configured `session.departureTime` (the next one ahead, local time);
 *    an unknown energy is the configured `session.energyWh` less what the car took this visit.
 * Without a departure or an energy from any of these there is no session: the planner does not
 * plan that car (the `cost` policy then still runs the charger by its fallback).
 * A charger whose `sessionNeed` throws is treated as one without it.
 */
export function evSessionEstimator(options: EvSessionEstimatorOptions): EvSessionEstimator {
  const { site } = options;
  const timeZone = site.location.timeZone;
  const defaults = new Map<string, EvSessionDefaults>(
    devicesOf(site, 'variable_power_load').map((d) => [
      d.nodeId,
      {
        ...(d.session?.departureTime !== undefined ? { departureMinute: minuteOfDayOf(d.session.departureTime) } : {}),
        ...(d.session?.energyWh !== undefined ? { energyWh: d.session.energyWh } : {}),
      },
    ]),
  );
  return ({ nodeId, reading, nowMs, chargedThisSessionWh }): EvSession[] => {
    const charger = options.chargers?.get(nodeId);
    let need: EvSessionNeed | null | undefined;
    try {
      need = charger?.sessionNeed?.(nowMs);
    } catch {
      need = undefined;
    }
    if (need === null) return [];
    if (need === undefined) {
      if (!reading?.isConnected || !reading.isRequiringCharge) return [];
      need = { pluggedInAtMs: nowMs - 60_000, departureMs: null, energyNeededWh: null };
    }
    const d = defaults.get(nodeId) ?? {};
    const fromMs = Math.min(need.pluggedInAtMs, nowMs);
    const untilMs = need.departureMs ?? (d.departureMinute !== undefined ? nextDepartureMs(d.departureMinute, need.pluggedInAtMs, nowMs, timeZone) : null);
    const energyWh = need.energyNeededWh ?? (d.energyWh !== undefined ? d.energyWh - Math.max(0, chargedThisSessionWh) : null);
    if (untilMs === null || energyWh === null || !(energyWh > 0) || !(untilMs > nowMs)) return [];
    return [{ fromMs, untilMs, energyWh }];
  };
}
