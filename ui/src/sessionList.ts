import { ApiError, type SessionItem } from './api.js';
import { routes, type PageContext } from './context.js';
import { h, replace } from './dom.js';
import { formatBytes, formatInstant } from './format.js';

const PAGE_SIZE = 25;

/** Kept while the page is open: back from a session, the list is where it was. */
const remembered = { prefix: '', cursors: [undefined] as Array<string | undefined> };

export interface View {
  element: HTMLElement;
  /** Where focus goes when the view is shown. */
  focus(): void;
  close(): void;
}

/** Live sessions, most recently changed first, searched by id prefix, a page at a time. */
export function sessionList(context: PageContext): View {
  const heading = h('h2', { id: 'sessions-title', tabindex: '-1' }, 'Sessions');
  const prefix = h('input', {
    id: 'prefix',
    type: 'search',
    maxlength: 128,
    pattern: '[A-Za-z0-9._:@\\-]*',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'prefix-hint',
  });
  prefix.value = remembered.prefix;
  const form = h(
    'form',
    { role: 'search', class: 'search' },
    h('label', { for: 'prefix' }, 'Session id starts with'),
    h('div', { class: 'search-row' }, prefix, h('button', { type: 'submit' }, 'Search')),
    h('p', { class: 'hint', id: 'prefix-hint' }, 'Letters, digits and . _ : @ -; empty for all sessions.'),
  );
  const error = h('p', { class: 'error', role: 'alert' });
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'sessions cards' },
    h('caption', {}, 'Most recently changed first'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Session'), h('th', { scope: 'col', class: 'num' }, 'Versions'), h('th', { scope: 'col' }, 'Last change'), h('th', { scope: 'col', class: 'num' }, 'Size'))),
    body,
  );
  const newer = h('button', { type: 'button' }, '← Newer');
  const older = h('button', { type: 'button' }, 'Older →');
  const position = h('span', { class: 'page-position', 'aria-live': 'polite' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of sessions' }, newer, position, older);
  const element = h('section', { class: 'list-view', 'aria-labelledby': 'sessions-title' }, heading, form, error, table, pager);

  let next: string | null = null;
  let request = 0;
  let closed = false;

  async function load(): Promise<void> {
    const mine = ++request;
    const page = remembered.cursors.length - 1;
    error.textContent = '';
    table.setAttribute('aria-busy', 'true');
    try {
      const answer = await context.api.json<{ items: SessionItem[]; next: string | null }>('GET', '/v1/sessions', {
        query: { prefix: remembered.prefix || undefined, limit: PAGE_SIZE, cursor: remembered.cursors[page] },
      });
      if (mine !== request || closed) return;
      next = answer.next;
      replace(body, answer.items.length === 0 ? h('tr', {}, h('td', { colspan: 4, class: 'empty' }, remembered.prefix ? `No session id starts with “${remembered.prefix}”.` : 'No sessions yet.')) : answer.items.map(row));
      position.textContent = `Page ${page + 1}`;
      newer.disabled = page === 0;
      older.disabled = next === null;
    } catch (failure) {
      if (mine !== request || closed) return;
      error.textContent = failure instanceof ApiError ? failure.message : `Could not load sessions: ${String(failure)}`;
    } finally {
      if (mine === request) table.removeAttribute('aria-busy');
    }
  }

  function row(item: SessionItem): HTMLElement {
    return h(
      'tr',
      {},
      h('th', { scope: 'row', 'data-label': 'Session' }, h('a', { href: routes.session(item.session_id) }, item.session_id)),
      h('td', { class: 'num', 'data-label': 'Versions' }, item.version.toLocaleString()),
      h('td', { 'data-label': 'Last change' }, h('time', { datetime: item.updated_at, title: item.updated_at }, formatInstant(item.updated_at))),
      h('td', { class: 'num', 'data-label': 'Size' }, formatBytes(item.state_bytes)),
    );
  }

  function search(): void {
    if (!prefix.checkValidity()) {
      error.textContent = 'A session id has only letters, digits and . _ : @ -';
      return;
    }
    if (prefix.value === remembered.prefix && remembered.cursors.length === 1) return void load();
    remembered.prefix = prefix.value;
    remembered.cursors = [undefined];
    void load();
  }

  let typing: ReturnType<typeof setTimeout> | undefined;
  prefix.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(search, 300);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(typing);
    search();
  });
  newer.addEventListener('click', () => {
    if (remembered.cursors.length > 1) remembered.cursors.pop();
    void load();
  });
  older.addEventListener('click', () => {
    if (next === null) return;
    remembered.cursors.push(next);
    void load();
  });
  void load();

  return {
    element,
    focus: () => heading.focus(),
    close: () => {
      closed = true;
      clearTimeout(typing);
    },
  };
}
