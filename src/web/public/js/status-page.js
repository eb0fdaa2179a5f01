// The status page: live values, "is a command active?" per component, active constraints.
import { h, replace } from './dom.js';
import { COMPONENT_LABEL, FEEDBACK_KEY, fmtA, fmtSeconds, fmtW, fmtWh, fmtPct, gridWords, sourceWord, storageWords } from './format.js';

const ROW_ORDER = ['storage', 'solar', 'variable_power_load', 'heat_pump', 'switched_load', 'site'];

function card(title, value, valueTest, ...subs) {
  return h('div', { class: 'card' }, h('div', { class: 'title', text: title }), value, ...subs.filter(Boolean).map((s) => (typeof s === 'string' ? h('div', { class: 'sub', text: s }) : s)));
}

function meter(fraction, warn = false) {
  const bar = h('span');
  bar.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  return h('div', { class: warn ? 'meter warn' : 'meter', role: 'presentation' }, bar);
}

function renderCards(el, s, devices) {
  const { grid, storage, solar, heat_pump: hp, switched_load: sl, variable_load: ev } = s.state;
  const gridW = grid.active_power_W;
  const gridLimit = gridW >= 0 ? grid.import_limit_W : grid.export_limit_W;
  const evDevices = devices.filter((d) => d.group === 'variable_power_load');
  const evReading = evDevices.map((d) => d.reading).find((r) => r && r.isConnected) ?? evDevices[0]?.reading ?? null;
  const phases = evReading ? evReading.phases : null;
  const cards = [
    card(
      'Grid',
      h('div', { class: `value ${gridW > 1 ? 'import' : gridW < -1 ? 'export' : ''}`, 'data-test': 'grid-power', text: fmtW(Math.abs(gridW)) }),
      'grid-power',
      gridWords(gridW),
      meter(gridLimit > 0 ? Math.abs(gridW) / gridLimit : 0, gridLimit > 0 && Math.abs(gridW) > 0.9 * gridLimit),
      h('div', { class: 'sub', 'data-test': 'grid-limits', text: `limits: import ${fmtW(grid.import_limit_W)} · export ${fmtW(grid.export_limit_W)}` }),
      `today: in ${fmtWh(grid.today_imported_energy_Wh)} · out ${fmtWh(grid.today_exported_energy_Wh)}`,
    ),
    card(
      'Solar',
      h('div', { class: 'value', 'data-test': 'pv-power', text: fmtW(solar.active_power_W) }),
      'pv-power',
      solar.nr_devices ? `of ${fmtW(solar.capacity_W)} · ${solar.nr_devices} inverter${solar.nr_devices > 1 ? 's' : ''}` : 'no solar configured',
      meter(solar.capacity_W > 0 ? solar.active_power_W / solar.capacity_W : 0),
      `today ${fmtWh(solar.today_energy_Wh)}${solar.today_self_consumption_perc !== undefined ? ` · ${solar.today_self_consumption_perc} % used on site` : ''}`,
    ),
    card(
      'Battery',
      h('div', { class: 'value', 'data-test': 'soc', text: storage.nr_devices ? fmtPct(storage.mean_soc_perc) : '—' }),
      'soc',
      meter(storage.mean_soc_perc / 100),
      h('div', { class: 'sub', 'data-test': 'storage-power', text: storageWords(storage.active_power_W) }),
      storage.nr_devices ? `${fmtWh(storage.energy_stored_Wh)} of ${fmtWh(storage.energy_capacity_Wh)}` : 'no battery configured',
    ),
    card(
      'EV charging',
      h('div', { class: 'value', 'data-test': 'ev-power', text: fmtW(ev.active_power_W) }),
      'ev-power',
      evReading ? (evReading.isConnected ? (ev.ev_requiring_charge ? 'car connected, wants charge' : 'car connected, full') : 'no car connected') : 'no charger configured',
      h('div', {
        class: 'sub',
        'data-test': 'ev-current',
        text: `${fmtA(ev.executed_current_A)} offered${phases ? ` on ${phases} phase${phases > 1 ? 's' : ''}` : ''} · L1 ${fmtA(ev.currentL1_A)} L2 ${fmtA(ev.currentL2_A)} L3 ${fmtA(ev.currentL3_A)}`,
      }),
    ),
    card(
      'Heat pump & relays',
      h('div', { class: 'value', 'data-test': 'loads-power', text: fmtW(hp.executed_power_W + sl.executed_power_W) }),
      'loads-power',
      hp.nr_devices ? `heat pump ${hp.operation_modes.join(', ')}` : 'no heat pump',
      sl.nr_devices ? `relays: ${sl.devices_on} on, ${sl.devices_off} off` : 'no relay loads',
    ),
  ];
  replace(el, cards);
}

function sourceBadge(sig) {
  return h('span', { class: `src ${sig.activeSignal}`, 'data-test': 'source', text: sourceWord(sig.source) });
}

function countdown(seconds, fallbackS) {
  if (seconds === null || seconds === undefined) return h('span', { class: 'no', text: '—' });
  return h('span', { class: 'countdown', 'data-test': 'watchdog' }, fmtSeconds(seconds), meter(fallbackS > 0 ? seconds / fallbackS : 0, seconds < 10));
}

function componentRow(component, s, fallbackS) {
  const sig = s.signals[component];
  const group = component === 'site' ? s.state.grid : s.state[FEEDBACK_KEY[component]];
  const isRemote = sig.activeSignal === 'remote';
  let executed = '—';
  let measured = '—';
  if (component === 'site') {
    executed = `export ≤ ${fmtW(s.state.grid.export_limit_W)}`;
    measured = gridWords(s.state.grid.active_power_W);
  } else {
    executed = fmtW(group.executed_power_W);
    if (typeof group.active_power_W === 'number') measured = fmtW(group.active_power_W);
    else {
      // Heat pumps and relays have no measured power in feedback; their readings do.
      const readings = s.devices.filter((d) => d.group === component && d.reading && typeof d.reading.powerW === 'number');
      if (readings.length) measured = fmtW(readings.reduce((sum, d) => sum + d.reading.powerW, 0));
    }
  }
  const policyText = sig.setpointW !== null ? `${sig.policy} ${fmtW(sig.setpointW)}` : sig.policy;
  // A device command leaves the group's own signal local: the group row says which devices run remote.
  const remoteIds = !isRemote && component !== 'site' && s.groups ? s.groups[component].remoteDeviceIds : [];
  const hasRemoteDevices = remoteIds.length > 0;
  return h(
    'tr',
    { class: isRemote ? 'is-remote' : hasRemoteDevices ? 'is-remote partly' : '', 'data-test': `row-${component}` },
    h('td', { text: COMPONENT_LABEL[component] }),
    h('td', { 'data-label': 'Policy' }, h('code', { 'data-test': 'policy', text: policyText })),
    h(
      'td',
      { 'data-label': 'Source' },
      sourceBadge(sig),
      hasRemoteDevices ? h('span', { class: 'src remote partly', 'data-test': 'remote-devices', text: `${remoteIds.length} device${remoteIds.length > 1 ? 's' : ''} remote` }) : null,
    ),
    h('td', { 'data-label': 'Watchdog' }, isRemote || hasRemoteDevices ? countdown(s.watchdogSecondsLeft, fallbackS) : h('span', { class: 'no', text: '—' })),
    h('td', { class: 'num', 'data-label': 'Executed', 'data-test': 'executed', text: executed }),
    h('td', { class: 'num', 'data-label': 'Measured', 'data-test': 'measured', text: measured }),
  );
}

/** Devices whose signal differs from their component's (a device-level command, or not included in remote control). */
function deviceRows(component, s, fallbackS) {
  if (component === 'site') return [];
  const groupSig = s.signals[component];
  return s.devices
    .filter((d) => d.group === component && (d.source !== groupSig.source || d.policy !== groupSig.policy || d.setpointW !== groupSig.setpointW))
    .map((d) =>
      h(
        'tr',
        { class: d.activeSignal === 'remote' ? 'is-remote device-row' : 'device-row', 'data-test': `row-${d.nodeId}` },
        h('td', {}, h('span', { class: 'no', text: '↳ ' }), d.name, d.isRemoteEnabled ? null : h('span', { class: 'no', text: ' (not in remote control)' })),
        h('td', { 'data-label': 'Policy' }, h('code', { text: d.setpointW !== null ? `${d.policy} ${fmtW(d.setpointW)}` : d.policy })),
        h('td', { 'data-label': 'Source' }, sourceBadge(d)),
        h('td', { 'data-label': 'Watchdog' }, d.activeSignal === 'remote' ? countdown(s.watchdogSecondsLeft, fallbackS) : h('span', { class: 'no', text: '—' })),
        h('td', { class: 'num', 'data-label': 'Executed', text: fmtW(d.feedback.executed_power_W) }),
        h('td', { class: 'num', 'data-label': 'Measured', text: d.reading && typeof d.reading.powerW === 'number' ? fmtW(d.reading.powerW) : '—' }),
      ),
    );
}

function renderControl(tbody, s, fallbackS) {
  replace(tbody, ROW_ORDER.flatMap((c) => [componentRow(c, s, fallbackS), ...deviceRows(c, s, fallbackS)]));
}

function renderConstraints(el, s) {
  if (s.constraints.length === 0) {
    replace(el, h('li', { class: 'none', text: 'None — no limit is holding anything back right now.' }));
    return;
  }
  replace(el, s.constraints.map((c) => h('li', {}, h('span', { class: 'no', text: `${COMPONENT_LABEL[c.component] ?? c.component}: ` }), c.message)));
}

/** Renders the whole status page from a /api/state value. */
export function renderStatus(s, site, doc) {
  const fallbackS = site ? site.remoteSignal.fallbackTimeoutS : 60;
  renderCards(doc.getElementById('cards'), s, s.devices);
  renderControl(doc.querySelector('#control-table tbody'), s, fallbackS);
  renderConstraints(doc.getElementById('constraints'), s);
}

/** The header badge: is a live command active, and for how long still. */
export function renderRemoteBadge(el, s) {
  if (s.isRemoteActive) {
    el.className = 'badge remote';
    el.textContent = s.watchdogSecondsLeft !== null ? `live command active · fallback in ${fmtSeconds(s.watchdogSecondsLeft)}` : 'live command active';
  } else {
    el.className = 'badge';
    el.textContent = 'no live command · local defaults';
  }
}
