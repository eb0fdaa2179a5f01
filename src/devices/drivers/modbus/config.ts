import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ModbusMapSchema, type ModbusMap, type ModbusMapKind } from './map-schema.ts';

/**
 * `driver: { type: modbus, … }`: a device that is not SunSpec, read and written through a register
 * map (meters, relays, Modbus EV chargers), given inline (`map`) or in a YAML/JSON file (`mapFile`).
 * The map is validated here, at config load: an error in a map file names the file and the path
 * inside it. After parsing, `map` always holds the validated map and `mapFile` is gone.
 */
const ModbusDriverInputSchema = z.strictObject({
  type: z.literal('modbus'),
  /** Host name or IP of the device or of its Modbus TCP gateway. */
  host: z.string().min(1),
  /** Modbus TCP port. Default 502. */
  port: z.number().int().min(1).max(65_535).default(502),
  /** Modbus unit id (slave id), 0–255. Default 1. */
  unitId: z.number().int().min(0).max(255).default(1),
  /** Longest wait for one Modbus response (and for a connect), ms. Default 1000. */
  timeoutMs: z.number().int().min(50).max(30_000).default(1000),
  /** The register map, inline (docs/modbus.md). Exactly one of map and mapFile. */
  map: z.unknown().optional(),
  /** A YAML or JSON file holding the map; a relative path is resolved against the working directory. */
  mapFile: z.string().min(1).optional(),
});

export const ModbusDriverSchema = ModbusDriverInputSchema.transform((cfg, ctx) => {
  const { map, mapFile, ...rest } = cfg;
  if ((map === undefined) === (mapFile === undefined)) {
    ctx.addIssue({ code: 'custom', path: map === undefined ? [] : ['mapFile'], message: 'give the register map either inline (map) or as a file (mapFile), exactly one' });
    return z.NEVER;
  }
  if (map !== undefined) {
    const parsed = ModbusMapSchema.safeParse(map);
    if (parsed.success) return { ...rest, map: parsed.data };
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: ['map', ...issue.path.map(pathKey)], message: issue.message });
    return z.NEVER;
  }
  const loaded = loadModbusMapFile(mapFile ?? '');
  if (loaded.ok) return { ...rest, map: loaded.map };
  for (const message of loaded.problems) ctx.addIssue({ code: 'custom', path: ['mapFile'], message });
  return z.NEVER;
});
export type ModbusDriverConfig = z.output<typeof ModbusDriverSchema>;

export const MODBUS_GROUPS = ['heat_pump', 'switched_load', 'variable_power_load'] as const;

/** Reads and validates a map file; each problem names the file and the path inside it. */
export function loadModbusMapFile(path: string): { ok: true; map: ModbusMap } | { ok: false; problems: string[] } {
  const file = resolve(path);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'), { prettyErrors: true });
  } catch (err) {
    return { ok: false, problems: [`${path}: ${(err as Error).message.split('\n')[0] ?? 'unreadable'}`] };
  }
  const parsed = ModbusMapSchema.safeParse(raw);
  if (parsed.success) return { ok: true, map: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => `${path}: ${formatMapPath(i.path)}: ${i.message}`) };
}

/** Which map kind drives which target: `meter` the grid meter, `switch` relays and heat pumps, `ev_charger` EV chargers. */
export const MAP_KIND_FOR: Record<(typeof MODBUS_GROUPS)[number] | 'grid_meter', ModbusMapKind> = {
  grid_meter: 'meter',
  switched_load: 'switch',
  heat_pump: 'switch',
  variable_power_load: 'ev_charger',
};

/**
 * The check config-schema cannot make (a driver config does not see its device's group): null when
 * the map's kind fits, else the problem. `target` is the device group, or 'grid_meter'.
 */
export function modbusMapKindProblem(target: string, driver: ModbusDriverConfig): string | null {
  const want = (MAP_KIND_FOR as Record<string, ModbusMapKind | undefined>)[target];
  if (want === undefined) return `a modbus map cannot drive a ${target} device (it drives ${MODBUS_GROUPS.join(', ')} and the grid meter)`;
  if (driver.map.kind !== want) return `a ${target === 'grid_meter' ? 'grid meter' : `${target} device`} needs a map of kind "${want}", this one is "${driver.map.kind}"`;
  return null;
}

function pathKey(k: PropertyKey): string | number {
  return typeof k === 'number' ? k : String(k);
}

function formatMapPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(top)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}
