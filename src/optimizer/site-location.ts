import { geoLocationOf, type GeoLocation } from '../environment/clear-sky.ts';
import type { SiteConfig } from '../site/site-config.ts';

/** Where the site is, for the PV forecasts' clear sky and the typical temperature: `site.location` (default Brussels). */
export function siteLocation(site: SiteConfig): GeoLocation {
  return geoLocationOf(site.location);
}

/** The IANA time zone the site's days and hours are counted in: `site.location.timeZone` (default Europe/Brussels). */
export function siteTimeZone(site: SiteConfig): string {
  return site.location.timeZone;
}

/** Where Open-Meteo is asked for: `optimizer.openMeteo.latitude/.longitude`, each defaulting to `site.location`. */
export function openMeteoPlace(site: SiteConfig): { latitude: number; longitude: number } {
  const om = site.optimizer.openMeteo;
  return { latitude: om?.latitude ?? site.location.latitude, longitude: om?.longitude ?? site.location.longitude };
}
