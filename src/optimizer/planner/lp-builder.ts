/**
 * A sparse LP/MIP assembled row by row, handed to HiGHS as CSR arrays (no LP text to write and parse).
 * Column types: 0 continuous, 1 integer (with bounds 0–1: binary), 2 semi-continuous (0 or [lower, upper]).
 */
export type ColumnType = 0 | 1 | 2;

export interface LpData {
  numCols: number;
  numRows: number;
  colCost: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  matrix: { format: 'csr'; numRows: number; numCols: number; starts: Int32Array; indices: Int32Array; values: Float64Array };
  /** Present when any column is not continuous. */
  integrality?: Int32Array;
}

export class LpBuilder {
  private readonly cost: number[] = [];
  private readonly lower: number[] = [];
  private readonly upper: number[] = [];
  private readonly types: ColumnType[] = [];
  private readonly rLower: number[] = [];
  private readonly rUpper: number[] = [];
  private readonly starts: number[] = [0];
  private readonly indices: number[] = [];
  private readonly values: number[] = [];
  /** Objective constant (for reporting; HiGHS gets it as offset). */
  offset = 0;

  get numCols(): number {
    return this.cost.length;
  }

  get numRows(): number {
    return this.rLower.length;
  }

  addCol(lower: number, upper: number, cost = 0, type: ColumnType = 0): number {
    this.lower.push(lower);
    this.upper.push(upper);
    this.cost.push(cost);
    this.types.push(type);
    return this.cost.length - 1;
  }

  /** Adds `lower ≤ Σ coef·x[col] ≤ upper`; repeated columns are summed, zero coefficients dropped. Returns the row index. */
  addRow(lower: number, upper: number, entries: ReadonlyArray<readonly [number, number]>): number {
    const merged = new Map<number, number>();
    for (const [col, coef] of entries) merged.set(col, (merged.get(col) ?? 0) + coef);
    for (const [col, coef] of merged) {
      if (coef === 0) continue;
      this.indices.push(col);
      this.values.push(coef);
    }
    this.starts.push(this.indices.length);
    this.rLower.push(lower);
    this.rUpper.push(upper);
    return this.rLower.length - 1;
  }

  addCost(col: number, cost: number): void {
    this.cost[col] = (this.cost[col] ?? 0) + cost;
  }

  setBounds(col: number, lower: number, upper: number): void {
    this.lower[col] = lower;
    this.upper[col] = upper;
  }

  build(): LpData {
    const hasIntegers = this.types.some((t) => t !== 0);
    return {
      numCols: this.numCols,
      numRows: this.numRows,
      colCost: Float64Array.from(this.cost),
      colLower: Float64Array.from(this.lower),
      colUpper: Float64Array.from(this.upper),
      rowLower: Float64Array.from(this.rLower),
      rowUpper: Float64Array.from(this.rUpper),
      matrix: { format: 'csr', numRows: this.numRows, numCols: this.numCols, starts: Int32Array.from(this.starts), indices: Int32Array.from(this.indices), values: Float64Array.from(this.values) },
      ...(hasIntegers ? { integrality: Int32Array.from(this.types) } : {}),
    };
  }
}
