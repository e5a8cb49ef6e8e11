import { h, type Child } from './dom.js';
import { plural } from './format.js';

/**
 * A JSON value as a tree of <details> (a native disclosure widget: focusable, opened with Enter or
 * Space, announced as expanded or collapsed). Children are made when a node is first opened, and
 * at most CHUNK at a time, so a state with a 100,000-element array opens at once.
 */
const CHUNK = 200;
const LONG_STRING = 2000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface TreeNode extends HTMLDetailsElement {
  fill?: () => void;
}

export interface TreeOptions {
  /** Levels opened at first (the root is level 0). */
  openLevels?: number;
}

export function jsonTree(value: unknown, options: TreeOptions = {}): HTMLElement {
  const root = h('div', { class: 'json-tree' }, renderNode(undefined, value as Json, 0, options.openLevels ?? 1));
  return root;
}

/** Opens nodes breadth first, making their children, until `budget` nodes are open. */
export function expandAll(tree: HTMLElement, budget = 2000): boolean {
  let open = 0;
  let frontier = [...tree.querySelectorAll<TreeNode>(':scope > details')];
  while (frontier.length > 0) {
    const next: TreeNode[] = [];
    for (const node of frontier) {
      if (open >= budget) return false;
      openNode(node);
      open++;
      next.push(...node.querySelectorAll<TreeNode>(':scope > ul > li > details'));
    }
    frontier = next;
  }
  return true;
}

export function collapseAll(tree: HTMLElement): void {
  for (const node of tree.querySelectorAll<TreeNode>('details')) node.open = false;
  const top = tree.querySelector<TreeNode>(':scope > details');
  if (top) top.open = true;
}

function openNode(node: TreeNode): void {
  node.fill?.();
  node.open = true;
}

export function keyLabel(key: string | number): string {
  if (typeof key === 'number') return String(key);
  return /^[^\s"':]+$/u.test(key) ? key : JSON.stringify(key);
}

function renderNode(key: string | number | undefined, value: Json, level: number, openLevels: number): HTMLElement {
  const label: Child = key === undefined ? null : [h('span', { class: typeof key === 'number' ? 'jt-index' : 'jt-key' }, keyLabel(key)), h('span', { class: 'jt-colon' }, ': ')];
  if (value === null || typeof value !== 'object') return h('div', { class: 'jt-leaf' }, label, scalar(value));

  const entries: Array<[string | number, Json]> = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  const isArray = Array.isArray(value);
  const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return h('div', { class: 'jt-leaf' }, label, h('span', { class: 'jt-punct' }, open + close));

  const count = isArray ? plural(entries.length, 'item') : plural(entries.length, 'key');
  const node = h('details', { class: 'jt-node' }) as TreeNode;
  node.append(h('summary', {}, label, h('span', { class: 'jt-punct' }, open), h('span', { class: 'jt-count' }, ` ${count} `), h('span', { class: 'jt-punct' }, close)));
  const list = h('ul', { role: 'group' });
  node.append(list);

  let shown = 0;
  const more = h('button', { type: 'button', class: 'link jt-more' });
  const showMore = (): void => {
    const end = Math.min(entries.length, shown + CHUNK);
    const items: HTMLElement[] = [];
    for (; shown < end; shown++) {
      const [childKey, child] = entries[shown]!;
      items.push(h('li', {}, renderNode(childKey, child, level + 1, openLevels)));
    }
    more.remove();
    list.append(...items);
    if (shown < entries.length) {
      more.textContent = `Show ${Math.min(CHUNK, entries.length - shown)} more (${shown.toLocaleString()} of ${entries.length.toLocaleString()} shown)`;
      list.append(h('li', {}, more));
    }
  };
  more.addEventListener('click', () => {
    const from = shown;
    showMore();
    // The button is gone: keyboard users continue on the first of the new items.
    const first = list.children[from] as HTMLElement | undefined;
    if (first) {
      first.tabIndex = -1;
      first.focus();
    }
  });
  node.fill = () => {
    if (shown === 0) showMore();
  };
  node.addEventListener('toggle', () => {
    if (node.open) node.fill!();
  });
  if ((level < openLevels && entries.length <= CHUNK) || (level <= openLevels + 1 && smallLeaf(entries))) openNode(node);
  return node;
}

/** A few scalars (a chat message, a row): shown open, it reads at a glance. */
function smallLeaf(entries: Array<[string | number, Json]>): boolean {
  return entries.length <= 8 && entries.every(([, value]) => value === null || typeof value !== 'object');
}

function scalar(value: null | boolean | number | string): HTMLElement {
  if (value === null) return h('span', { class: 'jt-null' }, 'null');
  if (typeof value === 'boolean') return h('span', { class: 'jt-bool' }, String(value));
  if (typeof value === 'number') return h('span', { class: 'jt-number' }, String(value));
  const text = JSON.stringify(value);
  if (text.length <= LONG_STRING) return h('span', { class: 'jt-string' }, text);
  const span = h('span', { class: 'jt-string' }, `${text.slice(0, LONG_STRING)}…`);
  const all = h('button', { type: 'button', class: 'link' }, `show all ${plural(value.length, 'character')}`);
  all.addEventListener('click', () => {
    span.textContent = text;
    all.remove();
  });
  return h('span', {}, span, ' ', all);
}

/** A value in one line, cut to `max` characters. */
export function compactJson(value: unknown, max = 120): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
