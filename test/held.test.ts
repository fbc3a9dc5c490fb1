import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { startSystem, type RunningSystem } from '../system/start.ts';
import { readConfig } from '../kernel/config.ts';
import { openDatabase, type Database } from '../kernel/db.ts';
import { appendEvents, compareCursors, cursorBefore, readEvents, streamStart, type NewEvent, type StoredEvent } from '../kernel/events.ts';
import { createLogger, silentLogger } from '../kernel/logging.ts';
import { issueToken } from '../kernel/viewer.ts';
import { enrollmentInput, eventually, Follower, freshDatabaseUrl, postGraphQL, schoolAt, startTestSystem, type School, type TestSystem } from './harness.ts';

/*
 * An event is delivered complete, or not yet (README, "Real-time subscriptions"): while a part of the
 * register that an event's selection reaches is out, the event is held, and those after it wait
 * behind it; after EVENT_HOLD_SECONDS its subscribers are let go with 4503, naming the cursor right
 * before it. Never is it delivered incomplete, and so skipped.
 */

type Change = { cursor: string; enrollment: { id: string; learner: { pgn: string } } };
type Notice = { cursor: string; notice: { id: string; enrollment: { id: string; fundingStatus: { outcome: string; reasons: string[] } | null } } };

const withLearner = 'subscription($after: String) { fundingStatusChanged(after: $after) { cursor enrollment { id learner { pgn } } } }';
const withFundingStatus =
  'subscription($after: String) { transferNoticeIssued(after: $after) { cursor notice { id enrollment { id fundingStatus { outcome reasons } } } } }';

/** What a gateway logged, and a way to wait for a line. */
function capturedLog() {
  const lines: string[] = [];
  const logger = createLogger('warn', { write: (line: string) => void lines.push((JSON.parse(line) as { msg: string }).msg) });
  return { lines, logger, says: (pattern: RegExp) => lines.some((line) => pattern.test(line)) };
}

/** True when the cursors are strictly increasing: no duplicate, nothing out of order. */
const inOrder = (cursors: string[]) => cursors.every((cursor, i) => i === 0 || compareCursors(cursors[i - 1]!, cursor) < 0);

describe.runIf(Boolean(process.env.DATABASE_URL))('events held until complete, each subgraph and gateway a process of its own, on PostgreSQL', () => {
  const servers = new Map<string, RunningSystem>();
  const logs = new Map<string, ReturnType<typeof capturedLog>>();
  const followers: Follower<{ cursor: string }>[] = [];
  let base: Record<string, string | undefined>;
  let drop: () => Promise<void>;
  let writer: Database;
  let school: School;
  let other: School;
  let operator: string;
  let learner = 60_000;

  const start = async (name: string, serve: string, environment: Record<string, string> = {}) => {
    const log = capturedLog();
    logs.set(name, log);
    servers.set(name, await startSystem(readConfig({ ...base, SERVE: serve, ...environment }), { logger: serve === 'gateway' ? log.logger : silentLogger }));
  };
  const url = (name: string) => servers.get(name)!.url;
  const stopped = new Set<string>();
  const stop = async (name: string) => {
    stopped.add(name);
    await servers.get(name)!.close();
  };
  /** Starts a subgraph again where it listened, as a process manager restarts one. */
  const restart = async (name: string) => {
    await start(name, name, { PORT: new URL(url(name)).port });
    stopped.delete(name);
  };
  /** Events of `stream` a subgraph has handed to the gateway's upstream subscriptions since it started (its /metrics). */
  const handedOn = async (name: string, stream: string) => {
    const text = await (await fetch(new URL('/metrics', url(name)))).text();
    return Number(new RegExp(`^register_events_delivered_total\\{service="${name}",stream="${stream}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  };

  /** A gateway for each case: one with the defaults, one that holds an event for 2 s, one that holds 10 events per upstream subscription. */
  const gateways = { patient: {}, impatient: { EVENT_HOLD_SECONDS: '2' }, bounded: { SUBSCRIBER_QUEUE: '10' } };

  const follow = <Item extends { cursor: string }>(
    gateway: keyof typeof gateways,
    token: string,
    query: string,
    field: string,
    after: string | null = null,
  ) => {
    const follower = new Follower<Item>({ url: () => url(gateway), token, query, field, after, resume: true });
    followers.push(follower);
    return follower;
  };

  /** Enrolls `count` learners at `at`: each makes funding write one FundingStatusChanged event. */
  const enroll = async (at: School, count: number, overrides: Record<string, unknown> = {}, numbers = Array.from({ length: count }, () => ++learner)) => {
    const items = numbers.map((n) => enrollmentInput(at, n, overrides));
    const response = await postGraphQL<{ enrollLearners: { enrollments: { id: string }[]; failures: unknown[] } }>(
      url('patient'),
      'mutation($input: EnrollLearnersInput!) { enrollLearners(input: $input) { enrollments { id } failures { message } } }',
      { input: { items } },
      at.token,
    );
    expect(response.data?.enrollLearners.failures).toEqual([]);
    return response.data!.enrollLearners.enrollments.map((enrollment) => enrollment.id);
  };

  /** The FundingStatusChanged events of the funding outbox after `after`: the ground truth. */
  const written = async (after: string | null) => (await readEvents(writer.db, 'funding', after, 5000, ['FundingStatusChanged'])).map((event) => event.cursor);

  /** Funding's event for one of these enrollments, written as funding writes one, while learners (which its learner fields come from) is down. */
  const statusChanges = async (enrollmentIds: string[], count: number) => {
    for (let n = 0; n < count; n++) {
      const enrollmentId = enrollmentIds[n % enrollmentIds.length]!;
      const keys = { enrollmentId, learnerId: randomUUID(), brin6: school.brin6, countDate: '2027-02-01' };
      const event: NewEvent = {
        type: 'FundingStatusChanged',
        keys,
        payload: {
          ...keys,
          providerCode: school.providerCode,
          fundingYear: 2028,
          phase: 'PROVISIONAL',
          previous: null,
          current: { outcome: 'FUNDABLE', reasons: [] },
        },
      };
      await writer.db.transaction((tx) => appendEvents(tx, 'funding', [event]));
    }
  };

  const gatewayOf = (name: string) => servers.get(name)!.stats().gateway!;
  const fundingFeed = () => servers.get('funding')!.stats().feeds.funding!;

  beforeAll(async () => {
    const fresh = await freshDatabaseUrl();
    drop = fresh.drop;
    base = { ...process.env, DATABASE_URL: fresh.url!, PORT: '0', RATE_LIMIT: '0' };
    for (const name of ['institutions', 'learners', 'funding', 'absence']) await start(name, name);
    const subgraphUrls = ['institutions', 'learners', 'funding', 'absence'].map((name) => `${name}=${url(name)}`).join(',');
    for (const [name, environment] of Object.entries(gateways)) await start(name, 'gateway', { SUBGRAPH_URLS: subgraphUrls, ...environment });
    writer = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://' });
    const { tokenSecret } = readConfig(base);
    operator = await issueToken({ role: 'OPERATOR' }, tokenSecret);
    const system: Pick<TestSystem, 'query' | 'token'> = {
      query: (query, options = {}) => postGraphQL(url('patient'), query, options.variables, operator),
      token: (viewer) => issueToken(viewer, tokenSecret),
    };
    [school, other] = await Promise.all([schoolAt(system, '16AH00'), schoolAt(system, '03WU00')]);
  }, 120_000);
  afterEach(async () => {
    // A test that failed halfway leaves nothing stopped for the next.
    for (const name of stopped) await restart(name);
    await Promise.all(followers.splice(0).map((follower) => follower.stop()));
    for (const name of Object.keys(gateways))
      await eventually(`the subscribers of ${name} gone`, () => gatewayOf(name).subscribers === 0, { deadline: 10_000 });
  });
  afterAll(async () => {
    await Promise.all(followers.map((follower) => follower.stop()));
    for (const server of [...servers.values()].reverse()) await server.close().catch(() => undefined);
    await writer?.close();
    await drop?.();
  });

  it('delivers every fundingStatusChanged event with its learner, in order, to an operator following through a learners outage, and to one resuming from an older cursor meanwhile', async () => {
    const live = follow<Change>('patient', operator, withLearner, 'fundingStatusChanged');
    await eventually('the operator following live', () => gatewayOf('patient').subscribers === 1 && fundingFeed().live === 1, { deadline: 10_000 });
    const from = await written(null);
    const enrollments = await enroll(school, 3);
    await live.until('the first three events', () => live.items.length === 3, { deadline: 20_000 });
    // Counted since funding started: other cases, and a restart of funding, come before this one.
    const handed = await handedOn('funding', 'funding');

    await stop('learners');
    await statusChanges(enrollments, 12);
    // Funding has handed all 12 to the gateway, which cannot complete them while learners is down.
    await eventually('funding to hand on the 12 events', async () => (await handedOn('funding', 'funding')) === handed + 12, { deadline: 20_000 });
    // Until the gateway has tried the first one (or, as it did before, delivered it incomplete).
    await eventually(
      'the gateway to try the first',
      () => logs.get('patient')!.says(/could not be completed .*holding it/) || live.items.length + live.errors.length > 3,
      { deadline: 20_000 },
    );
    const resumed = follow<Change>('patient', operator, withLearner, 'fundingStatusChanged', live.items[0]!.cursor);
    await restart('learners');

    const expected = await written(from.at(-1) ?? streamStart);
    expect(expected).toHaveLength(15);
    await live.until('all 15 events at the live follower', () => live.items.length >= 15, { deadline: 30_000 });
    await resumed.until('the 14 events after the older cursor', () => resumed.items.length >= 14, { deadline: 30_000 });
    expect(live.items.map((item) => item.cursor)).toEqual(expected);
    expect(resumed.items.map((item) => item.cursor)).toEqual(expected.slice(1));
    for (const follower of [live, resumed]) {
      expect(follower.errors).toEqual([]);
      expect(follower.items.every((item) => /^\d{9}$/.test(item.enrollment.learner.pgn))).toBe(true);
    }
  }, 120_000);

  it("delivers the old school's transfer notice with its funding status once funding is back, never without it", async () => {
    const notices = follow<Notice>('patient', school.token, withFundingStatus, 'transferNoticeIssued');
    await eventually(
      'the school following its notices',
      () => gatewayOf('patient').subscribers === 1 && servers.get('learners')!.stats().feeds.learners?.live === 1,
      { deadline: 10_000 },
    );
    const n = ++learner;
    const [enrollmentId] = await enroll(school, 1, {}, [n]);

    await stop('funding');
    const before = await handedOn('learners', 'learners');
    await enroll(other, 1, { startDate: '2026-12-01' }, [n]);
    // Learners has handed the notice to the gateway, which cannot complete it while funding is down.
    await eventually('learners to hand on the notice', async () => (await handedOn('learners', 'learners')) === before + 1, { deadline: 20_000 });
    await eventually(
      'the gateway to try the notice',
      () => logs.get('patient')!.says(/an event of learners could not be completed/) || notices.items.length + notices.errors.length > 0,
      { deadline: 20_000 },
    );
    expect(notices.items).toEqual([]);
    await restart('funding');

    await notices.until('the notice', () => notices.items.length === 1, { deadline: 30_000 });
    const status = await postGraphQL<{ enrollment: { fundingStatus: Notice['notice']['enrollment']['fundingStatus'] } }>(
      url('patient'),
      'query($id: ID!) { enrollment(id: $id) { fundingStatus { outcome reasons } } }',
      { id: enrollmentId },
      school.token,
    );
    expect(status.data?.enrollment.fundingStatus).not.toBeNull();
    expect(notices.items[0]!.notice.enrollment).toEqual({ id: enrollmentId, fundingStatus: status.data!.enrollment.fundingStatus });
    expect(notices.errors).toEqual([]);
  }, 120_000);

  it('closes with 4503 naming the cursor right before an event held past EVENT_HOLD_SECONDS, from which that event comes complete once learners is back', async () => {
    // From now on: a subscriber that has no cursor yet, so only the close can say where to resume.
    const follower = follow<Change>('impatient', operator, withLearner, 'fundingStatusChanged');
    await eventually('the operator following live', () => gatewayOf('impatient').subscribers === 1 && fundingFeed().live === 1, { deadline: 10_000 });
    const enrollments = await enroll(school, 1);
    await follower.until('the first event', () => follower.items.length === 1, { deadline: 20_000 });
    const before = follower.lastCursor!;

    await stop('learners');
    await statusChanges(enrollments, 3);
    await follower.until('the close', () => follower.closes.length > 0, { deadline: 20_000 });
    const held = await written(before);
    expect(follower.closes[0]).toEqual({ code: 4503, reason: `Unavailable: an event could not be completed; resume with after: ${cursorBefore(held[0]!)}` });
    expect(follower.items).toHaveLength(1);
    expect(follower.errors).toEqual([]);

    await restart('learners');
    // The follower resumes from the cursor the close named, as a client should.
    await follower.until('the held event and the two after it', () => follower.items.length === 4, { deadline: 30_000 });
    expect(follower.items.slice(1).map((item) => item.cursor)).toEqual(held);
    expect(follower.items.every((item) => /^\d{9}$/.test(item.enrollment.learner.pgn))).toBe(true);
  }, 120_000);

  it('holds at most SUBSCRIBER_QUEUE events of an upstream subscription behind a held one, ending it at the subgraph and reading on from its cursor once the event is complete', async () => {
    const follower = follow<Change>('bounded', operator, withLearner, 'fundingStatusChanged');
    await eventually('the operator following live', () => gatewayOf('bounded').subscribers === 1 && fundingFeed().live === 1, { deadline: 10_000 });
    const from = await written(null);
    const enrollments = await enroll(school, 1);
    await follower.until('the first event', () => follower.items.length === 1, { deadline: 20_000 });

    await stop('learners');
    await statusChanges(enrollments, 50);
    // 50 events behind the held one, and SUBSCRIBER_QUEUE (10) held: the subgraph's feed for the upstream is let go.
    await eventually('the gateway to end its upstream subscription at funding', () => fundingFeed().subscriptions === 0, { deadline: 20_000 });
    await restart('learners');

    const expected = await written(from.at(-1) ?? streamStart);
    expect(expected).toHaveLength(51);
    await follower.until('all 51 events', () => follower.items.length >= 51, { deadline: 60_000 });
    expect(follower.items.map((item) => item.cursor)).toEqual(expected);
    expect(inOrder(follower.items.map((item) => item.cursor))).toBe(true);
    expect(follower.errors).toEqual([]);
    expect(follower.closes).toEqual([]);
  }, 120_000);
});

describe('an event the owning subgraph cannot deliver', () => {
  let system: TestSystem;
  let school: School;
  let other: School;
  const followers: Follower<{ cursor: string }>[] = [];

  beforeAll(async () => {
    system = await startTestSystem({ EVENT_HOLD_SECONDS: '2', RATE_LIMIT: '0' });
    [school, other] = await Promise.all([schoolAt(system, '16AH00'), schoolAt(system, '03WU00')]);
  });
  afterAll(async () => {
    await Promise.all(followers.map((follower) => follower.stop()));
    await system?.close();
  });

  it('is held while it cannot be read, then ends the subscription with 4503 naming the cursor right before it, from which it comes once it can be read', async () => {
    const enroll = async (at: School, overrides: Record<string, unknown> = {}) => {
      const response = await system.query('mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }', {
        variables: { input: enrollmentInput(at, 90_001, overrides) },
        token: at.token,
      });
      expect(response.errors).toBeUndefined();
    };
    await enroll(school);
    await enroll(other, { startDate: '2026-12-01' });
    // Readable once every transaction that began before its own has ended (kernel/events.ts): a
    // consumer may still be taking in the enrollments.
    let notice: StoredEvent | undefined;
    await eventually(
      'the transfer notice, readable',
      async () => ([notice] = await readEvents(system.system.database!.db, 'learners', null, 10, ['TransferNoticeIssued'])).length > 0,
      { deadline: 10_000 },
    );
    // The notice cannot be read while its table is away; the database itself answers all along.
    await system.system.database!.db.execute(sql`ALTER TABLE learners.transfer_notice RENAME TO transfer_notice_away`);
    const follower = new Follower<{ cursor: string }>({
      url: () => system.url,
      token: school.token,
      query: withFundingStatus,
      field: 'transferNoticeIssued',
      after: streamStart,
    });
    followers.push(follower);
    try {
      await follower.until('the end of the subscription', () => follower.closes.length > 0 || follower.errors.length > 0, { deadline: 20_000 });
    } finally {
      await system.system.database!.db.execute(sql`ALTER TABLE learners.transfer_notice_away RENAME TO transfer_notice`);
    }
    expect(follower.errors).toEqual([]);
    expect(follower.items).toEqual([]);
    expect(follower.closes).toEqual([
      { code: 4503, reason: `Unavailable: an event could not be completed; resume with after: ${cursorBefore(notice!.cursor)}` },
    ]);

    const resumed = new Follower<Notice>({
      url: () => system.url,
      token: school.token,
      query: withFundingStatus,
      field: 'transferNoticeIssued',
      after: follower.lastCursor,
    });
    followers.push(resumed);
    await resumed.until('the notice', () => resumed.items.length === 1, { deadline: 20_000 });
    expect(resumed.items[0]!.cursor).toBe(notice!.cursor);
    expect(resumed.errors).toEqual([]);
  }, 60_000);
});
