import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createStateCache, type CachedState } from '../../src/sessions/stateCache.js';

/** A cached head of `bytes` bytes at `version`; its hash follows its text. */
function head(version: number, bytes: number, fill = 'x'): CachedState {
  const text = JSON.stringify(fill.repeat(bytes - 2));
  const hash = createHash('sha256').update(text).digest();
  return { version, stateHash: hash, state: { text, hash: hash.toString('hex'), bytes } };
}

describe('state cache: head states by tenant and session, least recently used out first, bounded in bytes', () => {
  it('answers only when both the version and the state hash match the head just read', () => {
    const cache = createStateCache(1000);
    const entry = head(3, 10);
    cache.set('t', 's', entry);
    expect(cache.get('t', 's', 3, entry.stateHash)).to.equal(entry.state);
    expect(cache.get('t', 's', 4, entry.stateHash), 'a later version').to.equal(undefined);
    expect(cache.get('t', 's', 2, entry.stateHash), 'an earlier version').to.equal(undefined);
    // The same version with another state: a purge and re-creation, or a write by another process.
    expect(cache.get('t', 's', 3, head(3, 10, 'y').stateHash), 'another state at that version').to.equal(undefined);
  });

  it('keeps tenants and sessions apart', () => {
    const cache = createStateCache(1000);
    const entry = head(1, 10);
    cache.set('t', 's', entry);
    expect(cache.get('other', 's', 1, entry.stateHash)).to.equal(undefined);
    expect(cache.get('t', 'other', 1, entry.stateHash)).to.equal(undefined);
    // The separator cannot be forged by a tenant and session that run together.
    cache.set('ab', 'c', head(1, 10));
    expect(cache.get('a', 'bc', 1, head(1, 10).stateHash)).to.equal(undefined);
  });

  it('evicts the least recently used entries until the total fits, a read counting as a use', () => {
    const cache = createStateCache(100);
    const [a, b, c] = [head(1, 40, 'a'), head(1, 40, 'b'), head(1, 40, 'c')];
    cache.set('t', 'a', a);
    cache.set('t', 'b', b);
    expect(cache.get('t', 'a', 1, a.stateHash)).to.equal(a.state); // a is now the most recent
    cache.set('t', 'c', c);
    expect(cache.get('t', 'b', 1, b.stateHash), 'b, least recently used').to.equal(undefined);
    expect(cache.get('t', 'a', 1, a.stateHash)).to.equal(a.state);
    expect(cache.get('t', 'c', 1, c.stateHash)).to.equal(c.state);
    expect(cache.bytes).to.equal(80);

    const big = head(1, 90, 'd');
    cache.set('t', 'd', big);
    expect(cache.get('t', 'a', 1, a.stateHash)).to.equal(undefined);
    expect(cache.get('t', 'c', 1, c.stateHash)).to.equal(undefined);
    expect(cache.get('t', 'd', 1, big.stateHash)).to.equal(big.state);
    expect(cache.bytes).to.equal(90);
  });

  it('replaces a session entry, counting its bytes once; a state larger than the whole cache is not kept and drops the older one', () => {
    const cache = createStateCache(100);
    cache.set('t', 's', head(1, 30));
    const next = head(2, 50);
    cache.set('t', 's', next);
    expect(cache.bytes).to.equal(50);
    expect(cache.get('t', 's', 1, head(1, 30).stateHash)).to.equal(undefined);
    expect(cache.get('t', 's', 2, next.stateHash)).to.equal(next.state);

    const huge = head(3, 101);
    cache.set('t', 's', huge);
    expect(cache.get('t', 's', 3, huge.stateHash)).to.equal(undefined);
    expect(cache.get('t', 's', 2, next.stateHash), 'the older head is not kept either').to.equal(undefined);
    expect(cache.bytes).to.equal(0);
  });

  it('forgets a deleted session, and keeps nothing with a size of 0', () => {
    const cache = createStateCache(100);
    const entry = head(1, 30);
    cache.set('t', 's', entry);
    cache.delete('t', 's');
    expect(cache.get('t', 's', 1, entry.stateHash)).to.equal(undefined);
    expect(cache.bytes).to.equal(0);
    cache.delete('t', 'never-there');
    expect(cache.bytes).to.equal(0);

    const off = createStateCache(0);
    off.set('t', 's', head(1, 2));
    expect(off.get('t', 's', 1, head(1, 2).stateHash)).to.equal(undefined);
    expect(off.bytes).to.equal(0);
  });
});
