import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { Subscriber, worthHolding, worthReopening, type LetGo } from './hub.ts';
import type { SubscriptionPlan } from './plan.ts';

describe('Subscriber', () => {
  const refusal = [{ message: 'No longer allowed', extensions: { code: 'FORBIDDEN' } }];
  const completion = { plan: {} as SubscriptionPlan, variables: {}, key: '', projection: undefined };

  it('ends, releasing what it holds, when it fails while its reader waits', async () => {
    const ends: string[] = [];
    const subscriber = new Subscriber(
      10,
      completion,
      () => ends.push('fell behind'),
      () => ends.push('end'),
    );
    subscriber.whenEnded(() => ends.push('released'));
    const waiting = subscriber.next();
    subscriber.fail(refusal);
    await expect(waiting).rejects.toMatchObject({ message: 'No longer allowed', extensions: { code: 'FORBIDDEN' } });
    expect(ends).toEqual(['end', 'released']);
    await expect(subscriber.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('delivers what was queued before it fails, then the refusal, and ends once', async () => {
    const ends: string[] = [];
    const subscriber = new Subscriber(
      10,
      completion,
      () => ends.push('fell behind'),
      () => ends.push('end'),
    );
    subscriber.push({ data: { n: 1 } });
    subscriber.fail(refusal);
    await expect(subscriber.next()).resolves.toEqual({ done: false, value: { data: { n: 1 } } });
    await expect(subscriber.next()).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    await subscriber.return();
    expect(ends).toEqual(['end']);
  });

  it('lets go of a subscriber whose queue is full, and makes room for a paced reader once it is half read', async () => {
    const ends: string[] = [];
    const subscriber = new Subscriber(
      4,
      completion,
      () => ends.push('fell behind'),
      () => ends.push('end'),
    );
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

  it('lets go of a subscriber whose event cannot be completed once it has taken what was queued, to resume after the cursor given', async () => {
    const letGo: LetGo[] = [];
    const subscriber = new Subscriber(
      10,
      completion,
      (why) => letGo.push(why),
      () => undefined,
    );
    subscriber.push({ data: { n: 1 } });
    subscriber.unavailable('cursor-before');
    expect(letGo).toEqual([]);
    await expect(subscriber.next()).resolves.toEqual({ done: false, value: { data: { n: 1 } } });
    await expect(subscriber.next()).resolves.toEqual({ done: true, value: undefined });
    expect(letGo).toEqual([{ kind: 'unavailable', after: 'cursor-before' }]);

    const waiting = new Subscriber(
      10,
      completion,
      (why) => letGo.push(why),
      () => undefined,
    );
    const next = waiting.next();
    waiting.unavailable('another');
    await expect(next).resolves.toEqual({ done: true, value: undefined });
    expect(letGo.at(-1)).toEqual({ kind: 'unavailable', after: 'another' });
  });
});

describe('worthHolding', () => {
  it.each([
    ['a fetch that threw (the subgraph unreachable)', new TypeError('fetch failed'), true],
    ["a subgraph's HTTP error status", new GraphQLError('503: Service Unavailable', { extensions: { response: { status: 503 } } }), true],
    ['an internal error', { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }, true],
    ['UNAVAILABLE', { message: 'The register is starting', extensions: { code: 'UNAVAILABLE' } }, true],
    ["the gateway's signed viewer refused", { message: 'expired', extensions: { code: 'UNAUTHENTICATED' } }, true],
    ['FORBIDDEN: the answer for this viewer', { message: 'No mandate', extensions: { code: 'FORBIDDEN' } }, false],
    ['NOT_FOUND: the answer for this viewer', new GraphQLError('Not found', { extensions: { code: 'NOT_FOUND' } }), false],
    ['a null where none may be, which follows from another error', new GraphQLError('Cannot return null for non-nullable field Enrollment.learner.'), false],
  ])('%s', (_, error, outage) => {
    expect(worthHolding(error)).toBe(outage);
  });
});

describe('worthReopening', () => {
  it.each([
    ['an upstream refused for an outage (UNAVAILABLE)', { message: 'The register is starting', extensions: { code: 'UNAVAILABLE' } }, true],
    [
      "the gateway's assertion refused as the subscription opens: passed on, not retried",
      { message: 'The viewer assertion is not valid', extensions: { code: 'UNAUTHENTICATED' } },
      false,
    ],
    ['FORBIDDEN: the answer for this viewer', { message: 'No mandate', extensions: { code: 'FORBIDDEN' } }, false],
  ])('%s', (_, error, reopen) => {
    expect(worthReopening(error)).toBe(reopen);
  });
});
