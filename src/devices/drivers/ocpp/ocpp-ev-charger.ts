import { GridpilotError } from '../../../core/errors.ts';
import type { EvCharger, EvChargerReading, EvSessionNeed } from '../../capabilities.ts';
import type { ChargePointSession, ChargePointView } from './charge-point-session.ts';

/**
 * An EV charger behind gridpilot's OCPP central system (capability EvCharger). It holds no connection of
 * its own: it reads the state the central system keeps for its charge point, and turns setCurrentA into
 * a charging profile [OCPP 1.6 §3.13 Smart Charging, OCPP 2.0.1 K01].
 */
export class OcppEvCharger implements EvCharger {
  constructor(
    readonly nodeId: string,
    private readonly session: ChargePointSession,
  ) {}

  /** Rejects when the charger never connected, is disconnected, or rejected the last profile. */
  async readState(signal: AbortSignal): Promise<EvChargerReading> {
    signal.throwIfAborted();
    return this.session.readReading();
  }

  /**
   * `currentA` A per phase on `phases` phases → a TxDefaultProfile (no transaction) or TxProfile (in one),
   * in A or W as the charger takes them (whole A / W, rounded down); 0 pauses (a 0 A profile); null clears
   * gridpilot's profiles (the charger's own maximum). Resolves once the charger accepted it.
   */
  async setCurrentA(currentA: number | null, phases: 1 | 3): Promise<void> {
    if (currentA !== null && !(Number.isFinite(currentA) && currentA >= 0)) {
      throw new GridpilotError(`charging current must be a finite number ≥ 0 A or null, got ${currentA}`, this.nodeId);
    }
    if (phases !== 1 && phases !== 3) throw new GridpilotError(`phases must be 1 or 3, got ${String(phases)}`, this.nodeId);
    await this.session.setCurrentA(currentA, phases);
  }

  /**
   * For the optimiser: when the car now plugged in arrived, Unix ms (the central system's clock, at the
   * StatusNotification / TransactionEvent that said so); null = no car plugged in.
   */
  /**
   * The optional EvCharger capability the `cost` planner reads: OCPP tells when the car plugged in,
   * not when it leaves nor what it needs (the charger's configured `session` stands in for those).
   */
  sessionNeed(): EvSessionNeed | null {
    const pluggedInAtMs = this.session.sessionStartedAtMs();
    return pluggedInAtMs === null ? null : { pluggedInAtMs, departureMs: null, energyNeededWh: null };
  }

  sessionStartedAtMs(): number | null {
    return this.session.sessionStartedAtMs();
  }

  /** Everything the central system knows of this charge point (UI, diagnostics). */
  chargePoint(): ChargePointView {
    return this.session.view();
  }
}
