// The demo site with its devices behind protocol-level simulators (SunSpec Modbus TCP servers, OCPP
// charge points), so that the real drivers run against it: `gridpilot start --protocol-sim`.
// Part of the simulator's own controls: it builds the simulated world and fronts its devices.
import type { Clock } from '../../core/clock.ts';
import { errorMessage } from '../../core/errors.ts';
import { freePort } from '../../core/free-port.ts';
import { silentLogger, type Logger } from '../../core/logger.ts';
import { hardExportLimitW, hardImportLimitW, resolveSiteConfig } from '../../site/site-config.ts';
import { createSimulatedSite, type SimulatedSite } from '../simulated/simulated-site.ts';
import { startOcppChargePoint, type OcppChargePoint } from './ocpp-charge-point.ts';
import { startSunSpecServer, type RunningSunSpecServer } from './sunspec-server.ts';

export interface ProtocolSimOptions {
  clock: Clock;
  /** Interface every simulator listens on. Default 127.0.0.1. */
  host?: string;
  /** OCPP version of the simulated charge points. Default 1.6. */
  ocppVersion?: '1.6' | '2.0.1';
  logger?: Logger;
}

/** The simulated site behind its protocol simulators, and the site config that reaches it through the real drivers. */
export interface ProtocolSimulatedSite {
  /** The site config (input form) with `sunspec` drivers for PV, batteries and the grid meter, `ocpp` for EV chargers; heat pumps and relays stay simulated in-process. */
  config: Record<string, unknown>;
  /** The one simulated world all the simulators share (the meter balances every device in it). */
  sim: SimulatedSite;
  /** Where each simulator listens, for the banner: nodeId (or "grid meter") → URL. */
  endpoints: Array<{ nodeId: string; protocol: 'sunspec' | 'ocpp'; url: string }>;
  /** Connects the simulated charge points to the controller's OCPP central system (once it listens). */
  connectChargePoints(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds the simulated twin of `input` (every device simulated), puts each inverter, battery and the
 * grid meter behind its own SunSpec Modbus TCP server (port chosen free), prepares one OCPP charge
 * point per EV charger, and returns the site config that drives them through the real drivers.
 */
export async function startProtocolSimulatedSite(input: Record<string, unknown>, options: ProtocolSimOptions): Promise<ProtocolSimulatedSite> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const { clock } = options;
  const site = resolveSiteConfig(input, 'protocol-simulated site');
  const sim = createSimulatedSite(site, clock);
  const servers: RunningSunSpecServer[] = [];
  const chargePoints: OcppChargePoint[] = [];
  const endpoints: ProtocolSimulatedSite['endpoints'] = [];
  const close = async (): Promise<void> => {
    await Promise.allSettled(chargePoints.map((c) => c.close()));
    await Promise.allSettled(servers.map((s) => s.close()));
  };
  const config = structuredClone(input);
  const devices = (Array.isArray(config.devices) ? config.devices : []) as Array<Record<string, unknown>>;
  const ocppPort = await freePort(host);
  const chargers: Array<{ nodeId: string; chargePointId: string }> = [];
  try {
    for (const [i, d] of site.devices.entries()) {
      const raw = devices[i] as Record<string, unknown>;
      raw.nodeId = d.nodeId;
      let server: RunningSunSpecServer | null = null;
      if (d.group === 'solar') {
        const device = sim.solar.get(d.nodeId);
        if (device) server = await startSunSpecServer({ model: 'inverter', device, ratings: { ratedPowerW: d.ratedPowerW }, host, port: 0, clock, logger, serialNumber: d.nodeId });
      } else if (d.group === 'storage') {
        const device = sim.storage.get(d.nodeId);
        if (device)
          server = await startSunSpecServer({
            model: 'battery',
            device,
            ratings: { capacityWh: d.capacityWh, maxChargeW: d.maxChargeW, maxDischargeW: d.maxDischargeW, minSocPct: d.minSocPct, maxSocPct: d.maxSocPct },
            host,
            port: 0,
            clock,
            logger,
            serialNumber: d.nodeId,
          });
      } else if (d.group === 'variable_power_load') {
        const chargePointId = `SIM-CP${chargers.length + 1}`;
        chargers.push({ nodeId: d.nodeId, chargePointId });
        raw.driver = { type: 'ocpp', chargePointId };
        endpoints.push({ nodeId: d.nodeId, protocol: 'ocpp', url: `ws://${host}:${ocppPort}/ocpp/${chargePointId}` });
      }
      if (server) {
        servers.push(server);
        raw.driver = { type: 'sunspec', host, port: server.port, unitId: server.unitId };
        endpoints.push({ nodeId: d.nodeId, protocol: 'sunspec', url: server.url });
      }
    }
    // The meter's W_SF follows its range: 25 % above the limits keeps 1 W resolution on a house
    // connection (int16 up to 32767 W), as a real meter has; a wider range costs resolution.
    const maxPowerW = Math.max(hardImportLimitW(site), hardExportLimitW(site)) * 1.25;
    const meter = await startSunSpecServer({ model: 'meter', device: sim.gridMeter, ratings: { maxPowerW }, host, port: 0, clock, logger, serialNumber: `${site.serial}-meter` });
    servers.push(meter);
    endpoints.push({ nodeId: 'grid meter', protocol: 'sunspec', url: meter.url });
    const grid = (typeof config.grid === 'object' && config.grid !== null ? config.grid : {}) as Record<string, unknown>;
    grid.meter = { driver: { type: 'sunspec', host, port: meter.port, unitId: meter.unitId } };
    config.grid = grid;
    if (chargers.length) config.ocpp = { host, port: ocppPort, path: '/ocpp' };
  } catch (err) {
    await close();
    throw new Error(`could not start the protocol simulators: ${errorMessage(err)}`);
  }
  return {
    config,
    sim,
    endpoints,
    async connectChargePoints() {
      for (const c of chargers) {
        const charger = sim.evChargers.get(c.nodeId);
        if (!charger) continue;
        chargePoints.push(
          await startOcppChargePoint({ url: `ws://${host}:${ocppPort}/ocpp`, chargePointId: c.chargePointId, ocppVersion: options.ocppVersion ?? '1.6', charger, clock, meterIntervalS: 5, logger, reconnectDelayMs: 500 }),
        );
      }
    },
    close,
  };
}
