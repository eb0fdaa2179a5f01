/* global URL */
// The integrator page: topics, the getting-started flow [live §5], and a "send a command" form
// that goes through POST /api/command (the same path as MQTT) and shows the feedback.
import { api, ApiError } from './api.js';
import { codeBlock, h, replace } from './dom.js';
import { COMPONENT_LABEL, FEEDBACK_KEY } from './format.js';

const SETPOINT_POLICIES = new Set(['setpoint', 'limit']);
const SETPOINT_HINT = {
  storage: 'W, + charge / − discharge',
  solar: 'W, cap on production',
  variable_power_load: 'W, total EV charging',
  site: 'W, export limit',
};

function hostPort(url) {
  try {
    const u = new URL(url);
    const defaults = { 'mqtt:': '1883', 'mqtts:': '8883', 'ws:': '80', 'wss:': '443' };
    const host = u.hostname === '0.0.0.0' || u.hostname === '' ? '127.0.0.1' : u.hostname;
    return `${host} ${u.port || defaults[u.protocol] || '1883'}`;
  } catch {
    return url;
  }
}

function renderFacts(doc, p) {
  const fact = (label, value, test) => [h('dt', { text: label }), h('dd', { 'data-test': test }, value)];
  replace(
    doc.getElementById('protocol-facts'),
    fact('Broker', [h('code', { text: p.brokerUrl }), p.isEmbeddedBroker ? ` (${p.brokerDescription})` : ' (external)'], 'broker'),
    fact('MQTT over WebSocket', p.wsUrl ? h('code', { text: p.wsUrl }) : 'off', 'ws'),
    fact('MQTT over TLS', p.tlsUrl ? [h('code', { text: p.tlsUrl }), ...(p.wssUrl ? [', secure WebSocket ', h('code', { text: p.wssUrl })] : [])] : 'off', 'tls'),
    fact('Command topic', h('code', { text: p.topics.command }), 'topic-command'),
    fact('Feedback topic', h('code', { text: p.topics.feedback }), 'topic-feedback'),
    fact('Schedule topic', h('code', { text: p.topics.schedule }), 'topic-schedule'),
    fact('Site nodeId', [h('code', { text: p.siteNodeId }), ' — extraTags.nodeId of every command'], 'site-node-id'),
    fact('Fallback timeout', `${p.fallbackTimeoutS} s — re-send a command within this, or every component returns to its local default`, 'fallback'),
  );
}

function renderSteps(doc, p) {
  replace(
    doc.getElementById('steps'),
    h('li', {}, h('b', { text: 'Check the network.' }), ' The broker must be reachable from the integration:', codeBlock(`nc -zv ${hostPort(p.brokerUrl)}`, 'step-nc')),
    h('li', {}, h('b', { text: 'Find the devices.' }), ' The ', h('a', { href: '#devices', text: 'Devices' }), ' page lists every nodeId and whether the remote signal includes it.'),
    h('li', {}, h('b', { text: 'Watch the feedback.' }), ' Every command is answered on the feedback topic:', codeBlock(p.mosquittoSub, 'step-sub')),
    h(
      'li',
      {},
      h('b', { text: 'Send the example.' }),
      ' Solar capped at 5 kW, battery discharging 5 kW — the shell fills in the current time (a stale ',
      h('code', { text: 'time' }),
      ' is refused):',
      codeBlock(p.mosquittoPub, 'step-pub'),
      h('details', {}, h('summary', { text: 'the command message' }), codeBlock(p.exampleCommand, 'example-command')),
    ),
    h('li', {}, h('b', { text: 'See it act.' }), ' The ', h('a', { href: '#status', text: 'Status' }), ' page shows per component whether a live command is active, and the watchdog counting down. Re-send within the fallback timeout to keep control.'),
  );
}

/** The targets a command can address: components, then devices by nodeId [live §3.2]. */
function targetsOf(p, site) {
  const components = Object.keys(p.policies).map((c) => ({ id: c, label: COMPONENT_LABEL[c] ?? c, policies: p.policies[c], group: c }));
  const devices = (site ? site.devices : []).map((d) => ({ id: d.nodeId, label: `${d.name} (${d.nodeId})`, policies: p.policies[d.group] ?? [], group: d.group, isRemoteEnabled: d.isRemoteEnabled }));
  return { components, devices, all: [...components, ...devices] };
}

function commandRow(targets, initial, onChange, onRemove) {
  const target = h(
    'select',
    { 'data-test': 'cmd-target', 'aria-label': 'component or device' },
    h('optgroup', { label: 'Components' }, targets.components.map((t) => h('option', { value: t.id, text: t.label }))),
    targets.devices.length ? h('optgroup', { label: 'Devices' }, targets.devices.map((t) => h('option', { value: t.id, text: t.label + (t.isRemoteEnabled ? '' : ' — not in remote control') }))) : null,
  );
  const policy = h('select', { 'data-test': 'cmd-policy', 'aria-label': 'policy' });
  const setpoint = h('input', { type: 'number', step: 'any', 'data-test': 'cmd-setpoint', 'aria-label': 'setpoint in W', placeholder: 'W' });
  const setpointHint = h('span', { class: 'hint' });
  const fillPolicies = () => {
    const t = targets.all.find((x) => x.id === target.value);
    const previous = policy.value;
    replace(policy, [...(t ? t.policies : []), 'fallback'].map((name) => h('option', { value: name, text: name })));
    if ([...policy.options].some((o) => o.value === previous)) policy.value = previous;
  };
  const syncSetpoint = () => {
    const needs = SETPOINT_POLICIES.has(policy.value);
    setpoint.disabled = !needs;
    const t = targets.all.find((x) => x.id === target.value);
    setpointHint.textContent = needs ? SETPOINT_HINT[t ? t.group : ''] ?? 'W' : 'no setpoint for this policy';
  };
  target.value = initial.target;
  fillPolicies();
  policy.value = initial.policy;
  if (initial.setpointW !== undefined) setpoint.value = String(initial.setpointW);
  syncSetpoint();
  target.addEventListener('change', () => {
    fillPolicies();
    syncSetpoint();
    onChange();
  });
  policy.addEventListener('change', () => {
    syncSetpoint();
    onChange();
  });
  setpoint.addEventListener('input', onChange);
  /** @type {HTMLDivElement & { fields?: () => Record<string, unknown> }} */
  const row = h(
    'div',
    { class: 'row cmd-row', 'data-test': 'cmd-row' },
    h('label', {}, 'Component or device', target),
    h('label', {}, 'Policy', policy),
    h('label', {}, 'Setpoint', setpoint),
    setpointHint,
    h('button', { type: 'button', class: 'secondary', 'data-test': 'cmd-remove', 'aria-label': 'remove this line', text: '×', onclick: () => onRemove(row) }),
  );
  row.fields = () => {
    /** @type {Record<string, string | number | null>} */
    const out = { [`${target.value}_policy`]: policy.value };
    if (SETPOINT_POLICIES.has(policy.value)) out[`${target.value}_power_setpoint_w`] = setpoint.value === '' ? null : Number(setpoint.value);
    return out;
  };
  return row;
}

function resultClass(code) {
  if (code === 0) return 'result ok';
  if (code === 1) return 'result warn';
  return 'result bad';
}

/** Shows a feedback message: code and meaning, errors, what each addressed component executed. */
function renderFeedback(el, feedback, meanings, httpError) {
  const code = feedback.data.response_code;
  el.className = resultClass(code);
  const targets = Object.keys(feedback.fields)
    .filter((k) => k.endsWith('_policy'))
    .map((k) => k.slice(0, -'_policy'.length));
  const state = feedback.data.state;
  const rows = targets.map((t) => {
    const obj = t === 'site' ? state.grid : state[FEEDBACK_KEY[t] ?? t];
    if (!obj) return null;
    const executed = t === 'site' ? `export limit ${obj.export_limit_W} W` : typeof obj.executed_power_W === 'number' ? `${obj.executed_power_W} W` : '—';
    const measured = typeof obj.active_power_W === 'number' ? `${obj.active_power_W} W` : '—';
    return h(
      'tr',
      { 'data-test': `exec-${t}` },
      h('td', {}, h('code', { text: t })),
      h('td', {}, h('code', { 'data-test': 'exec-policy', text: t === 'site' ? feedback.fields.site_policy : obj.executed_policy })),
      h('td', { class: 'num', 'data-test': 'exec-power', text: executed }),
      h('td', { class: 'num', text: measured }),
    );
  });
  const errors = feedback.data.errors ?? [];
  replace(
    el,
    h('div', { class: 'headline', 'data-test': 'command-code', text: `response_code ${code} — ${meanings[String(code)] ?? ''}` }),
    httpError ? h('div', { class: 'hint', text: `HTTP ${httpError.status}: ${httpError.message}` }) : null,
    errors.length ? h('ul', { 'data-test': 'command-errors' }, errors.map((e) => h('li', {}, h('code', { text: e.field }), ` ${e.message}`))) : null,
    rows.some(Boolean)
      ? h('table', {}, h('thead', {}, h('tr', {}, h('th', { text: 'target' }), h('th', { text: 'executed policy' }), h('th', { class: 'num', text: 'executed' }), h('th', { class: 'num', text: 'measured' }))), h('tbody', {}, rows))
      : null,
    h('details', {}, h('summary', { text: 'the whole feedback message' }), h('pre', { 'data-test': 'command-feedback', text: JSON.stringify(feedback, null, 2) })),
  );
}

/** Renders the integrator page and wires the command form (once). */
export function setUpIntegrator(doc, p, site) {
  renderFacts(doc, p);
  renderSteps(doc, p);
  const targets = targetsOf(p, site);
  const rowsEl = doc.getElementById('command-rows');
  const json = doc.getElementById('command-json');
  const result = doc.getElementById('command-result');
  const form = doc.getElementById('command-form');
  const sync = () => {
    const fields = Object.assign({}, ...[...rowsEl.children].map((r) => /** @type {{ fields: () => Record<string, unknown> }} */ (/** @type {unknown} */ (r)).fields()));
    json.value = JSON.stringify(fields, null, 2);
  };
  const remove = (row) => {
    row.remove();
    sync();
  };
  const addRow = (initial) => rowsEl.append(commandRow(targets, initial, sync, remove));
  // [live §5 step 5]: "battery: charge at 5 kW" and "solar: 0 kW".
  addRow({ target: 'storage', policy: 'setpoint', setpointW: 5000 });
  addRow({ target: 'solar', policy: 'setpoint', setpointW: 0 });
  sync();
  doc.getElementById('add-row').addEventListener('click', () => {
    addRow({ target: 'heat_pump', policy: 'power_on' });
    sync();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const send = doc.getElementById('command-send');
    send.disabled = true;
    try {
      renderFeedback(result, await api.command(json.value), p.responseCodes, null);
    } catch (err) {
      if (err instanceof ApiError && err.body && err.body.feedback) {
        renderFeedback(result, err.body.feedback, p.responseCodes, err);
      } else {
        result.className = 'result bad';
        const details = err instanceof ApiError && err.body ? err.body.details ?? [] : [];
        replace(result, h('div', { class: 'headline', 'data-test': 'command-code', text: `not sent: ${err instanceof Error ? err.message : String(err)}` }), details.length ? h('ul', {}, details.map((d) => h('li', { text: `${d.path}: ${d.message}` }))) : null);
      }
    } finally {
      send.disabled = false;
    }
  });
}
