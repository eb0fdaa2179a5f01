import { GridpilotError } from '../../core/errors.ts';
import { loadModelDefinition } from './model-definition.ts';
import { ModelBlock, scaleIn, unscale } from './model-block.ts';
import { layoutModel, pointAt, type ModelLayout } from './model-layout.ts';
import { encodeWords, notImplementedWords } from './point-codec.ts';

/**
 * A model's register image as a server holds it: every point starts "not implemented", ID and L
 * hold the model's number and length; values are set in their units through the image's own scale
 * factors (set the sunssf points first).
 */
export class ModelImage {
  readonly layout: ModelLayout;
  readonly words: number[];

  /** @param repeats repetitions of repeating groups, by group name (e.g. `{ module: 2 }` for model 160) */
  constructor(
    readonly id: number,
    repeats: Readonly<Record<string, number>> = {},
  ) {
    this.layout = layoutModel(loadModelDefinition(id), { repeats });
    this.words = new Array<number>(2 + this.layout.lengthRegs).fill(0);
    for (const p of this.layout.points.values()) this.words.splice(p.offset, p.size, ...notImplementedWords(p.type, p.size));
    this.words[0] = id;
    this.words[1] = this.layout.lengthRegs;
  }

  /** Sets a point in its units (scaled by its sf point in this image); null = not implemented; strings for string points. */
  set(path: string, value: number | string | null): this {
    const p = pointAt(this.layout, path);
    let raw: number | string | null = value;
    if (typeof value === 'number' && p.type !== 'sunssf') {
      const sf = scaleIn(this.layout, this.words, p);
      if (sf === null) throw new GridpilotError(`set ${String(p.sf)} before ${path}`, `SunSpec model ${this.id}`);
      raw = unscale(value, sf);
    }
    const words = encodeWords(p.type, p.size, raw, path);
    for (let i = 0; i < p.size; i++) this.words[p.offset + i] = words[i] ?? 0;
    return this;
  }

  /** Replaces registers (e.g. a client's write) from `offset` (relative to the ID register). */
  writeWords(offset: number, words: readonly number[]): void {
    if (offset < 2 || offset + words.length > this.words.length) throw new RangeError(`write outside model ${this.id} (offset ${offset}, ${words.length} registers)`);
    for (let i = 0; i < words.length; i++) this.words[offset + i] = (words[i] ?? 0) & 0xffff;
  }

  /** A decoded view of the image as if it sat at Modbus address `address`. */
  view(address: number): ModelBlock {
    return new ModelBlock(this.layout, this.words, address);
  }
}
