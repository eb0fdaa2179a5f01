/**
 * Capabilities, not device classes: small interfaces, one concern each [design §Principles 2].
 * Reads take an AbortSignal so a cycle can bound them; writes resolve once the device took the value.
 * Signs are the wire's: grid + import, storage + charge, solar + production, loads + consumption.
 */

/** The site's grid connection point. */
export interface GridMeter {
  /** W, + import / − export. */
  readPowerW(signal: AbortSignal): Promise<number>;
}

export interface SolarReading {
  /** W produced now, ≥ 0. */
  powerW: number;
  /** W the panels could produce now without curtailment (estimate where the inverter does not say). */
  availablePowerW: number;
  /** Cap in force, W; null = uncurtailed. */
  limitW: number | null;
}

export interface SolarInverter {
  readState(signal: AbortSignal): Promise<SolarReading>;
  /** Caps AC production at `limitW` (≥ 0); null lifts the cap. */
  setLimitW(limitW: number | null): Promise<void>;
}

export interface BatteryReading {
  /** W, + charge / − discharge. */
  powerW: number;
  socPct: number;
  /** Usable capacity, Wh. */
  capacityWh: number;
  /** W the battery can take now (after SoC limits and taper near full), ≥ 0. */
  maxChargeW: number;
  /** W the battery can give now (after SoC limits and taper near empty), ≥ 0. */
  maxDischargeW: number;
}

export interface Battery {
  readState(signal: AbortSignal): Promise<BatteryReading>;
  /** Sets the power setpoint, W, + charge. The battery may deliver less (taper, SoC). null = release (no control). */
  setPowerW(powerW: number | null): Promise<void>;
}

export interface SwitchReading {
  isOn: boolean;
  /** W consumed now. */
  powerW: number;
}

/** A relay-switched load or an on/off heat pump. */
export interface Switchable {
  readState(signal: AbortSignal): Promise<SwitchReading>;
  setOn(isOn: boolean): Promise<void>;
}

export interface EvChargerReading {
  /** A car is plugged in. */
  isConnected: boolean;
  /** The plugged-in car still wants energy. */
  isRequiringCharge: boolean;
  /** W drawn now, ≥ 0. */
  powerW: number;
  /** Measured current per phase, A. */
  currentsA: [number, number, number];
  /** Phases in use now. */
  phases: 1 | 3;
  /** Current the charger was last told, A (0 = paused); null = uncontrolled. */
  offeredCurrentA: number | null;
}

/**
 * What a charger knows about the car plugged in now, for the optimiser's EV sessions. A simulated
 * car knows everything; an OCPP 1.6 charger knows the plug-in time only (StatusNotification
 * Preparing / StartTransaction); ISO 15118 or a car API may tell the departure and the energy.
 */
export interface EvSessionNeed {
  /** When the car was plugged in, Unix ms (≤ now). */
  pluggedInAtMs: number;
  /** When the car leaves, Unix ms; null = unknown (the configured `session.departureTime` stands in). */
  departureMs: number | null;
  /** AC energy the car still wants now, Wh ≥ 0 (0 = full); null = unknown (the configured `session.energyWh` stands in). */
  energyNeededWh: number | null;
}

export interface EvCharger {
  readState(signal: AbortSignal): Promise<EvChargerReading>;
  /** Offers `currentA` per phase on `phases` phases (0 = pause). null = uncontrolled (the charger's own maximum). */
  setCurrentA(currentA: number | null, phases: 1 | 3): Promise<void>;
  /**
   * Optional: the plugged-in car's session as far as the charger knows it at `nowMs` (Unix ms);
   * null = no car plugged in. Synchronous and cheap (from the last reading or protocol message,
   * no I/O); called once per plan. A charger without it is planned from its reading and the config.
   */
  sessionNeed?(nowMs: number): EvSessionNeed | null;
}

/**
 * Optional: what is known about the site's surroundings beyond the models (the simulated world
 * provides it; a real site could from a weather station or service). Without it the optimiser uses
 * the typical-temperature climatology at the site's location (src/environment/typical-temperature.ts).
 */
export interface SiteEnvironment {
  /** Outdoor air temperature at instant `atMs` (Unix ms; now or a forecast for later), °C. */
  temperatureC(atMs: number): number;
}
