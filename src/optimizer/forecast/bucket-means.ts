/** Options of {@link BucketMeans}. */
export interface BucketMeansOptions {
  /** Bucket length, ms > 0. Default 900 000 (15 min). */
  bucketMs?: number;
  /** Buckets older than this behind the newest sample are dropped, ms > 0. */
  maxAgeMs: number;
}

/**
 * The mean of a measured quantity per fixed time bucket, fed sample by sample (or by stored
 * averages), kept in memory for `maxAgeMs`: the site's own recent history (base load, PV sky).
 */
export class BucketMeans {
  readonly bucketMs: number;
  private readonly maxAgeMs: number;
  private readonly sums = new Map<number, { sum: number; n: number }>();
  private firstKey = Infinity;

  constructor(options: BucketMeansOptions) {
    this.bucketMs = options.bucketMs ?? 900_000;
    this.maxAgeMs = options.maxAgeMs;
    if (!(this.bucketMs > 0) || !(this.maxAgeMs > 0)) throw new RangeError(`bucketMs and maxAgeMs must be > 0, got ${this.bucketMs} and ${this.maxAgeMs}`);
  }

  /** Records one sample at `ms` (or the mean of `samples` of them, e.g. a stored 15-min average). Non-finite values are ignored. */
  record(ms: number, value: number, samples = 1): void {
    if (!Number.isFinite(value) || !(samples > 0)) return;
    const key = Math.floor(ms / this.bucketMs);
    const b = this.sums.get(key) ?? { sum: 0, n: 0 };
    b.sum += value * samples;
    b.n += samples;
    this.sums.set(key, b);
    this.firstKey = Math.min(this.firstKey, key);
    // Pruned in batches: a Map scan every time the buckets of twice the age have piled up.
    if (this.sums.size > 2 * (this.maxAgeMs / this.bucketMs)) {
      const oldest = Math.floor((ms - this.maxAgeMs) / this.bucketMs);
      for (const k of this.sums.keys()) if (k < oldest) this.sums.delete(k);
      this.firstKey = Math.min(Infinity, ...this.sums.keys());
    }
  }

  /** Sets the bucket holding `ms` to `value` alone (a later estimate of the same thing replaces the earlier). */
  replace(ms: number, value: number): void {
    this.sums.delete(Math.floor(ms / this.bucketMs));
    this.record(ms, value);
  }

  /** The mean of the bucket holding `ms`, or null when nothing was recorded there. */
  at(ms: number): number | null {
    const b = this.sums.get(Math.floor(ms / this.bucketMs));
    return b ? b.sum / b.n : null;
  }

  /** The mean of the bucket means over [fromMs, toMs), or null when no bucket there has data. */
  meanOver(fromMs: number, toMs: number): number | null {
    let sum = 0;
    let n = 0;
    for (let k = Math.floor(fromMs / this.bucketMs); k * this.bucketMs < toMs; k++) {
      const b = this.sums.get(k);
      if (b) {
        sum += b.sum / b.n;
        n++;
      }
    }
    return n > 0 ? sum / n : null;
  }

  /** Start of the oldest bucket held, Unix ms, or null when empty. */
  firstMs(): number | null {
    return Number.isFinite(this.firstKey) ? this.firstKey * this.bucketMs : null;
  }
}
