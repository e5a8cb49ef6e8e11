import type { Json } from '../../src/core/json.js';

/** A small seeded PRNG (mulberry32): a failing case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Keys that break naive JSON Pointer handling or prototype-based objects. */
export const AWKWARD_KEYS = ['', '~', '/', 'a/b', '~1', '~0', '~01', '/~', 'ünï', '日本', '😀', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '0', '-', 'a b'];

export function generator(random: () => number) {
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const key = (): string => (random() < 0.4 ? pick(AWKWARD_KEYS) : `k${int(30)}`);

  function scalar(): Json {
    switch (int(6)) {
      case 0: return null;
      case 1: return random() < 0.5;
      case 2: return int(1000) - 500;
      case 3: return random() * 1e6;
      case 4: return pick(['', 'x', 'hello', 'ünï', '~/', '😀', '"quoted"']);
      default: return `s${int(100)}`;
    }
  }

  function value(depth: number): Json {
    const roll = random();
    if (depth <= 0 || roll < 0.35) return scalar();
    if (roll < 0.65) return Array.from({ length: int(6) }, () => value(depth - 1));
    const object: { [key: string]: Json } = {};
    for (let i = int(6); i > 0; i--) object[key()] = value(depth - 1);
    return object;
  }

  /** A copy of `source` with a few random edits: inserts, removals, replacements, type changes. */
  function mutate(source: Json, edits: number): Json {
    let result = structuredClone(source);
    for (let i = 0; i < edits; i++) result = mutateOnce(result, 4);
    return result;
  }

  function mutateOnce(node: Json, depth: number): Json {
    if (depth <= 0 || node === null || typeof node !== 'object' || random() < 0.2) {
      return random() < 0.5 ? value(2) : scalar();
    }
    if (Array.isArray(node)) {
      const roll = random();
      if (roll < 0.3) node.splice(int(node.length + 1), 0, value(2)); // insert anywhere, the front included
      else if (roll < 0.5 && node.length > 0) node.splice(int(node.length), 1);
      else if (node.length > 0) {
        const index = int(node.length);
        node[index] = mutateOnce(node[index]!, depth - 1);
      } else node.push(value(1));
      return node;
    }
    const keys = Object.keys(node);
    const roll = random();
    if (roll < 0.3 || keys.length === 0) node[key()] = value(2);
    else if (roll < 0.5) delete node[pick(keys)];
    else {
      const chosen = pick(keys);
      node[chosen] = mutateOnce(node[chosen]!, depth - 1);
    }
    return node;
  }

  return { int, pick, value, mutate, scalar };
}
