import { expect } from 'chai';
import { decideStorage } from '../../src/core/checkpointPolicy.js';
import { canonicalJson, digestState, inspectJson, type Json } from '../../src/core/json.js';
import { PatchConflictError, applyToCopy, replay } from '../../src/core/replay.js';
import { dbInstant, formatInstant, parseInstant } from '../../src/core/time.js';

describe('core', () => {
  describe('canonical JSON and state hash', () => {
    it('gives equal states one text and one hash whatever their key order', () => {
      expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).to.equal('{"a":[{"c":2,"d":1}],"b":1}');
      expect(digestState({ b: 1, a: 2 }).hash.equals(digestState({ a: 2, b: 1 }).hash)).to.equal(true);
      expect(digestState({ a: 1 }).hash.equals(digestState({ a: 2 }).hash)).to.equal(false);
    });

    it('counts UTF-8 bytes', () => {
      expect(digestState('é').bytes).to.equal(4); // "é" is 2 bytes plus 2 quotes
    });
  });

  describe('input checks', () => {
    it('measures nesting iteratively, however deep', () => {
      expect(inspectJson({ a: [[1]] }).depth).to.equal(3);
      expect(inspectJson('[[[[[').depth).to.equal(0);
      expect(inspectJson([]).depth).to.equal(1);
      expect(inspectJson(JSON.parse('['.repeat(100000) + ']'.repeat(100000)) as Json).depth).to.equal(100000);
      expect(inspectJson(JSON.parse('['.repeat(100000) + ']'.repeat(100000)) as Json, 64).depth).to.equal(65);
    });

    it('finds a __proto__ key at any depth, and only that key', () => {
      expect(inspectJson(JSON.parse('{"a":[{"b":1},{"__proto__":{"x":1}}]}') as Json).protoPath).to.equal('/a/1/__proto__');
      expect(inspectJson(JSON.parse('{"~/":{"__proto__":1}}') as Json).protoPath).to.equal('/~0~1/__proto__');
      expect(inspectJson({ constructor: { prototype: 1 }, '': 2 }).protoPath).to.equal(undefined);
    });
  });

  describe('replay', () => {
    it('applies patches in order to the checkpoint state', () => {
      const state = replay({ n: 0 }, [
        [{ op: 'replace', path: '/n', value: 1 }],
        [{ op: 'add', path: '/list', value: [] }],
        [{ op: 'add', path: '/list/-', value: 'x' }],
      ]);
      expect(state).to.deep.equal({ n: 1, list: ['x'] });
    });

    it('refuses a patch that does not apply, leaving the document as it was', () => {
      const document = { a: 1 };
      expect(() => applyToCopy(document, [{ op: 'test', path: '/a', value: 2 }])).to.throw(PatchConflictError, /test failed/);
      expect(() => applyToCopy(document, [{ op: 'remove', path: '/missing' }])).to.throw(PatchConflictError);
      expect(document).to.deep.equal({ a: 1 });
    });
  });

  describe('checkpoint policy', () => {
    const policy = { maxEventsBetween: 10, fullStateRatio: 0.5 };
    it('stores a small change as a patch', () => {
      expect(decideStorage(policy, { eventsSinceCheckpoint: 3, patchBytesSinceCheckpoint: 300, patchBytes: 100, stateBytes: 10_000 })).to.equal('patch');
    });
    it('adds a checkpoint after K events or once the patches outweigh the state', () => {
      expect(decideStorage(policy, { eventsSinceCheckpoint: 10, patchBytesSinceCheckpoint: 300, patchBytes: 100, stateBytes: 10_000 })).to.equal('patch+checkpoint');
      expect(decideStorage(policy, { eventsSinceCheckpoint: 3, patchBytesSinceCheckpoint: 10_000, patchBytes: 100, stateBytes: 10_000 })).to.equal('patch+checkpoint');
    });
    it('stores the whole state when the patch is most of it', () => {
      expect(decideStorage(policy, { eventsSinceCheckpoint: 3, patchBytesSinceCheckpoint: 6000, patchBytes: 6000, stateBytes: 10_000 })).to.equal('full');
    });
  });

  describe('instants', () => {
    it('reads RFC 3339 with any offset into UTC microseconds', () => {
      expect(parseInstant('2026-01-31T12:00:00Z')).to.equal('2026-01-31 12:00:00.000000');
      expect(parseInstant('2026-01-31T12:00:00.1234567+02:00')).to.equal('2026-01-31 10:00:00.123456');
      expect(parseInstant('2026-01-01T00:30:00-01:00')).to.equal('2026-01-01 01:30:00.000000');
      expect(formatInstant('2026-01-31 10:00:00.123456')).to.equal('2026-01-31T10:00:00.123456Z');
    });
    it('gives every instant read from the database one spelling, whatever the protocol dropped', () => {
      expect(dbInstant('2026-01-31 10:00:00')).to.equal('2026-01-31 10:00:00.000000');
      expect(dbInstant('2026-01-31 10:00:00.5')).to.equal('2026-01-31 10:00:00.500000');
      expect(dbInstant('2026-01-31 10:00:00.123456')).to.equal('2026-01-31 10:00:00.123456');
    });

    it('refuses what is not an instant', () => {
      for (const text of ['2026-02-30T00:00:00Z', '2026-01-01', '2026-01-01T25:00:00Z', 'yesterday', '2026-01-01T00:00:00', '1e9']) {
        expect(parseInstant(text), text).to.equal(undefined);
      }
    });

    it('holds instants to years 0001-9999 in UTC, once the offset is applied, and reads years 1-99 as written', () => {
      for (const text of ['9999-12-31T23:30:00-01:00', '9999-12-31T23:59:59.5-00:01', '0001-01-01T00:30:00+01:00', '0000-12-31T23:59:59Z']) {
        expect(parseInstant(text), text).to.equal(undefined);
      }
      expect(parseInstant('9999-12-31T23:30:00+01:00')).to.equal('9999-12-31 22:30:00.000000');
      expect(parseInstant('9999-12-31T23:59:60Z')).to.equal('9999-12-31 23:59:59.999999');
      expect(parseInstant('0000-12-31T23:30:00-01:00')).to.equal('0001-01-01 00:30:00.000000');
      expect(parseInstant('0001-01-01T00:00:00Z')).to.equal('0001-01-01 00:00:00.000000');
      expect(parseInstant('0050-06-01T12:00:00Z')).to.equal('0050-06-01 12:00:00.000000');
      expect(parseInstant('0048-02-29T00:00:00Z')).to.equal('0048-02-29 00:00:00.000000');
      expect(parseInstant('0100-02-29T00:00:00Z')).to.equal(undefined);
    });
  });
});
