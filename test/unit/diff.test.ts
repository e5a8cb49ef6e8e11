import { expect } from 'chai';
import fastJsonPatch from 'fast-json-patch';
import { diff } from '../../src/core/diff.js';
import { canonicalJson, type Json } from '../../src/core/json.js';
import { applyToCopy } from '../../src/core/replay.js';
import { generator, prng } from '../helpers/random.js';

function roundTrips(a: Json, b: Json, seed: number): void {
  const patch = diff(a, b);
  const before = canonicalJson(a);
  const result = applyToCopy(a, patch);
  expect(canonicalJson(a), `diff or apply changed its input (seed ${seed})`).to.equal(before);
  expect(result, `apply(diff(a, b), a) != b (seed ${seed})\na=${JSON.stringify(a)}\nb=${JSON.stringify(b)}\npatch=${JSON.stringify(patch)}`).to.deep.equal(b);
  // The patch must also be standard: fast-json-patch's own applyPatch gives the same result.
  const standard = fastJsonPatch.applyPatch(structuredClone(a), structuredClone(patch), true, false).newDocument;
  expect(standard).to.deep.equal(b);
}

describe('diff (RFC 6902 patch between two states)', () => {
  it('round-trips 3000 generated pairs of related states (awkward keys, nested arrays, front insertions, type changes)', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const random = prng(seed);
      const gen = generator(random);
      const a = gen.value(5);
      const b = gen.mutate(a, 1 + gen.int(6));
      roundTrips(a, b, seed);
    }
  });

  it('round-trips 1000 generated pairs of unrelated states', () => {
    for (let seed = 10_001; seed <= 11_000; seed++) {
      const gen = generator(prng(seed));
      roundTrips(gen.value(4), gen.value(4), seed);
    }
  });

  it('is empty for equal states whatever their key order', () => {
    expect(diff({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 })).to.deep.equal([]);
  });

  it('round-trips every awkward key, escaping ~ and / in paths', () => {
    const keys = ['', '~', '/', 'a/b', '~1', '~0', 'ünï', 'constructor', 'prototype'];
    const a = Object.fromEntries(keys.map((key, i) => [key, i]));
    const b = Object.fromEntries(keys.map((key, i) => [key, { nested: i }]));
    const patch = diff(a, b);
    expect(patch.map((op) => op.path)).to.include.members(['/', '/~0', '/~1', '/a~1b', '/~01', '/~00']);
    expect(applyToCopy(a, patch)).to.deep.equal(b);
  });

  it('replaces the whole document when the root changes type', () => {
    expect(diff({ a: 1 }, [1])).to.deep.equal([{ op: 'replace', path: '', value: [1] }]);
    expect(diff(1, 'one')).to.deep.equal([{ op: 'replace', path: '', value: 'one' }]);
  });

  describe('size follows the change in long lists', () => {
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: `r${i}`, name: `row ${i}`, qty: i, tags: ['a', 'b'] }));
    const newRow = { id: 'new', name: 'inserted row', qty: 0, tags: ['x'] };
    const size = (value: unknown): number => JSON.stringify(value).length;

    it('an element inserted at the front is one add of about that element', () => {
      const patch = diff({ table: rows }, { table: [newRow, ...rows] });
      expect(patch).to.deep.equal([{ op: 'add', path: '/table/0', value: newRow }]);
      // fast-json-patch's compare() rewrites every row after the insertion point:
      expect(size(fastJsonPatch.compare({ table: rows }, { table: [newRow, ...rows] }))).to.be.greaterThan(size(rows));
    });

    it('an element removed near the front is one remove', () => {
      const patch = diff({ table: rows }, { table: [...rows.slice(0, 3), ...rows.slice(4)] });
      expect(patch).to.deep.equal([{ op: 'remove', path: '/table/3' }]);
    });

    it('a cell edited and a row inserted elsewhere stay small', () => {
      const edited = rows.map((row) => ({ ...row }));
      edited[250] = { ...edited[250]!, qty: -1 };
      edited.splice(10, 0, newRow);
      const patch = diff({ table: rows }, { table: edited });
      expect(size(patch)).to.be.lessThan(size(newRow) + 120);
      expect(applyToCopy({ table: rows }, patch)).to.deep.equal({ table: edited });
    });

    it('rows moved to the end stay proportional to the rows moved', () => {
      const moved = [...rows.slice(5), ...rows.slice(0, 5)];
      const patch = diff(rows, moved);
      expect(size(patch)).to.be.lessThan(size(rows.slice(0, 5)) + 400);
      expect(applyToCopy(rows, patch)).to.deep.equal(moved);
    });
  });
});
