import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { DeviceConfig, SiteConfig } from '../site/site-config.ts';
import type { DeviceGroup } from '../protocol/components.ts';
import type { Battery, EvCharger, GridMeter, SolarInverter, Switchable } from './capabilities.ts';

/**
 * What every driver family implements: one factory per `driver.type` [issue 12 §1].
 * Drivers implement the capabilities (capabilities.ts) and, where they hold a connection, a
 * lifecycle. The registry (registry.ts) wraps every device it builds with the generic parts:
 * communication status from the outcome of reads, and bounded writes. So a driver never tracks
 * online/offline itself and never needs its own write timeout (it may still have one).
 */

/** A device's communication state, as the UI, the feedback and the log show it. */
export interface CommStatus {
  /** The last read (or connect) succeeded. */
  isOnline: boolean;
  /** Epoch ms since when it has been offline; null while online. */
  offlineSinceMs: number | null;
  /** Epoch ms of the last successful read; null before the first. */
  lastGoodReadMs: number | null;
  /** Why the last read, write or connect failed; null when the last one succeeded. */
  lastError: string | null;
}

/**
 * A connection's lifecycle. `start` must not throw because a device is unreachable: it starts the
 * connection attempts (and reconnects later by itself) and resolves; an unreachable device shows as
 * offline through failed reads. It throws only for what no retry can fix (e.g. a port in use).
 * `close` stops every timer and socket; idempotent.
 */
export interface DeviceLifecycle {
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The capability a device of each group must implement. */
export interface CapabilityOf {
  solar: SolarInverter;
  storage: Battery;
  heat_pump: Switchable;
  switched_load: Switchable;
  variable_power_load: EvCharger;
}

/** A built device: its group's capability, and optionally a lifecycle. */
export type BuiltDevice<G extends DeviceGroup = DeviceGroup> = CapabilityOf[G] & Partial<DeviceLifecycle>;

/** A built grid meter (or sub-meter): W + import, and optionally a lifecycle. */
export type BuiltMeter = GridMeter & Partial<DeviceLifecycle>;

/** What a factory gets besides the device's own config. */
export interface DriverContext {
  site: SiteConfig;
  clock: Clock;
  logger: Logger;
  /**
   * One instance per key for the whole site (e.g. the OCPP central system all chargers connect to,
   * or a Modbus connection shared by the devices behind one gateway): created on first use,
   * started before the devices, closed after them.
   */
  shared<T extends DeviceLifecycle>(key: string, create: () => T): T;
}

/** One driver family (the `driver.type` of a device or meter). */
export interface DriverFactory {
  /** The `driver.type` it handles. */
  type: string;
  /** Groups it can drive; the config is refused for others. */
  groups: readonly DeviceGroup[];
  /** Whether it can be the grid meter (`grid.meter.driver`). */
  canMeter: boolean;
  /** Builds the device (no I/O yet: `start` connects). */
  createDevice(device: DeviceConfig, ctx: DriverContext): BuiltDevice;
  /** Builds a meter from its driver config; required when `canMeter`. */
  createMeter?(driver: unknown, ctx: DriverContext): BuiltMeter;
}
