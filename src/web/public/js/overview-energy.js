// The Overview's "Today" counters: energy since local midnight (the site's time zone) from the
// store's telemetry (GET /api/energy/today), refreshed every minute while the Overview is shown.
import { api } from './api.js';
import { h, refreshWhileVisible, replace } from './dom.js';
import { fmtDay, fmtTime, fmtWh, NO_STORE } from './format.js';

/** @typedef {import('../../energy-today.ts').EnergyToday} EnergyToday */

const REFRESH_MS = 60_000;

/**
 * @param {EnergyToday} e
 * @returns {Array<[string, string, number]>} label, data-test key, Wh
 */
function counters(e) {
  return [
    ['Imported', 'imported', e.gridImportedWh],
    ['Exported', 'exported', e.gridExportedWh],
    ['Solar', 'solar', e.solarWh],
    ['Battery in', 'battery-in', e.batteryChargedWh],
    ['Battery out', 'battery-out', e.batteryDischargedWh],
    ['EV', 'ev', e.evWh],
    ['Heat pump', 'heat-pump', e.heatPumpWh],
    ['Relays', 'relays', e.switchedLoadWh],
    ['House', 'house', e.baseLoadWh],
  ];
}

/**
 * @param {HTMLElement} list  the <dl> of counters
 * @param {HTMLElement} note  the line under it
 * @param {EnergyToday} e
 */
function renderEnergy(list, note, e) {
  replace(
    list,
    counters(e).map(([label, key, wh]) => h('div', { class: 'energy-item', 'data-test': `energy-${key}` }, h('dt', { text: label }), h('dd', { text: fmtWh(wh) }))),
  );
  const isGappy = e.toMs - e.fromMs - e.coveredMs > 5 * 60_000;
  note.textContent = `${fmtDay(e.fromMs)}, 00:00–${fmtTime(e.toMs)}, from the stored minute averages.${isGappy ? ` ${hoursCovered(e)}` : ''}`;
}

/** @param {EnergyToday} e */
function hoursCovered(e) {
  const h1 = (e.coveredMs / 3_600_000).toFixed(1);
  const total = ((e.toMs - e.fromMs) / 3_600_000).toFixed(1);
  return `Telemetry covers ${h1} h of ${total} h (the controller was not running the whole day).`;
}

/** @param {Document} doc */
export function createEnergyPanel(doc) {
  const list = /** @type {HTMLElement} */ (doc.getElementById('energy-today'));
  const note = /** @type {HTMLElement} */ (doc.getElementById('energy-note'));
  let isAvailable = true;

  async function load() {
    if (!isAvailable) {
      replace(list);
      note.textContent = `Today's energy is counted from the stored telemetry. ${NO_STORE}`;
      return;
    }
    try {
      renderEnergy(list, note, await api.energyToday());
    } catch (err) {
      const e = /** @type {import('./api.js').ApiError} */ (err);
      replace(list);
      note.textContent = e.status === 404 ? `Today's energy needs the store: ${e.message}.` : `Could not load today's energy: ${e.message}`;
    }
  }

  return {
    /** @param {boolean} hasHistory  whether the server has a store (GET /api/site `hasHistory`) */
    setAvailable(hasHistory) {
      isAvailable = hasHistory;
    },
    /** @param {boolean} visible */
    setVisible: refreshWhileVisible(doc, load, REFRESH_MS),
  };
}
