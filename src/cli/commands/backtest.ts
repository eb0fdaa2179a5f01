import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { GridpilotError } from '../../core/errors.ts';
import { loadWeather } from '../../environment/weather.ts';
import { backtestJson, backtestTable } from '../../optimizer/backtest/report.ts';
import { localPeriod, REGIMES, runBacktest, type Regime } from '../../optimizer/backtest/run-backtest.ts';
import { archivedPvForecast } from '../../optimizer/forecast/pv-forecast-file.ts';
import { siteLocation } from '../../optimizer/site-location.ts';
import { loadBundledPrices, loadPriceFile } from '../../optimizer/prices/price-file.ts';
import { loadSiteConfigFile } from '../../site/site-config.ts';
import { parsePositiveNumber } from '../arg-parsers.ts';
import { consoleIo, EXIT_FAILURE, EXIT_OK, errorText, UsageError, type CliIo } from '../io.ts';

/*
 * `gridpilot backtest`: replays a period of day-ahead prices and weather through the simulated site
 * with the real controller on a fake clock, once per regime (no control, self_consumption, cost,
 * perfect foresight), and bills each (docs/backtest.md).
 */

/** The reference site shipped in data/ (docs/backtest.md). */
export const REFERENCE_SITE_PATH = fileURLToPath(new URL('../../../data/reference-site.yaml', import.meta.url));

export interface BacktestFlags {
  /** Price CSV/JSON (bundled format); default the bundled Belgian prices. */
  prices?: string;
  /** Hourly weather CSV; default the bundled Belgian weather. */
  weather?: string;
  /** The cost regime's PV forecast: 'elia' (the bundled Elia archive), an Elia archive CSV or an Open-Meteo Previous Runs CSV; default the price-informed persistence forecast. */
  pvForecast?: string;
  /** Local dates YYYY-MM-DD, inclusive. */
  from: string;
  to: string;
  /** Site config; default data/reference-site.yaml. */
  site?: string;
  json?: boolean;
  /** Control cycle, s. Default 60. */
  cycleS: number;
  /** Re-plan period of cost, min. Default 15. */
  replanMin: number;
  /** Regimes to run. Default all. */
  regimes?: Regime[];
  /** No progress lines on stderr. */
  quiet?: boolean;
}

function parseRegimes(text: string): Regime[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const r of list) if (!(REGIMES as readonly string[]).includes(r)) throw new InvalidArgumentError(`unknown regime "${r}" (${REGIMES.join(', ')})`);
  return list as Regime[];
}

/** Runs the backtest and prints the table (or --json). Exit 0, 1 on bad data, 2 on a bad command line. */
export async function runBacktestCommand(flags: BacktestFlags, io: CliIo): Promise<number> {
  let period: { fromMs: number; toMs: number };
  try {
    period = localPeriod(flags.from, flags.to);
  } catch (err) {
    throw new UsageError(errorText(err));
  }
  if (period.toMs <= period.fromMs) throw new UsageError('--to must be on or after --from');
  if (flags.cycleS < 1 || flags.cycleS > 60) throw new UsageError('--cycle-s must be 1–60');
  try {
    const siteSource = flags.site ?? REFERENCE_SITE_PATH;
    const site = loadSiteConfigFile(siteSource);
    // The dates are the site's local days (the reference site's: Europe/Brussels).
    period = localPeriod(flags.from, flags.to, site.location.timeZone);
    const prices = flags.prices ? loadPriceFile(flags.prices) : loadBundledPrices();
    const weather = loadWeather(flags.weather ?? 'bundled');
    const archived = flags.pvForecast ? archivedPvForecast(flags.pvForecast, weather, { location: siteLocation(site), timeZone: site.location.timeZone }) : undefined;
    const costPvForecast = archived?.forecast;
    const tariff = site.optimizer.tariff;
    let lastReported = '';
    const result = await runBacktest({
      site,
      prices,
      weather,
      fromMs: period.fromMs,
      toMs: period.toMs,
      cycleMs: flags.cycleS * 1000,
      replanIntervalMs: flags.replanMin * 60_000,
      ...(flags.regimes ? { regimes: flags.regimes } : {}),
      ...(costPvForecast ? { costPvForecast } : {}),
      onProgress: (regime, done) => {
        if (flags.quiet) return;
        // Every ~10 % of the period, and once at the end of each regime.
        const step = `${regime}:${Math.floor(done * 10)}`;
        if (step !== lastReported) io.err(`backtest: ${regime} ${Math.round(done * 100)} %`);
        lastReported = step;
      },
    });
    const meta = {
      site,
      siteSource,
      pricesSource: flags.prices ?? 'bundled (data/be-day-ahead-prices-2024-2025.csv)',
      weatherSource: flags.weather ?? 'bundled (data/be-weather-hourly-2024-2025.csv)',
      pvForecastSource: archived?.source ?? 'price-informed persistence',
      tariff,
    };
    if (flags.json) io.out(JSON.stringify(backtestJson(result, meta)));
    else for (const line of backtestTable(result, meta)) io.out(line);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof GridpilotError) {
      io.err(`error: ${errorText(err)}`);
      return EXIT_FAILURE;
    }
    throw err;
  }
}

/** Registers `gridpilot backtest`; `run` is the program's action runner (exit codes, errors). */
export function registerBacktest(program: Command, run: (action: () => Promise<number>) => Promise<void>, io: CliIo = consoleIo): void {
  program
    .command('backtest')
    .summary('replay real prices and weather through the simulated site: what `cost` saves')
    .description(
      'Replays a period of day-ahead prices and weather through the simulated site with the real controller on a\n' +
        'fake clock, once per regime: no control, self_consumption, cost (honest forecasts only) and perfect\n' +
        'foresight, and prints what each costs (docs/backtest.md). Dates are local days of the site (its location.timeZone), inclusive.',
    )
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (inclusive)')
    .option('--prices <file>', 'day-ahead prices, CSV (datetime_utc,date,hour,minute,price_eur_mwh) or JSON; default the bundled Belgian prices')
    .option('--weather <csv>', 'hourly weather CSV (date, shortwave_radiation, temperature_2m); default the bundled Belgian weather')
    .option('--pv-forecast <csv|elia>', "cost's PV forecast from an archive: 'elia' (the bundled Elia day-ahead PV forecasts), an Elia CSV (datetime_utc,measured_mw,dayahead11h_mw,… recognised by its header) or an Open-Meteo Previous Runs CSV (shortwave_radiation_previous_day1, _day2 …); default the price-informed persistence forecast")
    .option('--site <config>', 'site config (YAML/JSON): solar and storage; default data/reference-site.yaml')
    .option('--json', 'print one JSON object instead of the table')
    .option('--cycle-s <s>', 'control cycle of the replay, s (1–60)', parsePositiveNumber, 60)
    .option('--replan-min <min>', 'how often cost re-plans, min', parsePositiveNumber, 15)
    .option('--regimes <list>', `comma-separated subset of ${REGIMES.join(',')}`, parseRegimes)
    .option('-q, --quiet', 'no progress on stderr')
    .action((flags: BacktestFlags) => run(() => runBacktestCommand(flags, io)));
}

