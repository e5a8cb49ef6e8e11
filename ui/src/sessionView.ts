import { ApiError, idempotencyKey, sessionPath, type HistoryItem, type PatchOperation, type WriteAnswer } from './api.js';
import { routes, SESSION_ID, type PageContext } from './context.js';
import { openDialog } from './dialogs.js';
import { diffView } from './diffView.js';
import { h, replace, type Child } from './dom.js';
import { followSession, type Feed, type FeedMode } from './feed.js';
import { formatBytes, formatInstant, plural } from './format.js';
import { collapseAll, expandAll, jsonTree } from './jsonTree.js';
import type { View } from './sessionList.js';

const HISTORY_PAGE = 50;
/** How often a page whose server has no change feed asks for new versions. */
export const POLL_MS = 3000;

export interface SessionRoute {
  version?: number;
  diff?: { from: number; to: number };
}

export interface SessionView extends View {
  sid: string;
  show(route: SessionRoute): void;
}

const message = (failure: unknown): string => (failure instanceof Error ? failure.message : String(failure));

/**
 * One session: its timeline (newest first, following new versions live), the state at a chosen
 * version, the diff between two versions, and, for a key that may write, restore, fork and delete.
 */
export function sessionView(context: PageContext, sid: string): SessionView {
  const { api } = context;
  let items: HistoryItem[] = [];
  let olderBefore: number | null = null;
  let head = 0;
  let deleted = false;
  let closed = false;
  let feed: Feed | undefined;
  let route: SessionRoute = {};
  let shownVersion = 0;
  let loadToken = 0;
  let diffToken = 0;
  let followTimer: ReturnType<typeof setTimeout> | undefined;

  // Header
  const heading = h('h2', { id: 'session-title', tabindex: '-1' }, h('span', { class: 'sr-only' }, 'Session '), sid);
  const facts = h('p', { class: 'facts' });
  const feedStatus = h('p', { class: 'feed-status', id: 'feed-status', role: 'status' }, 'Connecting…');
  const banner = h('div', { class: 'banner', role: 'alert', hidden: true });
  const error = h('p', { class: 'error', role: 'alert' });
  const deleteButton = h('button', { type: 'button', class: 'danger' }, 'Delete session…');
  const headerActions = context.canWrite ? h('div', { class: 'actions' }, deleteButton) : h('p', { class: 'hint read-only' }, 'This key may read only: restore, fork and delete are not offered.');

  // Timeline
  const timelineBody = h('tbody');
  const timeline = h(
    'table',
    { class: 'timeline cards' },
    h('caption', { class: 'sr-only' }, 'Versions, newest first'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Version'),
        h('th', { scope: 'col' }, 'Time'),
        h('th', { scope: 'col' }, 'Kind'),
        h('th', { scope: 'col' }, 'Message'),
        h('th', { scope: 'col', class: 'num' }, 'Change'),
        h('th', { scope: 'col', class: 'num' }, 'Size'),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Compare')),
      ),
    ),
    timelineBody,
  );
  const olderButton = h('button', { type: 'button', hidden: true }, 'Load older versions');

  // The version panel
  const versionTitle = h('h3', { id: 'version-title', tabindex: '-1' }, 'Version');
  const versionMeta = h('dl', { class: 'meta' });
  const versionActions = h('div', { class: 'actions' });
  const treeTools = h(
    'div',
    { class: 'tree-tools' },
    h('button', { type: 'button', class: 'small', on: { click: () => tree.firstElementChild && expandAll(tree.firstElementChild as HTMLElement) } }, 'Expand all'),
    h('button', { type: 'button', class: 'small', on: { click: () => tree.firstElementChild && collapseAll(tree.firstElementChild as HTMLElement) } }, 'Collapse all'),
  );
  const tree = h('div', { id: 'state-tree', class: 'state-tree', 'aria-label': 'State', role: 'region' });
  const versionPanel = h('section', { class: 'panel version-panel', 'aria-labelledby': 'version-title' }, versionTitle, versionMeta, versionActions, treeTools, tree);

  // The compare panel
  const fromInput = h('input', { id: 'diff-from', type: 'number', min: 1, required: true, inputmode: 'numeric' });
  const toInput = h('input', { id: 'diff-to', type: 'number', min: 1, required: true, inputmode: 'numeric' });
  const compareForm = h(
    'form',
    { class: 'compare-form' },
    h('div', { class: 'field' }, h('label', { for: 'diff-from' }, 'From version'), fromInput),
    h('div', { class: 'field' }, h('label', { for: 'diff-to' }, 'To version'), toInput),
    h('button', { type: 'submit' }, 'Compare'),
  );
  const diffResult = h('div', { id: 'diff-result', class: 'diff-result', 'aria-live': 'polite' });
  const comparePanel = h('section', { class: 'panel compare-panel', 'aria-labelledby': 'compare-title' }, h('h3', { id: 'compare-title', tabindex: '-1' }, 'Compare versions'), compareForm, diffResult);

  const element = h(
    'section',
    { class: 'session-view', 'aria-labelledby': 'session-title' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: routes.list() }, 'Sessions'), ' / ', h('span', { 'aria-current': 'page' }, sid)),
    h('div', { class: 'session-head' }, h('div', {}, heading, facts, feedStatus), headerActions),
    banner,
    error,
    h(
      'div',
      { class: 'session-grid' },
      h('section', { class: 'panel timeline-panel', 'aria-labelledby': 'timeline-title' }, h('h3', { id: 'timeline-title' }, 'Timeline'), h('div', { class: 'scroll' }, timeline), olderButton),
      h('div', { class: 'detail' }, versionPanel, comparePanel),
    ),
  );

  // ---- timeline

  function markers(item: HistoryItem): Child {
    if (item.restored_from !== undefined) {
      return h('span', { class: 'marker' }, 'restored from ', h('a', { href: routes.version(sid, item.restored_from) }, `v${item.restored_from}`));
    }
    if (item.forked_from) {
      const source = item.forked_from;
      return h('span', { class: 'marker' }, 'forked from ', h('a', { href: routes.version(source.session_id, source.version) }, `${source.session_id} v${source.version}`));
    }
    return null;
  }

  function row(item: HistoryItem): HTMLTableRowElement {
    const tr = h(
      'tr',
      { 'data-version': item.version },
      h('th', { scope: 'row', 'data-label': 'Version' }, h('a', { href: routes.version(sid, item.version), 'aria-label': `Version ${item.version}` }, `v${item.version}`)),
      h('td', { 'data-label': 'Time' }, h('time', { datetime: item.created_at, title: item.created_at }, formatInstant(item.created_at))),
      h('td', { 'data-label': 'Kind' }, h('span', { class: `kind kind-${item.kind}` }, item.kind), ' ', markers(item)),
      h(
        'td',
        { 'data-label': 'Message', class: 'message' },
        item.message !== undefined ? h('span', { class: 'message-text' }, item.message) : null,
        item.author !== undefined ? h('span', { class: 'author' }, `by ${item.author}`) : null,
      ),
      h('td', { class: 'num', 'data-label': 'Change' }, `${plural(item.ops, 'op')} · ${formatBytes(item.patch_bytes)}`),
      h('td', { class: 'num', 'data-label': 'Size' }, formatBytes(item.state_bytes)),
      h('td', { 'data-label': 'Compare' }, item.version > 1 ? h('a', { href: routes.diff(sid, item.version - 1, item.version), 'aria-label': `Changes in version ${item.version}` }, 'diff') : null),
    );
    return tr;
  }

  function markSelected(): void {
    for (const tr of timelineBody.querySelectorAll('tr')) {
      const selected = Number(tr.dataset.version) === shownVersion;
      tr.classList.toggle('selected', selected);
      if (selected) tr.setAttribute('aria-current', 'true');
      else tr.removeAttribute('aria-current');
    }
  }

  function showFacts(): void {
    const latest = items[0];
    if (!latest) return;
    replace(
      facts,
      `${plural(latest.version, 'version')} · ${formatBytes(latest.state_bytes)} · last change `,
      h('time', { datetime: latest.created_at, title: latest.created_at }, formatInstant(latest.created_at)),
    );
    toInput.max = String(latest.version);
    fromInput.max = String(latest.version);
  }

  async function loadHistory(): Promise<void> {
    const page = await api.json<{ items: HistoryItem[]; next: number | null }>('GET', sessionPath(sid, '/history'), { query: { limit: HISTORY_PAGE } });
    items = page.items;
    olderBefore = page.next;
    head = items[0]?.version ?? 0;
    replace(timelineBody, items.map(row));
    olderButton.hidden = olderBefore === null;
    showFacts();
    markSelected();
  }

  olderButton.addEventListener('click', async () => {
    if (olderBefore === null) return;
    olderButton.disabled = true;
    try {
      const page = await api.json<{ items: HistoryItem[]; next: number | null }>('GET', sessionPath(sid, '/history'), { query: { limit: HISTORY_PAGE, before: olderBefore } });
      items.push(...page.items);
      olderBefore = page.next;
      timelineBody.append(...page.items.map(row));
      olderButton.hidden = olderBefore === null;
      markSelected();
      // Keyboard users go on from the first of the versions just shown.
      timelineBody.querySelector<HTMLElement>(`tr[data-version="${page.items[0]?.version}"] a`)?.focus();
    } catch (failure) {
      fail(failure);
    } finally {
      olderButton.disabled = false;
    }
  });

  /** A new version (from the feed, a poll, or this page's own write). */
  function accept(item: HistoryItem): void {
    if (item.version <= head) return;
    head = item.version;
    items.unshift(item);
    const tr = row(item);
    tr.classList.add('arrived');
    timelineBody.prepend(tr);
    showFacts();
    if (route.version === undefined && route.diff === undefined) {
      // Following the latest version: a burst of versions loads the state once, at its end.
      clearTimeout(followTimer);
      followTimer = setTimeout(() => void showVersion(head), 150);
    } else markSelected();
  }

  function follow(): void {
    feed?.stop();
    if (closed || deleted) return;
    feed = followSession(
      api,
      sid,
      head,
      {
        onVersion: accept,
        onGap: () => {
          void loadHistory().then(follow, fail);
        },
        onDeleted: (detail) => markDeleted(detail),
        onMode: showMode,
      },
      { pollMs: POLL_MS },
    );
  }

  function showMode(mode: FeedMode, detail?: string): void {
    const texts: Record<FeedMode, string> = {
      connecting: 'Connecting…',
      live: 'Live: new versions appear as they are saved',
      polling: `Checking for new versions ${detail ?? ''}`.trim(),
      reconnecting: 'Reconnecting…',
      ended: 'Not following: the session is gone',
    };
    feedStatus.textContent = texts[mode];
    feedStatus.dataset.mode = mode;
  }

  function markDeleted(detail: string): void {
    deleted = true;
    feed?.stop();
    showMode('ended');
    banner.hidden = false;
    banner.textContent = `This session is gone (${detail}): its versions can no longer be read.`;
    for (const button of element.querySelectorAll<HTMLButtonElement>('.actions button')) button.disabled = true;
  }

  function fail(failure: unknown): void {
    if (failure instanceof ApiError && failure.status === 410) return markDeleted('it was deleted');
    if (failure instanceof ApiError && failure.status === 404 && items.length > 0) return markDeleted('it no longer exists');
    error.textContent = message(failure);
  }

  // ---- one version

  async function metadataOf(version: number): Promise<HistoryItem | undefined> {
    const known = items.find((item) => item.version === version);
    if (known) return known;
    const page = await api.json<{ items: HistoryItem[] }>('GET', sessionPath(sid, '/history'), { query: { limit: 1, before: version + 1 } });
    return page.items[0]?.version === version ? page.items[0] : undefined;
  }

  async function showVersion(version: number): Promise<void> {
    const token = ++loadToken;
    shownVersion = version;
    markSelected();
    replace(versionTitle, `Version ${version}`, version === head ? h('span', { class: 'tag' }, 'latest') : null);
    tree.setAttribute('aria-busy', 'true');
    try {
      const [item, text] = await Promise.all([metadataOf(version), api.text('GET', sessionPath(sid, '/state'), { query: { version } })]);
      if (token !== loadToken || closed) return;
      if (!item) throw new ApiError(404, `this session has no version ${version}`);
      showMetadata(item);
      showVersionActions(item, text);
      replace(tree, jsonTree(JSON.parse(text), { openLevels: 2 }));
    } catch (failure) {
      if (token !== loadToken || closed) return;
      replace(tree, h('p', { class: 'error' }, message(failure)));
      replace(versionMeta);
      replace(versionActions);
      if (failure instanceof ApiError && (failure.status === 410 || (failure.status === 404 && version <= head))) fail(failure);
    } finally {
      if (token === loadToken) tree.removeAttribute('aria-busy');
    }
  }

  function showMetadata(item: HistoryItem): void {
    const entries: Array<[string, Child]> = [
      ['Saved', h('time', { datetime: item.created_at, title: item.created_at }, formatInstant(item.created_at))],
      ['Kind', [item.kind, ' ', markers(item)]],
    ];
    if (item.message !== undefined) entries.push(['Message', item.message]);
    if (item.author !== undefined) entries.push(['Author', item.author]);
    entries.push(['Change', `${plural(item.ops, 'operation')}, ${formatBytes(item.patch_bytes)}`]);
    entries.push(['Size', formatBytes(item.state_bytes)]);
    entries.push(['Hash', h('code', { title: item.state_hash }, item.state_hash.slice(0, 16))]);
    replace(versionMeta, entries.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))));
  }

  function showVersionActions(item: HistoryItem, text: string): void {
    const download = h('button', { type: 'button' }, 'Download .json');
    download.addEventListener('click', () => downloadState(item.version, text));
    const actions: Child[] = [download];
    if (context.canWrite && !deleted) {
      if (item.version !== head) actions.push(h('button', { type: 'button', class: 'primary', on: { click: () => restore(item.version) } }, 'Restore this version…'));
      actions.push(h('button', { type: 'button', on: { click: () => fork(item.version) } }, 'Fork from this version…'));
    }
    replace(versionActions, actions);
  }

  /** The version's state exactly as the server sent it. */
  function downloadState(version: number, text: string): void {
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const link = h('a', { href: url, download: `${sid}-v${version}.json`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  // ---- writes

  async function syncAfterWrite(): Promise<void> {
    const page = await api.json<{ items: HistoryItem[] }>('GET', sessionPath(sid, '/history'), { query: { limit: HISTORY_PAGE } });
    for (const item of page.items.filter((entry) => entry.version > head).reverse()) accept(item);
  }

  function restore(version: number): void {
    const key = idempotencyKey();
    void openDialog({
      title: `Restore version ${version}?`,
      body: [h('p', {}, `A new version of ${sid} will hold the state of version ${version}. Nothing is removed: every version stays in the timeline.`)],
      fields: [{ name: 'message', label: 'Message (optional)', kind: 'textarea', maxLength: 1000, hint: 'Shown in the timeline next to the new version.' }],
      confirmLabel: `Restore version ${version}`,
      action: async ({ message: note }) => {
        const answer = await api.json<WriteAnswer>('POST', sessionPath(sid, '/restore'), {
          json: { version, ...(note ? { message: note } : {}) },
          headers: { 'Idempotency-Key': key },
        });
        await syncAfterWrite().catch(fail);
        context.notify(answer.changed ? `Version ${version} restored as version ${answer.version}.` : `Version ${version} holds the latest state already: nothing was written.`);
        context.navigate(routes.session(sid));
      },
    });
  }

  function fork(version: number): void {
    const key = idempotencyKey();
    void openDialog({
      title: `Fork version ${version}`,
      body: [h('p', {}, `A new session starts with the state of version ${version} of ${sid}. This session is not changed.`)],
      fields: [
        { name: 'to', label: 'New session id', required: true, maxLength: 128, pattern: '[A-Za-z0-9][A-Za-z0-9._:@\\-]{0,127}', hint: 'Letters, digits and . _ : @ -, starting with a letter or digit.' },
        { name: 'message', label: 'Message (optional)', kind: 'textarea', maxLength: 1000 },
      ],
      confirmLabel: 'Fork',
      ready: ({ to }) => SESSION_ID.test(to ?? ''),
      action: async ({ to, message: note }) => {
        await api.json<WriteAnswer>('POST', sessionPath(sid, '/fork'), {
          json: { to, version, ...(note ? { message: note } : {}) },
          headers: { 'Idempotency-Key': key },
        });
        context.notify(`Forked version ${version} of ${sid} into ${to}.`);
        context.navigate(routes.session(to!));
      },
    });
  }

  deleteButton.addEventListener('click', () => {
    void openDialog({
      title: `Delete ${sid}?`,
      body: [
        h('p', {}, 'The session is tombstoned: its versions can no longer be read or restored, and its id cannot be used again. This cannot be undone from this page.'),
      ],
      fields: [{ name: 'confirm', label: `Type the session id (${sid}) to confirm`, required: true }],
      confirmLabel: 'Delete session',
      danger: true,
      ready: ({ confirm }) => confirm === sid,
      action: async () => {
        await api.json<void>('DELETE', sessionPath(sid), { headers: { 'Idempotency-Key': idempotencyKey() } });
        feed?.stop();
        context.notify(`Session ${sid} was deleted.`);
        context.navigate(routes.list());
      },
    });
  });

  // ---- diff

  compareForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const from = Number(fromInput.value);
    const to = Number(toInput.value);
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < 1 || from > head || to > head) {
      replace(diffResult, h('p', { class: 'error', role: 'alert' }, `Give two versions from 1 to ${head}.`));
      return;
    }
    context.navigate(routes.diff(sid, from, to));
  });

  async function showDiff(from: number, to: number): Promise<void> {
    const token = ++diffToken;
    fromInput.value = String(from);
    toInput.value = String(to);
    replace(diffResult, h('p', { class: 'hint' }, `Loading the changes from version ${from} to ${to}…`));
    try {
      const [patch, older] = await Promise.all([
        api.json<PatchOperation[]>('GET', sessionPath(sid, '/diff'), { query: { from, to } }),
        api.text('GET', sessionPath(sid, '/state'), { query: { version: from } }).then(
          (text) => JSON.parse(text) as unknown,
          () => undefined,
        ),
      ]);
      if (token !== diffToken || closed) return;
      replace(diffResult, diffView(patch, older, from, to));
    } catch (failure) {
      if (token !== diffToken || closed) return;
      replace(diffResult, h('p', { class: 'error', role: 'alert' }, message(failure)));
    }
  }

  // ---- the view

  let ready: Promise<void> | undefined;

  function show(next: SessionRoute): void {
    route = next;
    void (ready ??= start()).then(() => {
      if (closed || deleted || route !== next) return;
      const version = next.version ?? next.diff?.to ?? head;
      if (version !== shownVersion || next.version === undefined) void showVersion(version);
      if (next.diff) void showDiff(next.diff.from, next.diff.to);
      else if (!fromInput.value) {
        fromInput.value = String(Math.max(1, version - 1));
        toInput.value = String(version);
      }
      if (next.diff) document.getElementById('compare-title')?.focus();
      else if (next.version !== undefined) versionTitle.focus();
    });
  }

  async function start(): Promise<void> {
    try {
      await loadHistory();
      follow();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) {
        banner.hidden = false;
        banner.textContent = `There is no session ${sid}.`;
        deleted = true;
        showMode('ended');
      } else if (failure instanceof ApiError && failure.status === 410) markDeleted('it was deleted');
      else error.textContent = message(failure);
    }
  }

  return {
    sid,
    element,
    show,
    focus: () => heading.focus(),
    close: () => {
      closed = true;
      clearTimeout(followTimer);
      feed?.stop();
    },
  };
}
