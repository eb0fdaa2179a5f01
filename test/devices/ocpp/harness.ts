import { FakeClock } from '../../../src/core/clock.ts';
import { OcppCentralSystem } from '../../../src/devices/drivers/ocpp/central-system.ts';
import { OcppServerSchema } from '../../../src/devices/drivers/ocpp/config.ts';
import { OcppEvCharger } from '../../../src/devices/drivers/ocpp/ocpp-ev-charger.ts';
import { SimEvCharger } from '../../../src/devices/simulated/sim-ev-charger.ts';
import { SimWorld } from '../../../src/devices/simulated/sim-world.ts';
import { startOcppChargePoint, type OcppChargePoint, type OcppChargePointOptions } from '../../../src/devices/simulators/ocpp-charge-point.ts';
import { silentLogger } from '../../../src/core/logger.ts';

export { until } from '../../helpers/schedule-peer.ts';

/** A central system on 127.0.0.1, port 0, with chargers registered. */
export async function startCentral(
  chargers: { chargePointId: string; password?: string }[],
  extra: Record<string, unknown> = {},
): Promise<{ cs: OcppCentralSystem; clock: FakeClock; url: string; device(id: string): OcppEvCharger; close(): Promise<void> }> {
  const clock = new FakeClock();
  const cs = new OcppCentralSystem(OcppServerSchema.parse({ host: '127.0.0.1', port: 0, path: '/ocpp', ...extra }), { clock, logger: silentLogger });
  const devices = new Map<string, OcppEvCharger>();
  for (const c of chargers) {
    const session = cs.register({ chargePointId: c.chargePointId, password: c.password, connectorId: 1, voltageV: 230, phases: 3 });
    devices.set(c.chargePointId, new OcppEvCharger(`dev-${c.chargePointId}`, session));
  }
  await cs.start();
  return {
    cs,
    clock,
    url: cs.endpointUrl('127.0.0.1'),
    device(id) {
      const d = devices.get(id);
      if (!d) throw new Error(`no device ${id}`);
      return d;
    },
    close: () => cs.close(),
  };
}

/** A simulated charger (3 phases, can switch, 6–16 A, no car pattern) in its own world on `clock`. */
export function simCharger(clock: FakeClock): SimEvCharger {
  const world = new SimWorld(clock, { weather: 'clear-sky' });
  return new SimEvCharger(
    world,
    { nodeId: 'sim-ev', phases: 3, canSwitchPhases: true, minCurrentA: 6, maxCurrentA: 16, allowZeroCurrent: true, voltageV: 230 },
    { carPattern: null },
  );
}

export async function startSimCp(
  opts: Partial<OcppChargePointOptions> & Pick<OcppChargePointOptions, 'url' | 'chargePointId' | 'ocppVersion' | 'charger' | 'clock'>,
): Promise<OcppChargePoint> {
  return startOcppChargePoint({ meterIntervalS: 10, reconnectDelayMs: 50, ...opts });
}

export const signal = (): AbortSignal => AbortSignal.timeout(2000);

/** Resolves with the rejection message of `p` (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error('expected a rejection');
}

/** Waits until readState resolves. */
export async function readable(device: OcppEvCharger, what: string): Promise<void> {
  const deadline = Date.now() + 4000;
  for (;;) {
    try {
      await device.readState(signal());
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
