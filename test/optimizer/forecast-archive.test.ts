import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { runBacktestCommand } from '../../src/cli/commands/backtest.ts';
import { memoryIo } from '../../src/cli/io.ts';
import { GridpilotError } from '../../src/core/errors.ts';
import { loadWeather } from '../../src/environment/weather.ts';
import { ArchivedNwpPvForecast, archivedIrradianceAt, parseForecastArchiveCsv } from '../../src/optimizer/forecast/forecast-archive.ts';
import { pvPowerFromIrradianceW } from '../../src/optimizer/forecast/pv-forecast.ts';

const HOUR = 3_600_000;
const FIXTURE = fileURLToPath(new URL('./fixtures/open-meteo-previous-runs.csv', import.meta.url));
/** Open-Meteo Previous Runs CSV, Brussels 2024-05-31…06-03: day 1 = the bundled measured GHI, day 2 = half of it. */
const text = readFileSync(FIXTURE, 'utf8');
const archive = parseForecastArchiveCsv(text, 'fixture');
const weather = loadWeather('bundled');
/** The fixture's value of a lead-day column at the row stamped `iso`. */
const cell = (iso: string, leadDay: 1 | 2): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${iso.slice(0, 16)},`));
  assert.ok(line, iso);
  return Number(line.split(',')[leadDay === 1 ? 2 : 3]);
};
const system = { ratedPowerW: 10_000, peakPowerW: 10_000 };

void describe('archived weather forecasts (Open-Meteo Previous Runs CSV)', () => {
  void it('reads the lead-day columns (ignoring the others), one value per hour ending at its time', () => {
    assert.deepEqual([...archive.byLeadDay.keys()], [1, 2]);
    assert.equal(archive.startMs, Date.parse('2024-05-31T00:00Z') - HOUR);
    assert.equal(archive.byLeadDay.get(1)?.length, 96);
    const i = (Date.parse('2024-06-01T12:00Z') - HOUR - archive.startMs) / HOUR;
    assert.equal(archive.byLeadDay.get(1)?.[i], cell('2024-06-01T12:00', 1));
    assert.equal(archive.byLeadDay.get(2)?.[i], cell('2024-06-01T12:00', 2));
  });

  void it('uses only what was published by the issue time: day 1 from T − 18 h, day 2 from T − 42 h, nothing before', () => {
    const T = Date.parse('2024-06-02T12:00Z');
    const mid = T - HOUR / 2;
    assert.equal(archivedIrradianceAt(archive, mid, T - 18 * HOUR), cell('2024-06-02T12:00', 1));
    assert.equal(archivedIrradianceAt(archive, mid, T - 18 * HOUR - 1), cell('2024-06-02T12:00', 2), 'day 1 not yet published: day 2');
    assert.equal(archivedIrradianceAt(archive, mid, T - 42 * HOUR), cell('2024-06-02T12:00', 2));
    assert.equal(archivedIrradianceAt(archive, mid, T - 42 * HOUR - 1), undefined, 'nothing published yet');
    assert.equal(archivedIrradianceAt(archive, Date.parse('2024-06-05T12:00Z'), T), undefined, 'beyond the archive');
    // Columns in any order: the most recent published lead still wins.
    const swapped = parseForecastArchiveCsv(
      text
        .split('\n')
        .map((l) => {
          const c = l.split(',');
          // Header and data rows have 4 cells (the metadata lines 6): day 2 before day 1.
          return c.length === 4 ? [c[0], c[1], c[3], c[2]].join(',') : l;
        })
        .join('\n'),
      'swapped',
    );
    assert.deepEqual([...swapped.byLeadDay.keys()], [1, 2]);
    assert.equal(archivedIrradianceAt(swapped, mid, T - 18 * HOUR), cell('2024-06-02T12:00', 1));
  });

  void it('the PV forecast follows the archive and never reads a forecast published after the issue time', () => {
    const issuedAtMs = Date.parse('2024-06-01T04:00Z');
    const request = { issuedAtMs, fromMs: issuedAtMs, slotMs: HOUR / 4, slotCount: 4 * 44 };
    const f = new ArchivedNwpPvForecast(weather, archive);
    const w = f.forecastAvailableW(system, request);
    const hourKwh = (iso: string): number => {
      const k = (Date.parse(iso) - HOUR - issuedAtMs) / (HOUR / 4);
      return (w.slice(k, k + 4).reduce((s, x) => s + x, 0) * 0.25) / 1000;
    };
    // 2024-06-01 12:00 (day 1 published 06-01 T−18 h = 05-31 18:00): the archived GHI through the PV model.
    const expected1 = pvPowerFromIrradianceW(system, cell('2024-06-01T12:00', 1)) / 1000;
    assert.ok(Math.abs(hourKwh('2024-06-01T12:00Z') - expected1) < 0.03 * expected1, `${hourKwh('2024-06-01T12:00Z')} vs ${expected1}`);
    // 2024-06-02 13:00: day 1 is published only at 06-01 19:00, after the issue time: day 2 (half).
    const expected2 = pvPowerFromIrradianceW(system, cell('2024-06-02T13:00', 2)) / 1000;
    assert.ok(Math.abs(hourKwh('2024-06-02T13:00Z') - expected2) < 0.03 * expected2, `${hourKwh('2024-06-02T13:00Z')} vs ${expected2}`);

    // Whatever an unpublished forecast says changes nothing.
    const tampered = parseForecastArchiveCsv(text, 'fixture');
    const day1 = tampered.byLeadDay.get(1) as Float64Array;
    for (let i = 0; i < day1.length; i++) if (tampered.startMs + (i + 1) * HOUR - 18 * HOUR > issuedAtMs) day1[i] = 1400;
    assert.deepEqual(new ArchivedNwpPvForecast(weather, tampered).forecastAvailableW(system, request), w);
    // A published one does.
    const changed = parseForecastArchiveCsv(text.replace(`2024-06-01T12:00,16.2,${cell('2024-06-01T12:00', 1)},`, '2024-06-01T12:00,16.2,900,'), 'fixture');
    assert.notDeepEqual(new ArchivedNwpPvForecast(weather, changed).forecastAvailableW(system, request), w);
  });

  void it('refuses a malformed archive with the line and what is wrong', () => {
    const lines = text.split('\n');
    const at = (n: number, replacement: string): string => lines.map((l, i) => (i === n - 1 ? replacement : l)).join('\n');
    const cases: Array<[string, RegExp]> = [
      ['a,b\n1,2\n', /no header line starting with "time,"/],
      [at(2, '50.84,4.36,58.0,3600,Europe/Brussels,CET'), /fixture:2: utc_offset_seconds is 3600; ask with timezone=GMT/],
      [at(4, 'time,shortwave_radiation (W/m²)'), /fixture:4: needs shortwave_radiation_previous_day1/],
      [at(7, '2024-05-31T03:00,12.6,0,0'), /fixture:7: time "2024-05-31T03:00" does not follow the previous row by one hour/],
      [at(8, '2024-05-31T03:00,12.6,-5,0'), /fixture:8: shortwave_radiation_previous_day1 \(W\/m²\) "-5" is not a GHI in 0…1500 W\/m²/],
      [at(9, 'yesterday,12.6,0,0'), /fixture:9: time "yesterday" is neither ISO/],
      [lines.slice(0, 4).join('\n'), /no data rows/],
    ];
    for (const [csv, message] of cases) assert.throws(() => parseForecastArchiveCsv(csv, 'fixture'), (err: unknown) => err instanceof GridpilotError && message.test(err.message), String(message));
  });

  void it('`gridpilot backtest --pv-forecast` runs the cost regime on the archive; a bad archive is an error, exit 1', async () => {
    const io = memoryIo();
    const code = await runBacktestCommand({ from: '2024-06-02', to: '2024-06-02', json: true, cycleS: 60, replanMin: 60, regimes: ['self_consumption', 'cost'], pvForecast: FIXTURE, quiet: true }, io);
    assert.equal(code, 0, io.stderr.join('\n'));
    const out = JSON.parse(io.stdout.join('\n')) as { cost_eur: number; sources: Record<string, string> };
    assert.equal(typeof out.cost_eur, 'number');
    assert.match(out.sources['cost_pv_forecast'] ?? '', /archived weather forecasts .*open-meteo-previous-runs\.csv/);

    const bad = memoryIo();
    assert.equal(await runBacktestCommand({ from: '2024-06-02', to: '2024-06-02', cycleS: 60, replanMin: 60, pvForecast: 'no/such/archive.csv', quiet: true }, bad), 1);
    assert.match(bad.stderr.join('\n'), /no\/such\/archive\.csv: cannot read the forecast archive/);
  });
});
