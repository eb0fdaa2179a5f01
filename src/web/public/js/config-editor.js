/* global window, CustomEvent, structuredClone */
// Editing the site configuration from the Devices page: add, edit and remove a device, the MQTT
// remote signal, the saved revisions. Every save is a whole config sent to POST /api/config, which
// validates it (every problem, with its path), starts the devices and applies it live; a refused
// one changes nothing. Problems are shown next to the field they belong to.
import { api, ApiError } from './api.js';
import { byId, h, replace } from './dom.js';
import { fmtDayTime, GROUP_LABEL } from './format.js';

const GROUPS = ['solar', 'storage', 'heat_pump', 'switched_load', 'variable_power_load'];
const DRIVERS = { simulated: ['solar', 'storage', 'heat_pump', 'switched_load', 'variable_power_load'], sunspec: ['solar', 'storage'], modbus: ['heat_pump', 'switched_load', 'variable_power_load'], ocpp: ['variable_power_load'] };
/** What a new device of each group starts with (the config schema's required fields). */
const TEMPLATES = {
  solar: { ratedPowerW: 5000 },
  storage: { capacityWh: 10000, maxChargeW: 5000, maxDischargeW: 5000 },
  heat_pump: { ratedPowerW: 2000, minOnS: 600, minOffS: 600 },
  switched_load: { ratedPowerW: 2000 },
  variable_power_load: { phases: 3, minCurrentA: 6, maxCurrentA: 16 },
};
const DRIVER_TEMPLATES = { simulated: {}, sunspec: { host: '192.168.1.20', port: 502, unitId: 1 }, modbus: { host: '192.168.1.30', port: 502, unitId: 1, registers: {} }, ocpp: { chargePointId: 'CP-1' } };

/**
 * A form element of index.html by id (throws when missing, as byId does); typed as an input, the
 * widest of the form elements used here (value, checked, disabled, hidden).
 * @param {Document} _doc
 * @param {string} id
 * @returns {HTMLInputElement}
 */
const $ = (_doc, id) => /** @type {HTMLInputElement} */ (byId(id));
/** @param {unknown} err */
const msg = (err) => (err instanceof Error ? err.message : String(err));

/** The running config (file form, from GET /api/site), kept up to date after each save. */
let running = null;

function parseJsonField(text, what) {
  try {
    const v = text.trim() ? JSON.parse(text) : {};
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v;
  } catch (err) {
    throw new Error(`${what}: ${msg(err)} (a JSON object, e.g. {"ratedPowerW": 5000})`);
  }
}

/** Sends a whole config; resolves with the answer, or shows the problems and resolves null. */
async function save(doc, config, where, fieldOf) {
  const result = $(doc, where);
  for (const el of doc.querySelectorAll('.field-error')) el.remove();
  try {
    const answer = await api.saveConfig(config);
    running = config;
    result.className = 'result ok';
    const restart = answer.restartNeeded.length ? ` Saved; ${answer.restartNeeded.join(', ')} take${answer.restartNeeded.length === 1 ? 's' : ''} effect at the next start.` : '';
    replace(result, h('div', { class: 'headline', 'data-test': 'saved', text: `✓ Applied: revision ${answer.revision ?? '—'}, ${answer.nrDevices} devices.${restart}` }));
    doc.dispatchEvent(new CustomEvent('gp-config-applied'));
    return answer;
  } catch (err) {
    const details = err instanceof ApiError && err.body ? err.body.details ?? [] : [];
    const unplaced = [];
    for (const d of details) {
      const input = fieldOf(d.path);
      if (input) input.after(h('div', { class: 'field-error', 'data-test': 'field-error', text: `${d.path}: ${d.message}` }));
      else unplaced.push(d);
    }
    result.className = 'result bad';
    replace(result, h('div', { class: 'headline', text: `✗ Not saved, nothing changed: ${msg(err)}` }), unplaced.length ? h('ul', {}, unplaced.map((d) => h('li', {}, h('code', { text: d.path }), ` ${d.message}`))) : null);
    return null;
  }
}

function fillDeviceForm(doc, index) {
  const d = index === null ? null : running.devices[index];
  const group = d ? d.group : $(doc, 'dev-group').value || 'solar';
  const source = d ?? { group, name: '', ...TEMPLATES[group] };
  const { name, driver } = source;
  const rest = Object.fromEntries(Object.entries(source).filter(([k]) => k !== 'group' && k !== 'name' && k !== 'driver'));
  const type = driver && driver.type ? driver.type : 'simulated';
  const driverRest = Object.fromEntries(Object.entries(driver ?? {}).filter(([k]) => k !== 'type'));
  $(doc, 'dev-group').value = group;
  $(doc, 'dev-group').disabled = d !== null;
  $(doc, 'dev-name').value = name ?? '';
  $(doc, 'dev-driver').value = type;
  $(doc, 'dev-settings').value = JSON.stringify(rest, null, 2);
  $(doc, 'dev-driver-settings').value = JSON.stringify(driverRest, null, 2);
  $(doc, 'dev-remove').hidden = d === null;
  $(doc, 'dev-title').textContent = d ? `Edit ${d.name ?? `device ${index + 1}`}` : 'Add a device';
}

/** The Devices page's editor: a device picker, its fields, save / remove. */
export function setUpDeviceEditor(doc, site) {
  running = structuredClone(site.config);
  const pick = $(doc, 'dev-pick');
  const refreshPicker = () => {
    replace(pick, h('option', { value: 'new', text: '+ Add a device' }), running.devices.map((d, i) => h('option', { value: String(i), text: `${d.name ?? `device ${i + 1}`} (${GROUP_LABEL[d.group] ?? d.group})` })));
  };
  replace($(doc, 'dev-group'), GROUPS.map((g) => h('option', { value: g, text: GROUP_LABEL[g] ?? g })));
  replace($(doc, 'dev-driver'), Object.keys(DRIVERS).map((t) => h('option', { value: t, text: t })));
  refreshPicker();
  fillDeviceForm(doc, null);
  pick.addEventListener('change', () => fillDeviceForm(doc, pick.value === 'new' ? null : Number(pick.value)));
  $(doc, 'dev-group').addEventListener('change', () => fillDeviceForm(doc, null));
  $(doc, 'dev-driver').addEventListener('change', () => {
    $(doc, 'dev-driver-settings').value = JSON.stringify(DRIVER_TEMPLATES[$(doc, 'dev-driver').value] ?? {}, null, 2);
  });
  const indexNow = () => (pick.value === 'new' ? null : Number(pick.value));
  /** Which input a problem at `devices[i].…` belongs to. */
  const fieldOf = (path) => {
    const i = indexNow() ?? running.devices.length;
    const m = new RegExp(`^devices\\[${i}\\]\\.?([A-Za-z]+)?`).exec(path);
    if (!m) return null;
    if (m[1] === 'name') return $(doc, 'dev-name');
    if (m[1] === 'group') return $(doc, 'dev-group');
    if (m[1] === 'driver') return $(doc, 'dev-driver-settings');
    return $(doc, 'dev-settings');
  };
  /** The device the form describes, or null (the problem shown). */
  const formDevice = () => {
    try {
      const type = $(doc, 'dev-driver').value;
      const device = { group: $(doc, 'dev-group').value, name: $(doc, 'dev-name').value.trim(), ...parseJsonField($(doc, 'dev-settings').value, 'settings') };
      if (type !== 'simulated' || indexNow() !== null) device.driver = { type, ...parseJsonField($(doc, 'dev-driver-settings').value, 'driver settings') };
      return device;
    } catch (err) {
      $(doc, 'dev-result').className = 'result bad';
      replace($(doc, 'dev-result'), h('div', { class: 'headline', text: `✗ ${msg(err)}` }));
      return null;
    }
  };
  $(doc, 'dev-test').addEventListener('click', async () => {
    const device = formDevice();
    if (!device) return;
    const result = $(doc, 'dev-result');
    replace(result, h('div', { class: 'headline', text: 'Testing the connection…' }));
    result.className = 'result';
    try {
      const r = await api.testDevice({ driver: { type: 'simulated' }, ...device });
      result.className = `result ${r.ok ? 'ok' : 'bad'}`;
      replace(
        result,
        h('div', { class: 'headline', 'data-test': 'probe', text: `${r.ok ? '✓' : '✗'} ${r.driver}: ${r.message} (${r.durationMs} ms)` }),
        r.models ? h('ul', {}, r.models.map((m) => h('li', {}, h('code', { text: String(m.id) }), ` ${m.label ?? 'unknown model'}`))) : null,
        r.reading ? h('pre', { class: 'mono', text: JSON.stringify(r.reading, null, 2) }) : null,
      );
    } catch (err) {
      result.className = 'result bad';
      replace(result, h('div', { class: 'headline', text: `✗ ${msg(err)}` }));
    }
  });
  $(doc, 'device-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const device = formDevice();
    if (!device) return;
    const config = structuredClone(running);
    const i = indexNow();
    if (i === null) config.devices.push(device);
    else config.devices[i] = device;
    if (await save(doc, config, 'dev-result', fieldOf)) {
      refreshPicker();
      pick.value = String(i ?? config.devices.length - 1);
      fillDeviceForm(doc, Number(pick.value));
    }
  });
  $(doc, 'dev-remove').addEventListener('click', async () => {
    const i = indexNow();
    if (i === null) return;
    const config = structuredClone(running);
    config.devices.splice(i, 1);
    if (await save(doc, config, 'dev-result', () => null)) {
      refreshPicker();
      fillDeviceForm(doc, null);
    }
  });
  setUpRemoteSignal(doc, site);
  setUpRevisions(doc);
}

/** The original's "MQTT remote signal": broker, credentials, VPP ID (empty for live control), fallback timeout, included devices. */
function setUpRemoteSignal(doc, site) {
  const rs = running.remoteSignal ?? {};
  const mqtt = running.mqtt ?? {};
  $(doc, 'rs-enabled').checked = rs.enabled !== false;
  $(doc, 'rs-vpp').value = rs.vppId ?? '';
  $(doc, 'rs-timeout').value = String(rs.fallbackTimeoutS ?? 60);
  $(doc, 'rs-broker').value = mqtt.brokerUrl ?? '';
  $(doc, 'rs-user').value = mqtt.username ?? '';
  /** One checkbox per device of the site now (GET /api/site), ticked when the remote signal includes it. */
  const renderIncluded = (devices) => {
    const included = (running.remoteSignal ?? {}).includedDevices ?? 'all';
    replace(
      $(doc, 'rs-devices'),
      devices.map((d) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: d.nodeId, checked: included === 'all' || included.includes(d.nodeId), 'data-test': `rs-device-${d.nodeId}` }), ` ${d.name} `, h('code', { class: 'mono', text: d.nodeId }))),
    );
  };
  renderIncluded(site.devices);
  // After a save the site's devices may have changed (main.js fetches the site again).
  doc.addEventListener('gp-site-updated', (event) => renderIncluded(/** @type {CustomEvent} */ (event).detail.devices));
  const fields = { 'remoteSignal.fallbackTimeoutS': 'rs-timeout', 'remoteSignal.vppId': 'rs-vpp', 'remoteSignal.includedDevices': 'rs-devices', 'mqtt.brokerUrl': 'rs-broker', 'mqtt.username': 'rs-user', 'mqtt.password': 'rs-password' };
  $(doc, 'remote-signal-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const config = structuredClone(running);
    const boxes = [...$(doc, 'rs-devices').querySelectorAll('input[type=checkbox]')].map((b) => /** @type {HTMLInputElement} */ (b));
    const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
    config.remoteSignal = { ...config.remoteSignal, enabled: $(doc, 'rs-enabled').checked, vppId: $(doc, 'rs-vpp').value.trim(), fallbackTimeoutS: Number($(doc, 'rs-timeout').value), includedDevices: chosen.length === boxes.length ? 'all' : chosen };
    const broker = $(doc, 'rs-broker').value.trim();
    const user = $(doc, 'rs-user').value.trim();
    const password = $(doc, 'rs-password').value;
    const nextMqtt = { ...config.mqtt };
    if (broker) nextMqtt.brokerUrl = broker;
    else delete nextMqtt.brokerUrl;
    if (user) nextMqtt.username = user;
    else delete nextMqtt.username;
    if (password) nextMqtt.password = password;
    config.mqtt = nextMqtt;
    // Devices are matched by nodeId: the checkboxes mark each device's own inclusion.
    const answer = await save(doc, config, 'rs-result', (path) => (fields[path] ? $(doc, fields[path]) : null));
    if (answer) $(doc, 'rs-password').value = '';
  });
}

function setUpRevisions(doc) {
  const list = $(doc, 'config-revisions');
  const load = async () => {
    let revisions = [];
    try {
      revisions = (await api.configRevisions()).revisions;
    } catch {
      replace(list, h('li', { class: 'hint', text: 'No stored revisions (no data directory).' }));
      return;
    }
    replace(
      list,
      revisions.map((r, i) =>
        h(
          'li',
          { 'data-test': `revision-${r.revision}` },
          `#${r.revision} · ${fmtDayTime(r.savedAtMs)} · ${r.source}${r.sourceDetail ? ` (${r.sourceDetail})` : ''} `,
          i === 0
            ? h('span', { class: 'hint', text: '— in force' })
            : h('button', { type: 'button', class: 'secondary small admin-only', 'data-test': `restore-${r.revision}`, text: 'Restore', onclick: async () => {
                try {
                  await api.restoreConfig(r.revision);
                  window.location.reload();
                } catch (err) {
                  replace($(doc, 'dev-result'), h('div', { class: 'headline', text: `✗ ${msg(err)}` }));
                  $(doc, 'dev-result').className = 'result bad';
                }
              } }),
        ),
      ),
    );
  };
  doc.addEventListener('gp-config-applied', () => void load());
  void load();
}
