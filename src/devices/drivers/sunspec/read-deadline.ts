/**
 * The bound on the reads a write may need (discovery, the control model's image), counted from
 * when the write began: as `AbortSignal.timeout(ms)` made then, but made only when a read needs
 * it. A write whose chain and control image are known (nearly every one) then creates no signal
 * and no timer (docs/benchmarks.md §5).
 */
export class ReadDeadline {
  private readonly startMs = performance.now();
  private made: AbortSignal | null = null;

  /** @param ms the bound, ms (real time) */
  constructor(private readonly ms: number) {}

  get signal(): AbortSignal {
    if (this.made) return this.made;
    const leftMs = this.ms - (performance.now() - this.startMs);
    this.made = leftMs > 0 ? AbortSignal.timeout(Math.ceil(leftMs)) : AbortSignal.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    return this.made;
  }
}

/** A signal, or a deadline that makes one on demand. */
export type SignalSource = AbortSignal | ReadDeadline;

export function signalOf(source: SignalSource): AbortSignal {
  return source instanceof ReadDeadline ? source.signal : source;
}
