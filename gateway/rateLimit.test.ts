import { describe, expect, it } from 'vitest';
import { RateLimiter, rateKey } from './rateLimit.ts';

/** A limiter on a clock the test moves: `at(ms)` sets the time. */
function limiterAt(perSecond: number, burst?: number) {
  let now = 0;
  const limiter = new RateLimiter(perSecond, burst, () => now);
  return { limiter, at: (ms: number) => (now = ms) };
}

describe('RateLimiter: a token bucket per viewer', () => {
  it('allows a burst, then refuses with the whole seconds until the next request is allowed', () => {
    const { limiter } = limiterAt(2, 4);
    expect([1, 2, 3, 4, 5].map(() => limiter.take('v'))).toEqual([0, 0, 0, 0, 1]);
    const { limiter: slow } = limiterAt(0.5, 1);
    expect([slow.take('v'), slow.take('v')]).toEqual([0, 2]);
  });

  it('holds twice the rate when no burst is given', () => {
    const { limiter } = limiterAt(3);
    expect(Array.from({ length: 7 }, () => limiter.take('v'))).toEqual([0, 0, 0, 0, 0, 0, 1]);
  });

  it('refills the bucket at the rate (RateLimiter on a clock of its own)', () => {
    const { limiter, at } = limiterAt(2, 4);
    expect([1, 2, 3, 4, 5].map(() => limiter.take('v'))).toEqual([0, 0, 0, 0, 1]);
    at(500);
    expect(limiter.take('v')).toBe(0);
    expect(limiter.take('v')).toBe(1);
  });

  it('refills to the burst at most, however long the viewer was away', () => {
    const { limiter, at } = limiterAt(2, 4);
    limiter.take('v');
    at(3_600_000);
    expect([1, 2, 3, 4, 5].map(() => limiter.take('v'))).toEqual([0, 0, 0, 0, 1]);
  });

  it('counts a refused request against nothing: the wait shrinks as time passes', () => {
    const { limiter, at } = limiterAt(1, 1);
    expect([limiter.take('v'), limiter.take('v'), limiter.take('v')]).toEqual([0, 1, 1]);
    at(1000);
    expect(limiter.take('v')).toBe(0);
  });

  it('keeps a bucket per key: one viewer spending its burst leaves another its own', () => {
    const { limiter } = limiterAt(1, 2);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 1]);
    expect([limiter.take('b'), limiter.take('b'), limiter.take('b')]).toEqual([0, 0, 1]);
  });
});

describe('rateKey: whose bucket a request takes from', () => {
  it('gives a vendor one bucket whichever school it acts for', () => {
    const vendor = '00000001800866472000';
    expect(rateKey({ role: 'VENDOR', vendorOin: vendor, school: '16AH00' })).toBe(rateKey({ role: 'VENDOR', vendorOin: vendor, school: '03WU00' }));
    expect(rateKey({ role: 'VENDOR', vendorOin: vendor, school: '16AH00' })).not.toBe(
      rateKey({ role: 'VENDOR', vendorOin: '00000003273255280000', school: '16AH00' }),
    );
  });

  it('gives each municipality and board its own bucket, and the operator one', () => {
    const keys = [
      rateKey({ role: 'MUNICIPALITY', municipality: '0114' }),
      rateKey({ role: 'MUNICIPALITY', municipality: '0363' }),
      rateKey({ role: 'BOARD', board: '042B830' }),
      rateKey({ role: 'BOARD', board: '041B624' }),
      rateKey({ role: 'OPERATOR' }),
    ];
    expect(new Set(keys).size).toBe(5);
    expect(rateKey({ role: 'OPERATOR' })).toBe(keys[4]);
  });
});
