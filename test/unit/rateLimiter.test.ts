import { expect } from 'chai';
import { createRateLimiter } from '../../src/access/rateLimiter.js';

/** A limiter on a clock the test moves by hand (milliseconds). */
function limiterAt(start = 1000) {
  let now = start;
  const limiter = createRateLimiter(() => now);
  return { limiter, advance: (ms: number) => void (now += ms) };
}

describe('rate limiter: a token bucket per key', () => {
  const limit = { perSecond: 2, burst: 3 };

  it('admits a burst at once, then refuses saying how many seconds until the next token', () => {
    const { limiter } = limiterAt();
    expect([1, 2, 3].map(() => limiter.take('k', limit))).to.deep.equal([undefined, undefined, undefined]);
    expect(limiter.take('k', limit)).to.equal(0.5);
    expect(limiter.take('k', { perSecond: 0.5, burst: 3 }), 'at half a request per second').to.equal(2);
  });

  it('refills at its rate: a refusal takes nothing, and the wait it names is enough', () => {
    const { limiter, advance } = limiterAt();
    for (let i = 0; i < 3; i++) limiter.take('k', limit);
    advance(250);
    expect(limiter.take('k', limit)).to.equal(0.25);
    advance(250);
    expect(limiter.take('k', limit)).to.equal(undefined);
    expect(limiter.take('k', limit)).to.equal(0.5);
  });

  it('admits the burst plus the rate over time, and no more', () => {
    const { limiter, advance } = limiterAt();
    let admitted = 0;
    // Ten seconds of four attempts a second against two a second.
    for (let i = 0; i < 40; i++) {
      if (limiter.take('k', limit) === undefined) admitted++;
      advance(250);
    }
    // The burst, plus two a second over the 9.75 s from the first attempt to the last.
    expect(admitted).to.equal(3 + Math.floor(2 * 9.75));
  });

  it('fills up to the burst and no further after a quiet period', () => {
    const { limiter, advance } = limiterAt();
    limiter.take('k', limit);
    advance(3_600_000);
    const answers = Array.from({ length: 5 }, () => limiter.take('k', limit));
    expect(answers.filter((answer) => answer === undefined)).to.have.length(3);
    expect(answers.at(-1)).to.equal(0.5);
  });

  it("limits each key on its own: one key's flood leaves another's bucket full", () => {
    const { limiter } = limiterAt();
    for (let i = 0; i < 100; i++) limiter.take('flood', limit);
    expect(limiter.take('flood', limit)).to.be.a('number');
    expect([1, 2, 3].map(() => limiter.take('calm', limit))).to.deep.equal([undefined, undefined, undefined]);
  });

  it('admits everything when the rate is 0 or less (no limit)', () => {
    const { limiter } = limiterAt();
    for (const perSecond of [0, -1]) {
      for (let i = 0; i < 1000; i++) expect(limiter.take('k', { perSecond, burst: 1 })).to.equal(undefined);
    }
  });
});
