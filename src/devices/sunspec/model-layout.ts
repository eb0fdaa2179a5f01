import { GridpilotError } from '../../core/errors.ts';
import type { GroupDefinition, ModelDefinition, PointDefinition } from './model-definition.ts';
import { decodeWords, fixedSizeOf, type PointType } from './point-codec.ts';

/**
 * A model's register map, computed from its definition [SunSpec Information Model Specification
 * §5]: offsets are the running sum of point sizes from the model's first register (ID at 0, L at 1);
 * a group's points come first, then its groups in order; a group repeats `count` times (a number,
 * 0 = as many whole instances as the model length leaves, or the value of a count point).
 * Point paths: `W` at the top, `PFWInj.PF` in a nested group, `module[2].DCA` in a repeating one.
 */

export interface PointLayout {
  /** Path of the point (see above). */
  path: string;
  def: PointDefinition;
  type: PointType;
  /** Offset from the model's ID register, registers. */
  offset: number;
  /** Size, registers. */
  size: number;
  /** Path of the scale-factor point, or a fixed exponent; undefined = unscaled. */
  sf?: string | number;
}

export interface ModelLayout {
  id: number;
  /** The model's L: registers after the ID and L header. */
  lengthRegs: number;
  points: ReadonlyMap<string, PointLayout>;
  /** How many instances each repeating (or nested) group got, by group path (without index). */
  repeats: ReadonlyMap<string, number>;
}

export interface LayoutOptions {
  /** The model's L as read from the device; sets the repetitions of a `count: 0` group. */
  lengthRegs?: number;
  /** The model's registers from its ID on (enough to hold count points), for `count: "<point>"` groups. */
  words?: readonly number[];
  /** Repetitions to use (server side, building an image), by group name. */
  repeats?: Readonly<Record<string, number>>;
}

interface Scope {
  names: Map<string, string>;
  parent: Scope | null;
}

function resolveSf(scope: Scope, sf: string | number | undefined): string | number | undefined {
  if (sf === undefined || typeof sf === 'number') return sf;
  for (let s: Scope | null = scope; s; s = s.parent) {
    const path = s.names.get(sf);
    if (path !== undefined) return path;
  }
  return undefined;
}

function pointSize(p: PointDefinition, modelId: number): number {
  const fixed = fixedSizeOf(p.type);
  if (fixed !== undefined && fixed !== p.size) throw new GridpilotError(`point ${p.name}: ${p.type} has size ${fixed}, the definition says ${p.size}`, `model ${modelId}`);
  return p.size;
}

/** Size of one instance of `group`, registers (nested groups with fixed counts only). */
function instanceSize(group: GroupDefinition, modelId: number): number {
  let size = 0;
  for (const p of group.points ?? []) size += pointSize(p, modelId);
  for (const g of group.groups ?? []) {
    if (typeof g.count === 'string' || g.count === 0) throw new GridpilotError(`group ${g.name} repeats inside a repeating group`, `model ${modelId}`);
    size += (g.count ?? 1) * instanceSize(g, modelId);
  }
  return size;
}

/** Computes the register map of `def` (see the module comment). */
export function layoutModel(def: ModelDefinition, options: LayoutOptions = {}): ModelLayout {
  const points = new Map<string, PointLayout>();
  const repeats = new Map<string, number>();
  const where = `model ${def.id}`;

  const place = (group: GroupDefinition, start: number, prefix: string, parent: Scope | null): number => {
    const scope: Scope = { names: new Map(), parent };
    let offset = start;
    const mine: PointLayout[] = [];
    for (const p of group.points ?? []) {
      const path = `${prefix}${p.name}`;
      const size = pointSize(p, def.id);
      const layout: PointLayout = { path, def: p, type: p.type, offset, size };
      mine.push(layout);
      points.set(path, layout);
      scope.names.set(p.name, path);
      offset += size;
    }
    for (const layout of mine) {
      const sf = resolveSf(scope, layout.def.sf);
      if (layout.def.sf !== undefined && sf === undefined) throw new GridpilotError(`point ${layout.path}: scale factor ${String(layout.def.sf)} is not in scope`, where);
      if (sf !== undefined) layout.sf = sf;
    }
    for (const g of group.groups ?? []) {
      const groupPath = `${prefix}${g.name}`;
      const count = repetitions(g, offset, scope);
      repeats.set(groupPath, count);
      const indexed = g.count !== undefined && g.count !== 1;
      for (let i = 0; i < count; i++) offset = place(g, offset, indexed ? `${groupPath}[${i}].` : `${groupPath}.`, scope);
    }
    return offset;
  };

  const repetitions = (g: GroupDefinition, offset: number, scope: Scope): number => {
    const given = options.repeats?.[g.name];
    if (given !== undefined) return given;
    if (g.count === undefined) return 1;
    if (typeof g.count === 'number' && g.count > 0) return g.count;
    if (g.count === 0) {
      if (options.lengthRegs === undefined) throw new GridpilotError(`group ${g.name} repeats to the model length: the length is needed`, where);
      const size = instanceSize(g, def.id);
      const left = 2 + options.lengthRegs - offset;
      return size > 0 && left > 0 ? Math.floor(left / size) : 0;
    }
    const countPath = resolveSf(scope, g.count);
    const countPoint = typeof countPath === 'string' ? points.get(countPath) : undefined;
    if (!countPoint) throw new GridpilotError(`group ${g.name}: count point ${String(g.count)} is not in scope`, where);
    const words = options.words?.slice(countPoint.offset, countPoint.offset + countPoint.size);
    if (!words || words.length < countPoint.size) throw new GridpilotError(`group ${g.name}: its count ${String(g.count)} must be read first`, where);
    const n = decodeWords('uint16', words);
    return typeof n === 'number' ? n : 0;
  };

  const end = place(def.group, 0, '', null);
  const lengthRegs = options.lengthRegs ?? end - 2;
  if (options.lengthRegs !== undefined && end > 2 + options.lengthRegs) {
    // A shorter model than the definition (an older revision): points past its end are absent.
    for (const [path, p] of points) if (p.offset + p.size > 2 + options.lengthRegs) points.delete(path);
  }
  return { id: def.id, lengthRegs, points, repeats };
}

/** Layouts of models as read from devices, per definition and L (see {@link layoutForRead}). */
const readLayouts = new WeakMap<ModelDefinition, { isCacheable: boolean; byLength: Map<number, ModelLayout> }>();

function isCountedByPoint(group: GroupDefinition): boolean {
  return (group.groups ?? []).some((g) => typeof g.count === 'string' || isCountedByPoint(g));
}

/**
 * The layout of a model read from a device (its L and its registers from ID on): `layoutModel`,
 * computed once per definition and L and then shared, unless a group of the definition is counted
 * by a point (e.g. 803), whose layout depends on the registers and is computed every time. Layouts
 * are never modified after they are built, so sharing one is safe.
 */
export function layoutForRead(def: ModelDefinition, lengthRegs: number, words: readonly number[]): ModelLayout {
  let entry = readLayouts.get(def);
  if (!entry) {
    entry = { isCacheable: !isCountedByPoint(def.group), byLength: new Map() };
    readLayouts.set(def, entry);
  }
  if (!entry.isCacheable) return layoutModel(def, { lengthRegs, words });
  let layout = entry.byLength.get(lengthRegs);
  if (!layout) {
    layout = layoutModel(def, { lengthRegs });
    // A device can report any L: bound the cache (a few per model in practice).
    if (entry.byLength.size >= 16) entry.byLength.clear();
    entry.byLength.set(lengthRegs, layout);
  }
  return layout;
}

/** The point at `path`, or a GridpilotError naming the model. */
export function pointAt(layout: ModelLayout, path: string): PointLayout {
  const p = layout.points.get(path);
  if (!p) throw new GridpilotError(`no point ${path}`, `SunSpec model ${layout.id}`);
  return p;
}
