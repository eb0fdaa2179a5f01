/* global document, window, location, WebSocket, CustomEvent */
// Boot: load the site and protocol, render, then follow /api/live (reconnecting) for the state.
import { api } from './api.js';
import { setUpDeviceEditor } from './config-editor.js';
import { byId } from './dom.js';
import { fmtTimeSeconds, setSiteTimeZone, zoneSentence } from './format.js';
import { renderDevices, setUpConfigCheck } from './devices-page.js';
import { setUpIntegrator } from './integrator-page.js';
import { ensureLoggedIn, showUser } from './login.js';
import { createPlanPage } from './plan-page.js';
import { renderSim, setUpSimPanel } from './sim-panel.js';
import { renderRemoteBadge, renderStatus } from './status-page.js';
import { renderFlow } from './overview-flow.js';
import { createEnergyPanel } from './overview-energy.js';
import { createHistoryPage } from './history-page.js';
import { createCommandsPage } from './commands-page.js';
import { createSchedulePage } from './schedule-page.js';

/** `status` is the Overview (its old name stays the hash, so links keep working). */
const PAGES = ['status', 'history', 'commands', 'schedule', 'devices', 'integrator', 'plan'];
const app = { site: null, protocol: null, state: null };
const planPage = createPlanPage(document);
const energyPanel = createEnergyPanel(document);
const historyPage = createHistoryPage(document);
const commandsPage = createCommandsPage(document);
const schedulePage = createSchedulePage(document);
/** The controller clock's now (simulated time at --speed): the last state's time, moved on by the browser's clock since. */
let clockOffsetMs = 0;
let isBooted = false;
historyPage.setClock(() => Date.now() + clockOffsetMs);

function showPage() {
  const wanted = location.hash.replace('#', '');
  const page = PAGES.includes(wanted) ? wanted : 'status';
  for (const p of PAGES) byId(`page-${p}`).hidden = p !== page;
  for (const a of document.querySelectorAll('.tabs a')) {
    if (a.getAttribute('data-page') === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // The data pages load once the site (its time zone) is known.
  if (!isBooted) return;
  planPage.setVisible(page === 'plan');
  energyPanel.setVisible(page === 'status');
  historyPage.setVisible(page === 'history');
  commandsPage.setVisible(page === 'commands');
  schedulePage.setVisible(page === 'schedule');
}

function setConnection(text, cls) {
  const el = byId('conn-badge');
  el.textContent = text;
  el.className = `badge conn ${cls}`;
}

function onState(state) {
  app.state = state;
  clockOffsetMs = state.time * 1000 - Date.now();
  renderFlow(byId('flow'), state);
  renderStatus(state, app.site, document);
  renderRemoteBadge(byId('remote-badge'), state);
  renderSim(document, state.sim);
  if (app.site) renderDevices(document, app.site, state);
  byId('foot-time').textContent = `Cycle at ${fmtTimeSeconds(state.cycleAtMs)} (controller clock, site time).`;
}

function showError(err) {
  setConnection(`error: ${err.message}`, 'down');
}

/** Follows /api/live; reconnects with backoff (1 s … 10 s) while the page is open. */
function connectLive(attempt = 0) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${scheme}//${location.host}/api/live`);
  ws.addEventListener('open', () => {
    attempt = 0;
    setConnection('live', 'live');
  });
  ws.addEventListener('message', (event) => {
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      return;
    }
    if (msg && msg.type === 'state') onState(msg.data);
  });
  ws.addEventListener('close', () => {
    setConnection('reconnecting…', 'down');
    const delay = Math.min(10_000, 1000 * 2 ** attempt);
    window.setTimeout(() => connectLive(attempt + 1), delay);
  });
}

async function boot() {
  window.addEventListener('hashchange', () => {
    showPage();
    window.scrollTo(0, 0);
  });
  try {
    showUser(await ensureLoggedIn());
  } catch (err) {
    setConnection(`error: ${err instanceof Error ? err.message : String(err)}`, 'down');
    return;
  }
  byId('app-main').hidden = false;
  showPage();
  try {
    const [site, protocol, state] = await Promise.all([api.site(), api.protocol(), api.state().catch(() => null)]);
    app.site = site;
    // Every time the UI shows is site time, whatever the browser's zone.
    if (site.location?.timeZone) setSiteTimeZone(site.location.timeZone);
    byId('overview-zone').textContent = zoneSentence();
    app.protocol = protocol;
    for (const p of [energyPanel, historyPage, commandsPage]) p.setAvailable(site.hasHistory === true);
    byId('site-id').textContent = site.siteNodeId;
    document.title = `gridpilot · ${site.serial}`;
    setUpIntegrator(document, protocol, site);
    planPage.setSite(site);
    setUpConfigCheck(document, site);
    if (site.isConfigEditable) setUpDeviceEditor(document, site);
    else for (const el of document.querySelectorAll('.config-edit')) /** @type {HTMLElement} */ (el).hidden = true;
    // A saved config is in force: show the new devices (the live stream brings their state).
    document.addEventListener('gp-config-applied', async () => {
      try {
        app.site = await api.site();
        renderDevices(document, app.site, app.state);
        document.dispatchEvent(new CustomEvent('gp-site-updated', { detail: app.site }));
      } catch (err) {
        showError(err);
      }
    });
    setUpSimPanel(document, showError);
    renderDevices(document, site, state);
    if (state) onState(state);
  } catch (err) {
    console.warn('gridpilot: could not load the site', err);
    showError(err);
  }
  isBooted = true;
  showPage();
  connectLive();
}

boot();
