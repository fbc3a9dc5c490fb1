import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventually, freshDatabaseUrl, testDatabase } from '../test/harness.ts';
import { readConfig } from './config.ts';
import { openDatabase, type Database, type Db } from './db.ts';
import { RegisterError } from './errors.ts';
import {
  appendEvents,
  catchUp,
  catchUpWithCommitted,
  consumeBatch,
  cursorBefore,
  outboxDdl,
  readEvents,
  startConsumer,
  type NewEvent,
  type StoredEvent,
} from './events.ts';

const event = (n: number): NewEvent => ({ type: 'ThingHappened', keys: { thingId: `thing-${n}` }, payload: { n } });
const events = (...ns: number[]) => ns.map(event);
const numbers = (stored: StoredEvent[]) => stored.map((one) => one.payload.n);
const rows = <Row>(result: unknown) => (result as { rows: Row[] }).rows;
const cursorOf = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

async function createSample(database: Database) {
  await database.rawTransaction((tx) => tx.script(`CREATE SCHEMA sample;\n${outboxDdl('sample')}CREATE TABLE sample.handled (n int PRIMARY KEY);`));
}

const emptySample = (db: Db) => db.execute(sql`TRUNCATE sample.outbox, sample.consumer_cursor, sample.handled`);

const handled = async (db: Db) => rows<{ n: number }>(await db.execute(sql`SELECT n FROM sample.handled ORDER BY n`)).map((row) => row.n);

/** A handler with an effect of its own, which a rollback must undo together with the cursor. */
const recordHandled = async (tx: Db, batch: StoredEvent[]) => {
  for (const one of batch) await tx.execute(sql`INSERT INTO sample.handled (n) VALUES (${one.payload.n})`);
};

/**
 * Reads until at least `count` events are there: an open transaction of the test's own (a TRUNCATE
 * of the previous test's, a connection ending) may hold committed events back for a moment (see
 * readEvents), so a test that expects committed events to show waits for them instead of failing.
 */
const readAtLeast = async (db: Db, after: string | null, count: number) => {
  let read: StoredEvent[] = [];
  await eventually(`${count} committed events readable`, async () => (read = await readEvents(db, 'sample', after, 10_000)).length >= count, {
    deadline: 20_000,
  });
  return read;
};

const readAll = async (db: Db) => {
  const [row] = rows<{ count: number }>(await db.execute(sql`SELECT count(*)::int AS count FROM sample.outbox`));
  return readAtLeast(db, null, row!.count);
};

describe('the outbox', () => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  let db: Db;

  beforeAll(async () => {
    database = await testDatabase();
    db = database.db;
    await createSample(database);
  });
  afterAll(() => database.drop());
  beforeEach(() => emptySample(db));

  it('keeps appended events unreadable while their transaction is open, and reads them once it commits', async () => {
    await db.transaction(async (tx) => {
      await appendEvents(tx, 'sample', events(1, 2));
      expect(await readEvents(tx, 'sample', null)).toEqual([]);
    });
    const [first, second] = await readAll(db);
    expect(first).toMatchObject({ stream: 'sample', type: 'ThingHappened', keys: { thingId: 'thing-1' }, payload: { n: 1 } });
    expect(first!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(first!.occurredAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(second!.payload).toEqual({ n: 2 });
    expect(first!.cursor).not.toBe(second!.cursor);
  });

  it('drops events appended in a transaction that rolls back', async () => {
    const failed = db.transaction(async (tx) => {
      await appendEvents(tx, 'sample', events(1));
      throw new Error('the change failed');
    });
    await expect(failed).rejects.toThrow('the change failed');
    await appendEvents(db, 'sample', events(2));
    expect(numbers(await readAll(db))).toEqual([2]);
  });

  it('reads in order, and `after` resumes right after each cursor: no gap, no duplicate', async () => {
    await db.transaction((tx) => appendEvents(tx, 'sample', events(1, 2, 3, 4, 5)));
    await db.transaction((tx) => appendEvents(tx, 'sample', events(6, 7)));
    const all = await readAll(db);
    expect(numbers(all)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const [index, one] of all.entries()) {
      expect(await readEvents(db, 'sample', one.cursor)).toEqual(all.slice(index + 1));
    }
    const page = await readEvents(db, 'sample', null, 3);
    expect(numbers(page)).toEqual([1, 2, 3]);
    expect(numbers(await readEvents(db, 'sample', page.at(-1)!.cursor, 3))).toEqual([4, 5, 6]);
  });

  it('cursorBefore names a cursor after which a reader starts with that very event, whether first of its transaction or not', async () => {
    await db.transaction((tx) => appendEvents(tx, 'sample', events(1, 2, 3)));
    await db.transaction((tx) => appendEvents(tx, 'sample', events(4)));
    const all = await readAll(db);
    for (const [index, one] of all.entries()) expect(await readEvents(db, 'sample', cursorBefore(one.cursor))).toEqual(all.slice(index));
  });

  it('appends more than 1000 events in batches, keeping their order', async () => {
    const many = Array.from({ length: 2500 }, (_, index) => index + 1);
    await db.transaction((tx) => appendEvents(tx, 'sample', events(...many)));
    expect(numbers(await readAll(db))).toEqual(many);
  });

  it.each([
    ['not base64url text', 'not a cursor!'],
    ['an empty string', ''],
    ['no position', cursorOf('12')],
    ['three parts', cursorOf('1-2-3')],
    ['a leading zero', cursorOf('012-3')],
    ['letters', cursorOf('x-1')],
    ['a txid beyond xid8', cursorOf(`${2n ** 64n}-1`)],
    ['a position beyond bigint', cursorOf(`1-${2n ** 63n}`)],
    ['padding added to a valid cursor', `${cursorOf('5-1')}=`],
  ])('refuses a cursor with %s as BAD_USER_INPUT on `after`', async (_, cursor) => {
    const refused = readEvents(db, 'sample', cursor);
    await expect(refused).rejects.toBeInstanceOf(RegisterError);
    await expect(refused).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('refuses a stream name that is not a bare lowercase word, since it becomes an identifier', async () => {
    await expect(appendEvents(db, 'sample.outbox; --', events(1))).rejects.toThrow(/Not a stream or schema name/);
    await expect(readEvents(db, 'Sample', null)).rejects.toThrow(/Not a stream or schema name/);
  });

  it("consumeBatch commits the cursor with the handler's writes, and the next batch starts after it", async () => {
    await appendEvents(db, 'sample', events(1, 2, 3));
    const all = await readAll(db);
    const options = { stream: 'sample', consumer: 'counter', cursorSchema: 'sample', handle: recordHandled };
    expect(await consumeBatch(db, options)).toBe(3);
    expect(await handled(db)).toEqual([1, 2, 3]);
    const stored = rows<{ cursor: string }>(await db.execute(sql`SELECT cursor FROM sample.consumer_cursor WHERE consumer = 'counter' AND stream = 'sample'`));
    expect(stored).toEqual([{ cursor: all.at(-1)!.cursor }]);
    const handle = vi.fn(recordHandled);
    expect(await consumeBatch(db, { ...options, handle })).toBe(0);
    expect(handle).not.toHaveBeenCalled();
  });

  it("consumeBatch rolls back a failing handler's writes with the cursor, and hands the same events over again", async () => {
    await appendEvents(db, 'sample', events(1, 2));
    const all = await readAll(db);
    const seen: string[][] = [];
    const options = { stream: 'sample', consumer: 'flaky', cursorSchema: 'sample' };
    const failing = consumeBatch(db, {
      ...options,
      handle: async (tx, batch) => {
        seen.push(batch.map((one) => one.id));
        await recordHandled(tx, batch);
        throw new Error('handler failed after writing');
      },
    });
    await expect(failing).rejects.toThrow('handler failed after writing');
    expect(await handled(db)).toEqual([]);
    expect(rows(await db.execute(sql`SELECT cursor FROM sample.consumer_cursor WHERE consumer = 'flaky'`))).toEqual([]);
    expect(await consumeBatch(db, { ...options, handle: async (tx, batch) => (seen.push(batch.map((one) => one.id)), recordHandled(tx, batch)) })).toBe(2);
    expect(seen).toEqual([all.map((one) => one.id), all.map((one) => one.id)]);
    expect(await handled(db)).toEqual([1, 2]);
  });

  it('hands a consumer only the event types it handles, and moves past the others', async () => {
    await appendEvents(db, 'sample', [event(1), { type: 'SomethingElse', keys: {}, payload: { n: 2 } }, event(3)]);
    await readAll(db);
    const options = { stream: 'sample', consumer: 'picky', cursorSchema: 'sample', types: ['ThingHappened'], handle: recordHandled };
    expect(await catchUp(db, options)).toBe(2);
    expect(await handled(db)).toEqual([1, 3]);
    expect(await catchUpWithCommitted(db, options, 1000)).toBe(true);
  });

  it('moves a consumer past events of other types, so that it does not read them again', async () => {
    await appendEvents(db, 'sample', [
      event(1),
      { type: 'SomethingElse', keys: {}, payload: { n: 2 } },
      { type: 'SomethingElse', keys: {}, payload: { n: 3 } },
    ]);
    const all = await readAll(db);
    const options = { stream: 'sample', consumer: 'skipping', cursorSchema: 'sample', types: ['ThingHappened'], handle: recordHandled };
    expect(await catchUp(db, options)).toBe(1);
    const [row] = rows<{ cursor: string }>(await db.execute(sql`SELECT cursor FROM sample.consumer_cursor WHERE consumer = 'skipping'`));
    expect(row!.cursor).toBe(all.at(-1)!.cursor);
  });

  it('catchUp drains more than one batch', async () => {
    await appendEvents(db, 'sample', events(1, 2, 3, 4, 5));
    await readAll(db);
    const batches: number[][] = [];
    const total = await catchUp(db, {
      stream: 'sample',
      consumer: 'drain',
      cursorSchema: 'sample',
      limit: 2,
      handle: async (tx, batch) => {
        batches.push(numbers(batch) as number[]);
        await recordHandled(tx, batch);
      },
    });
    expect(total).toBe(5);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    expect(await handled(db)).toEqual([1, 2, 3, 4, 5]);
  });

  it('startConsumer handles an event appended later once woken, and nothing after stop()', async () => {
    const seen: unknown[] = [];
    const consumer = startConsumer(db, {
      stream: 'sample',
      consumer: 'live',
      cursorSchema: 'sample',
      intervalMs: 60_000,
      handle: async (_, batch) => void seen.push(...numbers(batch)),
    });
    await appendEvents(db, 'sample', events(1));
    await eventually('the appended event handled', () => {
      consumer.wake();
      expect(seen).toEqual([1]);
    });
    await consumer.stop();
    await appendEvents(db, 'sample', events(2));
    await readAll(db);
    consumer.wake();
    // A run of the same consumer takes the event after the wake: a run the stopped loop had begun
    // would have locked the cursor first and taken it, so this waits for no time of its own.
    expect(await catchUp(db, { stream: 'sample', consumer: 'live', cursorSchema: 'sample', handle: async () => undefined })).toBe(1);
    expect(seen).toEqual([1]);
  });

  it('startConsumer, woken by the NOTIFY of appendEvents, handles an event long before its next poll', async () => {
    const options = { stream: 'sample', consumer: 'listening', cursorSchema: 'sample', intervalMs: 60_000, handle: recordHandled };
    const loop = startConsumer(db, options);
    const unlisten = await database.listen('outbox_sample', loop.wake);
    try {
      // The run on start has committed its cursor: only the notification can bring the next one before a minute.
      await eventually(
        'the run on start to finish',
        async () => rows(await db.execute(sql`SELECT 1 FROM sample.consumer_cursor WHERE consumer = 'listening'`)).length === 1,
      );
      await appendEvents(db, 'sample', events(7));
      await eventually('the notified event handled', async () => expect(await handled(db)).toEqual([7]), { deadline: 5_000 });
    } finally {
      await unlisten();
      await loop.stop();
    }
  });

  it('startConsumer never runs twice at once, however often it is woken', async () => {
    await appendEvents(db, 'sample', events(1, 2, 3, 4));
    await readAll(db);
    let active = 0;
    let most = 0;
    // The first run holds its handler until the wakes below have come, so they all come during a run.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const consumer = startConsumer(db, {
      stream: 'sample',
      consumer: 'single',
      cursorSchema: 'sample',
      limit: 1,
      intervalMs: 5,
      handle: async (tx, batch) => {
        most = Math.max(most, ++active);
        await released;
        await recordHandled(tx, batch);
        active--;
      },
    });
    await eventually('the first run in its handler', () => active === 1);
    for (let wakes = 0; wakes < 10; wakes++) consumer.wake();
    release();
    await eventually('the four events handled', async () => expect(await handled(db)).toEqual([1, 2, 3, 4]));
    await consumer.stop();
    expect(most).toBe(1);
  });

  it('startConsumer reports a failing run to onError and retries on the next one', async () => {
    await appendEvents(db, 'sample', events(1));
    await readAll(db);
    const errors: unknown[] = [];
    let attempts = 0;
    const consumer = startConsumer(db, {
      stream: 'sample',
      consumer: 'retrying',
      cursorSchema: 'sample',
      intervalMs: 10,
      onError: (error) => errors.push(error),
      handle: async (tx, batch) => {
        if (++attempts === 1) throw new Error('first attempt fails');
        await recordHandled(tx, batch);
      },
    });
    await eventually('the event handled on the second attempt', async () => expect(await handled(db)).toEqual([1]));
    await consumer.stop();
    expect(errors).toEqual([new Error('first attempt fails')]);
  });
});

/**
 * The hazard docs/architecture.md names ("Events and subscriptions"): sequence numbers are not
 * commit-ordered. It needs two connections with transactions open at once, which PGlite (one
 * connection) cannot have.
 */
describe.runIf(Boolean(readConfig().databaseUrl))('the outbox under concurrent transactions (PostgreSQL)', () => {
  let fresh: Awaited<ReturnType<typeof freshDatabaseUrl>>;
  let database: Database;
  let db: Db;
  let t1: pg.Client;
  let t2: pg.Client;

  const append = (client: pg.Client, n: number) => appendEvents(drizzle(client), 'sample', events(n));
  /** What a reader that trusts positions would deliver after `position`. */
  const byPosition = async (after: number) =>
    rows<{ n: number }>(await db.execute(sql`SELECT (payload->>'n')::int AS n FROM sample.outbox WHERE position > ${after} ORDER BY position`)).map(
      (row) => row.n,
    );
  /** Read on T1, which sees its own uncommitted row. */
  const positionOf = async (n: number) =>
    Number((await t1.query<{ position: string }>("SELECT position::text FROM sample.outbox WHERE payload->>'n' = $1", [String(n)])).rows[0]!.position);

  beforeAll(async () => {
    fresh = await freshDatabaseUrl();
    database = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://' });
    db = database.db;
    await createSample(database);
    t1 = new pg.Client({ connectionString: fresh.url });
    t2 = new pg.Client({ connectionString: fresh.url });
    await Promise.all([t1.connect(), t2.connect()]);
  });
  afterAll(async () => {
    await Promise.all([t1?.end(), t2?.end()]);
    await database?.close();
    await fresh?.drop();
  });
  beforeEach(() => emptySample(db));
  // A failed test must not leave a transaction open: it would hold the next test's TRUNCATE.
  afterEach(() => Promise.all([t1.query('ROLLBACK'), t2.query('ROLLBACK')]));

  it('keeps events of an open transaction invisible to other connections until it commits', async () => {
    await t1.query('BEGIN');
    await append(t1, 1);
    expect(await readEvents(db, 'sample', null)).toEqual([]);
    await t1.query('COMMIT');
    expect(numbers(await readAtLeast(db, null, 1))).toEqual([1]);
    await t2.query('BEGIN');
    await append(t2, 2);
    await t2.query('ROLLBACK');
    expect(numbers(await readEvents(db, 'sample', null))).toEqual([1]);
  });

  it("does not pass an open transaction's lower position when a later position commits first", async () => {
    await append(t1, 0);
    const [zero] = await readAtLeast(db, null, 1);
    await t1.query('BEGIN');
    await append(t1, 1);
    await t2.query('BEGIN');
    await append(t2, 2);
    await t2.query('COMMIT');
    // A position-ordered reader would deliver 2 now, and later skip 1 when T1 commits.
    expect(await byPosition(await positionOf(0))).toEqual([2]);
    expect(await readEvents(db, 'sample', zero!.cursor)).toEqual([]);
    await t1.query('COMMIT');
    expect(numbers(await readAtLeast(db, zero!.cursor, 2))).toEqual([1, 2]);
    expect(numbers(await readEvents(db, 'sample', null))).toEqual([0, 1, 2]);
  });

  it("does not pass an open transaction's lower txid when a higher txid commits first", async () => {
    await append(t1, 0);
    const [zero] = await readAtLeast(db, null, 1);
    await t1.query('BEGIN');
    await t1.query('SELECT pg_current_xact_id()');
    await t2.query('BEGIN');
    await append(t2, 2);
    await t2.query('COMMIT');
    await append(t1, 1);
    // 1 has the higher position but the lower txid: it sorts before 2, so a (txid, position) reader
    // without the xmin horizon would deliver 2 now and never return to 1.
    expect(await positionOf(1)).toBeGreaterThan(await positionOf(2));
    const delivered = await readEvents(db, 'sample', zero!.cursor);
    expect(delivered).toEqual([]);
    await t1.query('COMMIT');
    expect(numbers(await readAtLeast(db, zero!.cursor, 2))).toEqual([1, 2]);
    expect(numbers(await readEvents(db, 'sample', null))).toEqual([0, 1, 2]);
  });

  it('is not held back by an older open transaction in another database, as it is by one in its own', async () => {
    const elsewhere = new pg.Client({ connectionString: readConfig().databaseUrl });
    await elsewhere.connect();
    try {
      await elsewhere.query('BEGIN');
      await elsewhere.query('SELECT pg_current_xact_id()');
      await append(t2, 1);
      expect(numbers(await readEvents(db, 'sample', null))).toEqual([1]);
      await t1.query('BEGIN');
      await t1.query('SELECT pg_current_xact_id()');
      await append(t2, 2);
      expect(numbers(await readEvents(db, 'sample', null))).toEqual([1]);
      await t1.query('COMMIT');
      expect(numbers(await readEvents(db, 'sample', null))).toEqual([1, 2]);
    } finally {
      await elsewhere.end();
    }
  });

  it('catchUpWithCommitted waits for a committed event held back by an older open transaction', async () => {
    const options = { stream: 'sample', consumer: 'patient', cursorSchema: 'sample', handle: recordHandled };
    await t1.query('BEGIN');
    await t1.query('SELECT pg_current_xact_id()');
    await append(t2, 1);
    // Committed, but behind T1's older txid: catchUp cannot read it yet.
    expect(await catchUp(db, options)).toBe(0);
    // Counts the statements it runs, to know when it has looked for the held event twice.
    let statements = 0;
    const counted = new Proxy(db, {
      get: (target, key) => (key === 'execute' ? (...args: Parameters<Db['execute']>) => (statements++, target.execute(...args)) : Reflect.get(target, key)),
    });
    const waiting = catchUpWithCommitted(counted, options, 20_000);
    await eventually('catchUpWithCommitted to look twice', () => statements >= 3);
    expect(await handled(db)).toEqual([]);
    await t1.query('ROLLBACK');
    expect(await waiting).toBe(true);
    expect(await handled(db)).toEqual([1]);
  });

  it('catchUpWithCommitted gives up after its timeout while the older transaction stays open', async () => {
    const options = { stream: 'sample', consumer: 'impatient', cursorSchema: 'sample', handle: recordHandled };
    await t1.query('BEGIN');
    await t1.query('SELECT pg_current_xact_id()');
    await append(t2, 1);
    expect(await catchUpWithCommitted(db, options, 200)).toBe(false);
    expect(await handled(db)).toEqual([]);
  });

  it('lets concurrent replicas of one consumer take turns, handling each event once', async () => {
    await appendEvents(db, 'sample', events(...Array.from({ length: 10 }, (_, index) => index + 1)));
    await readAtLeast(db, null, 10);
    const options = { stream: 'sample', consumer: 'replicated', cursorSchema: 'sample', limit: 3, handle: recordHandled };
    const totals = await Promise.all([catchUp(db, options), catchUp(db, options), catchUp(db, options)]);
    expect(totals.reduce((sum, total) => sum + total, 0)).toBe(10);
    expect(await handled(db)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
