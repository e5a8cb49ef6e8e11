/**
 * Just enough of RFC 6901 / 6902 to show a diff: the value a patch operation removes or replaces is
 * found by applying the operations before it to the older state. Own members only, as the server.
 */
import type { PatchOperation } from './api.js';

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`not a JSON Pointer: ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

function child(container: unknown, token: string): { found: boolean; value: unknown } {
  if (Array.isArray(container)) {
    const index = /^(0|[1-9]\d*)$/.test(token) ? Number(token) : -1;
    return index >= 0 && index < container.length ? { found: true, value: container[index] } : { found: false, value: undefined };
  }
  if (isContainer(container) && Object.hasOwn(container, token)) return { found: true, value: (container as Record<string, unknown>)[token] };
  return { found: false, value: undefined };
}

export function readAt(document: unknown, tokens: string[]): { found: boolean; value: unknown } {
  let current: { found: boolean; value: unknown } = { found: true, value: document };
  for (const token of tokens) {
    current = child(current.value, token);
    if (!current.found) break;
  }
  return current;
}

function parentOf(document: unknown, tokens: string[]): { parent: Container; last: string } {
  const found = readAt(document, tokens.slice(0, -1));
  if (!found.found || !isContainer(found.value)) throw new Error(`no container at /${tokens.slice(0, -1).join('/')}`);
  return { parent: found.value, last: tokens.at(-1)! };
}

function setMember(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

function add(document: unknown, tokens: string[], value: unknown): unknown {
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(document, tokens);
  if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, value);
  else setMember(parent, last, value);
  return document;
}

function remove(document: unknown, tokens: string[]): unknown {
  const { parent, last } = parentOf(document, tokens);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
  return document;
}

/** Applies one operation to `document` (changed in place); returns the new root. */
export function applyOperation(document: unknown, operation: PatchOperation): unknown {
  const path = parsePointer(operation.path);
  switch (operation.op) {
    case 'add':
      return add(document, path, operation.value);
    case 'remove':
      return remove(document, path);
    case 'replace':
      return path.length === 0 ? operation.value : add(remove(document, path), path, operation.value);
    case 'move': {
      const from = parsePointer(operation.from ?? '');
      const value = readAt(document, from).value;
      return add(from.length === 0 ? undefined : remove(document, from), path, value);
    }
    case 'copy':
      return add(document, path, structuredClone(readAt(document, parsePointer(operation.from ?? '')).value));
    default:
      return document; // test
  }
}
