// The simulation panel (simulated sites only): weather and an unsteered load, via POST /api/sim.
import { api } from './api.js';
import { fmtDay, fmtTimeSeconds, fmtW } from './format.js';

const CHANGES = {
  cloud: { irradianceWm2: 150 },
  sun: { irradianceWm2: 1000 },
  weather: { irradianceWm2: null },
};
const KETTLE_W = 2000;

export function setUpSimPanel(doc, onError) {
  const panel = doc.getElementById('sim-panel');
  const kettle = panel.querySelector('[data-sim="kettle"]');
  for (const button of panel.querySelectorAll('button[data-sim]')) {
    button.addEventListener('click', async () => {
      const which = button.getAttribute('data-sim');
      const change = which === 'kettle' ? { extraLoadW: kettle.getAttribute('aria-pressed') === 'true' ? 0 : KETTLE_W } : CHANGES[which];
      button.disabled = true;
      try {
        const answer = await api.sim(change);
        renderSim(doc, answer.sim);
      } catch (err) {
        onError(err);
      } finally {
        button.disabled = false;
      }
    });
  }
}

/** Shows the world's state; hides the panel when the site is not simulated. */
export function renderSim(doc, sim) {
  const panel = doc.getElementById('sim-panel');
  panel.hidden = !sim;
  if (!sim) return;
  const kettle = panel.querySelector('[data-sim="kettle"]');
  kettle.setAttribute('aria-pressed', String(sim.extraLoadW >= KETTLE_W));
  const status = doc.getElementById('sim-status');
  status.textContent = `Irradiance ${Math.round(sim.irradianceWm2)} W/m² · outdoor ${sim.temperatureC.toFixed(1)} °C · household ${fmtW(sim.baseLoadW)}${sim.extraLoadW ? ` + extra ${fmtW(sim.extraLoadW)}` : ''} · simulated time ${fmtDay(sim.nowMs)} ${fmtTimeSeconds(sim.nowMs)}`;
}
