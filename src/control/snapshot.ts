import { setMaxListeners } from 'node:events';
import { errorMessage } from '../core/errors.ts';
import type { BatteryReading, EvChargerReading, SolarReading, SwitchReading } from '../devices/capabilities.ts';
import type { SiteDevices } from '../devices/registry.ts';

export type { SiteDevices };

/** The process image: every reading of one cycle, taken together [design §One cycle]. */
export interface SiteSnapshot {
  atMs: number;
  /** W, + import. */
  gridPowerW: number;
  solar: Map<string, SolarReading>;
  storage: Map<string, BatteryReading>;
  heatPumps: Map<string, SwitchReading>;
  switchedLoads: Map<string, SwitchReading>;
  evChargers: Map<string, EvChargerReading>;
  /** Devices whose read failed or timed out this cycle, with why. */
  readErrors: Map<string, string>;
}

async function readAll<D, R>(devices: ReadonlyMap<string, D>, read: (d: D) => Promise<R>, errors: Map<string, string>): Promise<Map<string, R>> {
  const out = new Map<string, R>();
  await Promise.all(
    [...devices].map(async ([id, d]) => {
      try {
        out.set(id, await read(d));
      } catch (err) {
        errors.set(id, errorMessage(err));
      }
    }),
  );
  return out;
}

/** Reads every device in parallel, each bounded by `timeoutMs`; a failed device is left out and named. */
export async function readSnapshot(devices: SiteDevices, nowMs: number, timeoutMs: number): Promise<SiteSnapshot> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`read timed out after ${timeoutMs} ms`)), timeoutMs);
  const signal = controller.signal;
  // Drivers may listen on the cycle's signal per request in flight (one Modbus connection per
  // device): a 20-device site passes Node's default of 10 listeners on every cycle. Unbounded here:
  // the signal lives one cycle and every listener is removed when its request settles.
  setMaxListeners(0, signal);
  // One abort listener for the whole cycle (not one per device: a 50-device site would trip
  // Node's MaxListeners warning every cycle).
  const aborted = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
  aborted.catch(() => undefined);
  const bounded = <R>(p: Promise<R>): Promise<R> => Promise.race([p, aborted]);
  const readErrors = new Map<string, string>();
  try {
    const [gridPowerW, solar, storage, heatPumps, switchedLoads, evChargers] = await Promise.all([
      bounded(devices.gridMeter.readPowerW(signal)).catch((err: unknown) => {
        throw new Error(`grid meter not read (${errorMessage(err)}): the site is not driven this cycle, devices keep their last setpoints`);
      }),
      readAll(devices.solar, (d) => bounded(d.readState(signal)), readErrors),
      readAll(devices.storage, (d) => bounded(d.readState(signal)), readErrors),
      readAll(devices.heatPumps, (d) => bounded(d.readState(signal)), readErrors),
      readAll(devices.switchedLoads, (d) => bounded(d.readState(signal)), readErrors),
      readAll(devices.evChargers, (d) => bounded(d.readState(signal)), readErrors),
    ]);
    return { atMs: nowMs, gridPowerW, solar, storage, heatPumps, switchedLoads, evChargers, readErrors };
  } finally {
    clearTimeout(timer);
  }
}
