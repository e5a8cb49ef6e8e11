import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { chainHash, GENESIS_HASH, type ChainedEvent } from '../../src/core/chain.js';

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

describe('chain hash (core/chain.ts)', () => {
  const event: ChainedEvent = { version: 1, kind: 'save', createdAt: '2026-01-02 03:04:05.678901', stateHash: sha256('{"a":1}') };

  it('gives the known value for a known event: stored chains stay verifiable', () => {
    expect(GENESIS_HASH.equals(Buffer.alloc(32))).to.equal(true);
    const hash = chainHash(GENESIS_HASH, event);
    // Computed outside this code (Python's hashlib, from the layout below).
    expect(hash.toString('hex')).to.equal('31fca3952653a0582f898adb6b9b0eb2cb0384ccfcc8097b47c63dfd6c041c78');
    // The layout: previous link, version (uint32 big-endian), kind, NUL, time, NUL, state hash.
    const layout = createHash('sha256')
      .update(Buffer.concat([GENESIS_HASH, Buffer.from([0, 0, 0, 1]), Buffer.from('save\0'), Buffer.from('2026-01-02 03:04:05.678901\0'), event.stateHash]))
      .digest();
    expect(hash.equals(layout)).to.equal(true);
    expect(chainHash(hash, { ...event, version: 2, kind: 'patch' }).toString('hex')).to.equal('f5b7ae7fa5a37d5df60bf8eb873f78383edda12024e194bf63e4144226869c07');
  });

  it('changes with each input: the previous link, the version, the kind, the time, the state', () => {
    const previous = chainHash(GENESIS_HASH, event);
    const variants = [
      chainHash(GENESIS_HASH, event),
      chainHash(previous, event),
      chainHash(GENESIS_HASH, { ...event, version: 2 }),
      chainHash(GENESIS_HASH, { ...event, version: 256 }),
      chainHash(GENESIS_HASH, { ...event, kind: 'restore' }),
      chainHash(GENESIS_HASH, { ...event, createdAt: '2026-01-02 03:04:05.678902' }),
      chainHash(GENESIS_HASH, { ...event, stateHash: sha256('{"a":2}') }),
    ];
    expect(new Set(variants.map((hash) => hash.toString('hex')))).to.have.property('size', variants.length);
    expect(chainHash(GENESIS_HASH, { ...event }).equals(variants[0]!)).to.equal(true);
  });

  it('keeps the fields apart: text moved from the kind to the time is another link', () => {
    const a = chainHash(GENESIS_HASH, { ...event, kind: 'save', createdAt: 'X' });
    const b = chainHash(GENESIS_HASH, { ...event, kind: 'sav', createdAt: 'eX' });
    expect(a.equals(b)).to.equal(false);
  });
});
