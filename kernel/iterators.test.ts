import { describe, expect, it } from 'vitest';
import { channel, mapped, type ClosedBy } from './iterators.ts';

describe('channel', () => {
  it('keeps what is pushed before anyone reads, in order, and hands a value to a waiting next() at once', async () => {
    const values = channel<number>();
    expect(values.push(1) && values.push(2)).toBe(true);
    expect(values.size).toBe(2);
    expect(await values.next()).toEqual({ done: false, value: 1 });
    expect(await values.next()).toEqual({ done: false, value: 2 });
    const waiting = values.next();
    values.push(3);
    expect(await waiting).toEqual({ done: false, value: 3 });
    expect(values.size).toBe(0);
  });

  it('ends once what is queued is taken, and takes nothing after end()', async () => {
    const closes: ClosedBy[] = [];
    const values = channel<number>((by) => closes.push(by));
    values.push(1);
    values.end();
    expect(values.push(2)).toBe(false);
    expect(closes).toEqual([]);
    expect(await values.next()).toEqual({ done: false, value: 1 });
    expect(await values.next()).toEqual({ done: true, value: undefined });
    expect(closes).toEqual(['ended']);
    expect(values.closed).toBe(true);
    expect(await values.next()).toEqual({ done: true, value: undefined });
  });

  it('throws the failure once what is queued is taken, and to a next() that waits', async () => {
    const closes: ClosedBy[] = [];
    const queued = channel<number>((by) => closes.push(by));
    queued.push(1);
    queued.fail(new Error('gone'));
    expect(await queued.next()).toEqual({ done: false, value: 1 });
    await expect(queued.next()).rejects.toThrow('gone');
    const waited = channel<number>((by) => closes.push(by));
    const waiting = waited.next();
    waited.fail(new Error('gone too'));
    await expect(waiting).rejects.toThrow('gone too');
    expect(closes).toEqual(['failed', 'failed']);
  });

  it('settles a waiting next() at once on return(), dropping what is queued, and closes once', async () => {
    const closes: ClosedBy[] = [];
    const values = channel<number>((by) => closes.push(by));
    const waiting = values.next();
    await values.return();
    expect(await waiting).toEqual({ done: true, value: undefined });
    const queued = channel<number>((by) => closes.push(by));
    queued.push(1);
    await queued.return();
    await queued.return();
    expect(queued.size).toBe(0);
    expect(await queued.next()).toEqual({ done: true, value: undefined });
    expect(queued.push(2)).toBe(false);
    expect(closes).toEqual(['returned', 'returned']);
  });

  it('runs onClose before a waiting next() hears of the end', async () => {
    const order: string[] = [];
    const values = channel<number>(() => order.push('closed'));
    const waiting = values.next().then(() => order.push('heard'));
    values.end();
    await waiting;
    expect(order).toEqual(['closed', 'heard']);
  });
});

describe('mapped', () => {
  it('maps one at a time, ends when the map gives undefined, and ends a waiting next() at once on return(), telling the map', async () => {
    const source = channel<number>();
    const signals: AbortSignal[] = [];
    const doubled = mapped(source, async (value, signal) => {
      signals.push(signal);
      return value < 0 ? undefined : value * 2;
    });
    source.push(1);
    expect(await doubled.next()).toEqual({ done: false, value: 2 });
    const waiting = doubled.next();
    await doubled.return!();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(source.closed).toBe(true);
    expect(signals[0]!.aborted).toBe(true);
    const other = channel<number>();
    other.push(-1);
    expect(await mapped(other, async (value) => (value < 0 ? undefined : value)).next()).toEqual({ done: true, value: undefined });
  });
});
