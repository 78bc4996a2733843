// Building the page from data without innerHTML: every value reaches the page as text.

const SVG = 'http://www.w3.org/2000/svg';

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

function apply(element, attributes) {
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  return element;
}

// Replaces `element`'s children, skipping null, undefined and false as h() does.
export function fill(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

// An HTML element: h('a', { href: '#/' }, 'text', child, ...).
export function h(tag, attributes, ...children) {
  return append(apply(document.createElement(tag), attributes), children);
}

// An SVG element.
export function s(tag, attributes, ...children) {
  return append(apply(document.createElementNS(SVG, tag), attributes), children);
}

export function badge(status, text) {
  return h('span', { class: `badge s-${status}` }, text ?? status);
}

export function date(seconds) {
  if (seconds === undefined || seconds === null) return '';
  const value = new Date(seconds * 1000);
  return value.toISOString().replace('T', ' ').replace('Z', '').slice(0, 23);
}

export function duration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60000);
  const seconds = Math.round((ms % 60000) / 1000);
  return minutes < 60 ? `${minutes} min ${seconds} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function percent(part, whole) {
  if (!whole) return '–';
  return `${((100 * part) / whole).toFixed(part === whole || part === 0 ? 0 : 1)} %`;
}

// The last part of an ARN after `:` (a name, a version number, an alias).
export function tail(arn) {
  return String(arn || '').split(':').pop();
}

// `arn:...:stateMachine:Name` of a version, alias or machine ARN.
export function machineOf(arn) {
  const parts = String(arn || '').split(':');
  return parts.slice(0, 7).join(':');
}

export function link(route, text, attributes) {
  return h('a', { href: `#${route}`, ...attributes }, text);
}

export function pretty(text) {
  if (text === undefined || text === null) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return String(text);
  }
}

export function errorBox(error) {
  return h('div', { class: 'error-box', role: 'alert' },
    h('strong', null, error.type || 'Error'), ': ', error.message || String(error));
}

export function card(label, value) {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value));
}

// A bar of weights: [{ label, weight }], labelled for screen readers.
export function weightBar(routes) {
  const text = routes.map((route) => `${route.label}: ${route.weight} %`).join(', ');
  const bar = h('div', { class: 'weights', role: 'img', 'aria-label': text, title: text });
  for (const route of routes) {
    const part = h('span', null, route.weight >= 15 ? `${route.label} ${route.weight}%` : '');
    part.style.width = `${route.weight}%`;
    bar.append(part);
  }
  return bar;
}

export function table(headings, rows, { caption, numeric = [] } = {}) {
  return h('table', null,
    caption ? h('caption', { class: 'sr-only' }, caption) : null,
    h('thead', null, h('tr', null, headings.map((heading, index) =>
      h('th', { scope: 'col', class: numeric.includes(index) ? 'num' : null }, heading)))),
    h('tbody', null, rows.map((cells) => h('tr', null, cells.map((cell, index) =>
      h('td', { class: numeric.includes(index) ? 'num' : null }, cell))))));
}

export function announce(text) {
  const status = document.getElementById('status');
  if (status) status.textContent = text;
}

// The query of the current address's fragment (`#/path?query`), read when it is needed: two
// quick changes of the filters must both count, whatever page drew the controls.
// The control to focus once the next page is drawn, when it is not the one focused now (a tab
// chosen with the arrow keys).
export const nextFocus = { id: null };

export function currentQuery() {
  return new URLSearchParams(location.hash.split('?')[1] || '');
}
