// The console: a page per route of the URL's fragment (#/...), each drawn from the public API.

import { credentials, signIn, signOut, signingRequired, region } from './api.js';
import { h, fill, errorBox, announce, nextFocus } from './dom.js';
import { machinesPage, machinePage } from './machines.js';
import { executionsPage, executionPage } from './executions.js';
import { deploymentsPage, deploymentPage } from './deployments.js';
import { alarmsPage } from './alarms.js';

const AUTH_ERRORS = new Set([
  'MissingAuthenticationTokenException', 'UnrecognizedClientException',
  'InvalidSignatureException', 'IncompleteSignatureException', 'SigningUnavailable',
]);

const routes = [
  [/^\/$/, 'machines', machinesPage],
  [/^\/machines\/([^/]+)$/, 'machines', machinePage],
  [/^\/executions$/, 'executions', executionsPage],
  [/^\/executions\/([^/]+)$/, 'executions', executionPage],
  [/^\/deployments$/, 'deployments', deploymentsPage],
  [/^\/deployments\/([^/]+)$/, 'deployments', deploymentPage],
  [/^\/alarms$/, 'alarms', alarmsPage],
];

let generation = 0;
let cleanups = [];

function identity() {
  const slot = document.getElementById('identity');
  slot.replaceChildren();
  const pair = credentials();
  if (pair) {
    slot.append(`Signed in as ${pair.accessKeyId} (${region})`,
      h('button', { type: 'button', onclick: () => { signOut(); render().then(() => document.getElementById('main').focus()); } }, 'Sign out'));
  } else {
    slot.append(signingRequired ? 'Not signed in' : `Region ${region}`);
  }
}

function signInForm(main, message) {
  const id = h('input', { id: 'access-key-id', name: 'access-key-id', autocomplete: 'username', required: true });
  const secret = h('input', { id: 'secret-access-key', name: 'secret-access-key', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', {
    class: 'signin',
    onsubmit: (event) => {
      event.preventDefault();
      signIn(id.value.trim(), secret.value);
      render();
    },
  },
  h('h1', null, 'Sign in'),
  h('p', { class: 'muted' }, `This server signs every request with SigV4 (region ${region}). `
    + 'Give one of the key pairs of its credentials file; it stays in this tab only.'),
  message ? errorBox(message) : null,
  h('label', { for: 'access-key-id' }, 'Access key ID'), id,
  h('label', { for: 'secret-access-key' }, 'Secret access key'), secret,
  h('p', null, h('button', { class: 'primary', type: 'submit' }, 'Sign in')));
  fill(main, form);
  id.focus();
}

export async function render() {
  generation += 1;
  const mine = generation;
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
  identity();
  const main = document.getElementById('main');
  const [path, query = ''] = (location.hash.slice(1) || '/').split('?');
  const params = new URLSearchParams(query);
  const found = routes.map(([pattern, section, page]) => [path.match(pattern), section, page]).find(([match]) => match);
  for (const anchor of document.querySelectorAll('.top nav a')) {
    if (found && anchor.dataset.section === found[1]) anchor.setAttribute('aria-current', 'page');
    else anchor.removeAttribute('aria-current');
  }
  if (signingRequired && !credentials()) {
    signInForm(main);
    return;
  }
  if (!found) {
    fill(main, h('h1', null, 'Not found'), h('p', null, 'No page at this address. ', h('a', { href: '#/' }, 'State machines')));
    return;
  }
  const [match, , page] = found;
  const context = {
    current: () => mine === generation,
    onLeave: (cleanup) => cleanups.push(cleanup),
    // Calls `refresh` every `ms` while the page is shown and `refresh` answers true.
    every(ms, refresh) {
      let timer;
      const tick = async () => {
        if (mine !== generation) return;
        let again = false;
        const kept = keepView();
        try {
          again = await refresh();
          if (mine === generation) kept.restore();
        } catch (error) {
          // Refused credentials end the polling and ask again; anything else is retried.
          if (AUTH_ERRORS.has(error.type)) {
            render();
            return;
          }
          again = true;
        }
        if (again && mine === generation) timer = setTimeout(tick, ms);
      };
      timer = setTimeout(tick, ms);
      cleanups.push(() => clearTimeout(timer));
    },
  };
  try {
    const args = match.slice(1).map(decodeURIComponent);
    await page(main, args, params, context);
    if (mine === generation) {
      document.title = `${document.querySelector('main h1')?.textContent || 'Console'} · Switchback`;
      announce(document.title);
    }
  } catch (error) {
    if (mine !== generation) return;
    if (AUTH_ERRORS.has(error.type)) {
      signOut();
      identity();
      signInForm(main, error);
      return;
    }
    fill(main, h('h1', null, 'Something went wrong'), errorBox(error));
  }
}

// What a redraw of the page in place must not lose: the open <details>, the focused control
// and the scroll position.
function keepView() {
  const main = document.getElementById('main');
  const open = [...main.querySelectorAll('details')].map((details) => details.open);
  const active = document.activeElement;
  const id = active && active !== main && active.id;
  const state = active && active.dataset && active.dataset.state;
  const tag = active && active.tagName;
  const scroll = window.scrollY;
  return {
    restore() {
      main.querySelectorAll('details').forEach((details, index) => {
        if (open[index]) details.open = true;
      });
      const again = id ? document.getElementById(id)
        : state ? main.querySelector(`${tag}[data-state="${CSS.escape(state)}"]`) : null;
      if (again) again.focus({ preventScroll: true });
      window.scrollTo(0, scroll);
    },
  };
}

// A change of address draws the page for it. Focus goes to the page, or stays on the control
// that asked for the change (a filter, a tab) when the new page has it too.
window.addEventListener('hashchange', async () => {
  const keep = nextFocus.id || (document.activeElement && document.activeElement.id);
  nextFocus.id = null;
  await render();
  const again = keep && keep !== 'main' && document.getElementById(keep);
  (again || document.getElementById('main')).focus({ preventScroll: true });
});

// The skip link moves focus; it must not change the address (that would be a route).
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  document.getElementById('main').focus();
});

render();
