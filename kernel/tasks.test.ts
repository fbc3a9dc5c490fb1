import { describe, expect, it } from 'vitest';
import { eventually } from '../test/harness.ts';
import { readConfig } from './config.ts';
import type { Db } from './db.ts';
import { startTask } from './tasks.ts';

describe('startTask (a subgraph task: at once, on an interval, when woken, one run at a time)', () => {
  const config = readConfig({});
  const db = {} as Db;

  it('runs at once, again on a wake, and once more for wakes during a run, never two at a time', async () => {
    let runs = 0;
    let running = 0;
    let most = 0;
    let release: () => void = () => undefined;
    const loop = startTask(
      db,
      {
        name: 'test',
        everyMs: 3_600_000,
        run: async () => {
          runs++;
          most = Math.max(most, ++running);
          await new Promise<void>((resolve) => (release = resolve));
          running--;
        },
      },
      config,
      () => undefined,
    );
    await eventually('the first run', () => runs === 1);
    loop.wake();
    loop.wake();
    release();
    await eventually('one more run for the wakes during the first', () => runs === 2);
    release();
    loop.wake();
    await eventually('a run for a later wake', () => runs === 3);
    release();
    await loop.stop();
    expect(most).toBe(1);
  });

  it('runs on its interval, reports a failed run and runs again, and stops', async () => {
    let runs = 0;
    const failures: unknown[] = [];
    const loop = startTask(
      db,
      {
        name: 'test',
        everyMs: 20,
        run: async () => {
          if (++runs === 1) throw new Error('database out');
        },
      },
      config,
      (error) => failures.push(error),
    );
    await eventually('runs after a failed one', () => runs >= 3);
    await loop.stop();
    const stoppedAt = runs;
    loop.wake();
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(stoppedAt);
    expect(failures).toEqual([new Error('database out')]);
  });
});
