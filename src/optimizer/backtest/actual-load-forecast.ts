import { slotStartMs, type ForecastRequest } from '../forecast/forecast-request.ts';
import type { LoadForecast } from '../forecast/load-forecast.ts';

/**
 * A perfect load forecast: the mean of the actual base load over each slot, sampled every `stepMs`
 * (the simulator's load steps every 5 min, so 60 s samples are exact). Only for the perfect-foresight
 * bound of a backtest: it reads the future by design.
 */
export class ActualLoadForecast implements LoadForecast {
  constructor(
    private readonly baseLoadW: (ms: number) => number,
    private readonly stepMs = 60_000,
  ) {}

  forecastBaseLoadW(request: ForecastRequest): number[] {
    return Array.from({ length: request.slotCount }, (_, i) => {
      const from = slotStartMs(request, i);
      const steps = Math.max(1, Math.round(request.slotMs / this.stepMs));
      let sum = 0;
      for (let k = 0; k < steps; k++) sum += this.baseLoadW(from + ((k + 0.5) * request.slotMs) / steps);
      return sum / steps;
    });
  }
}
