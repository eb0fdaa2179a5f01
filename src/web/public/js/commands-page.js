/* global FormData */
// The Command log page (#commands): every command, schedule and price message the controller
// answered (MQTT and the web alike), newest first, from GET /api/commands; filterable, and paged
// back with "Older…".
import { api } from './api.js';
import { h, replace } from './dom.js';
import { fmtDay, fmtTimeSeconds, fmtW, NO_STORE, zoneSentence } from './format.js';

/** @typedef {import('../../history-routes.ts').CommandLogItem} CommandLogItem */
/** @typedef {import('../../history-routes.ts').CommandsAnswer} CommandsAnswer */

const PAGE_SIZE = 50;

/**
 * What a row executed, in a few words ("storage setpoint 2.00 kW · solar …").
 * @param {CommandLogItem} r
 */
function executedWords(r) {
  if (!r.executed) return '—';
  if (r.kind === 'prices') return r.executed.prices ? `${r.executed.prices.slots} price slots stored` : '—';
  if (r.kind === 'schedule') return r.executed.schedule ? `${r.executed.schedule.slots} schedule slots stored` : '—';
  // What the components did after the command: those a command or the schedule drives, or that moved power.
  const shown = Object.entries(r.executed.components).filter(([, c]) => (c.activeSignal !== undefined && c.activeSignal !== 'local') || Math.abs(c.executedW) >= 1);
  if (shown.length === 0) return 'nothing moves: local defaults';
  return shown.map(([k, c]) => `${k} ${c.policy} ${fmtW(c.executedW)}${c.activeSignal && c.activeSignal !== 'local' ? ` (${c.activeSignal})` : ''}`).join(' · ');
}

/** @param {CommandLogItem} r */
function row(r) {
  const isRejected = r.responseCode >= 10;
  return h(
    'tr',
    { class: isRejected ? 'rejected' : '', 'data-test': 'log-row', 'data-command-id': r.commandId ?? '' },
    h('td', { 'data-label': 'Time', class: 'nowrap' }, `${fmtDay(r.receivedAtMs)} ${fmtTimeSeconds(r.receivedAtMs)}`),
    h('td', { 'data-label': 'Source', 'data-test': 'log-source' }, r.source, r.actor ? h('span', { class: 'no', text: ` (${r.actor})` }) : null, r.isRetained ? h('span', { class: 'no', text: ' retained' }) : null),
    h('td', { 'data-label': 'Kind', 'data-test': 'log-kind', text: r.kind }),
    h(
      'td',
      { 'data-label': 'Response' },
      h('span', { class: `code ${isRejected ? 'bad' : 'ok'}`, 'data-test': 'log-code', text: String(r.responseCode) }),
      ' ',
      h('span', { class: 'no', text: r.responseMeaning }),
    ),
    h(
      'td',
      { 'data-label': 'Errors', 'data-test': 'log-errors' },
      r.errors.length ? h('ul', { class: 'errors' }, r.errors.map((e) => h('li', {}, h('code', { text: e.field }), `: ${e.message}`))) : h('span', { class: 'no', text: '—' }),
    ),
    h('td', { 'data-label': 'Executed', text: executedWords(r) }),
    h('td', { 'data-label': 'Command id' }, h('code', { class: 'id', text: r.commandId ?? '—' })),
  );
}

/** @param {Document} doc */
export function createCommandsPage(doc) {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (doc.getElementById(id));
  const form = /** @type {HTMLFormElement} */ ($('log-filter'));
  const tbody = /** @type {HTMLElement} */ (doc.querySelector('#log-table tbody'));
  const more = /** @type {HTMLButtonElement} */ ($('log-more'));
  const status = $('log-status');
  /** @type {string | null} */
  let next = null;
  let isVisible = false;
  let isAvailable = true;
  let seq = 0;

  /** The filter form as query parameters (empty fields left out). */
  function filters() {
    const data = new FormData(form);
    /** @type {Record<string, string>} */
    const q = { limit: String(PAGE_SIZE) };
    for (const key of ['kind', 'source', 'commandId']) {
      const v = String(data.get(key) ?? '').trim();
      if (v) q[key] = v;
    }
    if (data.get('rejected')) q.rejected = 'true';
    return q;
  }

  /** @param {boolean} isMore  append the next (older) page instead of starting over */
  async function load(isMore) {
    if (!isAvailable) {
      more.hidden = true;
      status.textContent = `The command log is kept in the store. ${NO_STORE}`;
      return;
    }
    const q = filters();
    if (isMore && next) q.before = next;
    const mine = ++seq;
    status.textContent = 'Loading…';
    more.disabled = true;
    try {
      /** @type {CommandsAnswer} */
      const page = await api.commands(q);
      if (mine !== seq) return;
      if (!isMore) replace(tbody);
      tbody.append(...page.rows.map(row));
      next = page.next;
      more.hidden = next === null;
      more.disabled = false;
      const shown = tbody.children.length;
      status.textContent = shown === 0 ? 'No logged message matches.' : `${shown} shown, newest first.${next ? '' : ' That is all.'}`;
      $('log-zone').textContent = zoneSentence();
    } catch (err) {
      if (mine !== seq) return;
      const e = /** @type {import('./api.js').ApiError} */ (err);
      more.hidden = true;
      status.textContent = e.status === 404 ? `The command log needs the store: ${e.message}.` : `Could not load the command log: ${e.message}`;
    }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void load(false);
  });
  form.addEventListener('change', () => void load(false));
  more.addEventListener('click', () => void load(true));

  return {
    /** @param {boolean} hasHistory  whether the server has a store (GET /api/site `hasHistory`) */
    setAvailable(hasHistory) {
      isAvailable = hasHistory;
    },
    /** @param {boolean} visible */
    setVisible(visible) {
      const wasVisible = isVisible;
      isVisible = visible;
      if (visible && !wasVisible) void load(false);
    },
  };
}
