import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../kernel/logging.ts';
import { reachableRedisUrl } from '../test/harness.ts';
import { RateLimiter, SharedRateLimiter, rateKey } from './rateLimit.ts';

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

/** A logger whose lines the test reads. */
function capturedLog() {
  const lines: { level: number; msg: string }[] = [];
  return { lines, logger: createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) }) };
}

const redisUrl = await reachableRedisUrl();

const shared = 'SharedRateLimiter: one bucket per viewer for every gateway replica, in Redis';
describe.skipIf(!redisUrl)(redisUrl ? shared : `${shared} (skipped: no Redis answers at REDIS_URL or 127.0.0.1:6379)`, () => {
  it('refuses at one replica a viewer that spent its burst at another', async () => {
    const key = `test/${randomUUID()}`;
    const [first, second] = [0, 1].map(() => new SharedRateLimiter(redisUrl!, 1, new RateLimiter(1), capturedLog().logger));
    try {
      await Promise.all([first!.ready(), second!.ready()]);
      expect([await first!.take(key), await first!.take(key)]).toEqual([0, 0]);
      expect(await second!.take(key)).toBe(1);
      // Another viewer's bucket is its own.
      expect(await second!.take(`${key}/other`)).toBe(0);
    } finally {
      await Promise.all([first!.close(), second!.close()]);
    }
  });
});

describe("SharedRateLimiter when Redis cannot be reached: it fails open to the process's own bucket", () => {
  it('still limits each viewer, by this process alone, and says so in the log once', async () => {
    // A port that refuses: taken, then let go.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const log = capturedLog();
    const limiter = new SharedRateLimiter(`redis://127.0.0.1:${port}`, 1, new RateLimiter(1), log.logger);
    try {
      await limiter.ready();
      const key = `test/${randomUUID()}`;
      expect([await limiter.take(key), await limiter.take(key), await limiter.take(key)]).toEqual([0, 0, 1]);
      const warnings = log.lines.filter((line) => line.level === 40);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.msg).toMatch(/Redis cannot be reached .*each gateway replica limits the rate on its own/);
    } finally {
      await limiter.close();
    }
  });
});
