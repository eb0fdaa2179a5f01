import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { GridpilotError } from '../../core/errors.ts';
import { POINT_TYPES } from './point-codec.ts';

/**
 * The official SunSpec model definitions (vendor/sunspec-models/json/model_N.json, Apache-2.0),
 * read and checked against the shape of the SunSpec model schema (json/schema.json upstream).
 */

const SymbolSchema = z.object({ name: z.string(), value: z.unknown() });

const PointSchema = z.object({
  name: z.string().min(1),
  type: z.enum(POINT_TYPES),
  size: z.number().int().positive(),
  /** Scale-factor point name (in this group or an enclosing one), or a fixed exponent. */
  sf: z.union([z.string(), z.number().int()]).optional(),
  value: z.union([z.number().int(), z.string()]).optional(),
  units: z.string().optional(),
  access: z.enum(['R', 'RW']).optional(),
  mandatory: z.enum(['M', 'O']).optional(),
  static: z.enum(['D', 'S']).optional(),
  label: z.string().optional(),
  desc: z.string().optional(),
  symbols: z.array(SymbolSchema).optional(),
});
export type PointDefinition = z.infer<typeof PointSchema>;

export interface GroupDefinition {
  name: string;
  type: 'group' | 'sync';
  /** Repetitions: a number (0 = as many as the model length allows), or the name of a count point. Default 1. */
  count?: number | string | undefined;
  points?: PointDefinition[] | undefined;
  groups?: GroupDefinition[] | undefined;
  label?: string | undefined;
  desc?: string | undefined;
}

const GroupSchema: z.ZodType<GroupDefinition> = z.lazy(() =>
  z.object({
    name: z.string().min(1),
    type: z.enum(['group', 'sync']),
    count: z.union([z.number().int().nonnegative(), z.string()]).optional(),
    points: z.array(PointSchema).optional(),
    groups: z.array(GroupSchema).optional(),
    label: z.string().optional(),
    desc: z.string().optional(),
  }),
);

const ModelSchema = z.object({ id: z.number().int().min(1).max(65535), group: GroupSchema });
export interface ModelDefinition {
  id: number;
  group: GroupDefinition;
}

/** Where the vendored JSON lives (repo root / vendor/sunspec-models/json). */
export const MODELS_DIR = new URL('../../../vendor/sunspec-models/json/', import.meta.url);

const cache = new Map<number, ModelDefinition>();

/** Parses one model file's text; throws a GridpilotError naming the file and the path of the problem. */
export function parseModelDefinition(text: string, source: string): ModelDefinition {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new GridpilotError(`not JSON: ${(err as Error).message}`, source);
  }
  const parsed = ModelSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new GridpilotError(`not a SunSpec model definition: ${first?.path.join('.') ?? ''}: ${first?.message ?? ''}`, source);
  }
  return parsed.data;
}

/** The definition of model `id` from the vendored JSON (cached); throws when gridpilot does not ship it. */
export function loadModelDefinition(id: number): ModelDefinition {
  const hit = cache.get(id);
  if (hit) return hit;
  const url = new URL(`model_${id}.json`, MODELS_DIR);
  let text: string;
  try {
    text = readFileSync(url, 'utf8');
  } catch {
    throw new GridpilotError(`SunSpec model ${id} is not in the vendored model library (vendor/sunspec-models/json)`, `model ${id}`);
  }
  const def = parseModelDefinition(text, `vendor/sunspec-models/json/model_${id}.json`);
  if (def.id !== id) throw new GridpilotError(`file says model ${def.id}`, `model_${id}.json`);
  cache.set(id, def);
  return def;
}

/** Whether the library ships model `id`. */
export function hasModelDefinition(id: number): boolean {
  try {
    loadModelDefinition(id);
    return true;
  } catch {
    return false;
  }
}
