import { createClient } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { startSystem, type RunningSystem } from '../system/start.ts';
import { silentLogger } from '../kernel/logging.ts';
import { readConfig } from '../kernel/config.ts';
import { openDatabase, type Database } from '../kernel/db.ts';
import { appendEvents, compareCursors, readEvents, streamStart, type NewEvent } from '../kernel/events.ts';
import { issueToken } from '../kernel/viewer.ts';
import { addDays } from '../kernel/calendar.ts';
import { today } from '../kernel/scalars.ts';
import { sql } from 'drizzle-orm';
import {
  enrollmentInput,
  eventually,
  Follower,
  freshDatabaseUrl,
  schoolAt,
  startTestSystem,
  type School,
  type TestSystem,
  registeredOperation,
} from './harness.ts';

const noticesSubscription = registeredOperation('TransferNoticeIssued.graphql');
const fundingSubscription = registeredOperation('FundingStatusChanged.graphql');
const absenceSubscription = registeredOperation('AbsenceReportUpdated.graphql');

const enrollMutation = 'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }';
const bulkMutation = 'mutation($input: EnrollLearnersInput!) { enrollLearners(input: $input) { enrollments { id } failures { message } } }';

/** True when the cursors are strictly increasing in stream order: no duplicate, nothing out of order. */
const inStreamOrder = (cursors: string[]) => cursors.every((cursor, i) => i === 0 || compareCursors(cursors[i - 1]!, cursor) < 0);

type Notice = {
  cursor: string;
  notice: {
    learnerPgn: string;
    newStartDate: string;
    newLocation: { branches: { name: string }[] };
    enrollment: { id: string; fundingStatus: { outcome: string } | null };
  };
};
type FundingChange = {
  cursor: string;
  countDate: string;
  previous: { outcome: string } | null;
  current: { outcome: string; reasons: string[] } | null;
  enrollment: { id: string; branch: { brin6: string; name: string }; learner: { pgn: string } };
};

describe('subscriptions through the gateway, over graphql-ws', () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let c: School;
  // A school of their own for the cases below that count events at one: another case's events never reach them.
  let own: Record<'resume' | 'absence' | 'merge' | 'mandate' | 'share', School>;
  let learner = 40_000;
  const followers: Follower<{ cursor: string }>[] = [];

  const follow = <Item extends { cursor: string }>(at: School, query: string, field: string, options: { after?: string | null; resume?: boolean } = {}) => {
    const follower = new Follower<Item>({ url: () => system.url, token: at.token, query, field, ...options });
    followers.push(follower);
    return follower;
  };

  const enroll = async (at: School, n: number, overrides: Record<string, unknown> = {}) => {
    const response = await system.query<{ enrollLearner: { enrollment: { id: string } } }>(enrollMutation, {
      variables: { input: enrollmentInput(at, n, overrides) },
      token: at.token,
    });
    expect(response.errors).toBeUndefined();
    return response.data!.enrollLearner.enrollment.id;
  };

  /** Waits until the gateway holds `subscribers` and every upstream has joined its stream's live tail. */
  const allLive = (subscribers: number) =>
    eventually(
      `${subscribers} live subscribers`,
      () => {
        const { gateway, feeds } = system.system.stats();
        const live = Object.values(feeds).reduce((sum, feed) => sum + feed.live, 0);
        return gateway?.subscribers === subscribers && live === gateway.upstreams;
      },
      { deadline: 10_000 },
    );

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b, c] = (await Promise.all(['16AH00', '03WU00', '04LY00'].map((brin6) => schoolAt(system, brin6)))) as [School, School, School];
    const [resume, absence, merge, mandate, share] = await Promise.all(
      ['16BX00', '16HI00', '16DJ00', '06MY00', '06RG00'].map((brin6) => schoolAt(system, brin6)),
    );
    own = { resume: resume!, absence: absence!, merge: merge!, mandate: mandate!, share: share! };
  });
  afterEach(async () => {
    await Promise.all(followers.splice(0).map((follower) => follower.stop()));
    // At the subgraphs too: a case counts the live upstreams it opens.
    await eventually(
      "the last test's subscribers to leave",
      () => system.system.stats().gateway?.subscribers === 0 && Object.values(system.system.stats().feeds).every((feed) => feed.subscriptions === 0),
      { deadline: 5000 },
    );
  });
  afterAll(() => system?.close());

  it("tells school A of its learners' enrollments at B with fields from three subgraphs, and school C nothing", async () => {
    const pgns = [++learner, ++learner].map(String);
    const numbers = [learner - 1, learner];
    const noticesAtA = follow<Notice>(a, noticesSubscription, 'transferNoticeIssued');
    const fundingAtA = follow<FundingChange>(a, fundingSubscription, 'fundingStatusChanged');
    const noticesAtC = follow<Notice>(c, noticesSubscription, 'transferNoticeIssued');
    const fundingAtC = follow<FundingChange>(c, fundingSubscription, 'fundingStatusChanged');
    await allLive(4);
    const ids: string[] = [];
    for (const n of numbers) ids.push(await enroll(a, n));
    // The first statuses at A come in before the transfers, so that only the changes they make follow.
    await fundingAtA.until("A's first two statuses", () => fundingAtA.items.length === 2, { deadline: 10_000 });
    expect(fundingAtA.items.map((item) => [item.previous, item.current?.outcome])).toEqual([
      [null, 'FUNDABLE'],
      [null, 'FUNDABLE'],
    ]);

    for (const n of numbers) await enroll(b, n, { startDate: '2026-12-01' });

    await noticesAtA.until('two notices at A', () => noticesAtA.items.length === 2, { deadline: 10_000 });
    await fundingAtA.until("two of A's statuses changed", () => fundingAtA.items.length === 4, { deadline: 10_000 });
    const name = (await system.query<{ branch: { name: string } }>('query($brin6: ID!) { branch(brin6: $brin6) { name } }', { variables: { brin6: b.brin6 } }))
      .data!.branch.name;
    expect(noticesAtA.items.map((item) => item.notice.newLocation.branches.map((branch) => branch.name))).toEqual([[name], [name]]);
    expect(noticesAtA.items.map((item) => item.notice.enrollment.id).sort()).toEqual([...ids].sort());
    expect(
      noticesAtA.items.every((item) => item.notice.newStartDate === '2026-12-01' && item.notice.enrollment.fundingStatus?.outcome === 'NOT_FUNDABLE'),
    ).toBe(true);
    expect(noticesAtA.items.map((item) => item.notice.learnerPgn).sort()).toEqual(pgns.map((n) => enrollmentInput(a, Number(n)).learner.pgn).sort());
    for (const change of fundingAtA.items.slice(2)) {
      expect(change.enrollment.branch.brin6).toBe(a.brin6);
      expect(ids).toContain(change.enrollment.id);
      expect(change.previous).toEqual({ outcome: 'FUNDABLE', reasons: [] });
      expect(change.current?.outcome).toBe('NOT_FUNDABLE');
      expect(change.enrollment.branch.name).toBe("Openbare Basisschool 't Eenspan");
      expect(pgns.map((n) => enrollmentInput(a, Number(n)).learner.pgn)).toContain(change.enrollment.learner.pgn);
    }
    expect(noticesAtA.errors).toEqual([]);
    expect(fundingAtA.errors).toEqual([]);
    expect(noticesAtC.items).toEqual([]);
    expect(fundingAtC.items).toEqual([]);
  });

  it('resumes a subscriber from its last cursor with exactly the 100 events it missed, in order, then live ones', async () => {
    const at = own.resume;
    const base = ++learner;
    const witness = follow<FundingChange>(at, fundingSubscription, 'fundingStatusChanged');
    const subscriber = follow<FundingChange>(at, fundingSubscription, 'fundingStatusChanged');
    await allLive(2);
    await enroll(at, base);
    await subscriber.until('the first event', () => subscriber.items.length === 1);
    await subscriber.stop();
    const last = subscriber.lastCursor!;

    learner += 100;
    const items = Array.from({ length: 100 }, (_, i) => enrollmentInput(at, base + 1 + i));
    const bulk = await system.query<{ enrollLearners: { failures: unknown[] } }>(bulkMutation, { variables: { input: { items } }, token: at.token });
    expect(bulk.data?.enrollLearners.failures).toEqual([]);
    await witness.until('the witness to see all 101 events', () => witness.items.length === 101, { deadline: 20_000 });

    const resumed = follow<FundingChange>(at, fundingSubscription, 'fundingStatusChanged', { after: last });
    await resumed.until('the 100 missed events', () => resumed.items.length === 100, { deadline: 20_000 });
    expect(resumed.items.map((item) => item.cursor)).toEqual(witness.items.slice(1).map((item) => item.cursor));
    expect(inStreamOrder(resumed.items.map((item) => item.cursor))).toBe(true);

    // The seam: the next event comes once, right after the replayed ones.
    await enroll(at, ++learner);
    await witness.until('the live event at the witness', () => witness.items.length === 102);
    await resumed.until('the live event after the replayed ones', () => resumed.items.length >= 101);
    // One more event behind it: in order, a doubled event would come before this one.
    await enroll(at, ++learner);
    await witness.until('the event after it at the witness', () => witness.items.length === 103);
    await resumed.until('the event after it', () => resumed.items.some((item) => item.cursor === witness.items[102]!.cursor));
    expect(resumed.items.map((item) => item.cursor)).toEqual(witness.items.slice(1).map((item) => item.cursor));
  });

  it('tells the school and the municipality of residence of an absence report and each step, and another municipality nothing', async () => {
    const at = own.absence;
    const n = ++learner;
    const enrollmentId = await enroll(at, n);
    const municipality = async (code: string) => ({ ...at, token: await system.token({ role: 'MUNICIPALITY', municipality: code }) });
    type Update = {
      cursor: string;
      change: string;
      report: { id: string; status: string; kind: string; municipalityCode: string; branch: { name: string }; learner: { pgn: string } | null };
    };
    const atSchool = follow<Update>(at, absenceSubscription, 'absenceReportUpdated');
    const atResidence = follow<Update>(await municipality('0114'), absenceSubscription, 'absenceReportUpdated');
    const elsewhere = follow<Update>(await municipality('0363'), absenceSubscription, 'absenceReportUpdated');
    const otherSchool = follow<Update>(c, absenceSubscription, 'absenceReportUpdated');
    await allLive(4);

    const reported = await system.query<{ reportAbsence: { report: { id: string } } }>(
      'mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { id } } }',
      {
        token: at.token,
        variables: {
          input: {
            documentId: `subscriptions-report-${n}`,
            enrollmentId,
            kind: 'SIXTEEN_HOURS',
            startDate: '2026-10-05',
            endDate: '2026-10-08',
            absences: [5, 6, 7, 8].map((day) => ({ date: `2026-10-0${day}`, dayPart: 'MORNING', hours: 4 })),
            municipalityActionWanted: true,
            contact: { name: 'J. de Vries', role: 'intern begeleider', email: 'ib@example.org' },
          },
        },
      },
    );
    expect(reported.errors).toBeUndefined();
    const reportId = reported.data!.reportAbsence.report.id;
    const step = await system.query('mutation($input: ChangeAbsenceReportStatusInput!) { changeAbsenceReportStatus(input: $input) { report { status } } }', {
      token: (await municipality('0114')).token,
      variables: { input: { documentId: `subscriptions-step-${n}`, reportId, status: 'IN_TREATMENT', note: 'Home visit planned' } },
    });
    expect(step.errors).toBeUndefined();

    for (const follower of [atSchool, atResidence]) {
      await follower.until('the report and its step', () => follower.items.length === 2, { deadline: 10_000 });
      expect(follower.items.map(({ change, report }) => [change, report.id, report.municipalityCode, report.branch.name, report.learner?.pgn])).toEqual([
        ['REPORTED', reportId, '0114', 'Openbare Basisschool Emmermeer', enrollmentInput(at, n).learner.pgn],
        ['STATUS_CHANGED', reportId, '0114', 'Openbare Basisschool Emmermeer', enrollmentInput(at, n).learner.pgn],
      ]);
      // Each update carries the report as it is when the update is delivered.
      expect(follower.items.at(-1)!.report.status).toBe('IN_TREATMENT');
    }
    expect(elsewhere.items).toEqual([]);
    expect(otherSchool.items).toEqual([]);
  });

  it('merges subscribers resuming from a cursor into the live upstream once caught up, and joins those resuming from where it stands at once', async () => {
    const at = own.merge;
    const witness = follow<FundingChange>(at, fundingSubscription, 'fundingStatusChanged');
    await allLive(1);
    for (let i = 0; i < 3; i++) await enroll(at, ++learner);
    await witness.until('the third event at the witness', () => witness.items.length === 3);
    const [first, ...missed] = witness.items.map((item) => item.cursor);

    const resumed = [0, 1, 2].map(() => follow<FundingChange>(at, fundingSubscription, 'fundingStatusChanged', { after: first! }));
    for (const follower of resumed) await follower.until('the two missed events', () => follower.items.length === 2, { deadline: 10_000 });
    // Caught up with the witness's upstream, the replay handed its subscribers over to it.
    await eventually('one upstream for all four', () => system.system.stats().gateway?.upstreams === 1, { deadline: 5000 });
    await enroll(at, ++learner);
    await witness.until('the fourth event at the witness', () => witness.items.length === 4);
    for (const follower of resumed) {
      await follower.until('the live event after the missed ones', () => follower.items.length >= 3);
      expect(follower.items.map((item) => item.cursor)).toEqual([...missed, witness.items[3]!.cursor]);
    }

    // Resuming from where the live upstream stands: joined to it at once, no upstream of their own.
    const latest = witness.lastCursor!;
    const joined = [0, 1].map(() => follow<FundingChange>(at, fundingSubscription, 'fundingStatusChanged', { after: latest }));
    await eventually('six subscribers', () => system.system.stats().gateway?.subscribers === 6, { deadline: 5000 });
    expect(system.system.stats().gateway?.upstreams).toBe(1);
    await enroll(at, ++learner);
    await witness.until('the fifth event at the witness', () => witness.items.length === 5);
    for (const follower of joined) {
      await follower.until('the event at each follower', () => follower.items.length === 1);
      expect(follower.items.map((item) => item.cursor)).toEqual([witness.items[4]!.cursor]);
    }
  });

  it("shares one upstream among a viewer's different documents, each answered in its own shape, without a gap or a repeat as a wider one joins", async () => {
    const at = own.share;
    const narrow = follow<{ cursor: string; y: number }>(
      at,
      'subscription($after: String) { fundingStatusChanged(after: $after) { cursor y: fundingYear } }',
      'fundingStatusChanged',
    );
    await allLive(1);
    const aliased = follow<{ cursor: string; year: number; countDate: string }>(
      at,
      'subscription($after: String) { change: fundingStatusChanged(after: $after) { cursor countDate year: fundingYear } }',
      'change',
    );
    // It selects more than the live upstream does, so an upstream selecting both took the live place;
    // standing where the other stands, the other handed its subscriber over to it.
    const oneUpstream = () => {
      const { gateway, feeds } = system.system.stats();
      return gateway?.upstreams === 1 && feeds.funding?.subscriptions === 1;
    };
    await eventually('one upstream, one subscription at the subgraph', oneUpstream);
    await allLive(2);
    await enroll(at, ++learner);
    for (const follower of [narrow, aliased]) await follower.until('the first event', () => follower.items.length === 1);

    await enroll(at, ++learner);
    for (const follower of [narrow, aliased]) await follower.until('the second event', () => follower.items.length === 2);

    // A third, with fields of three subgraphs, resumes after the first event: its replay, selecting
    // all three, hands the others' subscribers over once it stands where they do.
    const wide = follow<FundingChange>(at, fundingSubscription, 'fundingStatusChanged', { after: narrow.items[0]!.cursor });
    await eventually('three subscribers', () => system.system.stats().gateway?.subscribers === 3);
    for (let i = 0; i < 3; i++) await enroll(at, ++learner);
    for (const follower of [narrow, aliased]) await follower.until('five events', () => follower.items.length === 5);
    await wide.until('four events', () => wide.items.length === 4);
    await eventually('one upstream again', oneUpstream);

    const cursors = narrow.items.map((item) => item.cursor);
    expect(inStreamOrder(cursors)).toBe(true);
    expect(aliased.items.map((item) => item.cursor)).toEqual(cursors);
    expect(wide.items.map((item) => item.cursor)).toEqual(cursors.slice(1));
    expect(narrow.items.map((item) => Object.keys(item).sort())).toEqual(cursors.map(() => ['cursor', 'y']));
    expect(aliased.items.map((item) => Object.keys(item).sort())).toEqual(cursors.map(() => ['countDate', 'cursor', 'year']));
    expect(aliased.items.map((item) => item.year)).toEqual(narrow.items.map((item) => item.y));
    expect(new Set(wide.items.map((item) => item.enrollment.branch.brin6))).toEqual(new Set([at.brin6]));
    expect(wide.items.every((item) => item.enrollment.learner.pgn.length > 0 && item.current?.outcome)).toBe(true);
    expect([...narrow.errors, ...aliased.errors, ...wide.errors]).toEqual([]);
  });

  it('refuses a malformed cursor with BAD_USER_INPUT and opens nothing', async () => {
    const refused = follow<FundingChange>(a, fundingSubscription, 'fundingStatusChanged', { after: 'not-a-cursor' });
    await refused.until('the refusal', () => refused.errors.length > 0);
    expect(refused.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it("stops delivering to a vendor once its school's board ends its mandate, with FORBIDDEN", async () => {
    // A school of its own: the mandate it ends would refuse the vendor at C in the other cases.
    const at = own.mandate;
    const n = ++learner;
    const follower = follow<FundingChange>(at, fundingSubscription, 'fundingStatusChanged');
    await allLive(1);
    // The first status comes while the mandate holds; waiting for it keeps it apart from what follows the end.
    await enroll(at, n);
    await follower.until('the status at the school', () => follower.items.length === 1, { deadline: 10_000 });
    const branch = await system.query<{ branch: { provider: { board: { code: string } } } }>(
      'query($brin6: ID!) { branch(brin6: $brin6) { provider { board { code } } } }',
      { variables: { brin6: at.brin6 } },
    );
    const board = await system.token({ role: 'BOARD', board: branch.data!.branch.provider.board.code });
    const mandates = await system.query<{ mandates: { edges: { node: { id: string; service: string; vendor: { oin: string } } }[] } }>(
      'query($brin6: ID!) { mandates(brin6: $brin6) { edges { node { id service vendor { oin } } } } }',
      { variables: { brin6: at.brin6 }, token: board },
    );
    const rodPo = mandates
      .data!.mandates.edges.map((edge) => edge.node)
      .find((node) => node.service === 'ROD_PO' && node.vendor.oin === '00000001800866472000')!;
    const ended = await system.query('mutation($input: EndMandateInput!) { endMandate(input: $input) { endDate } }', {
      variables: { input: { documentId: `end-${n}`, mandateId: rodPo.id, endDate: addDays(today(), -1) } },
      token: board,
    });
    expect(ended.errors).toBeUndefined();
    // Funding keeps a copy of the mandates: once it has taken in the end, it refuses the vendor.
    await eventually(
      'funding to refuse the vendor',
      async () => (await system.query('{ countDates { countDate } }', { token: at.token })).errors?.[0]?.extensions?.code === 'FORBIDDEN',
      { deadline: 10_000 },
    );

    // The learner enrolls at B: its enrollment at the school no longer counts, an event for the school.
    await enroll(b, n, { startDate: '2026-12-01' });
    await follower.until('the refusal', () => follower.errors.length > 0, { deadline: 10_000 });
    expect(follower.errors[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' }, message: expect.stringContaining('ROD_PO') });
    expect(follower.items).toHaveLength(1);
  });
});

describe('releasing subscriptions', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem({ SUBSCRIPTIONS_PER_VIEWER: '2000', RATE_LIMIT: '0' });
  });
  afterAll(() => system?.close());

  const open = () => {
    const { gateway, feeds } = system.system.stats();
    return {
      ...gateway,
      ...Object.values(feeds).reduce((sum, feed) => ({ subscriptions: sum.subscriptions + feed.subscriptions, tails: sum.tails + feed.tails }), {
        subscriptions: 0,
        tails: 0,
      }),
    };
  };

  it('leaves no upstream subscription, feed subscription or listener behind once 1,000 subscribers have gone', async () => {
    const token = await system.token({ role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' });
    const queries = [fundingSubscription, noticesSubscription, absenceSubscription];
    const clients = Array.from({ length: 40 }, () =>
      createClient({
        url: system.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
      }),
    );
    const errors: unknown[] = [];
    // 25 on each of 40 connections, over three fields, half of them from the start of the stream.
    const unsubscribes = clients.flatMap((client, c) =>
      Array.from({ length: 25 }, (_, i) =>
        client.subscribe(
          { query: queries[(c + i) % 3]!, variables: { after: i % 2 ? null : streamStart } },
          { next: () => undefined, error: (error) => errors.push(error), complete: () => undefined },
        ),
      ),
    );
    await eventually('1,000 subscribers', () => open().subscribers === 1000 && open().subscriptions === open().upstreams, { deadline: 20_000 }).catch(
      (error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(open())}, errors ${JSON.stringify(errors.slice(0, 3))}`);
      },
    );
    // Per field, those after the same cursor share an upstream. Those from now on do too, and, as
    // the streams hold no event yet, they start where those after the stream's start stand: one each.
    expect(open()).toEqual({ subscribers: 1000, upstreams: 3, subscriptions: 3, tails: 3 });

    // Half unsubscribe (a complete message), the other half leave by closing their connections.
    unsubscribes.slice(0, 500).forEach((unsubscribe) => unsubscribe());
    await Promise.all(clients.slice(20).map((client) => client.dispose()));
    await eventually('every subscriber to be gone', () => open().subscribers === 0, { deadline: 10_000 });
    expect(open()).toEqual({ subscribers: 0, upstreams: 0, subscriptions: 0, tails: 0 });
    expect(errors).toEqual([]);
    await Promise.all(clients.slice(0, 20).map((client) => client.dispose()));
  });
});

/** A funding status change at 16AH00 as the funding subgraph writes one; `n` tells them apart. */
function statusChange(n: number): NewEvent {
  const keys = { enrollmentId: randomUUID(), learnerId: randomUUID(), brin6: '16AH00', countDate: '2027-02-01' };
  return {
    type: 'FundingStatusChanged',
    keys,
    payload: { ...keys, providerCode: '010A823', fundingYear: 2028, phase: 'PROVISIONAL', previous: null, current: { outcome: 'FUNDABLE', reasons: [] }, n },
  };
}

/**
 * Writes one event after `written` and waits for each follower to receive it: delivered in order, a
 * doubled event would come before it. Returns the stream's events with it.
 */
async function oneMore(writer: Database, written: string[], followers: Follower<{ cursor: string }>[]): Promise<string[]> {
  await writer.db.transaction((tx) => appendEvents(tx, 'funding', [statusChange(written.length)]));
  let all: string[] = [];
  await eventually(
    'the event after the others to be readable',
    async () =>
      (all = (await readEvents(writer.db, 'funding', null, 5000, ['FundingStatusChanged'])).map((event) => event.cursor)).length === written.length + 1,
    { deadline: 30_000 },
  );
  for (const follower of followers)
    await follower.until('the event after the others', () => follower.items.some((item) => item.cursor === all.at(-1)), { deadline: 30_000 });
  return all;
}

describe.runIf(Boolean(process.env.DATABASE_URL))('restarts of the gateway, a subgraph and the database, on PostgreSQL', () => {
  it('delivers the 1,000 events of 10 concurrent writers to every subscriber once and in order while the gateway, then the funding subgraph, restart', async () => {
    const fresh = await freshDatabaseUrl();
    const base = { ...process.env, DATABASE_URL: fresh.url!, PORT: '0', RATE_LIMIT: '0' };
    const servers = new Map<string, RunningSystem>();
    const start = async (name: string, environment: Record<string, string> = {}) =>
      servers.set(name, await startSystem(readConfig({ ...base, SERVE: name, ...environment }), { logger: silentLogger }));
    const restart = async (name: string, environment: Record<string, string> = {}) => {
      await servers.get(name)!.close();
      await start(name, environment);
    };
    const writer = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://' });
    const followers: Follower<{ cursor: string }>[] = [];
    try {
      for (const name of ['institutions', 'learners', 'funding', 'absence']) await start(name);
      const gatewayEnvironment = { SUBGRAPH_URLS: [...servers].map(([name, server]) => `${name}=${server.url}`).join(',') };
      await start('gateway', gatewayEnvironment);
      const token = await issueToken({ role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' }, readConfig(base).tokenSecret);
      const query = 'subscription($after: String) { fundingStatusChanged(after: $after) { cursor countDate } }';
      for (let i = 0; i < 3; i++)
        followers.push(new Follower({ url: () => servers.get('gateway')!.url, token, query, field: 'fundingStatusChanged', resume: true }));
      await eventually(
        'three live subscribers',
        () => servers.get('gateway')!.stats().gateway?.subscribers === 3 && servers.get('funding')!.stats().feeds.funding?.live === 1,
        { deadline: 10_000 },
      );

      // Each writer commits 100 events one by one, holding its transaction a random while: commits
      // come out of position order, which a cursor must not skip.
      const writers = Array.from({ length: 10 }, (_, w) =>
        (async () => {
          for (let i = 0; i < 100; i++) {
            await writer.db.transaction(async (tx) => {
              await appendEvents(tx, 'funding', [statusChange(w * 100 + i)]);
              await sleep(Math.random() * 10);
            });
            await sleep(40);
          }
        })(),
      );
      // Restarts while the writers are under way, after the first events and again further on.
      const delivered = (count: number) =>
        eventually(`${count} events delivered`, () => followers.every((follower) => follower.items.length >= count), { deadline: 30_000 });
      await delivered(50);
      await restart('gateway', gatewayEnvironment);
      await delivered(250);
      await restart('funding', { PORT: new URL(servers.get('funding')!.url).port });
      await Promise.all(writers);

      // Readable once every older transaction on the database has ended (kernel/events.ts, readEvents).
      let written: string[] = [];
      await eventually(
        'the 1,000 events to be readable',
        async () => (written = (await readEvents(writer.db, 'funding', null, 5000, ['FundingStatusChanged'])).map((event) => event.cursor)).length === 1000,
        { deadline: 30_000 },
      );
      for (const follower of followers) await follower.until('all 1,000 events', () => follower.items.length >= 1000, { deadline: 30_000 });
      written = await oneMore(writer, written, followers);
      for (const follower of followers) {
        expect(follower.items.map((item) => item.cursor)).toEqual(written);
        expect(follower.closes.length).toBeGreaterThan(0);
      }
    } finally {
      await Promise.all(followers.map((follower) => follower.stop()));
      for (const server of [...servers.values()].reverse()) await server.close();
      await writer.close();
      await fresh.drop();
    }
  }, 180_000);

  it('delivers every event once and in order when the database drops every connection, as a PostgreSQL restart does', async ({ onTestFailed }) => {
    // Which step a failure (a timeout above all) came in: the error alone does not say.
    let step = 'starting the system';
    onTestFailed(() => console.error(`the database-drop test failed while ${step}`));
    const system = await startTestSystem({ RATE_LIMIT: '0' });
    step = 'opening the writer';
    const writer = await openDatabase({ databaseUrl: system.config.databaseUrl, dataDir: 'memory://' });
    const token = await system.token({ role: 'VENDOR', vendorOin: '00000001800866472000', school: '16AH00' });
    const follower = new Follower<{ cursor: string }>({
      url: () => system.url,
      token,
      query: 'subscription { fundingStatusChanged { cursor } }',
      field: 'fundingStatusChanged',
      resume: true,
    });
    try {
      step = 'waiting for a live subscriber';
      await eventually('a live subscriber', () => system.system.stats().feeds.funding?.live === 1, { deadline: 10_000 });
      const write = async (from: number) => {
        for (let n = from; n < from + 50; n++) await writer.db.transaction((tx) => appendEvents(tx, 'funding', [statusChange(n)]));
      };
      step = 'writing the first 50 events';
      await write(0);
      step = 'ending every session';
      // Every other session of the database ends: the pool's, the LISTEN connection, the writer's.
      await writer.db.execute(sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
      await writer.db.execute(sql`SELECT 1`).catch(() => undefined);
      step = 'writing the next 50 events';
      await write(50);
      step = 'waiting for the 100 events to be readable';
      let written: string[] = [];
      await eventually(
        'the 100 events to be readable',
        async () => (written = (await readEvents(writer.db, 'funding', null, 5000, ['FundingStatusChanged'])).map((event) => event.cursor)).length === 100,
        { deadline: 30_000 },
      );
      step = 'waiting for the follower to receive them';
      await follower.until('all 100 events', () => follower.items.length >= 100, { deadline: 30_000 });
      written = await oneMore(writer, written, [follower]);
      expect(follower.items.map((item) => item.cursor)).toEqual(written);
    } finally {
      step = 'stopping the follower';
      await follower.stop();
      step = 'closing the writer';
      await writer.close();
      step = 'closing the system';
      await system.close();
    }
  }, 180_000);
});
