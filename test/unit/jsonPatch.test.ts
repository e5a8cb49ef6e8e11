import { expect } from 'chai';
import type { Operation } from 'fast-json-patch';
import { diff } from '../../src/core/diff.js';
import { digestState, type Json } from '../../src/core/json.js';
import { applyPatch, PatchConflictError, type PatchBudget } from '../../src/core/jsonPatch.js';
import { diffStates, ingestPatch, ingestState, planWrite, replayVersion, type StateText } from '../../src/core/stateTasks.js';
import { generator, prng } from '../helpers/random.js';

const INHERITED = ['constructor', 'hasOwnProperty', 'toString', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', 'length', 'push'];

function apply(document: Json, patch: unknown[], budget?: PatchBudget): Json {
  return applyPatch(structuredClone(document), patch as Operation[], budget);
}

function refusal(document: Json, patch: unknown[], budget?: PatchBudget): PatchConflictError {
  try {
    apply(document, patch, budget);
  } catch (error) {
    expect(error).to.be.instanceOf(PatchConflictError);
    return error as PatchConflictError;
  }
  expect.fail(`the patch ${JSON.stringify(patch)} applied to ${JSON.stringify(document)}`);
}

const limits = { maxBytes: 1024 * 1024, maxDepth: 64 };
const budget = (document: Json): PatchBudget => ({ ...limits, startBytes: digestState(document).bytes, maxWorkBytes: 4 * limits.maxBytes });

describe('JSON Patch (RFC 6902) on own members only (RFC 6901)', () => {
  it('resolves no inherited member: copy, move, remove, replace and test of them do not apply', () => {
    const document = { a: 1, list: [1, 2] };
    for (const name of INHERITED) {
      expect(refusal(document, [{ op: 'copy', from: `/${name}`, path: '/h' }]).operationIndex).to.equal(0);
      refusal(document, [{ op: 'move', from: `/${name}`, path: '/h' }]);
      refusal(document, [{ op: 'remove', path: `/${name}` }]);
      refusal(document, [{ op: 'replace', path: `/${name}`, value: 1 }]);
      refusal(document, [{ op: 'test', path: `/${name}`, value: null }]);
      refusal(document, [{ op: 'copy', from: `/list/${name}`, path: '/h' }]);
      refusal(document, [{ op: 'add', path: `/${name}/x`, value: 1 }]);
    }
  });

  it('treats an own member with an inherited name like any other member', () => {
    const result = apply({ constructor: { x: 1 }, toString: 2 }, [
      { op: 'copy', from: '/constructor', path: '/copied' },
      { op: 'move', from: '/toString', path: '/valueOf' },
      { op: 'replace', path: '/constructor/x', value: 3 },
      { op: 'add', path: '/hasOwnProperty', value: 'own' },
      { op: 'test', path: '/hasOwnProperty', value: 'own' },
    ]);
    expect(result).to.deep.equal({ constructor: { x: 3 }, copied: { x: 1 }, valueOf: 2, hasOwnProperty: 'own' });
    expect(JSON.parse(JSON.stringify(result))).to.deep.equal(result);
  });

  it('reads array indexes strictly: no leading zeros, "-" only where an add may append', () => {
    refusal({ a: [1, 2] }, [{ op: 'test', path: '/a/01', value: 2 }]);
    refusal({ a: [1, 2] }, [{ op: 'test', path: '/a/-', value: 2 }]);
    refusal({ a: [1, 2] }, [{ op: 'remove', path: '/a/-' }]);
    refusal({ a: [1, 2] }, [{ op: 'add', path: '/a/3', value: 0 }]);
    refusal({ a: [1, 2] }, [{ op: 'add', path: '/a/1e0', value: 0 }]);
    expect(apply({ a: [1, 2] }, [{ op: 'test', path: '/a/1', value: 2 }, { op: 'add', path: '/a/-', value: 3 }, { op: 'add', path: '/a/0', value: 0 }])).to.deep.equal({ a: [0, 1, 2, 3] });
  });

  it('refuses a move into its own child, a path under a scalar or null, and removing the root', () => {
    refusal({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/b/c' }]);
    refusal({ a: { b: 1 } }, [{ op: 'move', from: '', path: '/a' }]);
    refusal(null, [{ op: 'add', path: '/x', value: 1 }]);
    refusal({ a: null }, [{ op: 'add', path: '/a/x', value: 1 }]);
    refusal({ a: 'text' }, [{ op: 'add', path: '/a/0', value: 1 }]);
    refusal({ a: 1 }, [{ op: 'remove', path: '' }]);
    expect(apply({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a' }])).to.deep.equal({ a: { b: 1 } });
    expect(apply({ a: { b: 1 } }, [{ op: 'move', from: '/a/b', path: '' }])).to.equal(1);
    expect(apply(null, [{ op: 'add', path: '', value: { x: 1 } }])).to.deep.equal({ x: 1 });
  });

  it('copies deeply: a later change to the copy leaves the original alone', () => {
    expect(apply({ a: { b: [1] } }, [{ op: 'copy', from: '/a', path: '/c' }, { op: 'add', path: '/c/b/-', value: 2 }])).to.deep.equal({ a: { b: [1] }, c: { b: [1, 2] } });
  });

  describe('budget, checked as each operation applies', () => {
    it('stops amplification by copy at the size limit, long before memory runs out', () => {
      const document: Json = { a: ['x'.repeat(1000)] };
      const patch = Array.from({ length: 40 }, () => ({ op: 'copy', from: '/a', path: '/a/0' }));
      const error = refusal(document, patch, budget(document));
      expect(error.reason).to.equal('too-large');
      expect(error.operationIndex).to.be.lessThan(12); // 2^11 KB passes 1 MiB
    });

    it('tracks size exactly: a patch that ends within the limit applies', () => {
      const document: Json = { a: 'x'.repeat(400 * 1024) };
      const patch = [
        { op: 'copy', from: '/a', path: '/b' },
        { op: 'remove', path: '/a' },
        { op: 'copy', from: '/b', path: '/c' },
        { op: 'remove', path: '/b' },
      ];
      const result = apply(document, patch, budget(document));
      expect(Object.keys(result as object)).to.deep.equal(['c']);
      refusal(document, [{ op: 'copy', from: '/a', path: '/b' }, { op: 'copy', from: '/a', path: '/c' }], budget(document));
    });

    it('stops nesting past the depth limit', () => {
      // Operation i adds {} at depth i + 1: the state is then i + 2 levels deep.
      const patch = Array.from({ length: 2000 }, (_, i) => ({ op: 'add', path: '/n'.repeat(i + 1), value: {} }));
      const error = refusal({}, patch, budget({}));
      expect(error.reason).to.equal('too-deep');
      expect(error.operationIndex).to.equal(63);
      expect(refusal({}, [{ op: 'add', path: '/a', value: JSON.parse('['.repeat(64) + ']'.repeat(64)) }], budget({})).reason).to.equal('too-deep');
    });

    it('counts an object\'s members once, not for each operation: 200 adds and removes on 100,000 members take moments', () => {
      const document: { [key: string]: Json } = {};
      for (let i = 0; i < 100_000; i++) document[`k${i}`] = 0;
      const patch: unknown[] = [];
      for (let i = 0; i < 100; i++) patch.push({ op: 'add', path: `/new${i}`, value: i }, { op: 'remove', path: `/k${i}` });
      // Object.keys() of such an object takes about 150 ms: once per operation was 30 s.
      for (const withBudget of [true, false]) {
        const started = performance.now();
        const result = apply(document, patch, withBudget ? { ...budget(document), maxBytes: 16 * 1024 * 1024 } : undefined) as { [key: string]: Json };
        expect(performance.now() - started, withBudget ? 'with a budget' : 'replay').to.be.lessThan(3000);
        expect(Object.keys(result).length).to.equal(100_000);
        expect(result).to.include({ new99: 99 }).and.not.have.property('k99');
      }
    });

    it('keeps the size exact as objects empty and fill again', () => {
      const patch = [
        { op: 'add', path: '/a', value: 1 }, // {"a":1}
        { op: 'add', path: '/b', value: 1 }, // {"a":1,"b":1}: 13 bytes, the most
        { op: 'remove', path: '/a' },
        { op: 'remove', path: '/b' }, // {}
        { op: 'add', path: '/c', value: 1 },
        { op: 'add', path: '/d', value: 1 }, // 13 bytes again
      ];
      expect(apply({}, patch, { ...budget({}), maxBytes: 13 })).to.deep.equal({ c: 1, d: 1 });
      const error = refusal({}, patch, { ...budget({}), maxBytes: 12 });
      expect([error.reason, error.operationIndex]).to.deep.equal(['too-large', 1]);
    });

    it('counts the array elements an insertion or removal shifts: 40,000 of them at the front of 1,000,000 stop at once', () => {
      const document: Json = { a: Array.from({ length: 1_000_000 }, (_, i) => i % 10) };
      const large = { ...budget(document), maxBytes: 16 * 1024 * 1024, maxWorkBytes: 64 * 1024 * 1024 };
      const patch: unknown[] = [];
      for (let i = 0; i < 20_000; i++) patch.push({ op: 'add', path: '/a/1', value: 0 }, { op: 'remove', path: '/a/1' });
      const started = performance.now();
      let error: PatchConflictError | undefined;
      try {
        apply(document, patch, large);
      } catch (thrown) {
        error = thrown as PatchConflictError;
      }
      expect(error, 'the patch applied in full').to.be.instanceOf(PatchConflictError);
      // Applied in full, these shifts took 28 s; the budget (64 MiB) allows 67 of about a million.
      expect(performance.now() - started).to.be.lessThan(3000);
      expect([error!.reason, error!.operationIndex]).to.deep.equal(['too-much-work', 67]);
      expect(error!.message).to.match(/shift/);
      // Appending shifts nothing, and a few inserts at the front are well within the budget.
      const edits = [...Array.from({ length: 40_000 }, () => ({ op: 'add', path: '/a/-', value: 1 })), ...Array.from({ length: 10 }, () => ({ op: 'add', path: '/a/0', value: 2 }))];
      expect((apply(document, edits, large) as { a: Json[] }).a).to.have.length(1_040_010);
    });

    it('bounds the work of copies and removals that leave the size unchanged', () => {
      const document: Json = { big: 'x'.repeat(300 * 1024) };
      const patch: unknown[] = [];
      for (let i = 0; i < 100; i++) patch.push({ op: 'copy', from: '/big', path: '/tmp' }, { op: 'remove', path: '/tmp' });
      expect(refusal(document, patch, budget(document)).reason).to.equal('too-much-work');
    });
  });
});

describe('state tasks', () => {
  const headOf = (value: Json): StateText => {
    const ingested = ingestState({ text: JSON.stringify(value), limits });
    if (!ingested.ok) throw new Error(ingested.problem.detail);
    return ingested.value;
  };

  it('ignores members an operation does not define (RFC 6902 §4) and refuses malformed operations', () => {
    const ok = ingestPatch({ text: '[{"op":"add","path":"/a","value":1,"note":"ignored"},{"op":"remove","path":"/b","value":9}]', limits });
    expect(ok.ok && JSON.parse(ok.value.text)).to.deep.equal([{ op: 'add', path: '/a', value: 1 }, { op: 'remove', path: '/b' }]);
    for (const bad of ['{}', '[1]', '[{"op":"jump","path":""}]', '[{"op":"add","path":"a","value":1}]', '[{"op":"add","path":"/a"}]', '[{"op":"copy","path":"/a"}]', '[{"op":"add","path":"/~2","value":1}]', '[{"op":"add","path":"/__proto__/x","value":1}]']) {
      const result = ingestPatch({ text: bad, limits });
      expect(result.ok, bad).to.equal(false);
      expect(!result.ok && result.problem.status, bad).to.equal(400);
    }
  });

  it('refuses a malformed pointer in time linear in its length (no regular-expression backtracking)', () => {
    // `/` × 30 then a bad `~`: a pattern whose tokens may contain `/` tries every way of splitting
    // the slashes into tokens (2^30) before it fails, on the event loop for a body this small.
    for (const path of [`${'/'.repeat(30)}~`, `${'/a'.repeat(5000)}/~2`]) {
      const started = performance.now();
      const result = ingestPatch({ text: JSON.stringify([{ op: 'remove', path }]), limits });
      expect(!result.ok && result.problem.status).to.equal(400);
      expect(performance.now() - started, path.slice(0, 40)).to.be.lessThan(500);
    }
  });

  it('stores whole a version whose patch would shift more array elements to replay than the states have bytes', () => {
    const large = { maxBytes: 16 * 1024 * 1024, maxDepth: 64 };
    const rows = Array.from({ length: 1_000_000 }, (_, i) => i % 10);
    const ingest = (value: Json): StateText => {
      const ingested = ingestState({ text: JSON.stringify(value), limits: large });
      if (!ingested.ok) throw new Error(ingested.problem.detail);
      return ingested.value;
    };
    const head = ingest([...Array.from({ length: 20_000 }, (_, i) => `x${i}`), ...rows]);
    const next = ingest(rows);
    const started = performance.now();
    // The diff is 20,000 removals of element 0, each shifting the million after it: as a patch,
    // 25 s to plan and again on every load of the version.
    const planned = planWrite({ head, next: { state: next }, limits: large, fullStateRatio: 0.5 });
    expect(planned.ok && !planned.value.unchanged && planned.value).to.deep.include({ patchText: undefined, ops: 1, hash: next.hash });
    expect(performance.now() - started).to.be.lessThan(5000);
    // A few inserts near the front are still a patch.
    const inserted = planWrite({ head: next, next: { state: ingest([1, 2, 3, ...rows]) }, limits: large, fullStateRatio: 0.5 });
    expect(inserted.ok && !inserted.value.unchanged && JSON.parse(inserted.value.patchText!)).to.have.length(3);
  });

  it('diffs two versions into a patch never much longer than replacing the whole document', () => {
    const textOf = (result: ReturnType<typeof diffStates>): string => (result.ok ? Buffer.from(result.value.patch).toString('utf8') : '');
    const fromText = JSON.stringify(Array.from({ length: 200_000 }, () => ({})));
    const toText = JSON.stringify(Array.from({ length: 200_000 }, () => []));
    const rewritten = diffStates({ fromText, toText });
    // Index by index, this was 200,000 replacements: 7.6 MB for a 600 KB state.
    expect(textOf(rewritten)).to.equal(`[{"op":"replace","path":"","value":${toText}}]`);
    const small = diffStates({ fromText: '{"a":[1,2,3],"b":"x"}', toText: '{"a":[0,1,2,3],"b":"x"}' });
    expect(JSON.parse(textOf(small))).to.deep.equal([{ op: 'add', path: '/a/0', value: 0 }]);
    // A small patch stays a patch, even where the whole document would be shorter.
    const three = diffStates({ fromText: '{"a":1,"b":2,"c":3}', toText: '{"a":4,"b":5,"c":6}' });
    expect(JSON.parse(textOf(three))).to.have.length(3);
    for (const [a, b] of [[fromText, toText], ['{"a":[1,2,3],"b":"x"}', '{"a":[0,1,2,3],"b":"x"}'], ['[1]', '"one"']]) {
      const patch = diffStates({ fromText: a!, toText: b! });
      expect(apply(JSON.parse(a!) as Json, JSON.parse(textOf(patch)) as unknown[])).to.deep.equal(JSON.parse(b!));
    }
  });

  it('plans a patch of an inherited name as a 422 naming the operation, never as a version', () => {
    const head = headOf({ a: 1 });
    for (const patch of [
      [{ op: 'copy', from: '/hasOwnProperty', path: '/h' }],
      [{ op: 'copy', from: '/constructor', path: '/h' }],
      [{ op: 'move', from: '/toString', path: '/h' }],
      [{ op: 'move', from: '/valueOf', path: '/h' }],
      [{ op: 'remove', path: '/toString' }],
      [{ op: 'replace', path: '/constructor', value: 1 }],
    ]) {
      const result = planWrite({ head, next: { patchText: JSON.stringify(patch) }, limits, fullStateRatio: 0.5 });
      expect(result, JSON.stringify(patch)).to.deep.include({ ok: false });
      expect(!result.ok && result.problem).to.deep.include({ status: 422, operation: 0 });
    }
  });

  // The store's promise: what it accepts, it can read back. Random documents whose keys are the
  // names every object inherits, random patches whose paths use them too; whenever a patch is
  // accepted, the stored patch replays from the head to exactly the recorded hash.
  it('never plans a version that does not replay to its hash (5000 generated patches over inherited names)', () => {
    let accepted = 0;
    for (let seed = 1; seed <= 5000; seed++) {
      const random = prng(seed);
      const gen = generator(random);
      const name = (): string => (random() < 0.6 ? gen.pick(INHERITED) : gen.pick(['a', 'b', '0', '1', '-', '', '01']));
      const pointer = (): string => Array.from({ length: random() < 0.7 ? 1 : 2 }, () => `/${name()}`).join('');
      const document: { [key: string]: Json } = { a: gen.value(2), b: [gen.value(1), gen.value(1)] };
      for (const key of INHERITED) if (random() < 0.2) document[key] = gen.value(1);
      const patch = Array.from({ length: 1 + gen.int(4) }, () => {
        const op = gen.pick(['add', 'remove', 'replace', 'move', 'copy', 'test'] as const);
        return op === 'move' || op === 'copy' ? { op, from: pointer(), path: pointer() } : op === 'remove' ? { op, path: pointer() } : { op, path: pointer(), value: gen.value(1) };
      });
      const head = headOf(document);
      // No patch is stored whole here, so every accepted one goes through the replay check.
      const planned = planWrite({ head, next: { patchText: JSON.stringify(patch) }, limits, fullStateRatio: Number.POSITIVE_INFINITY });
      if (!planned.ok) {
        expect([413, 422], `seed ${seed}`).to.include(planned.problem.status);
        continue;
      }
      if (planned.value.unchanged) continue;
      accepted++;
      const plan = planned.value;
      const replayed = replayVersion({ checkpointText: head.text, patchTexts: [plan.patchText!], expectedHash: plan.hash });
      expect(replayed.ok, `seed ${seed}: ${JSON.stringify(patch)} on ${head.text}`).to.equal(true);
      const state = JSON.parse(plan.text) as Json;
      expect(JSON.parse(JSON.stringify(state)), `seed ${seed}`).to.deep.equal(state);
      expect(digestState(state).hash.toString('hex')).to.equal(plan.hash);
      expect(applyPatch(JSON.parse(head.text) as Json, diff(JSON.parse(head.text) as Json, state))).to.deep.equal(state);
    }
    expect(accepted).to.be.greaterThan(300);
  });
});
