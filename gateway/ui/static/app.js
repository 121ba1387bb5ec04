// The dashboard's shell: a hash router (each view has its own shareable URL, filters in it),
// the sign-in form, and the error/loading frame every view is drawn in.
import { ApiError, credential, signIn, signOut } from './api.js';
import { failure, h } from './dom.js';
import { route } from './router.js';
import * as overview from './views/overview.js';
import * as runs from './views/runs.js';
import * as batch from './views/batch.js';
import * as run from './views/run.js';
import * as live from './views/live.js';

const VIEWS = { overview, runs, batch, run, live };
const main = document.getElementById('main');
let dispose = null;

function who() {
  const slot = document.getElementById('who');
  const c = credential();
  slot.replaceChildren(c
    ? h('button', { type: 'button', class: 'link', onclick: () => { signOut(); render(); } },
      `Sign out (${c.kind === 'apiKey' ? 'API key' : 'token'})`)
    : '');
}

function signInForm(message) {
  const kind = h('select', { id: 'cred-kind' },
    h('option', { value: 'apiKey' }, 'API key'), h('option', { value: 'token' }, 'Bearer token'));
  const value = h('input', { id: 'cred-value', type: 'password', autocomplete: 'off', required: true });
  const form = h('form', { class: 'signin', onsubmit: (e) => {
    e.preventDefault();
    signIn(kind.value, value.value.trim());
    render();
  } },
  h('h1', { tabindex: -1 }, 'Sign in'),
  h('p', { role: 'alert', class: 'error' }, message),
  h('p', {}, 'The dashboard reads the gateway\u2019s API as you: use your API key or token. ',
    'It is kept in this browser tab only (sessionStorage).'),
  h('label', { for: 'cred-kind' }, 'Credential'), kind,
  h('label', { for: 'cred-value' }, 'Value'), value,
  h('button', { type: 'submit' }, 'Sign in'));
  return form;
}

function askToSignIn(err) {
  const expired = /expired/i.test(err.message);
  const msg = expired ? `Your credential has expired: ${err.message}. Enter a new one.`
    : credential() ? `The gateway refused this credential: ${err.message}.` : 'This gateway needs a credential.';
  if (dispose) { dispose(); dispose = null; }
  main.replaceChildren(signInForm(msg));
  who();
}

export async function render() {
  if (dispose) { dispose(); dispose = null; }
  const r = route();
  const view = VIEWS[r.name];
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === r.name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  who();
  const frame = h('div', { class: 'view', 'data-view': r.name });
  main.replaceChildren(frame);
  if (!view) {
    frame.append(h('h1', {}, 'Not found'), h('p', {}, 'No such view. ', h('a', { href: '#/overview' }, 'Overview')));
    return;
  }
  try {
    dispose = (await view.render(frame, r)) || null;
  } catch (err) {
    if (!frame.isConnected) return;
    if (err instanceof ApiError && err.code === 'UNAUTHENTICATED') askToSignIn(err);
    else frame.append(failure(err));
  }
  const heading = main.querySelector('h1');
  if (heading) { document.title = `${heading.textContent} · runs gateway`; }
}

window.addEventListener('ui:signin', (e) => askToSignIn(e.detail));
window.addEventListener('hashchange', () => { render().then(() => main.focus({ preventScroll: true })); });
render();
