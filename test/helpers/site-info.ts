import type { RunningAppInfo } from '../../src/app-options.ts';
import { deviceInfosOf } from '../../src/app-options.ts';
import { topicsFor } from '../../src/protocol/topics.ts';
import type { SiteConfig } from '../../src/site/site-config.ts';

/** What the app would report about itself for `site` on the default embedded broker (the web server shows it). */
export function siteInfoFor(site: SiteConfig): RunningAppInfo {
  return {
    serial: site.serial,
    siteNodeId: site.siteNodeId,
    brokerUrl: 'mqtt://127.0.0.1:1883',
    isEmbeddedBroker: true,
    wsUrl: null,
    httpUrl: null,
    topics: topicsFor(site.serial),
    fallbackTimeoutS: site.remoteSignal.fallbackTimeoutS,
    devices: deviceInfosOf(site),
    gridMeterDriver: site.grid.meter.driver.type,
  };
}
