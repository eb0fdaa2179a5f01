// The devices page: each device with its nodeId and inclusion in remote control [live §5 steps 2–3],
// and the configuration check (saving comes with the store, later).
import { api, ApiError } from './api.js';
import { h, replace } from './dom.js';
import { fmtTimeSeconds, fmtW, GROUP_LABEL, sourceWord } from './format.js';

/** The static part (from /api/site) and the live columns (from /api/state). */
export function renderDevices(doc, site, state) {
  const byId = new Map((state ? state.devices : []).map((d) => [d.nodeId, d]));
  const rows = site.devices.map((d) => {
    const live = byId.get(d.nodeId);
    const powerW = live && live.reading && typeof live.reading.powerW === 'number' ? live.reading.powerW : null;
    return h(
      'tr',
      { 'data-test': `device-${d.nodeId}` },
      h('td', { text: d.name }),
      h('td', { text: GROUP_LABEL[d.group] ?? d.group }),
      h('td', {}, h('code', { class: 'mono', 'data-test': 'node-id', text: d.nodeId })),
      h('td', { class: 'hint', text: d.summary }),
      h('td', {}, d.isRemoteEnabled ? h('span', { class: 'yes', 'data-test': 'included', text: '✓ included' }) : h('span', { class: 'no', 'data-test': 'included', text: '✗ local only' })),
      h('td', { class: 'nowrap' }, live ? [h('code', { text: live.policy }), ' ', h('span', { class: `src ${live.activeSignal}`, text: sourceWord(live.source) })] : '—'),
      h('td', { class: 'num', text: live && live.readError ? 'not read' : fmtW(powerW) }),
      h('td', { 'data-test': 'link' }, live ? linkCell(live.link) : '—'),
    );
  });
  if (rows.length === 0) rows.push(h('tr', {}, h('td', { text: 'No devices configured.', colSpan: 8 })));
  if (state && state.gridMeter) {
    rows.push(
      h('tr', { 'data-test': 'device-grid-meter' }, h('td', { text: 'Grid meter' }), h('td', { text: 'grid' }), h('td', {}, h('code', { class: 'mono', text: site.siteNodeId })), h('td', {}), h('td', {}), h('td', {}), h('td', { class: 'num', text: state.gridMeter.isOnline ? fmtW(state.state.grid.active_power_W) : 'not read' }), h('td', { 'data-test': 'link' }, linkCell(state.gridMeter))),
    );
  }
  replace(doc.querySelector('#devices-table tbody'), rows);
  const rs = site.remoteSignal;
  replace(
    doc.getElementById('remote-signal-summary'),
    rs.isEnabled
      ? `Remote signal: on · fallback timeout ${rs.fallbackTimeoutS} s · includes ${rs.includedDevices === 'all' ? 'all devices' : `${rs.includedDevices.length} of ${site.devices.length} devices`}.`
      : 'Remote signal: off in the configuration — every command is answered with response_code 16.',
  );
}

const timeOf = fmtTimeSeconds;

/** Driver and communication status: "sunspec · online", or "sunspec · offline since 14:02:11: <why>". */
function linkCell(link) {
  if (link.isOnline) return h('span', { class: 'yes', title: link.lastError ?? '', text: `${link.driver} · online${link.lastError ? ` · ${link.lastError}` : ''}` });
  const since = link.offlineSinceMs !== null ? ` since ${timeOf(link.offlineSinceMs)}` : '';
  return h('span', { class: 'no', title: link.lastGoodReadMs !== null ? `last good read ${timeOf(link.lastGoodReadMs)}` : 'never read', text: `${link.driver} · offline${since}: ${link.lastError ?? 'not read'}` });
}

/** Wires the "check a configuration" box once. */
export function setUpConfigCheck(doc, site) {
  const text = doc.getElementById('config-text');
  const button = doc.getElementById('config-check');
  const result = doc.getElementById('config-result');
  if (!text.value) text.value = JSON.stringify(site.config, null, 2);
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const answer = await api.validateConfig(text.value);
      if (answer.ok) {
        result.className = 'result ok';
        replace(result, h('div', { class: 'headline', text: '✓ This configuration is valid.' }));
      } else {
        result.className = 'result bad';
        replace(
          result,
          h('div', { class: 'headline', text: `✗ ${answer.errors.length} problem${answer.errors.length > 1 ? 's' : ''}:` }),
          h('ul', {}, answer.errors.map((e) => h('li', {}, h('code', { text: e.path }), ` ${e.message}`))),
        );
      }
    } catch (err) {
      result.className = 'result bad';
      const details = err instanceof ApiError && err.body ? err.body.details ?? [] : [];
      replace(result, h('div', { class: 'headline', text: `✗ ${err instanceof Error ? err.message : String(err)}` }), details.length ? h('ul', {}, details.map((d) => h('li', { text: d.message }))) : null);
    } finally {
      button.disabled = false;
    }
  });
}
