import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import { resolveSiteConfig } from '../site/site-config.ts';
import { fleetSiteConfig, type FleetSiteSpec } from './fleet-site-config.ts';
import { startFleetSite, type FleetSite, type FleetSiteLink } from './fleet-site.ts';

export interface FleetOptions {
  /** How many sites, 1–999,999. */
  sites: number;
  /** First site index (1-based): a fleet split over processes gives each its own range. Default 1. */
  firstIndex?: number;
  serialPrefix: string;
  seed: number;
  brokerUrl: string;
  protocolVersion: 3 | 4 | 5;
  /** Each site's broker login; default none (an open broker). */
  credentials?: (serial: string) => { username: string; password: string };
  caFile?: string;
  feedbackIntervalS: number;
  fallbackTimeoutS: number;
  /** VPP IDs given round robin over the sites; empty = none. */
  vppIds: readonly string[];
  /** Sites connecting at once while the fleet starts. Default 50. */
  connectConcurrency?: number;
  clock: Clock;
  logger: Logger;
  /** Called after each site started (progress). */
  onStarted?: (started: number, total: number) => void;
}

export interface Fleet {
  readonly sites: readonly FleetSite[];
  /** Sites that could not start, with why. */
  readonly failed: ReadonlyArray<{ serial: string; error: string }>;
  close(): Promise<void>;
}

/** The spec of site `index` of a fleet. */
export function fleetSpec(o: Pick<FleetOptions, 'serialPrefix' | 'seed' | 'feedbackIntervalS' | 'fallbackTimeoutS' | 'vppIds'>, index: number): FleetSiteSpec {
  return { serialPrefix: o.serialPrefix, index, seed: o.seed, feedbackIntervalS: o.feedbackIntervalS, fallbackTimeoutS: o.fallbackTimeoutS, vppId: o.vppIds.length ? (o.vppIds[(index - 1) % o.vppIds.length] ?? '') : '' };
}

/**
 * Starts `sites` independent simulated controllers in this process, `connectConcurrency` at a time
 * (a broker's accept queue, not the fleet, is the limit of a connect storm). A site that cannot
 * start is reported in `failed`, the others run on.
 */
export async function startFleet(o: FleetOptions): Promise<Fleet> {
  if (!Number.isInteger(o.sites) || o.sites < 1) throw new RangeError(`sites ${o.sites}: give a whole number ≥ 1`);
  const first = o.firstIndex ?? 1;
  const sites: FleetSite[] = [];
  const failed: Array<{ serial: string; error: string }> = [];
  let next = first;
  const last = first + o.sites - 1;
  const worker = async (): Promise<void> => {
    while (next <= last) {
      const index = next++;
      const site = resolveSiteConfig(fleetSiteConfig(fleetSpec(o, index)), `fleet site ${index}`);
      const link: FleetSiteLink = { brokerUrl: o.brokerUrl, protocolVersion: o.protocolVersion, ...(o.credentials ? o.credentials(site.serial) : {}), ...(o.caFile !== undefined ? { caFile: o.caFile } : {}) };
      try {
        sites.push(await startFleetSite(site, link, { clock: o.clock, logger: o.logger.child({ site: site.serial }) }));
      } catch (err) {
        failed.push({ serial: site.serial, error: errorMessage(err) });
      }
      o.onStarted?.(sites.length + failed.length, o.sites);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.connectConcurrency ?? 50, o.sites) }, worker));
  sites.sort((a, b) => a.site.serial.localeCompare(b.site.serial));
  let closing: Promise<void> | null = null;
  return {
    sites,
    failed,
    close() {
      closing ??= (async () => {
        for (let i = 0; i < sites.length; i += 200) await Promise.all(sites.slice(i, i + 200).map((s) => s.close().catch(() => undefined)));
      })();
      return closing;
    },
  };
}
