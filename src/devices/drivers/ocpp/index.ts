import { GridpilotError } from '../../../core/errors.ts';
import type { DriverFactory } from '../../driver.ts';
import { OcppCentralSystem } from './central-system.ts';
import { OCPP_GROUPS } from './config.ts';
import { OcppEvCharger } from './ocpp-ev-charger.ts';

export { OcppCentralSystem } from './central-system.ts';
export { OcppEvCharger } from './ocpp-ev-charger.ts';
export type { ChargePointView, OcppVersion, RateUnit } from './charge-point-session.ts';

/** `ctx.shared` key of the site's one OCPP central system. */
export const OCPP_SHARED_KEY = 'ocpp';

/**
 * `driver: { type: ocpp, chargePointId, password?, connectorId? }`: an EV charger (variable_power_load)
 * that connects to the site's OCPP central system (config `ocpp:`), created on the first such device.
 */
export const ocppDriver: DriverFactory = {
  type: 'ocpp',
  groups: OCPP_GROUPS,
  canMeter: false,
  createDevice(device, ctx) {
    if (device.group !== 'variable_power_load' || device.driver.type !== 'ocpp') {
      throw new GridpilotError(`the ocpp driver drives EV chargers (variable_power_load) only, not ${device.group}`, device.nodeId);
    }
    const { chargePointId, password, connectorId } = device.driver;
    const cs = ctx.shared(OCPP_SHARED_KEY, () => new OcppCentralSystem(ctx.site.ocpp, { clock: ctx.clock, logger: ctx.logger }));
    const session = cs.register({ chargePointId, password, connectorId, voltageV: device.voltageV, phases: device.phases });
    return new OcppEvCharger(device.nodeId, session);
  },
};
