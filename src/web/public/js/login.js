/* global document, window */
// The login screen: first run (set the admin password), login, logout. The session is an http-only
// cookie the page never sees; every API answer 401 brings this screen back.
import { api, ApiError } from './api.js';
import { byId } from './dom.js';

/**
 * @param {string} id
 * @returns {HTMLInputElement}
 */
const $ = (id) => /** @type {HTMLInputElement} */ (byId(id));

/** @param {unknown} err */
const msg = (err) => (err instanceof Error ? err.message : String(err));

/** Resolves with the logged-in user ({ name, role }) once there is a session. */
export async function ensureLoggedIn() {
  // A server built without login (a library user's own) says so: its user is `isOpen`.
  const state = await api.authState();
  if (state.user) return state.user;
  return showLogin(state);
}

function showLogin(state) {
  const isSetup = !state.isSetUp;
  $('app-main').hidden = true;
  $('login').hidden = false;
  $('h-login').textContent = isSetup ? 'Set the admin password' : 'Log in';
  document.body.classList.add('logged-out');
  $('login-hint').textContent = isSetup
    ? 'First run: choose the password of the admin account (at least 8 characters). It is stored hashed (scrypt) in the data directory; reset it later with: gridpilot web passwd admin'
    : 'Log in with your gridpilot web account.';
  $('login-user-row').hidden = isSetup;
  $('login-confirm-row').hidden = !isSetup;
  $('login-code-row').hidden = !(isSetup && state.needsSetupCode);
  $('login-submit').textContent = isSetup ? 'Set password and log in' : 'Log in';
  $('login-password').setAttribute('autocomplete', isSetup ? 'new-password' : 'current-password');
  $('login-password').focus();
  return new Promise((resolve) => {
    const form = $('login-form');
    const onSubmit = async (event) => {
      event.preventDefault();
      const result = $('login-result');
      result.textContent = '';
      const password = $('login-password').value;
      try {
        let answer;
        if (isSetup) {
          if (password !== $('login-confirm').value) throw new Error('the two passwords differ');
          const code = $('login-code').value.trim();
          answer = await api.setup({ password, ...(code ? { setupCode: code } : {}) });
        } else {
          answer = await api.login({ user: $('login-user').value.trim() || 'admin', password });
        }
        form.removeEventListener('submit', onSubmit);
        $('login-password').value = '';
        $('login-confirm').value = '';
        $('login').hidden = true;
        document.body.classList.remove('logged-out');
        resolve(answer.user);
      } catch (err) {
        result.textContent = err instanceof ApiError || err instanceof Error ? msg(err) : String(err);
        result.className = 'result bad';
      }
    };
    form.addEventListener('submit', onSubmit);
  });
}

/** Shows who is logged in, with a logout button; hides what a viewer may not do. */
export function showUser(user) {
  if (user.isOpen) return;
  $('user-box').hidden = false;
  $('user-name').textContent = `${user.name} (${user.role})`;
  document.body.classList.toggle('role-viewer', user.role !== 'admin');
  $('logout').onclick = async () => {
    await api.logout().catch(() => undefined);
    window.location.reload();
  };
}
