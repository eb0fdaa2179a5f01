import { mulberry32 } from '../environment/prng.ts';
import type { SiteConfigInput } from '../site/config-schema.ts';

/** How the fleet's sites are named and reported. */
export interface FleetSiteSpec {
  /** Serial prefix; each site is `<prefix><6-digit index from 000001>`. */
  serialPrefix: string;
  /** 1-based index of the site. */
  index: number;
  /** Seed of the fleet (the same seed gives the same fleet). */
  seed: number;
  /** Periodic feedback every N s (0 = only after commands). */
  feedbackIntervalS: number;
  /** The site's VPP ID (feedback `vpp_id`); '' = none. */
  vppId: string;
  /** Watchdog of remote commands, s. */
  fallbackTimeoutS: number;
}

/** `<prefix><6-digit index>`: SIM000001, SIM000002, … */
export function fleetSerial(prefix: string, index: number): string {
  if (!Number.isInteger(index) || index < 1 || index > 999_999) throw new RangeError(`fleet site index ${index}: 1–999999`);
  return `${prefix}${String(index).padStart(6, '0')}`;
}

const round = (x: number, step: number): number => Math.round(x / step) * step;

/**
 * A varied, realistic household or small business for site `index`, the same for the same seed:
 * PV on most roofs (3–12 kW), a battery on about half (5–15 kWh), an EV charger on a third, a heat
 * pump on a quarter, a relay-switched boiler on a fifth; grid limits from the fuse; 2,500–7,000 kWh
 * of household load a year. Every site has at least one controllable device.
 */
export function fleetSiteConfig(spec: FleetSiteSpec): SiteConfigInput {
  const r = mulberry32((spec.seed * 1_000_003 + spec.index) >>> 0);
  const devices: NonNullable<SiteConfigInput['devices']> = [];
  const hasPv = r() < 0.75;
  if (hasPv) {
    const ratedPowerW = round(3000 + r() * 9000, 100);
    devices.push({ group: 'solar', name: 'PV', ratedPowerW, peakPowerW: round(ratedPowerW * (1 + r() * 0.2), 100) });
  }
  if (r() < 0.5 || devices.length === 0) {
    const capacityWh = round(5000 + r() * 10_000, 500);
    const powerW = round(Math.min(capacityWh / 2, 2500 + r() * 2500), 100);
    devices.push({ group: 'storage', name: 'Battery', capacityWh, maxChargeW: powerW, maxDischargeW: powerW, initialSocPct: round(20 + r() * 60, 1) });
  }
  if (r() < 0.33) devices.push({ group: 'variable_power_load', name: 'EV charger', phases: 3, canSwitchPhases: r() < 0.5, minCurrentA: 6, maxCurrentA: r() < 0.7 ? 16 : 32 });
  if (r() < 0.25) devices.push({ group: 'heat_pump', name: 'Heat pump', ratedPowerW: round(1500 + r() * 2000, 100), minOnS: 900, minOffS: 600, maxStartsPerHour: 3 });
  if (r() < 0.2) devices.push({ group: 'switched_load', name: 'Boiler', ratedPowerW: 2000, minOnS: 60, minOffS: 60 });
  const fuseA = [25, 32, 40][Math.floor(r() * 3)] ?? 25;
  const fuseW = fuseA * 230 * 3;
  return {
    serial: fleetSerial(spec.serialPrefix, spec.index),
    grid: { importLimitW: fuseW, exportLimitW: round(fuseW * 0.6, 100), mainFuseA: fuseA, phases: 3, voltageV: 230, safetyMarginW: 100 },
    remoteSignal: { enabled: true, fallbackTimeoutS: spec.fallbackTimeoutS, feedbackIntervalS: spec.feedbackIntervalS, vppId: spec.vppId },
    simulation: { annualLoadKWh: round(2500 + r() * 4500, 100), seed: spec.index },
    devices,
  };
}
