import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compareCursors } from '../kernel/events.ts';
import type { Viewer } from '../kernel/viewer.ts';
import { enrollmentInput, eventually, Follower, schoolAt, startTestSystem, type School, type TestSystem } from './harness.ts';
import { codeOf, Connection, fundingSubscription, operator, vendor } from './websocketClient.ts';

/*
 * Subscriptions over WebSocket at the gateway: refused with a code, bounded per connection, per
 * viewer and by the results waiting for a reader, and a subscriber that stops reading let go with
 * the cursor to resume from.
 */

describe('subscriptions refused, bounded and let go over WebSocket', () => {
  let system: TestSystem;
  let school: School;
  let learner = 80_000;
  const connections: Connection[] = [];
  const followers: Follower<{ cursor: string }>[] = [];
  const open = async (viewer: Viewer) => {
    const connection = await Connection.open(system.url, await system.token(viewer));
    expect(connection.acknowledged).toBe(true);
    connections.push(connection);
    return connection;
  };
  const stats = () => system.system.stats();
  const subscribers = () => stats().gateway?.subscribers;
  /** No subscription left open at a subgraph either: a case counts the live ones it opens. */
  const upstreamsGone = () => Object.values(stats().feeds).every((feed) => feed.subscriptions === 0);

  /** Enrolls `count` new learners at the school in one call: each is one fundingStatusChanged event there. */
  const enroll = async (count: number) => {
    const items = Array.from({ length: count }, () => enrollmentInput(school, ++learner));
    const response = await system.query<{ enrollLearners: { enrollments: { id: string }[]; failures: unknown[] } }>(
      'mutation($input: EnrollLearnersInput!) { enrollLearners(input: $input) { enrollments { id } failures { code message } } }',
      { variables: { input: { items } }, token: school.token },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.enrollLearners.failures).toEqual([]);
    return response.data!.enrollLearners.enrollments.map((enrollment) => enrollment.id);
  };

  beforeAll(async () => {
    // The keep-alive lets a paused reader go too (below): here only the queue's bound may.
    system = await startTestSystem({ SUBSCRIPTIONS_PER_CONNECTION: '2', SUBSCRIPTIONS_PER_VIEWER: '3', SUBSCRIBER_QUEUE: '5', KEEPALIVE_SECONDS: '120' });
    school = await schoolAt(system, vendor.school);
  });
  // Each test starts with no subscription open: the limits count per viewer over every connection.
  afterEach(async () => {
    await Promise.all([...connections.splice(0).map((connection) => connection.close()), ...followers.splice(0).map((follower) => follower.stop())]);
    await eventually('every subscription ended', () => subscribers() === 0 && upstreamsGone(), { deadline: 10_000 });
  });
  afterAll(() => system?.close());

  it('refuses a vendor without a mandate with FORBIDDEN naming the vendor, the service and the school', async () => {
    const unmandated = await open({ role: 'VENDOR', vendorOin: '00000003273255280000', school: '16AH00' });
    for (const [query, service] of [
      [fundingSubscription, 'ROD_PO'],
      ['subscription { transferNoticeIssued { cursor } }', 'ROD_PO'],
      ['subscription { absenceReportUpdated { cursor } }', 'VERZUIM'],
    ] as const) {
      const answer = await unmandated.operation(query);
      expect(codeOf(answer)).toBe('FORBIDDEN');
      expect(answer.errors![0]!.message).toMatch(
        new RegExp(`^Vendor 00000003273255280000 has no ${service} mandate for school 16AH00 on \\d{4}-\\d{2}-\\d{2}`),
      );
    }
    expect(subscribers()).toBe(0);
  });

  it("refuses a board following the funding of its schools' enrollments with FORBIDDEN", async () => {
    const board = await open({ role: 'BOARD', board: '042B830' });
    const answer = await board.operation(fundingSubscription);
    expect(answer.errors).toEqual([
      { message: expect.stringContaining('Only a school (or the operator) follows these events'), extensions: { code: 'FORBIDDEN' } },
    ]);
  });

  it('refuses a malformed `after` with BAD_USER_INPUT naming the argument', async () => {
    const connection = await open(vendor);
    // Not base64url, empty, and well-formed but with a transaction id beyond 64 bits.
    for (const after of ['not-a-cursor', '', Buffer.from('99999999999999999999-1').toString('base64url')]) {
      const answer = await connection.operation(fundingSubscription, { after });
      expect(answer.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
      expect(answer.errors?.[0]?.message).toMatch(/cursor is malformed/);
    }
  });

  it('refuses a missing or mistyped variable with BAD_USER_INPUT, as over HTTP', async () => {
    const connection = await open(vendor);
    const required = 'subscription($after: String!) { fundingStatusChanged(after: $after) { cursor } }';
    for (const [query, variables] of [
      [required, {}],
      [fundingSubscription, { after: 12 }],
    ] as const) {
      const answer = await connection.operation(query, variables);
      expect(codeOf(answer)).toBe('BAD_USER_INPUT');
      expect(answer.errors?.[0]?.message).toMatch(/^Variable "\$after"/);
    }
    expect(subscribers()).toBe(0);
  });

  it('refuses a subscription field selected through a fragment with BAD_USER_INPUT, and counts nothing against the viewer', async () => {
    const connection = await open(vendor);
    for (let i = 0; i < 4; i++) {
      const answer = await connection.operation('subscription { ... on Subscription { fundingStatusChanged { cursor } } }');
      expect(codeOf(answer)).toBe('BAD_USER_INPUT');
    }
    // Over SUBSCRIPTIONS_PER_VIEWER (3) refusals, yet the viewer still subscribes.
    const id = connection.subscribe(fundingSubscription);
    await eventually('the subscription to open', () => subscribers() === 1, { deadline: 10_000 });
    expect(connection.of(id).filter((message) => message.type === 'error')).toEqual([]);
    expect(connection.closed).toBeUndefined();
  });

  it('refuses subscriptions over SUBSCRIPTIONS_PER_CONNECTION on one connection and over SUBSCRIPTIONS_PER_VIEWER over connections with LIMIT_EXCEEDED, while the others keep receiving events', async () => {
    const [first, second] = [await open(vendor), await open(vendor)];
    const held = [first.subscribe(fundingSubscription), first.subscribe(fundingSubscription)];
    await eventually('two subscriptions on the first connection', () => subscribers() === 2, { deadline: 10_000 });
    const overConnection = await first.operation(fundingSubscription);
    expect(overConnection.errors).toEqual([
      { message: 'Too many subscriptions on one connection: 2 open, at most 2; end one first', extensions: { code: 'LIMIT_EXCEEDED', limit: 'subscriptions' } },
    ]);

    const third = second.subscribe(fundingSubscription);
    await eventually('the third subscription, on the second connection', () => subscribers() === 3, { deadline: 10_000 });
    const overViewer = await second.operation(fundingSubscription);
    expect(overViewer.errors).toEqual([
      { message: 'Too many subscriptions of one viewer: 3 open, at most 3; end one first', extensions: { code: 'LIMIT_EXCEEDED', limit: 'subscriptions' } },
    ]);
    // Another viewer has limits of its own.
    const operatorConnection = await open(operator);
    const operatorSubscription = operatorConnection.subscribe(fundingSubscription);
    await eventually("the operator's subscription and both upstreams live", () => subscribers() === 4 && stats().feeds.funding?.live === 2, {
      deadline: 10_000,
    });

    const [enrolled] = await enroll(1);
    const receivedBy = (connection: Connection, id: string) => connection.until(`the event on subscription ${id}`, () => connection.events(id).length > 0);
    await Promise.all([
      receivedBy(first, held[0]!),
      receivedBy(first, held[1]!),
      receivedBy(second, third),
      receivedBy(operatorConnection, operatorSubscription),
    ]);
    for (const events of [first.events(held[0]!), first.events(held[1]!), second.events(third), operatorConnection.events(operatorSubscription)]) {
      expect(events).toEqual([{ fundingStatusChanged: { cursor: expect.any(String), enrollment: { id: enrolled } } }]);
    }
    expect([...first.messages, ...second.messages].filter((message) => message.type === 'error')).toHaveLength(2);

    // Ending one makes room for another.
    first.complete(held[0]!);
    await eventually('the ended subscription released', () => subscribers() === 3, { deadline: 10_000 });
    second.subscribe(fundingSubscription);
    await eventually('a new subscription in its place', () => subscribers() === 4, { deadline: 10_000 });
    expect(second.messages.filter((message) => message.type === 'error')).toHaveLength(1);
  });

  it('closes a subscriber that stops reading with 4008 once over SUBSCRIBER_QUEUE results wait, telling it to resume from its last cursor, while a reader on another connection gets every event', async () => {
    // Large events (about 37 kB each, within the cost limit): the operating system's socket buffers
    // (a few MB) fill after a hundred or so, and only then do results wait in the subscriber's queue.
    const board = 'code branches { brin6 name denomination phone website address { street houseNumber postcode city } }';
    const large = `subscription Large($after: String) { fundingStatusChanged(after: $after) { cursor enrollment { id branch { provider { board { ${Array.from({ length: 6 }, (_, i) => `p${i}: providers { ${board} }`).join(' ')} } } } } } }`;
    type Change = { cursor: string; enrollment: { id: string } };
    const reader = new Follower<Change>({ url: () => system.url, token: school.token, query: large, field: 'fundingStatusChanged' });
    followers.push(reader);
    const slow = await open(vendor);
    const id = slow.subscribe(large);
    // Both share one upstream subscription: each event is completed once, and handed to both.
    await eventually('both subscriptions live', () => subscribers() === 2 && stats().feeds.funding?.live === 1, { deadline: 10_000 });
    slow.pause();

    const enrolled: string[] = [];
    for (let batch = 0; batch < 10 && subscribers() === 2; batch++) {
      enrolled.push(...(await enroll(60)));
      await reader.until(
        `${enrolled.length} events at the reader`,
        () => enrolled.every((enrollment) => reader.items.some((item) => item.enrollment.id === enrollment)),
        { deadline: 30_000 },
      );
    }
    expect(subscribers()).toBe(1);

    slow.resume();
    await slow.until('the close of the slow subscriber', () => slow.closed !== undefined);
    expect(slow.closed).toEqual({ code: 4008, reason: 'Fell behind: over 5 results unread; reconnect and resume with after: your last cursor' });
    const received = slow.events(id).map((data) => data.fundingStatusChanged as Change);
    expect(received.length).toBeLessThan(reader.items.length);
    // What it did receive is what the reader received first, in order.
    expect(received.map((change) => change.cursor)).toEqual(reader.items.slice(0, received.length).map((item) => item.cursor));

    // The reader received every event once, in order.
    const cursors = reader.items.map((item) => item.cursor);
    expect(cursors.slice(1).every((cursor, i) => compareCursors(cursor, cursors[i]!) > 0)).toBe(true);
    expect(new Set(reader.items.map((item) => item.enrollment.id))).toEqual(new Set(enrolled));
    expect(reader.errors).toEqual([]);
    expect(reader.closes).toEqual([]);
  }, 120_000);

  it('lets a subscriber that resumes from a cursor with more than SUBSCRIBER_QUEUE events after it receive them all, as the 4008 reason advises', async () => {
    const small = 'subscription($after: String) { fundingStatusChanged(after: $after) { cursor } }';
    const live = new Follower<{ cursor: string }>({ url: () => system.url, token: school.token, query: small, field: 'fundingStatusChanged' });
    followers.push(live);
    await eventually('the live subscription', () => subscribers() === 1 && stats().feeds.funding?.live === 1, { deadline: 10_000 });
    await enroll(1);
    await live.until('the first event', () => live.items.length === 1, { deadline: 10_000 });
    // One at a time: a live subscriber takes them as they come.
    for (let n = 0; n < 20; n++) await enroll(1);
    await live.until('the 20 events after it', () => live.items.length === 21, { deadline: 10_000 });
    expect(live.closes).toEqual([]);

    // A subscriber that reads as fast as it can, from the first event's cursor: 20 events wait for it.
    const resumed = new Follower<{ cursor: string }>({
      url: () => system.url,
      token: school.token,
      query: small,
      field: 'fundingStatusChanged',
      after: live.items[0]!.cursor,
    });
    followers.push(resumed);
    await resumed.until('the 20 events after the cursor', () => resumed.items.length >= 20 || resumed.closes.length > 0, { deadline: 10_000 });
    expect(resumed.closes).toEqual([]);
    expect(resumed.items.map((item) => item.cursor)).toEqual(live.items.slice(1).map((item) => item.cursor));
  });
});

describe('a subscriber that stops reading, and the cursor of every event', () => {
  let system: TestSystem;
  let school: School;
  let learner = 85_000;
  const connections: Connection[] = [];
  const followers: Follower<{ cursor: string }>[] = [];
  const open = async () => {
    const connection = await Connection.open(system.url, school.token);
    connections.push(connection);
    return connection;
  };
  const enroll = async (count: number) => {
    const items = Array.from({ length: count }, () => enrollmentInput(school, ++learner));
    const response = await system.query<{ enrollLearners: { failures: unknown[] } }>(
      'mutation($input: EnrollLearnersInput!) { enrollLearners(input: $input) { failures { message } } }',
      { variables: { input: { items } }, token: school.token },
    );
    expect(response.data?.enrollLearners.failures).toEqual([]);
  };
  const subscribers = () => system.system.stats().gateway?.subscribers;
  /** No subscription left open at a subgraph either: a case counts the live ones it opens. */
  const upstreamsGone = () => Object.values(system.system.stats().feeds).every((feed) => feed.subscriptions === 0);

  beforeAll(async () => {
    system = await startTestSystem({ KEEPALIVE_SECONDS: '3' });
    school = await schoolAt(system, vendor.school);
  });
  afterEach(async () => {
    await Promise.all([...connections.splice(0).map((connection) => connection.close()), ...followers.splice(0).map((follower) => follower.stop())]);
    await eventually('every subscription ended', () => subscribers() === 0 && upstreamsGone(), { deadline: 40_000 });
  });
  afterAll(() => system?.close());

  it('closes a subscriber that leaves what it was sent unread past the keep-alive with 4008, after what was sent, and it resumes from its last cursor', async () => {
    const slow = await open();
    const witness = await open();
    const id = slow.subscribe(fundingSubscription);
    // A reader of its own sees when the events have been sent; it shares the upstream with the slow one.
    const reader = new Follower<{ cursor: string }>({ url: () => system.url, token: school.token, query: fundingSubscription, field: 'fundingStatusChanged' });
    followers.push(reader);
    await eventually('both subscriptions live', () => subscribers() === 2 && system.system.stats().feeds.funding?.live === 1, { deadline: 10_000 });
    slow.pause();
    await enroll(3);
    await reader.until('the three events at the reader', () => reader.items.length === 3, { deadline: 10_000 });
    // Two keep-alive rounds after they were sent (the witness, which answers, counts them): the slow one has not answered.
    const pings = witness.pings;
    await witness.until('three more pings', () => witness.pings >= pings + 3, { deadline: 60_000 });

    slow.resume();
    await slow.until('the close of the slow subscriber', () => slow.closed !== undefined);
    expect(slow.closed).toEqual({ code: 4008, reason: 'Fell behind: no answer within 3 s; reconnect and resume with after: your last cursor' });
    // It received what was sent before the close, in order.
    const received = slow.events(id).map((data) => (data.fundingStatusChanged as { cursor: string }).cursor);
    expect(received).toEqual(reader.items.map((item) => item.cursor));

    await enroll(2);
    const resumed = new Follower<{ cursor: string }>({
      url: () => system.url,
      token: school.token,
      query: fundingSubscription,
      field: 'fundingStatusChanged',
      after: received.at(-1)!,
    });
    followers.push(resumed);
    await reader.until('the two events after it at the reader', () => reader.items.length === 5, { deadline: 10_000 });
    await resumed.until('the two events after its cursor', () => resumed.items.length === 2, { deadline: 10_000 });
    expect(resumed.items.map((item) => item.cursor)).toEqual(reader.items.slice(3).map((item) => item.cursor));
    expect(witness.closed).toBeUndefined();
  }, 120_000);

  it('carries the cursor of every event in extensions, also when the subscription does not select it', async () => {
    const connection = await open();
    const id = connection.subscribe('subscription { fundingStatusChanged { countDate enrollment { id } } }');
    const reader = new Follower<{ cursor: string }>({ url: () => system.url, token: school.token, query: fundingSubscription, field: 'fundingStatusChanged' });
    followers.push(reader);
    // One viewer's: they share one upstream, live at the subgraph.
    await eventually('both subscriptions live', () => subscribers() === 2 && system.system.stats().feeds.funding?.live === 1, { deadline: 10_000 });
    await enroll(2);
    await reader.until('the two events at the reader', () => reader.items.length === 2, { deadline: 10_000 });
    await connection.until('the two events', () => connection.events(id).length === 2);
    const payloads = connection
      .of(id)
      .map((message) => message.payload as { data: { fundingStatusChanged: Record<string, unknown> }; extensions?: { cursor?: string } });
    expect(payloads.map((payload) => payload.extensions?.cursor)).toEqual(reader.items.map((item) => item.cursor));
    expect(payloads.every((payload) => !('cursor' in payload.data.fundingStatusChanged))).toBe(true);
  });
});
