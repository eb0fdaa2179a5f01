import { GridpilotError } from '../../core/errors.ts';
import { MS_PER_H } from '../../core/units.ts';
import type { DeviceOf } from '../../site/site-config.ts';
import type { EvCharger, EvChargerReading, EvSessionNeed } from '../capabilities.ts';
import { DEFAULT_CAR_PATTERN, findNextArrival, findStayAt, validateCarPattern, type CarPattern } from './car-pattern.ts';
import type { SimWorld } from './sim-world.ts';

/** The config a simulated charger needs (a variable_power_load device of the site config). */
export type SimEvChargerConfig = Pick<
  DeviceOf<'variable_power_load'>,
  'nodeId' | 'phases' | 'canSwitchPhases' | 'minCurrentA' | 'maxCurrentA' | 'allowZeroCurrent' | 'voltageV'
>;

export interface SimEvChargerOptions {
  /** Weekly routine of the simulated car; null = the car only comes via plugIn(). Default DEFAULT_CAR_PATTERN. */
  carPattern?: CarPattern | null;
  /** IANA time zone the car pattern's weekdays and times are in. Default Europe/Brussels. */
  timeZone?: string;
}

/** What plugIn() needs to know about the car. */
export interface PlugInOptions {
  /** AC energy the car wants, Wh ≥ 0 (0 = a full car). */
  energyNeededWh: number;
  /** When the car leaves by itself, Unix ms, > now; absent = stays until unplug(). */
  departureMs?: number;
  /** Phases the car's on-board charger can use. Default 3. */
  maxPhases?: 1 | 3;
}

/** The car plugged in now. */
export interface SimCarState {
  /** 'pattern' = came by the daily routine; 'manual' = plugIn(). */
  source: 'pattern' | 'manual';
  /** Unix ms. */
  arrivalMs: number;
  /** Unix ms; null = stays until unplug(). */
  departureMs: number | null;
  /** AC energy still wanted, Wh ≥ 0. */
  energyNeededWh: number;
  /** AC energy taken this visit, Wh ≥ 0. */
  chargedWh: number;
  /** Phases the car's on-board charger can use. */
  maxPhases: 1 | 3;
}

export interface SimEvChargerSnapshot extends EvChargerReading {
  /** The car plugged in, or null. */
  car: SimCarState | null;
  /** Phases the charger offers now (the car may use fewer). */
  selectedPhases: 1 | 3;
  /** AC energy delivered since creation, Wh ≥ 0. */
  deliveredWh: number;
  /** Cars that have arrived since creation (a car present at creation counts). */
  sessions: number;
}

/**
 * A simulated EV charger with a simulated car. Draw = current × phases × voltage while the car wants
 * energy; 0 if the offered current is below minCurrentA (0 = pause) or the car is full. Current above
 * maxCurrentA is clipped to it; offeredCurrentA null (uncontrolled) = maxCurrentA on the wired phases.
 * Phase switching and allowZeroCurrent are the controller's rules; the sim obeys, but refuses phases
 * the hardware cannot do. The car arrives and leaves by its pattern (lazily, at the right instants)
 * or by plugIn()/unplug(); a pattern arrival while a car is plugged in is skipped.
 */
export class SimEvCharger implements EvCharger {
  readonly nodeId: string;
  private readonly config: SimEvChargerConfig;
  private readonly carPattern: CarPattern | null;
  private readonly timeZone: string;
  private offeredA: number | null = null;
  private selectedPhases: 1 | 3;
  private car: SimCarState | null = null;
  private deliveredWh = 0;
  private sessions = 0;
  private lastMs: number;

  constructor(
    private readonly world: SimWorld,
    config: SimEvChargerConfig,
    options: SimEvChargerOptions = {},
  ) {
    this.nodeId = config.nodeId;
    this.config = { ...config };
    this.selectedPhases = config.phases;
    this.carPattern = options.carPattern === undefined ? DEFAULT_CAR_PATTERN : options.carPattern;
    this.timeZone = options.timeZone ?? 'Europe/Brussels';
    if (this.carPattern) validateCarPattern(this.carPattern);
    this.lastMs = world.nowMs();
    const stay = this.carPattern ? findStayAt(this.carPattern, this.lastMs, this.timeZone) : null;
    if (stay) this.arrive({ ...stay, source: 'pattern' });
  }

  async readState(signal: AbortSignal): Promise<EvChargerReading> {
    signal.throwIfAborted();
    this.world.assertAnswers(this.nodeId, 'read');
    const { isConnected, isRequiringCharge, powerW, currentsA, phases, offeredCurrentA } = this.snapshot();
    return { isConnected, isRequiringCharge, powerW, currentsA, phases, offeredCurrentA };
  }

  /**
   * Offers `currentA` per phase (A ≥ 0; 0 = pause; above maxCurrentA = maxCurrentA) on `phases`.
   * null = uncontrolled: maxCurrentA on the wired phases. Refuses (changing nothing) 3 phases on a
   * 1-phase charger and a phase change on a charger that cannot switch.
   */
  async setCurrentA(currentA: number | null, phases: 1 | 3): Promise<void> {
    this.world.assertAnswers(this.nodeId, 'write');
    if (currentA !== null && !(Number.isFinite(currentA) && currentA >= 0)) {
      throw new GridpilotError(`charging current must be a finite number ≥ 0 A or null, got ${currentA}`, this.nodeId);
    }
    if (phases !== 1 && phases !== 3) throw new GridpilotError(`phases must be 1 or 3, got ${String(phases)}`, this.nodeId);
    if (phases > this.config.phases) throw new GridpilotError(`the charger is wired for ${this.config.phases} phase(s), cannot use ${phases}`, this.nodeId);
    if (phases !== this.config.phases && !this.config.canSwitchPhases) {
      throw new GridpilotError(`the charger cannot switch phases (fixed at ${this.config.phases})`, this.nodeId);
    }
    this.settle();
    this.offeredA = currentA === null ? null : Math.min(currentA, this.config.maxCurrentA);
    this.selectedPhases = currentA === null ? this.config.phases : phases;
  }

  /**
   * [EvCharger.sessionNeed] The simulated car tells everything: when it came, when it leaves (null
   * for a plugIn() without departure) and the energy it still wants. null = no car.
   */
  sessionNeed(): EvSessionNeed | null {
    this.settle();
    const car = this.car;
    return car ? { pluggedInAtMs: car.arrivalMs, departureMs: car.departureMs, energyNeededWh: car.energyNeededWh } : null;
  }

  /** Test hook: a car arrives now (replacing any car plugged in). */
  plugIn(options: PlugInOptions): void {
    const { energyNeededWh, departureMs, maxPhases = 3 } = options;
    if (!(Number.isFinite(energyNeededWh) && energyNeededWh >= 0)) throw new RangeError(`energyNeededWh must be ≥ 0, got ${energyNeededWh}`);
    this.settle();
    if (departureMs !== undefined && !(departureMs > this.lastMs)) throw new RangeError(`departureMs must be after now (${this.lastMs}), got ${departureMs}`);
    this.arrive({ source: 'manual', arrivalMs: this.lastMs, departureMs: departureMs ?? null, energyNeededWh, maxPhases });
  }

  /** Test hook: the car leaves now. */
  unplug(): void {
    this.settle();
    this.car = null;
  }

  snapshot(): SimEvChargerSnapshot {
    this.settle();
    const currentA = this.drawCurrentA();
    const phases = this.phasesInUse();
    const currentsA: [number, number, number] = phases === 3 ? [currentA, currentA, currentA] : [currentA, 0, 0];
    return {
      isConnected: this.car !== null,
      isRequiringCharge: this.car !== null && this.car.energyNeededWh > 0,
      powerW: currentA * phases * this.config.voltageV,
      currentsA,
      phases,
      offeredCurrentA: this.offeredA,
      car: this.car ? { ...this.car } : null,
      selectedPhases: this.selectedPhases,
      deliveredWh: this.deliveredWh,
      sessions: this.sessions,
    };
  }

  private arrive(car: Omit<SimCarState, 'chargedWh'>): void {
    this.car = { ...car, chargedWh: 0 };
    this.sessions++;
  }

  private phasesInUse(): 1 | 3 {
    return this.car && this.car.maxPhases < this.selectedPhases ? this.car.maxPhases : this.selectedPhases;
  }

  /** Current the car draws per phase now, A. */
  private drawCurrentA(): number {
    if (!this.car || this.car.energyNeededWh <= 0) return 0;
    const offeredA = this.offeredA ?? this.config.maxCurrentA;
    return offeredA < this.config.minCurrentA ? 0 : offeredA; // below the minimum the car stops [IEC 61851-1 Annex A]
  }

  /** Plays the car's story from the last update to now: charging, full, departure, next arrival. */
  private settle(): void {
    const nowMs = this.world.nowMs();
    let t = this.lastMs;
    while (t < nowMs) {
      const car = this.car;
      if (!car) {
        const next = this.carPattern ? findNextArrival(this.carPattern, t, nowMs, this.timeZone) : null;
        if (!next) break;
        t = next.arrivalMs;
        this.arrive({ ...next, source: 'pattern' });
        continue;
      }
      const endMs = car.departureMs === null ? nowMs : Math.min(car.departureMs, nowMs);
      const powerW = this.drawCurrentA() * this.phasesInUse() * this.config.voltageV;
      if (powerW > 0) {
        const fullAtMs = t + (car.energyNeededWh / powerW) * MS_PER_H;
        const deliveredWh = fullAtMs <= endMs ? car.energyNeededWh : (powerW * (endMs - t)) / MS_PER_H;
        car.energyNeededWh = fullAtMs <= endMs ? 0 : car.energyNeededWh - deliveredWh;
        car.chargedWh += deliveredWh;
        this.deliveredWh += deliveredWh;
      }
      t = endMs;
      if (car.departureMs !== null && t >= car.departureMs) this.car = null;
    }
    this.lastMs = Math.max(this.lastMs, nowMs);
  }
}
