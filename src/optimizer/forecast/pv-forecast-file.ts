import { readFileSync } from 'node:fs';
import { GridpilotError } from '../../core/errors.ts';
import type { GeoLocation } from '../../environment/clear-sky.ts';
import { isEliaCsv, loadEliaCsv, parseEliaCsv } from './elia-data.ts';
import { EliaPvForecast, type EliaPvForecastOptions } from './elia-pv-forecast.ts';
import { ArchivedNwpPvForecast, parseForecastArchiveCsv } from './forecast-archive.ts';
import type { MeasuredIrradiance, PvForecast } from './pv-forecast.ts';

/** What an archived forecast file gives a backtest: the forecast, and its name for the report. */
export interface ArchivedPvForecast {
  forecast: PvForecast;
  source: string;
}

/**
 * The `cost` regime's PV forecast from an archive (`backtest --pv-forecast`): 'elia' = the bundled
 * Elia archive (data/be-pv-forecast-elia-2024-2025.csv); a file is an Elia archive when its header
 * is Elia's (elia-data.ts), else an Open-Meteo Previous Runs CSV (forecast-archive.ts).
 */
export function archivedPvForecast(
  spec: string,
  actual: MeasuredIrradiance,
  place: { location: GeoLocation; timeZone: string },
  eliaOptions: Omit<EliaPvForecastOptions, 'table' | 'location' | 'timeZone'> = {},
): ArchivedPvForecast {
  if (spec === 'elia') {
    return { forecast: new EliaPvForecast(actual, { ...eliaOptions, ...place, table: loadEliaCsv('bundled') }), source: 'Elia day-ahead PV forecasts (bundled, data/be-pv-forecast-elia-2024-2025.csv)' };
  }
  let text: string;
  try {
    text = readFileSync(spec, 'utf8');
  } catch (err) {
    throw new GridpilotError(`cannot read the forecast archive: ${(err as Error).message}`, spec);
  }
  if (isEliaCsv(text)) return { forecast: new EliaPvForecast(actual, { ...eliaOptions, ...place, table: parseEliaCsv(text, spec) }), source: `Elia day-ahead PV forecasts ${spec}` };
  return { forecast: new ArchivedNwpPvForecast(actual, parseForecastArchiveCsv(text, spec), place), source: `archived weather forecasts ${spec}` };
}
