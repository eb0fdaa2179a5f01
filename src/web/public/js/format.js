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
