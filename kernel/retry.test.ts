import { describe, expect, it } from 'vitest';
import { Backoff, retry } from './retry.ts';

/** An attempt that fails `times` times, then gives `value`; `calls` counts it. */
function failing<T>(times: number, value: T) {
  const state = { calls: 0 };
  const attempt = async () => {
    state.calls++;
    if (state.calls <= times) throw new Error(`failure ${state.calls}`);
    return value;
  };
  return { attempt, state };
}

describe('Backoff', () => {
  it('doubles from the first wait up to the longest, and starts again on reset', () => {
    const waits = new Backoff(250, 10_000);
    expect(Array.from({ length: 8 }, () => waits.next())).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    waits.reset();
    expect(waits.next()).toBe(250);
  });
});

describe('retry', () => {
  it("tries until the attempt succeeds, telling each failure with the wait it takes, the Backoff's", async () => {
    const { attempt, state } = failing(3, 'value');
    const heard: [string, number, number][] = [];
    const tried = await retry(attempt, {
      waits: new Backoff(1, 3),
      onRetry: (error, failures, waitMs) => heard.push([(error as Error).message, failures, waitMs]),
    });
    expect(tried).toEqual({ kind: 'done', value: 'value' });
    expect(state.calls).toBe(4);
    expect(heard).toEqual([
      ['failure 1', 1, 1],
      ['failure 2', 2, 2],
      ['failure 3', 3, 3],
    ]);
  });

  it('throws a failure that is not retryable at once', async () => {
    const { attempt, state } = failing(5, 'value');
    await expect(retry(attempt, { waits: 1, retryable: () => false })).rejects.toThrow('failure 1');
    expect(state.calls).toBe(1);
  });

  it('gives up with the last failure once the time is up, its last wait cut to end then', async () => {
    const { attempt } = failing(Infinity, 'never');
    const waited: number[] = [];
    const began = Date.now();
    const tried = await retry(attempt, { waits: 40, giveUpAfterMs: 100, onRetry: (_, __, waitMs) => waited.push(waitMs) });
    expect(tried.kind).toBe('gave-up');
    expect((tried as { error: Error }).error.message).toMatch(/^failure \d+$/);
    expect(Date.now() - began).toBeGreaterThanOrEqual(100);
    expect(waited.slice(0, 2)).toEqual([40, 40]);
    expect(waited.at(-1)).toBeLessThanOrEqual(40);
    expect(waited.reduce((sum, wait) => sum + wait, 0)).toBeLessThanOrEqual(100);
  });

  it('stops when the signal aborts, ending the wait at once, and attempts nothing after', async () => {
    const { attempt, state } = failing(Infinity, 'never');
    const stopping = new AbortController();
    const began = Date.now();
    const trying = retry(attempt, { waits: 60_000, signal: stopping.signal, onRetry: () => stopping.abort() });
    expect(await trying).toEqual({ kind: 'stopped' });
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(state.calls).toBe(1);
  });

  it('waits before the first attempt when asked, and attempts nothing once stopped', async () => {
    const { attempt, state } = failing(0, 'value');
    const stopping = new AbortController();
    stopping.abort();
    expect(await retry(attempt, { waits: 1, waitFirst: true, signal: stopping.signal })).toEqual({ kind: 'stopped' });
    expect(state.calls).toBe(0);
    const began = Date.now();
    expect(await retry(attempt, { waits: 30, waitFirst: true })).toEqual({ kind: 'done', value: 'value' });
    expect(Date.now() - began).toBeGreaterThanOrEqual(25);
  });
});
