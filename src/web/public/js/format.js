// Formatting: powers in W/kW, signs in words (grid + import, storage + charge, solar + production).

/** "512 W", "3.50 kW" (sign kept). */
export function fmtW(w) {
  if (w === null || w === undefined || !Number.isFinite(w)) return '—';
  const abs = Math.abs(w);
  if (abs < 1000) return `${Math.round(w)} W`;
  return `${(w / 1000).toFixed(abs < 10_000 ? 2 : 1)} kW`;
}

/** "9.0 kWh" */
export function fmtWh(wh) {
  if (wh === null || wh === undefined || !Number.isFinite(wh)) return '—';
  return Math.abs(wh) < 1000 ? `${Math.round(wh)} Wh` : `${(wh / 1000).toFixed(1)} kWh`;
}

export function fmtPct(p) {
  return p === null || p === undefined || !Number.isFinite(p) ? '—' : `${p.toFixed(1)} %`;
}

export function fmtA(a) {
  return a === null || a === undefined || !Number.isFinite(a) ? '—' : `${Math.round(a * 10) / 10} A`;
}

/** Seconds as "45 s" or "2 min 05 s". */
export function fmtSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  const total = Math.max(0, Math.round(s));
  if (total < 120) return `${total} s`;
  const m = Math.floor(total / 60);
  return `${m} min ${String(total % 60).padStart(2, '0')} s`;
}

/** Grid power in words: + import. */
export function gridWords(w) {
  if (Math.abs(w) < 1) return 'balanced';
  return w > 0 ? `importing ${fmtW(w)}` : `exporting ${fmtW(-w)}`;
}

/** Storage power in words: + charge. */
export function storageWords(w) {
  if (Math.abs(w) < 1) return 'idle';
  return w > 0 ? `charging ${fmtW(w)}` : `discharging ${fmtW(-w)}`;
}

export const COMPONENT_LABEL = {
  site: 'Site (export limit)',
  solar: 'Solar',
  storage: 'Battery',
  heat_pump: 'Heat pump',
  switched_load: 'Relay loads',
  variable_power_load: 'EV charging',
};

export const GROUP_LABEL = {
  solar: 'solar',
  storage: 'storage',
  heat_pump: 'heat pump',
  switched_load: 'relay load',
  variable_power_load: 'EV charger',
};

/** Command components map to feedback keys; the EV group is `variable_load` in feedback [live §4]. */
export const FEEDBACK_KEY = {
  solar: 'solar',
  storage: 'storage',
  heat_pump: 'heat_pump',
  switched_load: 'switched_load',
  variable_power_load: 'variable_load',
};

/** The source of a signal as a short word. */
export function sourceWord(source) {
  if (source === 'remote-device') return 'remote (device)';
  if (source === 'remote-group') return 'remote';
  return source;
}

// ---- Site time: every time the UI shows is the site's (GET /api/site location.timeZone, which
// GET /api/plan repeats), on a 24-hour clock, whatever the browser's zone or language; one format:
// "14:30", "Mon 3 Jun", "Mon 3 Jun 14:30" (the year is added when it is not the reference's). ----

/** The planner counts days and hours in the site's zone (src/core/local-time.ts); until the site is loaded, the config's default. */
export const DEFAULT_SITE_TIME_ZONE = 'Europe/Brussels';

let siteZone = DEFAULT_SITE_TIME_ZONE;
let formats = null;

/** The site's IANA time zone the UI shows times in. */
export const siteTimeZone = () => siteZone;

/** Shows every time in `timeZone` (an IANA name; an unknown one keeps the current zone). Returns whether it changed. */
export function setSiteTimeZone(timeZone) {
  if (formats && timeZone === siteZone) return false;
  try {
    // en-GB: a 24-hour clock whatever the browser's language, so times read the same as the planner's reasons.
    const f = (o) => new Intl.DateTimeFormat('en-GB', { timeZone, ...o });
    formats = {
      hm: f({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
      hms: f({ hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }),
      day: f({ weekday: 'short', day: 'numeric', month: 'short' }),
      parts: f({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
    };
    siteZone = timeZone;
    return true;
  } catch {
    return false;
  }
}
setSiteTimeZone(DEFAULT_SITE_TIME_ZONE);

/** Site-time date key ("2024-06-03"), year, hour and minute of an instant. */
export function localParts(ms) {
  const p = Object.fromEntries(formats.parts.formatToParts(ms).map((x) => [x.type, x.value]));
  return { day: `${p.year}-${p.month}-${p.day}`, year: p.year, hour: Number(p.hour) % 24, minute: Number(p.minute) };
}

/** "14:30" in site time. */
export const fmtTime = (ms) => formats.hm.format(ms);
/** "14:30:05" in site time. */
export const fmtTimeSeconds = (ms) => formats.hms.format(ms);
/** "Mon 3 Jun" in site time; "Wed 4 Dec 2024" when its year is not `refMs`'s (given). */
export function fmtDay(ms, refMs) {
  const day = formats.day.format(ms);
  return refMs !== undefined && localParts(ms).year !== localParts(refMs).year ? `${day} ${localParts(ms).year}` : day;
}
/** "Mon 3 Jun 14:30" in site time. */
export const fmtDayTime = (ms) => `${fmtDay(ms)} ${fmtTime(ms)}`;
/** A span in site time: "02:00–05:00". */
export const fmtSpan = (fromMs, toMs) => `${fmtTime(fromMs)}–${fmtTime(toMs)}`;

// ---- Site days: local midnights in the site's zone (History ranges, the Schedule timeline). ----

/** Offset of site time from UTC at `ms`, ms (to the minute). */
function siteOffsetMs(ms) {
  const p = Object.fromEntries(formats.parts.formatToParts(ms).map((x) => [x.type, x.value]));
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour) % 24, Number(p.minute));
  return wall - Math.floor(ms / 60_000) * 60_000;
}

/**
 * Site-time midnight of a date key ("2024-06-03"), Unix ms. Twice: the offset at the first guess can
 * differ from the offset at midnight on a DST day.
 * @param {string} dayKey
 */
export function siteMidnightMs(dayKey) {
  const [y, m, d] = dayKey.split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d);
  const first = wall - siteOffsetMs(wall);
  return wall - siteOffsetMs(first);
}

/**
 * The date key `days` after `dayKey` (calendar arithmetic, no zone involved).
 * @param {string} dayKey
 * @param {number} days
 */
export function addDays(dayKey, days) {
  const [y, m, d] = dayKey.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/**
 * Day of the week of a date key, 0 = Monday … 6 = Sunday.
 * @param {string} dayKey
 */
export function weekdayOf(dayKey) {
  const [y, m, d] = dayKey.split('-').map(Number);
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
}

/** What a page that reads the store says when the controller runs without one. */
export const NO_STORE = 'This needs the store: start gridpilot with a data directory (--data-dir; `gridpilot start` uses ./.gridpilot by default).';

/** "Times in Europe/Brussels": the sentence every page with times says once. */
export const zoneSentence = () => `Times in ${siteZone} (the site's time zone).`;
