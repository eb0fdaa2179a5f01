import type { SiteConfigInput } from './config-schema.ts';

/** The contract's example serial [live §3], so its example payload works verbatim on the demo. */
export const DEMO_SERIAL = 'OM12404080000000000';

/**
 * The demo site `gridpilot start` runs with no config: one or more devices of every group.
 * Grid limits are generous so that the contract's example (solar 5 kW cap, storage −5 kW) runs unclipped.
 */
export function demoSiteConfig(): SiteConfigInput {
  return {
    serial: DEMO_SERIAL,
    grid: { importLimitW: 25_000, exportLimitW: 20_000, mainFuseA: 40, phases: 3, voltageV: 230, safetyMarginW: 100 },
    devices: [
      { group: 'solar', name: 'Roof PV', ratedPowerW: 8000, peakPowerW: 8800 },
      { group: 'storage', name: 'Battery A', capacityWh: 10_000, maxChargeW: 5000, maxDischargeW: 5000, initialSocPct: 60 },
      { group: 'storage', name: 'Battery B', capacityWh: 5000, maxChargeW: 2500, maxDischargeW: 2500, initialSocPct: 60 },
      { group: 'heat_pump', name: 'Heat pump', ratedPowerW: 2500, minOnS: 900, minOffS: 600, maxStartsPerHour: 3 },
      { group: 'switched_load', name: 'Boiler relay', ratedPowerW: 2000, minOnS: 60, minOffS: 60 },
      { group: 'variable_power_load', name: 'EV charger', phases: 3, canSwitchPhases: true, minCurrentA: 6, maxCurrentA: 16 },
    ],
  };
}
