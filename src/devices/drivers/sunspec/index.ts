import { GridpilotError } from '../../../core/errors.ts';
import type { BuiltDevice, BuiltMeter, DriverContext, DriverFactory } from '../../driver.ts';
import type { DeviceConfig } from '../../../site/site-config.ts';
import { SUNSPEC_GROUPS, SunSpecDriverSchema, type SunSpecDriverConfig } from './config.ts';
import { SunSpecBattery } from './sunspec-battery.ts';
import { SunSpecInverter } from './sunspec-inverter.ts';
import { SunSpecMeter } from './sunspec-meter.ts';
import { SunSpecSession } from './sunspec-session.ts';

/**
 * The connection to one host:port:unit, shared by every device configured on it (a hybrid
 * inverter's solar and storage sides) through the context's `shared`, which starts and closes it.
 */
function sessionFor(cfg: SunSpecDriverConfig, ctx: DriverContext): SunSpecSession {
  return ctx.shared(`sunspec:${cfg.host}:${cfg.port}:${cfg.unitId}`, () =>
    new SunSpecSession({ host: cfg.host, port: cfg.port, unitId: cfg.unitId, timeoutMs: cfg.timeoutMs, clock: ctx.clock, logger: ctx.logger }),
  );
}

function parseDriver(driver: unknown, where: string): SunSpecDriverConfig {
  const parsed = SunSpecDriverSchema.safeParse(driver);
  if (!parsed.success) throw new GridpilotError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), where);
  return parsed.data;
}

/** `driver.type: sunspec`: SunSpec over Modbus TCP (docs/sunspec.md). */
export const sunspecDriver: DriverFactory = {
  type: 'sunspec',
  groups: SUNSPEC_GROUPS,
  canMeter: true,

  createDevice(device: DeviceConfig, ctx: DriverContext): BuiltDevice {
    const cfg = parseDriver(device.driver, `${device.nodeId}.driver`);
    const session = sessionFor(cfg, ctx);
    const common = { session, clock: ctx.clock, logger: ctx.logger, revertTimeoutS: cfg.revertTimeoutS };
    switch (device.group) {
      case 'solar':
        return new SunSpecInverter({ ...common, ratedPowerW: device.ratedPowerW });
      case 'storage':
        return new SunSpecBattery({ ...common, capacityWh: device.capacityWh, maxChargeW: device.maxChargeW, maxDischargeW: device.maxDischargeW });
      default:
        throw new GridpilotError(`the sunspec driver cannot drive a ${device.group} device (it drives ${SUNSPEC_GROUPS.join(', ')})`, device.nodeId);
    }
  },

  createMeter(driver: unknown, ctx: DriverContext): BuiltMeter {
    const cfg = parseDriver(driver, 'grid.meter.driver');
    return new SunSpecMeter(sessionFor(cfg, ctx), cfg.invertPower);
  },
};
