// Child process of bench/device-drivers.ts (not a benchmark itself): the demo site's devices behind
// their SunSpec servers and OCPP charge point in a process of their own, as real devices are
// outside the controller's process.
//   node --import tsx bench/lib/protocol-sim-child.ts <simStartMs> <ocppVersion>
// Sends { config, endpoints } (the site config that drives them) once they listen; 'connect'
// connects the charge points (the app's central system must run) and answers 'connected'; 'stop'.
import { ScaledClock } from '../../src/core/clock.ts';
import { startProtocolSimulatedSite } from '../../src/devices/simulators/protocol-site.ts';
import { demoSiteConfig } from '../../src/site/demo-site.ts';

const [startText, ocppVersion] = process.argv.slice(2);
const clock = new ScaledClock(1, Number(startText));
const site = await startProtocolSimulatedSite(demoSiteConfig() as Record<string, unknown>, { clock, ocppVersion: ocppVersion === '2.0.1' ? '2.0.1' : '1.6' });
process.on('message', (msg) => {
  if (msg === 'connect') {
    void site.connectChargePoints().then(() => process.send?.('connected'));
  } else if (msg === 'stop') {
    void site.close().then(() => {
      process.disconnect?.();
      process.exit(0);
    });
  }
});
process.send?.({ config: site.config, endpoints: site.endpoints });
