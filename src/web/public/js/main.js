/* global document, window, location, WebSocket */
// Boot: load the site and protocol, render, then follow /api/live (reconnecting) for the state.
import { api } from './api.js';
import { fmtTimeSeconds, setSiteTimeZone } from './format.js';
import { setUpDeviceEditor } from './config-editor.js';
import { renderDevices, setUpConfigCheck } from './devices-page.js';
import { setUpIntegrator } from './integrator-page.js';
import { ensureLoggedIn, showUser } from './login.js';
import { createPlanPage } from './plan-page.js';
import { renderSim, setUpSimPanel } from './sim-panel.js';
import { renderRemoteBadge, renderStatus } from './status-page.js';

const PAGES = ['status', 'devices', 'integrator', 'plan'];
const app = { site: null, protocol: null, state: null };
const planPage = createPlanPage(document);

function showPage() {
  const wanted = location.hash.replace('#', '');
  const page = PAGES.includes(wanted) ? wanted : 'status';
  for (const p of PAGES) document.getElementById(`page-${p}`).hidden = p !== page;
  for (const a of document.querySelectorAll('.tabs a')) {
    if (a.getAttribute('data-page') === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  planPage.setVisible(page === 'plan');
}

function setConnection(text, cls) {
  const el = document.getElementById('conn-badge');
  el.textContent = text;
  el.className = `badge conn ${cls}`;
}

function onState(state) {
  app.state = state;
  renderStatus(state, app.site, document);
  renderRemoteBadge(document.getElementById('remote-badge'), state);
  renderSim(document, state.sim);
  if (app.site) renderDevices(document, app.site, state);
  document.getElementById('foot-time').textContent = `Cycle at ${fmtTimeSeconds(state.cycleAtMs)} (controller clock, site time).`;
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
    setConnection(`error: ${err.message}`, 'down');
    return;
  }
  document.getElementById('app-main').hidden = false;
  showPage();
  try {
    const [site, protocol, state] = await Promise.all([api.site(), api.protocol(), api.state().catch(() => null)]);
    app.site = site;
    // Every time the UI shows is site time, whatever the browser's zone.
    if (site.location?.timeZone) setSiteTimeZone(site.location.timeZone);
    app.protocol = protocol;
    document.getElementById('site-id').textContent = site.siteNodeId;
    document.title = `gridpilot · ${site.serial}`;
    setUpIntegrator(document, protocol, site);
    planPage.setSite(site);
    setUpConfigCheck(document, site);
    if (site.isConfigEditable) setUpDeviceEditor(document, site);
    else for (const el of document.querySelectorAll('.config-edit')) el.hidden = true;
    // A saved config is in force: show the new devices (the live stream brings their state).
    document.addEventListener('gp-config-applied', async () => {
      try {
        app.site = await api.site();
        renderDevices(document, app.site, app.state);
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
  connectLive();
}

boot();
