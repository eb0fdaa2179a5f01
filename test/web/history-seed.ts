import { FakeClock } from '../../src/core/clock.ts';
import { Store } from '../../src/store/store.ts';
import type { TelemetrySample } from '../../src/store/telemetry.ts';

const H = 3_600_000;

/**
 * A plausible day of a house with PV, a battery and an EV, per cycle: a solar bell around 13:00
 * UTC+x, the battery charging from the surplus and discharging in the evening, an EV charging at
 * night, a base load with a morning and an evening peak. Grid = loads + charge − solar [design §3].
 */
export function demoSample(atMs: number, dayStartMs: number): TelemetrySample {
  const hour = ((atMs - dayStartMs) / H) % 24;
  const solarW = Math.max(0, 6500 * Math.sin((Math.PI * (hour - 6)) / 14));
  const baseLoadW = 350 + 900 * Math.exp(-((hour - 7.5) ** 2) / 1.5) + 1400 * Math.exp(-((hour - 19) ** 2) / 3);
  const evW = hour >= 1 && hour < 4 ? 7400 : 0;
  const surplus = solarW - baseLoadW;
  const storageW = surplus > 0 ? Math.min(4000, surplus) : hour >= 17 || hour < 1 ? Math.max(-3500, surplus) : 0;
  const socPct = Math.min(95, Math.max(10, 30 + 60 * Math.sin((Math.PI * Math.max(0, hour - 8)) / 20)));
  return {
    atMs,
    gridW: baseLoadW + evW + storageW - solarW,
    solarW,
    solarAvailableW: solarW,
    storageW,
    socPct,
    evW,
    heatPumpW: 0,
    switchedLoadW: 0,
    baseLoadW,
    exportLimitW: 20_000,
    importLimitW: 25_000,
  };
}

/** Writes one sample per `stepMs` over [fromMs, toMs) into the data directory's store (before the app opens it). */
export async function seedTelemetry(dataDir: string, fromMs: number, toMs: number, sample: (atMs: number) => TelemetrySample, stepMs = 1000): Promise<void> {
  const store = await Store.open({ dataDir, clock: new FakeClock(fromMs) });
  try {
    for (let at = fromMs; at < toMs; at += stepMs) store.recordSample(sample(at));
  } finally {
    await store.close();
  }
}
