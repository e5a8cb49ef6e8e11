import { ApiError, createApi, type Identity } from './api.js';
import { parseRoute, routes, type PageContext } from './context.js';
import { byId, h, replace } from './dom.js';
import { sessionList, type View } from './sessionList.js';
import { sessionView, type SessionView } from './sessionView.js';

/**
 * The history page. The API key lives in this tab's sessionStorage only: never in the URL (the
 * page's addresses are fragments naming a session and a version) and never in a cookie, so it is
 * gone when the tab closes and is sent nowhere but in the Authorization header of the page's own
 * requests.
 */
const KEY = 'session-store.api-key';

const main = byId('main');
const who = byId('who');
const notice = byId('notice');

let context: PageContext | undefined;
let current: View | undefined;

/** A message in the status line; it stays through the navigation that follows it, then goes. */
function notify(text: string): void {
  notice.textContent = text;
  notice.dataset.fresh = 'true';
}

function signOut(reason?: string): void {
  sessionStorage.removeItem(KEY);
  context = undefined;
  current?.close();
  current = undefined;
  replace(who);
  showSignIn(reason);
}

function showSignIn(reason?: string): void {
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'api-key-hint' });
  const error = h('p', { class: 'error', role: 'alert' }, reason ?? '');
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h2', { id: 'sign-in-title' }, 'Sign in'),
    h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'API key'), input),
    h('p', { class: 'hint', id: 'api-key-hint' }, 'An API key of this service (sst_…). It is kept in this tab only, until you sign out or close the tab.'),
    error,
    button,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) {
      error.textContent = 'Enter an API key.';
      input.focus();
      return;
    }
    button.disabled = true;
    error.textContent = '';
    signIn(key).then(
      () => {
        sessionStorage.setItem(KEY, key);
        render();
      },
      (failure: unknown) => {
        error.textContent = failure instanceof ApiError ? `This key was not accepted: ${failure.message}` : `Could not reach the service: ${String(failure)}`;
        button.disabled = false;
        input.select();
        input.focus();
      },
    );
  });
  replace(main, form);
  input.focus();
}

async function signIn(key: string): Promise<void> {
  // A key refused once signed in (revoked, expired) signs the tab out; at sign-in, the form says why.
  const api = createApi(key, (detail) => {
    if (context?.api === api) signOut(`Signed out: ${detail}`);
  });
  const identity = await api.json<Identity>('GET', '/v1/whoami');
  context = {
    api,
    identity,
    canWrite: identity.role !== 'read',
    notify,
    navigate: (hash) => {
      if (window.location.hash === hash) render();
      else window.location.hash = hash;
    },
  };
  const signOutButton = h('button', { type: 'button', class: 'small' }, 'Sign out');
  signOutButton.addEventListener('click', () => signOut());
  replace(who, h('span', { class: 'identity' }, `Tenant ${identity.tenant} · ${identity.role} key`), ' ', signOutButton);
}

function render(): void {
  if (!context) return showSignIn();
  const route = parseRoute(window.location.hash);
  if (route.view === 'session') {
    if (!(current && 'sid' in current && (current as SessionView).sid === route.sid)) {
      mount(sessionView(context, route.sid));
      current!.focus();
    }
    (current as SessionView).show(route);
    return;
  }
  if (route.view === 'unknown') {
    notify('That address names nothing on this page: here are the sessions.');
    window.history.replaceState(null, '', routes.list());
  }
  mount(sessionList(context));
  current!.focus();
}

function mount(view: View): void {
  current?.close();
  current = view;
  replace(main, view.element);
}

window.addEventListener('hashchange', () => {
  if (notice.dataset.fresh) delete notice.dataset.fresh;
  else notice.textContent = '';
  render();
});

async function boot(): Promise<void> {
  const key = sessionStorage.getItem(KEY);
  if (!key) return showSignIn();
  try {
    await signIn(key);
    render();
  } catch (failure) {
    signOut(failure instanceof ApiError ? `Signed out: ${failure.message}` : `Could not reach the service: ${String(failure)}`);
  }
}

void boot();
