import type { DeviceGroup } from '../protocol/components.ts';
import { hardExportLimitW, hardImportLimitW, type DeviceConfig, type SiteConfig } from '../site/site-config.ts';
import { isSecretKey } from '../site/secret-keys.ts';

/** What a secret (see site/secret-keys.ts) is replaced with; never sent to a browser. */
export const REDACTED = '********';

/** One device for the commissioning view [live §5 steps 2–3]. */
export interface DeviceView {
  nodeId: string;
  name: string;
  group: DeviceGroup;
  /** Included in the remote signal (else it follows only its local default). */
  isRemoteEnabled: boolean;
  /** The ratings that bound its setpoints (W, Wh, A, %, s). */
  ratings: Record<string, number>;
  /** The ratings in words, e.g. "10 kWh, charge 5 kW, discharge 5 kW, SoC 5–100 %". */
  summary: string;
}

/** `GET /api/site`. */
export interface SiteView {
  serial: string;
  siteNodeId: string;
  /** Effective grid limits after the main fuse, W (what the controller enforces before its safety margin). */
  limits: { importLimitW: number; exportLimitW: number; safetyMarginW: number };
  remoteSignal: { isEnabled: boolean; fallbackTimeoutS: number; includedDevices: 'all' | string[] };
  /** Local default policy per component (used at start, after the watchdog and after `fallback`). */
  defaults: SiteConfig['defaults'];
  /** Where the site is (degrees north / east) and the IANA time zone its days and hours are counted in (the UI shows times in it). */
  location: { latitude: number; longitude: number; timeZone: string };
  devices: DeviceView[];
  /** The configuration as a config file would hold it (secrets redacted); it validates as is. */
  config: Record<string, unknown>;
}

const kW = (w: number): string => (Math.abs(w) >= 1000 ? `${Math.round(w / 100) / 10} kW` : `${Math.round(w)} W`);
const kWh = (wh: number): string => (Math.abs(wh) >= 1000 ? `${Math.round(wh / 100) / 10} kWh` : `${Math.round(wh)} Wh`);

function ratingsOf(d: DeviceConfig): { ratings: Record<string, number>; summary: string } {
  switch (d.group) {
    case 'solar':
      return { ratings: { ratedPowerW: d.ratedPowerW }, summary: `${kW(d.ratedPowerW)} inverter` };
    case 'storage':
      return {
        ratings: { capacityWh: d.capacityWh, maxChargeW: d.maxChargeW, maxDischargeW: d.maxDischargeW, minSocPct: d.minSocPct, maxSocPct: d.maxSocPct },
        summary: `${kWh(d.capacityWh)}, charge ${kW(d.maxChargeW)}, discharge ${kW(d.maxDischargeW)}, SoC ${d.minSocPct}–${d.maxSocPct} %`,
      };
    case 'heat_pump':
    case 'switched_load':
      return {
        ratings: { ratedPowerW: d.ratedPowerW, minOnS: d.minOnS, minOffS: d.minOffS },
        summary: `${kW(d.ratedPowerW)}, min on ${d.minOnS} s, min off ${d.minOffS} s`,
      };
    case 'variable_power_load': {
      const maxPowerW = d.maxCurrentA * d.voltageV * d.phases;
      return {
        ratings: { phases: d.phases, minCurrentA: d.minCurrentA, maxCurrentA: d.maxCurrentA, maxPowerW },
        summary: `${d.phases}-phase, ${d.minCurrentA}–${d.maxCurrentA} A (up to ${kW(maxPowerW)})${d.canSwitchPhases ? ', switches 1/3 phases' : ''}`,
      };
    }
  }
}

/** Replaces every secret-looking value (password, token …) in a plain JSON value. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) && v !== undefined && v !== null ? REDACTED : redactSecrets(v);
  return out;
}

/** The config in its file form: derived keys (isRemoteEnabled) dropped, undefined dropped, secrets redacted. */
function configInputOf(site: SiteConfig): Record<string, unknown> {
  const devices = site.devices.map((d) => {
    const { isRemoteEnabled: _derived, ...rest } = d;
    return rest;
  });
  return redactSecrets(JSON.parse(JSON.stringify({ ...site, devices }))) as Record<string, unknown>;
}

export function siteView(site: SiteConfig): SiteView {
  return {
    serial: site.serial,
    siteNodeId: site.siteNodeId,
    limits: { importLimitW: hardImportLimitW(site), exportLimitW: hardExportLimitW(site), safetyMarginW: site.grid.safetyMarginW },
    remoteSignal: {
      isEnabled: site.remoteSignal.enabled,
      fallbackTimeoutS: site.remoteSignal.fallbackTimeoutS,
      includedDevices: site.remoteSignal.includedDevices,
    },
    defaults: { ...site.defaults },
    location: { latitude: site.location.latitude, longitude: site.location.longitude, timeZone: site.location.timeZone },
    devices: site.devices.map((d) => ({ nodeId: d.nodeId, name: d.name, group: d.group, isRemoteEnabled: d.isRemoteEnabled, ...ratingsOf(d) })),
    config: configInputOf(site),
  };
}
