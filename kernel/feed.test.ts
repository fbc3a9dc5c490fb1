import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, testDatabase } from '../test/harness.ts';
import type { Database } from './db.ts';
import { appendEvents, outboxDdl, readEvents, streamStart, type StoredEvent } from './events.ts';
import { EventFeed } from './feed.ts';

const write = (database: Database, ns: number[], school = 'A') =>
  database.db.transaction((tx) =>
    appendEvents(
      tx,
      'sample',
      ns.map((n) => ({ type: 'ThingHappened', keys: { school }, payload: { n } })),
    ),
  );

const numbers = (events: StoredEvent[]) => events.map((event) => event.payload.n);

/** Takes `count` events from the subscription, failing after `timeoutMs` rather than hanging. */
async function take(events: AsyncIterator<StoredEvent>, count: number, timeoutMs = 10_000): Promise<StoredEvent[]> {
  const taken: StoredEvent[] = [];
  const deadline = setTimeout(() => void events.return?.(), timeoutMs);
  while (taken.length < count) {
    const next = await events.next();
    if (next.done) break;
    taken.push(next.value);
  }
  clearTimeout(deadline);
  return taken;
}

describe('EventFeed: subscriptions served from an outbox', () => {
  let database: Database & { drop(): Promise<void> };
  let feed: EventFeed;

  beforeAll(async () => {
    database = await testDatabase();
    await database.rawTransaction((tx) => tx.script(`CREATE SCHEMA sample;\n${outboxDdl('sample')}`));
  });
  beforeEach(async () => {
    await feed?.close();
    await database.db.execute(sql`TRUNCATE sample.outbox`);
    feed = new EventFeed(database, { queue: 3, pollMs: 50, log: () => undefined });
  });
  afterAll(async () => {
    await feed?.close();
    await database?.drop();
  });

  it('replays the events after a cursor, then delivers live ones, each once and in order', async () => {
    await write(database, [1, 2, 3]);
    const [first] = await readEvents(database.db, 'sample', null, 1);
    const events = feed.subscribe({ stream: 'sample', after: first!.cursor });
    expect(numbers(await take(events, 2))).toEqual([2, 3]);
    await write(database, [4, 5]);
    expect(numbers(await take(events, 2))).toEqual([4, 5]);
    await events.return!();
  });

  it('without a cursor, delivers only what is written after it joined', async () => {
    await write(database, [1]);
    const events = feed.subscribe({ stream: 'sample', after: null });
    const pending = take(events, 1);
    await eventually('the subscriber in the live tail', () => feed.stats().live === 1);
    await write(database, [2]);
    expect(numbers(await pending)).toEqual([2]);
    await events.return!();
  });

  it('delivers only the events whose keys match', async () => {
    const events = feed.subscribe({ stream: 'sample', after: null, match: { school: 'B' } });
    const pending = take(events, 2);
    await eventually('the subscriber in the live tail', () => feed.stats().live === 1);
    await write(database, [1], 'A');
    await write(database, [2], 'B');
    await write(database, [3], 'A');
    await write(database, [4], 'B');
    expect(numbers(await pending)).toEqual([2, 4]);
    await events.return!();
  });

  it('delivers only the events whose key starts with a prefix: every vestiging of one school, from the table and live', async () => {
    await write(database, [1], '16AH00');
    await write(database, [2], '16AI00');
    const events = feed.subscribe({ stream: 'sample', after: streamStart, prefix: { school: '16AH' } });
    const pending = take(events, 3);
    await eventually('the subscriber in the live tail', () => feed.stats().live === 1);
    await write(database, [3], '16AH01');
    await write(database, [4], '16AB00');
    await write(database, [5], '16AI01');
    await write(database, [6], '16AH02');
    expect(numbers(await pending)).toEqual([1, 3, 6]);
    await events.return!();
  });

  it('loses nothing when a subscriber that does not read falls behind its queue: it reads on from the table', async () => {
    const events = feed.subscribe({ stream: 'sample', after: null });
    const first = take(events, 1);
    await eventually('the subscriber in the live tail', () => feed.stats().live === 1);
    await write(database, [0]);
    await first;
    for (let n = 1; n <= 20; n++) await write(database, [n]);
    // The tail offered 20 events to a queue of 3: the subscriber left the tail to read the table.
    await eventually('the subscriber to leave the tail', () => feed.stats().live === 0);
    expect(numbers(await take(events, 20))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await events.return!();
  });

  it('ends a waiting next() at once on return(), and stops the tail with its last subscriber', async () => {
    const events = feed.subscribe({ stream: 'sample', after: null });
    const waiting = events.next();
    await eventually('the subscriber in the live tail', () => feed.stats().live === 1);
    expect(feed.stats()).toEqual({ subscriptions: 1, live: 1, tails: 1 });
    await events.return!();
    await expect(waiting).resolves.toEqual({ done: true, value: undefined });
    expect(feed.stats()).toEqual({ subscriptions: 0, live: 0, tails: 0 });
  });

  it('refuses a malformed cursor with BAD_USER_INPUT before it opens anything', () => {
    expect(() => feed.subscribe({ stream: 'sample', after: 'nonsense' })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(feed.stats().subscriptions).toBe(0);
  });
});
