// Site configs the benchmarks share: a 10-device and a 50-device site built from the same device
// templates (so the only difference is the count), plus the demo site from src/.
import type { SiteConfigInput } from '../../src/site/config-schema.ts';

type DeviceInput = NonNullable<SiteConfigInput['devices']>[number];

const TEMPLATES = {
  solar: (i: number): DeviceInput => ({ group: 'solar', name: `PV ${i}`, ratedPowerW: 8000 + 1000 * (i % 3), peakPowerW: 9000 + 1000 * (i % 3) }),
  storage: (i: number): DeviceInput => ({
    group: 'storage',
    name: `Battery ${i}`,
    capacityWh: 10_000 + 2500 * (i % 3),
    maxChargeW: 5000,
    maxDischargeW: 5000,
    initialSocPct: 20 + ((i * 23) % 70),
  }),
  heatPump: (i: number): DeviceInput => ({ group: 'heat_pump', name: `Heat pump ${i}`, ratedPowerW: 2500 + 250 * (i % 3), minOnS: 900, minOffS: 600, maxStartsPerHour: 3 }),
  relay: (i: number): DeviceInput => ({ group: 'switched_load', name: `Relay ${i}`, ratedPowerW: 1500 + 500 * (i % 3), minOnS: 60, minOffS: 60 }),
  ev: (i: number): DeviceInput => ({ group: 'variable_power_load', name: `EV ${i}`, phases: 3, canSwitchPhases: i % 2 === 0, minCurrentA: 6, maxCurrentA: 16 }),
};

export interface SiteMix {
  solar: number;
  storage: number;
  heatPumps: number;
  relays: number;
  evs: number;
}

export const TEN_DEVICES: SiteMix = { solar: 2, storage: 3, heatPumps: 2, relays: 2, evs: 1 };
export const FIFTY_DEVICES: SiteMix = { solar: 10, storage: 10, heatPumps: 10, relays: 10, evs: 10 };

export function deviceCount(mix: SiteMix): number {
  return mix.solar + mix.storage + mix.heatPumps + mix.relays + mix.evs;
}

/** A site with `mix` devices; grid limits scale with the site so that they bind now and then. */
export function mixedSite(mix: SiteMix, serial = 'GPBENCH0000000001'): SiteConfigInput {
  const n = deviceCount(mix);
  const range = (k: number): number[] => Array.from({ length: k }, (_, i) => i);
  return {
    serial,
    grid: { importLimitW: 1500 * n, exportLimitW: 800 * n, safetyMarginW: 100 },
    devices: [
      ...range(mix.solar).map(TEMPLATES.solar),
      ...range(mix.storage).map(TEMPLATES.storage),
      ...range(mix.heatPumps).map(TEMPLATES.heatPump),
      ...range(mix.relays).map(TEMPLATES.relay),
      ...range(mix.evs).map(TEMPLATES.ev),
    ],
  };
}
