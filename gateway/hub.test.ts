import { describe, expect, it } from 'vitest';
import { Subscriber } from './hub.ts';

describe('Subscriber', () => {
  const refusal = [{ message: 'No longer allowed', extensions: { code: 'FORBIDDEN' } }];

  it('ends, releasing what it holds, when it fails while its reader waits', async () => {
    const ends: string[] = [];
    const subscriber = new Subscriber(10, () => ends.push('fell behind'), () => ends.push('end'));
    subscriber.whenEnded(() => ends.push('released'));
    const waiting = subscriber.next();
    subscriber.fail(refusal);
    await expect(waiting).rejects.toMatchObject({ message: 'No longer allowed', extensions: { code: 'FORBIDDEN' } });
    expect(ends).toEqual(['end', 'released']);
    await expect(subscriber.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('delivers what was queued before it fails, then the refusal, and ends once', async () => {
    const ends: string[] = [];
    const subscriber = new Subscriber(10, () => ends.push('fell behind'), () => ends.push('end'));
    subscriber.push({ data: { n: 1 } });
    subscriber.fail(refusal);
    await expect(subscriber.next()).resolves.toEqual({ done: false, value: { data: { n: 1 } } });
    await expect(subscriber.next()).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    await subscriber.return();
    expect(ends).toEqual(['end']);
  });

  it('lets go of a subscriber whose queue is full, and makes room for a paced reader once it is half read', async () => {
    const ends: string[] = [];
    const subscriber = new Subscriber(4, () => ends.push('fell behind'), () => ends.push('end'));
    for (let n = 1; n <= 4; n++) subscriber.push({ data: { n } });
    let roomy = false;
    const room = subscriber.room().then(() => (roomy = true));
    await subscriber.next();
    await Promise.resolve();
    expect(roomy).toBe(false);
    await subscriber.next();
    await room;
    expect(roomy).toBe(true);
    subscriber.push({ data: { n: 5 } });
    subscriber.push({ data: { n: 6 } });
    subscriber.push({ data: { n: 7 } });
    expect(ends).toEqual(['end', 'fell behind']);
  });
});
