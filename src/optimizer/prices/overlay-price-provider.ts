import { mergePriceSeries, slicePriceSeries, type PriceSeries } from './price-series.ts';
import type { PriceProvider } from './price-provider.ts';

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
}
