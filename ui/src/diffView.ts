import type { PatchOperation } from './api.js';
import { h, type Child } from './dom.js';
import { plural } from './format.js';
import { compactJson, jsonTree, keyLabel } from './jsonTree.js';
import { applyOperation, parsePointer, readAt } from './pointer.js';

/**
 * A patch between two versions, made readable: operations grouped by the object or array they
 * change (a long array shows as its few changed items, by index, not as a wall of JSON), each with
 * the value it adds and the value it removes or replaces, the latter found by applying the
 * operations before it to the older state.
 */
const PAGE = 300;
const INLINE = 80;

interface Step {
  operation: PatchOperation;
  tokens: string[];
  /** The value removed or replaced, when the older state was at hand. */
  before?: { value: unknown };
  /** What held the changed member, before the change. */
  container: 'array' | 'object' | 'root' | undefined;
  containerSize: number | undefined;
  /** In an array: where the item removed or replaced was in the older state, if it was there. */
  origin?: number;
}

const LABELS: Record<string, { text: string; mark: string }> = {
  add: { text: 'added', mark: '+' },
  remove: { text: 'removed', mark: '−' },
  replace: { text: 'changed', mark: '~' },
  move: { text: 'moved', mark: '→' },
  copy: { text: 'copied', mark: '⧉' },
  test: { text: 'tested', mark: '?' },
};

/**
 * Where each item of an array was in the older state (undefined: added by the patch), followed
 * through the operations: the patch numbers items as they are when its operation applies, after
 * the operations before it, but a reader thinks of a removed item by its place in the older version.
 */
function trackOrigins(): { of(array: unknown[]): Array<number | undefined>; added(value: unknown): void } {
  const origins = new WeakMap<unknown[], Array<number | undefined>>();
  return {
    of(array) {
      let positions = origins.get(array);
      if (!positions) origins.set(array, (positions = array.map((_, index) => index)));
      return positions;
    },
    added(value) {
      if (Array.isArray(value)) origins.set(value, value.map(() => undefined));
    },
  };
}

function describeSteps(operations: PatchOperation[], older: unknown | undefined): Step[] {
  let document = older;
  let known = older !== undefined;
  const origins = trackOrigins();
  return operations.map((operation) => {
    const tokens = parsePointer(operation.path);
    const step: Step = { operation, tokens, container: tokens.length === 0 ? 'root' : undefined, containerSize: undefined };
    if (known) {
      try {
        let positions: Array<number | undefined> | undefined;
        const last = tokens.at(-1);
        if (tokens.length > 0) {
          const parent = readAt(document, tokens.slice(0, -1)).value;
          step.container = Array.isArray(parent) ? 'array' : 'object';
          step.containerSize = Array.isArray(parent) ? parent.length : Object.keys(parent as object).length;
          if (Array.isArray(parent)) positions = origins.of(parent);
        }
        if (operation.op === 'remove' || operation.op === 'replace') step.before = { value: readAt(document, tokens).value };
        const index = last === '-' ? (positions?.length ?? 0) : Number(last);
        if (positions && (operation.op === 'remove' || operation.op === 'replace')) step.origin = positions[index];
        document = applyOperation(document, operation);
        origins.added(operation.value);
        if (positions && operation.op === 'remove') positions.splice(index, 1);
        if (positions && operation.op === 'add') positions.splice(index, 0, undefined);
      } catch {
        known = false; // the older state is not what the patch expects: show the patch alone
      }
    }
    return step;
  });
}

function valueView(value: unknown): Child {
  const text = compactJson(value, 100_000);
  if (typeof value !== 'object' || value === null || text.length <= INLINE) return h('code', { class: 'diff-value' }, compactJson(value, 400));
  return h('div', { class: 'diff-tree' }, jsonTree(value, { openLevels: 0 }));
}

function pointerText(tokens: string[]): string {
  return tokens.length === 0 ? '(the whole state)' : tokens.map((token) => `/${token.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function stepView(step: Step): HTMLElement {
  const { operation } = step;
  const label = LABELS[operation.op] ?? { text: operation.op, mark: '·' };
  const last = step.tokens.at(-1);
  const member = last === undefined ? 'the whole state' : step.container === 'array' ? arrayPlace(step, last) : keyLabel(last);
  const values: Child[] = [];
  if (operation.op === 'replace' && step.before) values.push(h('div', { class: 'diff-old' }, h('span', { class: 'sr-only' }, 'was '), valueView(step.before.value)));
  if (operation.op === 'remove' && step.before) values.push(h('div', { class: 'diff-old' }, valueView(step.before.value)));
  if (operation.op === 'add' || operation.op === 'replace' || operation.op === 'test') {
    values.push(h('div', { class: 'diff-new' }, operation.op === 'replace' ? h('span', { class: 'sr-only' }, 'now ') : null, valueView(operation.value)));
  }
  if (operation.op === 'move' || operation.op === 'copy') values.push(h('div', {}, 'from ', h('code', {}, operation.from ?? '')));
  return h(
    'li',
    { class: `diff-op diff-${operation.op}` },
    h('span', { class: 'diff-mark', 'aria-hidden': 'true' }, label.mark),
    h('span', { class: 'diff-member' }, member),
    h('span', { class: 'diff-kind' }, label.text),
    h('div', { class: 'diff-values' }, values),
  );
}

/** An item's place: a removed one where it was in the older version, an added one where it is in the newer. */
function arrayPlace(step: Step, last: string): string {
  if (last === '-') return 'at the end';
  if (step.operation.op === 'remove' && step.origin !== undefined) return `[${step.origin}]`;
  if (step.operation.op === 'replace' && step.origin !== undefined && String(step.origin) !== last) return `[${step.origin} → ${last}]`;
  return `[${last}]`;
}

interface Group {
  parent: string[];
  steps: Step[];
}

function groupSteps(steps: Step[]): Group[] {
  const groups: Group[] = [];
  for (const step of steps) {
    const parent = step.tokens.slice(0, -1);
    const current = groups.at(-1);
    if (current && step.tokens.length > 0 && current.steps[0]!.tokens.length > 0 && pointerText(current.parent) === pointerText(parent)) current.steps.push(step);
    else groups.push({ parent, steps: [step] });
  }
  return groups;
}

function groupView(group: Group): HTMLElement {
  const first = group.steps[0]!;
  const counts = new Map<string, number>();
  for (const step of group.steps) counts.set(step.operation.op, (counts.get(step.operation.op) ?? 0) + 1);
  const tally = [...counts].map(([op, count]) => `${count} ${LABELS[op]?.text ?? op}`).join(', ');
  const size = first.containerSize !== undefined ? ` of ${plural(first.containerSize, first.container === 'array' ? 'item' : 'key')}` : '';
  const where =
    first.tokens.length === 0
      ? 'The whole state'
      : group.parent.length === 0
        ? `At the top of the state${first.container === 'array' ? ` (an array${size})` : ''}`
        : `In the ${first.container ?? 'value'} ${pointerText(group.parent)}${size}`;
  return h('section', { class: 'diff-group' }, h('h4', {}, h('span', {}, where), h('span', { class: 'diff-tally' }, tally)), h('ul', {}, group.steps.map(stepView)));
}

/** The diff from version `from` to `to`; `older` is version `from`'s state (parsed), if it could be loaded. */
export function diffView(operations: PatchOperation[], older: unknown | undefined, from: number, to: number): HTMLElement {
  if (operations.length === 0) return h('p', { class: 'diff-summary' }, `Versions ${from} and ${to} hold the same state.`);
  const steps = describeSteps(operations, older);
  const counts = new Map<string, number>();
  for (const step of steps) counts.set(step.operation.op, (counts.get(step.operation.op) ?? 0) + 1);
  const summary = h(
    'p',
    { class: 'diff-summary' },
    `From version ${from} to ${to}: ${plural(steps.length, 'change')} (`,
    [...counts].map(([op, count]) => `${count} ${LABELS[op]?.text ?? op}`).join(', '),
    ').',
  );
  const list = h('div', { class: 'diff-groups' });
  const note = steps.some((step) => step.container === 'array')
    ? h('p', { class: 'hint' }, `In an array, a removed item is numbered as it was in version ${from}, an added one as it is in version ${to}.`)
    : null;
  const container = h('div', { class: 'diff' }, summary, note, list);
  let shown = 0;
  const more = h('button', { type: 'button' });
  const showMore = (): void => {
    more.remove();
    const end = Math.min(steps.length, shown + PAGE);
    list.append(...groupSteps(steps.slice(shown, end)).map(groupView));
    shown = end;
    if (shown < steps.length) {
      more.textContent = `Show ${Math.min(PAGE, steps.length - shown)} more changes (${shown.toLocaleString()} of ${steps.length.toLocaleString()} shown)`;
      container.append(more);
    }
  };
  more.addEventListener('click', showMore);
  showMore();
  return container;
}
