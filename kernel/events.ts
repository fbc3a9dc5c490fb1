/*
 * The transactional outbox and its consumers (docs/architecture.md, "Events and subscriptions").
 *
 * Each subgraph's own migration creates these tables in its own Postgres schema; copy this SQL
 * literally (`outboxDdl` below is the same text, for tests and documentation only):
 *
 *   CREATE TABLE <schema>.outbox (
 *     position bigserial PRIMARY KEY,
 *     txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
 *     id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
 *     type text NOT NULL,
 *     keys jsonb NOT NULL,
 *     payload jsonb NOT NULL,
 *     occurred_at timestamptz NOT NULL DEFAULT now()
 *   );
 *   CREATE INDEX outbox_order ON <schema>.outbox (txid, position);
 *   CREATE TABLE <schema>.consumer_cursor (
 *     consumer text NOT NULL,
 *     stream text NOT NULL,
 *     cursor text NOT NULL,
 *     updated_at timestamptz NOT NULL DEFAULT now(),
 *     PRIMARY KEY (consumer, stream)
 *   );
 *
 * A stream is named by its subgraph (= its Postgres schema): stream `learners` is `learners.outbox`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type SQL } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { allowLongWork, rowsOf, type Db } from './db.ts';
import { runRepeatedly } from './tasks.ts';
import { RegisterError } from './errors.ts';
import type { Lease } from './leases.ts';

export function outboxDdl(schema: string): string {
  return `CREATE TABLE ${schema}.outbox (
  position bigserial PRIMARY KEY,
  txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  type text NOT NULL,
  keys jsonb NOT NULL,
  payload jsonb NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_order ON ${schema}.outbox (txid, position);
CREATE TABLE ${schema}.consumer_cursor (
  consumer text NOT NULL,
  stream text NOT NULL,
  cursor text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, stream)
);
`;
}

export interface NewEvent {
  /** Past tense: `EnrollmentRegistered`. */
  type: string;
  /** The ids the event concerns, e.g. `{ enrollmentId, learnerId, brin6 }`. */
  keys: Record<string, string>;
  payload: Record<string, unknown>;
}

export interface StoredEvent extends NewEvent {
  id: string;
  stream: string;
  /** Opaque; pass it as `after` to resume right after this event. */
  cursor: string;
  /** ISO 8601. */
  occurredAt: string;
}

export interface ConsumerOptions {
  stream: string;
  /** Names the consumer; replicas of one consumer share the name and so its cursor. */
  consumer: string;
  /** The consumer's own schema, whose `consumer_cursor` table holds its cursor. */
  cursorSchema: string;
  /** Events per transaction; @default 5000 */
  limit?: number;
  /** The event types the consumer handles; others are passed over unread. @default every type */
  types?: readonly string[];
  handle(tx: Db, events: StoredEvent[]): Promise<void>;
  /**
   * The same effect as `handle` over every unread event at once, in set-based SQL over the relation
   * `bulk_event` (txid, position, type, keys, payload, occurred_at; the wanted events only): for a population
   * loaded at once (`consumeInBulk`). Like `handle`, it must give each key its last state.
   */
  bulk?(tx: Db): Promise<void>;
}

export interface ConsumerLoopOptions extends ConsumerOptions {
  /** @default 1000 */
  intervalMs?: number;
  /**
   * The loop runs only while this process holds the lease (kernel/leases.ts): one replica runs a
   * consumer, the others stand by. @default always runs
   */
  lease?: Lease;
  /** @default console.error */
  onError?(error: unknown): void;
}

/**
 * Appends events inside the caller's transaction, so they commit or roll back with the change they
 * describe (the transactional outbox). The notification is only a wake-up, delivered at commit;
 * readers take the events from the table.
 */
export async function appendEvents(tx: Db, stream: string, events: NewEvent[]): Promise<void> {
  const outbox = table(stream, 'outbox');
  if (events.length === 0) return;
  // The events as one JSON parameter, in list order (ordinality), so positions follow the list.
  // Measured for 1,000 events: a jsonb[] per column made node-postgres escape every payload into an
  // array literal, 19 to 28 ms of the client's CPU; one JSON text takes 6 to 8 ms, and PostgreSQL
  // 15 ms instead of 17 to 21 ms.
  await tx.execute(sql`INSERT INTO ${outbox} (type, keys, payload)
    SELECT event->>'type', event->'keys', event->'payload'
    FROM jsonb_array_elements(${JSON.stringify(events)}::jsonb) WITH ORDINALITY AS listed (event, n)
    ORDER BY n`);
  await tx.execute(sql`SELECT pg_notify(${`outbox_${stream}`}, '')`);
}

/**
 * The committed events after `after` (null: from the beginning), in stream order.
 *
 * Positions come from a sequence, which is not commit-ordered: a transaction holding position 5 can
 * commit after one holding 6, and a reader that moved past 6 would skip 5 (docs/architecture.md,
 * "Events and subscriptions": cursors never skip). So the order is (txid, position), and only
 * transactions below the horizon are read: every one of those has ended, and any transaction still to
 * commit has, or will get, a txid at or above it, so it sorts after every event delivered here. The
 * price: an open transaction of this database that holds a txid holds back delivery of every later one
 * until it ends.
 */
export async function readEvents(db: Db, stream: string, after: string | null, limit = 500, types?: readonly string[]): Promise<StoredEvent[]> {
  return (await readBatch(db, stream, after, { limit, types })).events;
}

/**
 * The oldest txid that may still commit into this database's outboxes: the snapshot's xmin, were it
 * not that PostgreSQL's snapshot spans the whole server, so that a long transaction in another
 * database (a bulk load, another application) would hold back every stream here. A transaction in
 * progress is passed over only when pg_stat_activity shows it is another database's backend: a
 * backend never changes database, and xids in progress differ in their low 32 bits (backend_xid is
 * a 32-bit xid, the snapshot's are xid8). Anything not shown so (a role that may not see other
 * sessions, a subtransaction) keeps holding back, as xmin did.
 */
const horizon = sql.raw(`horizon AS (
      SELECT least(pg_snapshot_xmax(snapshot), (
        SELECT min(xid) FROM pg_snapshot_xip(snapshot) AS xid
        WHERE xid::text::bigint % 4294967296 NOT IN (
          SELECT backend_xid::text::bigint FROM pg_stat_activity
          WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()))) AS txid
      FROM pg_current_snapshot() AS snapshot
    )`);

/** Which events of a stream a reader wants. */
export interface EventFilter {
  /** @default every type */
  types?: readonly string[] | undefined;
  /** Key values an event must carry, e.g. `{ brin6: '16AH00' }`. @default none */
  match?: Readonly<Record<string, string>> | undefined;
  /** What key values an event's must start with, e.g. `{ brin6: '16AH' }`: every vestiging of one school. @default none */
  prefix?: Readonly<Record<string, string>> | undefined;
}

/**
 * `readEvents`, and with it the cursor of the last committed event of any type, read in the same
 * statement and so the same snapshot: when fewer than `limit` events of the wanted types came back,
 * no other wanted event lies before that cursor, and a consumer may move there without reading the
 * events of other types again.
 */
export async function readBatch(
  db: Db,
  stream: string,
  after: string | null,
  options: EventFilter & { limit: number },
): Promise<{ events: StoredEvent[]; head: string | null }> {
  const outbox = table(stream, 'outbox');
  const { limit, types, match, prefix } = options;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, not ${limit}`);
  const from = after === null ? start : decodeEventCursor(after);
  const result = await db.execute(sql`
    WITH ${horizon}, head AS (
      SELECT txid::text AS head_txid, position::text AS head_position FROM ${outbox}
      WHERE txid < (SELECT txid FROM horizon)
      ORDER BY txid DESC, position DESC
      LIMIT 1
    ), picked AS (
      SELECT id::text AS id, type, keys, payload, txid::text AS at_txid, position::text AS at_position,
        to_json(occurred_at) #>> '{}' AS occurred_at, txid AS order_txid, position AS order_position
      FROM ${outbox}
      WHERE (txid, position) > (${from.txid}::xid8, ${from.position}::bigint)
        AND txid < (SELECT txid FROM horizon)
        ${ofTypes(types)} ${matching(match)} ${starting(prefix)}
      ORDER BY outbox.txid, outbox.position
      LIMIT ${limit}
    )
    SELECT head.head_txid, head.head_position, picked.* FROM head LEFT JOIN picked ON true
    ORDER BY picked.order_txid, picked.order_position`);
  const rows = rowsOf<OutboxRow & { head_txid: string | null; head_position: string | null }>(result);
  const events = rows
    .filter((row) => row.id !== null)
    .map((row) => ({
      id: row.id,
      stream,
      type: row.type,
      keys: row.keys,
      payload: row.payload,
      cursor: encodeEventCursor({ txid: row.at_txid, position: row.at_position }),
      occurredAt: new Date(row.occurred_at).toISOString(),
    }));
  const first = rows[0];
  const head = first?.head_txid ? { txid: first.head_txid, position: first.head_position! } : null;
  const past = head && (BigInt(head.txid) > BigInt(from.txid) || (head.txid === from.txid && BigInt(head.position) > BigInt(from.position)));
  return { events, head: past ? encodeEventCursor(head) : null };
}

/**
 * For a reader that needs to know what changed rather than to handle each event once in order (the
 * gateway's entity cache, gateway/cache.ts): every event committed after `after`, also those that
 * `readBatch` still holds back behind an older open transaction, at most `limit`. `cursor` moves past
 * the events `readBatch` would have returned and no further, so the held ones come again next time
 * (they are few and short-lived); `more` when `limit` cut the list short. `after` null: from the
 * stream's head, reading nothing before it.
 */
export async function readChanges(
  db: Db,
  stream: string,
  after: string | null,
  limit: number,
): Promise<{ events: Pick<StoredEvent, 'type' | 'keys'>[]; cursor: string | null; more: boolean }> {
  if (after === null) return { events: [], cursor: (await readBatch(db, stream, null, { limit: 1, types: [''] })).head ?? streamStart, more: false };
  const from = decodeEventCursor(after);
  const rows = rowsOf<{ type: string; keys: Record<string, string>; at_txid: string; at_position: string; settled: boolean }>(
    await db.execute(sql`
      WITH ${horizon}
      SELECT type, keys, txid::text AS at_txid, position::text AS at_position, txid < (SELECT txid FROM horizon) AS settled
      FROM ${table(stream, 'outbox')}
      WHERE (txid, position) > (${from.txid}::xid8, ${from.position}::bigint)
      ORDER BY txid, position
      LIMIT ${limit}`),
  );
  // Ordered by txid, so the settled ones come first.
  const settled = rows.filter((row) => row.settled).at(-1);
  const cursor = settled ? encodeEventCursor({ txid: settled.at_txid, position: settled.at_position }) : after;
  return { events: rows.map(({ type, keys }) => ({ type, keys })), cursor, more: rows.length === limit };
}

/**
 * Handles the next events in one transaction with the consumer's cursor, so the cursor moves exactly
 * when the handler's writes commit: each event takes effect once (docs/architecture.md, "Events and
 * subscriptions"). The row lock on the cursor makes replicas of one consumer take turns: the loop
 * runs at the replica that holds the consumer's lease (startConsumer), but a request's read of its
 * own writes (readYourWrites) and a starting process catch up at any replica, and a replica that just
 * lost its lease may be finishing a batch. Returns how many events were handled.
 */
export async function consumeBatch(db: Db, options: ConsumerOptions): Promise<number> {
  return db.transaction(async (tx) => {
    const cursor = await lockCursor(tx, options);
    const limit = options.limit ?? 5000;
    const { events, head } = await readBatch(tx, options.stream, cursor, { limit, types: options.types });
    if (events.length) await options.handle(tx, events);
    // A short batch holds every wanted event up to the head: move there, past the unwanted ones too.
    const next = events.length < limit ? (head ?? events.at(-1)?.cursor) : events.at(-1)!.cursor;
    if (next && next !== cursor) {
      await tx.execute(sql`UPDATE ${table(options.cursorSchema, 'consumer_cursor')} SET cursor = ${next}, updated_at = now()
        WHERE consumer = ${options.consumer} AND stream = ${options.stream}`);
    }
    return events.length;
  });
}

type CursorOf = Pick<ConsumerOptions, 'stream' | 'consumer' | 'cursorSchema'>;

/**
 * Takes the consumer's cursor row for the rest of the caller's transaction and returns the cursor:
 * while it is held, no replica of the consumer moves on, so other work can see a consumer's state
 * stand still.
 */
export async function lockCursor(tx: Db, options: CursorOf): Promise<string> {
  const cursors = table(options.cursorSchema, 'consumer_cursor');
  await tx.execute(sql`INSERT INTO ${cursors} (consumer, stream, cursor)
    VALUES (${options.consumer}, ${options.stream}, ${encodeEventCursor(start)}) ON CONFLICT DO NOTHING`);
  const [row] = rowsOf<{ cursor: string }>(
    await tx.execute(sql`SELECT cursor FROM ${cursors} WHERE consumer = ${options.consumer} AND stream = ${options.stream} FOR UPDATE`),
  );
  return row!.cursor;
}

/**
 * Handles every event committed by the time of the call, and returns true once it has; false when
 * `timeoutMs` passed first. Where `catchUp` stops at an event behind an older transaction that is
 * still open (see `readEvents`), this waits for that transaction to end. Events written after the
 * call are not waited for, so a steady stream of writes cannot keep it waiting.
 */
export async function catchUpWithCommitted(db: Db, options: ConsumerOptions, timeoutMs: number): Promise<boolean> {
  const outbox = table(options.stream, 'outbox');
  const cursors = table(options.cursorSchema, 'consumer_cursor');
  const cursorOf = sql`SELECT cursor FROM ${cursors} WHERE consumer = ${options.consumer} AND stream = ${options.stream}`;
  // The head and the cursor in one statement: every funding request asks (bench --profile, issue 20).
  const [head] = rowsOf<{ position: string | null; cursor: string | null }>(
    await db.execute(sql`SELECT (SELECT max(position)::text FROM ${outbox}) AS position, (${cursorOf}) AS cursor`),
  );
  if (!head?.position) return true;
  const deadline = Date.now() + timeoutMs;
  for (let cursor = head.cursor; ;) {
    const from = cursor ? decodeEventCursor(cursor) : start;
    const [unread] = rowsOf<{ waiting: boolean }>(
      await db.execute(sql`SELECT EXISTS (SELECT 1 FROM ${outbox}
        WHERE (txid, position) > (${from.txid}::xid8, ${from.position}::bigint) AND position <= ${head.position}::bigint ${ofTypes(options.types)}) AS waiting`),
    );
    if (!unread!.waiting) return true;
    if (Date.now() >= deadline) return false;
    if ((await catchUp(db, options)) === 0) await sleep(20);
    cursor = rowsOf<{ cursor: string }>(await db.execute(cursorOf))[0]?.cursor ?? null;
  }
}

/**
 * Read-your-writes across subgraphs, for a reader that must see what another subgraph committed a
 * moment ago: the gateway asks funding for an enrollment's status right after learners committed it
 * (enrollLearner answers with the status), sooner than the consumer loop runs. Before reading, the
 * local copy takes in every event committed by then, waiting at most `waitMs` for one held back by an
 * older open transaction; after that the read goes on with what the copy has. Resolves to whether it
 * caught up.
 */
export function readYourWrites(db: Db, consumer: ConsumerOptions, waitMs = 5_000): Promise<boolean> {
  return catchUpWithCommitted(db, consumer, waitMs);
}

/**
 * A payload field of `bulk_event` as a key to sort and group a backlog by, compared byte by byte
 * (`COLLATE "C"`). The keys are ids and numbers, equal under any collation; in the database's own
 * (C.UTF-8 or a language's) PostgreSQL compares text through the C library with no abbreviated keys,
 * and sorting 2.8 million learner ids took twice as long: 17.7 s against 8.5 s (EXPLAIN ANALYZE on
 * the national population, docs/performance.md).
 */
export function payloadKey(field: string): SQL {
  if (!/^[A-Za-z]+$/.test(field)) throw new Error(`Not a payload key: ${JSON.stringify(field)}`);
  return sql.raw(`(payload->>'${field}' COLLATE "C")`);
}

/**
 * Inserts into `into` (a table and its columns) the last state of each `key` among the events in
 * `bulk_event` that `where` picks: of each key's events, the latest in stream order wins, as a
 * consumer taking them one batch after another would leave it. `values` selects the columns from
 * `payload`; `conflict` says what happens to a row the table holds already.
 */
export async function insertLastStates(tx: Db, into: SQL, last: { key: string; values: SQL; where: SQL }, conflict: SQL = sql``): Promise<void> {
  // DISTINCT ON must name the very expression ORDER BY starts with: a parameter would be another one.
  const key = payloadKey(last.key);
  await tx.execute(sql`INSERT INTO ${into} SELECT DISTINCT ON (${key}) ${last.values}
    FROM bulk_event WHERE ${last.where} ORDER BY ${key}, txid DESC, position DESC ${conflict}`);
}

/**
 * Takes in every committed event the consumer has not read, in one transaction, through its `bulk`
 * handler, and moves the cursor as `consumeBatch` does. For a population loaded at once (npm run seed
 * -- --national: 1.4 million enrollment events): through `handle`, 5,000 at a time, they would take
 * minutes; a few statements take seconds. Returns how many events it took in.
 */
export async function consumeInBulk(db: Db, options: ConsumerOptions & Required<Pick<ConsumerOptions, 'bulk'>>): Promise<number> {
  return db.transaction(async (tx) => {
    // 1.4 million events in a few statements: seconds each at the national size, longer on a slower machine.
    await allowLongWork(tx);
    const cursor = await lockCursor(tx, options);
    // The head first: every event up to it is committed or gone for good (readBatch says why), so
    // the next statement, with a snapshot of its own, reads exactly those.
    const { head } = await readBatch(tx, options.stream, cursor, { limit: 1, types: [''] });
    if (!head) return 0;
    const [from, to] = [decodeEventCursor(cursor), decodeEventCursor(head)];
    // A view, not a copy: a million events are read where they are. A view takes no parameters; the
    // positions are numbers decodeEventCursor checked, the types names the code gives.
    const types = options.types?.map((type) => (/^[A-Za-z]+$/.test(type) ? `'${type}'` : badType(type))).join(', ');
    await tx.execute(
      sql.raw(`CREATE TEMP VIEW bulk_event AS
      SELECT txid, position, type, keys, payload, occurred_at FROM ${checkedName(options.stream)}.outbox
      WHERE (txid, position) > ('${from.txid}'::xid8, ${from.position}) AND (txid, position) <= ('${to.txid}'::xid8, ${to.position})
      ${types === undefined ? '' : `AND type IN (${types})`}`),
    );
    const [counted] = rowsOf<{ n: number }>(await tx.execute(sql`SELECT count(*)::int AS n FROM bulk_event`));
    if (counted!.n > 0) await options.bulk(tx);
    await tx.execute(sql`DROP VIEW bulk_event`);
    await tx.execute(sql`UPDATE ${table(options.cursorSchema, 'consumer_cursor')} SET cursor = ${head}, updated_at = now()
      WHERE consumer = ${options.consumer} AND stream = ${options.stream}`);
    return counted!.n;
  });
}

function badType(type: string): never {
  throw new Error(`Not an event type name: ${JSON.stringify(type)}`);
}

/**
 * How far a consumer is behind the head of its stream: the events after its cursor (all types: the
 * cursor passes over the ones it does not handle too) and the age of the oldest of them, 0 when it
 * has caught up. For /metrics; a consumer that never ran stands before every event.
 */
export async function consumerLag(db: Db, options: CursorOf): Promise<{ events: number; seconds: number }> {
  const [row] = rowsOf<{ cursor: string }>(
    await db.execute(
      sql`SELECT cursor FROM ${table(options.cursorSchema, 'consumer_cursor')} WHERE consumer = ${options.consumer} AND stream = ${options.stream}`,
    ),
  );
  const from = row ? decodeEventCursor(row.cursor) : start;
  const [lag] = rowsOf<{ events: number; seconds: number | null }>(
    await db.execute(sql`SELECT count(*)::float8 AS events, extract(epoch FROM now() - min(occurred_at))::float8 AS seconds
      FROM ${table(options.stream, 'outbox')} WHERE (txid, position) > (${from.txid}::xid8, ${from.position}::bigint)`),
  );
  return { events: Number(lag!.events), seconds: Math.max(0, Number(lag!.seconds ?? 0)) };
}

/** Consumes batches until none is left; returns how many events were handled. */
export async function catchUp(db: Db, options: ConsumerOptions): Promise<number> {
  let total = 0;
  for (;;) {
    const handled = await consumeBatch(db, options);
    if (handled === 0) return total;
    total += handled;
  }
}

/**
 * Runs `catchUp` now, every `intervalMs` and on `wake()` (for LISTEN/NOTIFY: a wake-up only, the
 * table is the truth), one run at a time (kernel/tasks.ts, runRepeatedly), while the process holds
 * `lease`. Errors are reported and the next run retries.
 */
export function startConsumer(db: Db, options: ConsumerLoopOptions): { stop(): Promise<void>; wake(): void } {
  const { lease } = options;
  return runRepeatedly(
    async () => (lease && !lease.held ? 0 : catchUp(db, options)),
    options.intervalMs ?? 1000,
    options.onError ?? ((error: unknown) => console.error(error)),
  );
}

interface Position {
  txid: string;
  position: string;
}

/** The text casts are aliased apart from the columns: ORDER BY a bare name would sort the text. */
interface OutboxRow {
  id: string;
  at_txid: string;
  at_position: string;
  type: string;
  keys: Record<string, string>;
  payload: Record<string, unknown>;
  occurred_at: string;
}

/** Before every event: real txids start at 3 and positions at 1. */
const start: Position = { txid: '0', position: '0' };

/** base64url of `<txid>-<position>`: opaque, so clients keep it whole instead of building one. */
function encodeEventCursor({ txid, position }: Position): string {
  return Buffer.from(`${txid}-${position}`, 'utf8').toString('base64url');
}

const cursorText = /^(0|[1-9]\d{0,19})-(0|[1-9]\d{0,18})$/;

/** The cursor before every event: `after` it, a reader starts at the beginning. */
export const streamStart = encodeEventCursor(start);

/** Negative, zero or positive as cursor `a` lies before, at or after `b` in stream order. */
export function compareCursors(a: string, b: string): number {
  const [x, y] = [decodeEventCursor(a), decodeEventCursor(b)];
  const order = (left: string, right: string) => (BigInt(left) < BigInt(right) ? -1 : BigInt(left) > BigInt(right) ? 1 : 0);
  return order(x.txid, y.txid) || order(x.position, y.position);
}

/**
 * The cursor right before the event at `cursor`: no event lies between the two, so a reader `after`
 * it starts with that event. For naming where to resume when that event could not be delivered.
 */
export function cursorBefore(cursor: string): string {
  const { txid, position } = decodeEventCursor(cursor);
  return position === '0' ? cursor : encodeEventCursor({ txid, position: String(BigInt(position) - 1n) });
}

/** Throws BAD_USER_INPUT unless `cursor` is one this register hands out. */
export function checkCursor(cursor: string): void {
  decodeEventCursor(cursor);
}

/**
 * Whether the stream holds events after `after` that a reader has not taken: committed ones waiting
 * behind a transaction still open (see `readEvents`), or ones committed since it read. Either way it
 * should look again soon: that transaction may end without a notification on this stream. No xmin
 * condition here: one that ended between the read and this check would otherwise hide its events.
 */
export async function eventsAfter(db: Db, stream: string, after: string): Promise<boolean> {
  const from = decodeEventCursor(after);
  const [row] = rowsOf<{ waiting: boolean }>(
    await db.execute(
      sql`SELECT EXISTS (SELECT 1 FROM ${table(stream, 'outbox')} WHERE (txid, position) > (${from.txid}::xid8, ${from.position}::bigint)) AS waiting`,
    ),
  );
  return row!.waiting;
}

/** Decoded cursors, by text: a tail compares every event with each of its subscribers' cursors. */
const decoded = new LRUCache<string, Position>({ max: 10_000 });

function decodeEventCursor(cursor: string): Position {
  let position = decoded.get(cursor);
  if (!position) decoded.set(cursor, (position = parseCursor(cursor)));
  return position;
}

function parseCursor(cursor: string): Position {
  const match = cursorText.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  // Out-of-range numbers would fail the ::xid8 / ::bigint cast as a server error; refuse them here.
  if (!match || encodeEventCursor({ txid: match[1]!, position: match[2]! }) !== cursor || BigInt(match[1]!) >= 2n ** 64n || BigInt(match[2]!) >= 2n ** 63n) {
    throw new RegisterError('BAD_USER_INPUT', 'The cursor is malformed: pass the cursor of an event received earlier', 'after');
  }
  return { txid: match[1]!, position: match[2]! };
}

/** Each pair as `keys->>'k' = v`, the form an expression index on a key serves (e.g. `outbox_brin6`). */
function matching(match: EventFilter['match']): SQL {
  const pairs = Object.entries(match ?? {});
  return sql.join(
    pairs.map(([key, value]) => sql`AND keys->>${key} = ${value}`),
    sql` `,
  );
}

function starting(prefix: EventFilter['prefix']): SQL {
  const pairs = Object.entries(prefix ?? {});
  return sql.join(
    pairs.map(([key, value]) => sql`AND starts_with(keys->>${key}, ${value})`),
    sql` `,
  );
}

const ofTypes = (types: readonly string[] | undefined) => (types ? sql`AND type = ANY(${sql.param([...types])}::text[])` : sql``);

/** Stream and schema names are interpolated as identifiers, so only bare lowercase words pass. */
function table(schema: string, name: 'outbox' | 'consumer_cursor'): SQL {
  return sql`${sql.identifier(checkedName(schema))}.${sql.identifier(name)}`;
}

function checkedName(schema: string): string {
  if (!/^[a-z]+$/.test(schema)) throw new Error(`Not a stream or schema name (lowercase letters only): ${JSON.stringify(schema)}`);
  return schema;
}
