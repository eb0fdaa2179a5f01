/* global document, navigator, Node, setTimeout, window */
// Tiny DOM helpers: elements are built with text nodes only (no innerHTML), so data cannot inject markup.

/**
 * Creates an element. `attrs`: `class`, `text`, `data-*`, `aria-*`, properties such as `hidden`,
 * `value`, `disabled`; `on<event>` functions become listeners. Children: nodes, strings, null (skipped), arrays.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...unknown} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = String(value);
    else if (key === 'text') el.textContent = String(value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key.startsWith('data-') || key.startsWith('aria-') || key === 'role' || key === 'title' || key === 'for' || key === 'type' || key === 'name') el.setAttribute(key, String(value));
    else el[key] = value;
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/**
 * The element with this id; throws when the page has none (a missing element is a bug in index.html, not a state to carry on in).
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el;
}

/** Replaces all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** A <pre> block with a "copy" button. */
export function codeBlock(text, testId) {
  const pre = h('pre', { 'data-test': testId }, h('code', { text }));
  const button = h('button', {
    type: 'button',
    class: 'copy',
    text: 'copy',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = 'copied';
      } catch {
        button.textContent = 'select and copy';
      }
      setTimeout(() => (button.textContent = 'copy'), 1500);
    },
  });
  return h('div', { class: 'code' }, pre, button);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Creates an SVG element. Every attribute is set with setAttribute (the CSP forbids inline styles:
 * colours come from style.css classes); `text` sets the text content. Children as for {@link h}.
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...unknown} children
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') el.textContent = String(value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/**
 * A panel's refresh while it is shown: `setVisible(true)` loads at once and then every
 * `intervalMs` while the tab is not hidden; `setVisible(false)` stops it.
 * @param {Document} doc
 * @param {() => Promise<void>} load
 * @param {number} intervalMs
 * @returns {(visible: boolean) => void}
 */
export function refreshWhileVisible(doc, load, intervalMs) {
  /** @type {number | undefined} */
  let timer;
  let isVisible = false;
  return (visible) => {
    if (visible === isVisible) return;
    isVisible = visible;
    window.clearInterval(timer);
    if (!visible) return;
    void load();
    timer = window.setInterval(() => {
      if (!doc.hidden) void load();
    }, intervalMs);
  };
}
