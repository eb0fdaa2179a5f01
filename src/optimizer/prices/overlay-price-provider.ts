import { mergePriceSeries, priceSeriesEndMs, slicePriceSeries, type PriceSeries } from './price-series.ts';
import type { PriceProvider, PriceReplay } from './price-provider.ts';

/**
 * The configured source with the integrator's pushed prices laid over it: where the pushed prices
 * cover a slot they win (an aggregator's own price signal, a correction); elsewhere the base source
 * answers. The answer starts where the earliest of the two starts and stops at the first gap.
 */
export class OverlayPriceProvider implements PriceProvider {
  constructor(
    private readonly base: PriceProvider,
    private readonly overlay: PriceProvider,
  ) {}

  async readPrices(fromMs: number, toMs: number, signal?: AbortSignal): Promise<PriceSeries | null> {
    const [base, top] = await Promise.all([this.base.readPrices(fromMs, toMs, signal), this.overlay.readPrices(fromMs, toMs, signal)]);
    const merged = mergePriceSeries([base, top].filter((s): s is PriceSeries => s !== null));
    if (!merged) return null;
    const slice = slicePriceSeries(merged, fromMs, toMs);
    return slice.pricesEurPerMwh.length ? slice : null;
  }

  /** The base's replayed days, outside the span the overlay (the pushed prices) covers: pushed prices are never a replay. */
  async replayOf(fromMs: number, toMs: number, signal?: AbortSignal): Promise<PriceReplay | null> {
    const base = this.base;
    if (!base.replayOf) return null;
    const top = await this.overlay.readPrices(fromMs, toMs, signal);
    const uncovered: Array<[number, number]> = top ? [[fromMs, top.startMs], [priceSeriesEndMs(top), toMs]] : [[fromMs, toMs]];
    const parts: Array<PriceReplay | null> = [];
    for (const [a, b] of uncovered) if (b > a) parts.push(await base.replayOf(a, b, signal));
    const found = parts.filter((r): r is PriceReplay => r !== null);
    const first = found[0];
    if (!first) return null;
    const days = found.flatMap((r) => r.days).filter((d, i, all) => all.findIndex((x) => x.day === d.day) === i);
    return { source: first.source, days };
  }
}
