import { BELGIUM_LOCATION, type GeoLocation } from '../devices/simulated/clear-sky.ts';
import type { SiteConfig } from '../site/site-config.ts';

/** Where the site is, for the PV forecasts' clear sky: the configured Open-Meteo place, else Brussels. */
export function siteLocation(site: SiteConfig): GeoLocation {
  const om = site.optimizer.openMeteo;
  return om ? { latDeg: om.latitude, lonDeg: om.longitude } : BELGIUM_LOCATION;
}
