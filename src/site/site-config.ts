import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { GridpilotError } from '../core/errors.ts';
import { siteNodeIdFor } from '../protocol/topics.ts';
import { DEVICE_GROUPS, type DeviceGroup } from '../protocol/components.ts';
import { SiteConfigSchema, type DeviceConfigParsed, type SiteConfigInput, type SiteConfigParsed } from './config-schema.ts';
import { MODBUS_GROUPS } from '../devices/drivers/modbus/config.ts';
import { modbusMapKindProblem } from '../devices/drivers/modbus/index.ts';
import { OCPP_GROUPS } from '../devices/drivers/ocpp/config.ts';
import { SUNSPEC_GROUPS } from '../devices/drivers/sunspec/config.ts';

/** Which device groups each driver type can drive, and whether it can be the grid meter. */
const DRIVER_SUPPORT: Record<string, { groups: readonly DeviceGroup[]; canMeter: boolean }> = {
  simulated: { groups: DEVICE_GROUPS, canMeter: true },
  sunspec: { groups: SUNSPEC_GROUPS, canMeter: true },
  modbus: { groups: MODBUS_GROUPS, canMeter: true },
  ocpp: { groups: OCPP_GROUPS, canMeter: false },
};

/** A device with its nodeId resolved and whether the remote signal includes it. */
export type DeviceConfig = DeviceConfigParsed & { nodeId: string; name: string; isRemoteEnabled: boolean };
export type DeviceOf<G extends DeviceGroup> = Extract<DeviceConfig, { group: G }>;

/** The validated site: every default filled in, nodeIds resolved, impossible combinations refused. */
export type SiteConfig = Omit<SiteConfigParsed, 'devices' | 'siteNodeId'> & { siteNodeId: string; devices: DeviceConfig[] };

/** Validates a config object; throws a GridpilotError listing every problem with its path. */
export function resolveSiteConfig(input: unknown, source = 'config'): SiteConfig {
  const parsed = SiteConfigSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${formatPath(i.path)}: ${i.message}`);
    throw new GridpilotError(`invalid site configuration:\n${lines.join('\n')}`, source);
  }
  const cfg = parsed.data;
  const problems: string[] = [];
  const counters = new Map<DeviceGroup, number>();
  const seen = new Set<string>();
  const included = cfg.remoteSignal.includedDevices;
  const devices: DeviceConfig[] = cfg.devices.map((d, i) => {
    const n = counters.get(d.group) ?? 0;
    counters.set(d.group, n + 1);
    const id = d.nodeId ?? `${cfg.serial}_${d.group}_${n}`;
    if (seen.has(id)) problems.push(`  devices[${i}].nodeId: "${id}" is used twice`);
    seen.add(id);
    const support = DRIVER_SUPPORT[d.driver.type];
    if (support && !support.groups.includes(d.group)) {
      problems.push(`  devices[${i}].driver.type: driver "${d.driver.type}" cannot drive a ${d.group} device (it drives ${support.groups.join(', ')})`);
    }
    if (d.driver.type === 'modbus') {
      const p = modbusMapKindProblem(d.group, d.driver);
      if (p) problems.push(`  devices[${i}].driver.map.kind: ${p}`);
    }
    if (d.group === 'storage') {
      if (d.minSocPct >= d.maxSocPct) problems.push(`  devices[${i}]: minSocPct (${d.minSocPct}) must be below maxSocPct (${d.maxSocPct})`);
      if (d.reserveSocPct > d.maxSocPct) problems.push(`  devices[${i}]: reserveSocPct (${d.reserveSocPct}) must not exceed maxSocPct (${d.maxSocPct})`);
    }
    if (d.group === 'variable_power_load' && d.minCurrentA > d.maxCurrentA) {
      problems.push(`  devices[${i}]: minCurrentA (${d.minCurrentA}) must not exceed maxCurrentA (${d.maxCurrentA})`);
    }
    if ((d.group === 'heat_pump' || d.group === 'switched_load') && d.maxOnS > 0 && d.maxOnS < d.minOnS) {
      problems.push(`  devices[${i}]: maxOnS (${d.maxOnS}) must be 0 (no limit) or at least minOnS (${d.minOnS})`);
    }
    return { ...d, nodeId: id, name: d.name ?? id, isRemoteEnabled: included === 'all' || included.includes(id) };
  });
  for (const [component, policy] of Object.entries(cfg.defaults)) {
    // `cost` is a valid local default: it follows the optimiser's plan, or self_consumption without one.
    // A local default has no setpoint to follow: `setpoint` would mean "0 W".
    if (policy === 'setpoint') problems.push(`  defaults.${component}: "setpoint" needs a setpoint and cannot be a local default`);
  }
  const meterType = cfg.grid.meter.driver.type;
  if (!DRIVER_SUPPORT[meterType]?.canMeter) problems.push(`  grid.meter.driver.type: driver "${meterType}" cannot be the grid meter (use sunspec, modbus or simulated)`);
  if (cfg.grid.meter.driver.type === 'modbus') {
    const p = modbusMapKindProblem('grid_meter', cfg.grid.meter.driver);
    if (p) problems.push(`  grid.meter.driver.map.kind: ${p}`);
  }
  const real = cfg.devices.findIndex((d) => d.driver.type !== 'simulated');
  if (meterType === 'simulated' && real >= 0) {
    // A simulated meter balances only the simulated devices: with a real device it would lie.
    problems.push(`  grid.meter.driver: devices[${real}] is a real device (${cfg.devices[real]?.driver.type}); the grid meter must be a real one too (grid.meter.driver: sunspec or modbus)`);
  }
  if (cfg.optimizer.prices === 'entsoe' && !cfg.optimizer.entsoe) problems.push('  optimizer.entsoe: prices "entsoe" needs optimizer.entsoe.securityToken');
  // pvForecast 'open-meteo' needs no optimizer.openMeteo: its place defaults to `location`.
  const siteNodeId = cfg.siteNodeId ?? siteNodeIdFor(cfg.serial);
  if (seen.has(siteNodeId)) problems.push(`  siteNodeId: "${siteNodeId}" is also a device nodeId`);
  if (included !== 'all') {
    included.forEach((id, i) => {
      if (!seen.has(id)) problems.push(`  remoteSignal.includedDevices[${i}]: "${id}" is not a device of this site`);
    });
  }
  if (problems.length) throw new GridpilotError(`invalid site configuration:\n${problems.join('\n')}`, source);
  return { ...cfg, siteNodeId, devices };
}

/** Reads a YAML or JSON file (by content; JSON is YAML) and validates it. */
export function loadSiteConfigFile(path: string, overrides: (cfg: Record<string, unknown>) => void = () => {}): SiteConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GridpilotError(`cannot read config file: ${(err as Error).message}`, path);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new GridpilotError(`not valid YAML/JSON: ${(err as Error).message}`, path);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new GridpilotError('the config must be a mapping (object) at the top level', path);
  overrides(raw as Record<string, unknown>);
  return resolveSiteConfig(raw, path);
}

export function devicesOf<G extends DeviceGroup>(site: SiteConfig, group: G): Array<DeviceOf<G>> {
  return site.devices.filter((d): d is DeviceOf<G> => d.group === group);
}

/** Effective import limit, W: the configured limit, capped by the main fuse. */
export function hardImportLimitW(site: SiteConfig): number {
  const g = site.grid;
  const fuseW = g.mainFuseA ? g.mainFuseA * g.voltageV * g.phases : Infinity;
  return Math.min(g.importLimitW, fuseW);
}

/** Effective export limit, W: the configured hard limit, capped by the main fuse. */
export function hardExportLimitW(site: SiteConfig): number {
  const g = site.grid;
  const fuseW = g.mainFuseA ? g.mainFuseA * g.voltageV * g.phases : Infinity;
  return Math.min(g.exportLimitW, fuseW);
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

export type { SiteConfigInput };
export const SiteConfigInputSchema: z.ZodType<unknown> = SiteConfigSchema;
