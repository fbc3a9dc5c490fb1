import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type SubgraphSource } from '../gateway/gateway.ts';
import { addDays } from '../kernel/calendar.ts';
import { readEvents } from '../kernel/events.ts';
import { graphqlHandler, listen, type Listening } from '../kernel/http.ts';
import { silentLogger } from '../kernel/logging.ts';
import { today } from '../kernel/scalars.ts';
import { createSubgraphServer, schemaFolder } from '../kernel/subgraph.ts';
import { signViewerAssertion, viewerHeader, type Viewer } from '../kernel/viewer.ts';
import { subgraphs } from '../subgraphs/index.ts';
import { countDateOf, currentCountDate, registrationDeadline } from '../subgraphs/funding/rules.ts';
import { bundledSchoolFile, importSchoolFile } from '../subgraphs/institutions/import.ts';
import {
  bsnFor,
  eventually,
  listenToSubgraph,
  postGraphQL,
  schoolAt,
  startTestSystem,
  type GraphQLResponse,
  type School,
  type TestSystem,
  registeredOperation,
} from './harness.ts';

interface Status {
  countDate: string;
  fundingYear: number;
  phase: string;
  outcome: string;
  reasons: string[];
  explanation: string;
}

type Enrolled = { enrollLearner: { enrollment: { id: string; fundingStatus: Status | null } } };

describe('funding through the gateway', () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let c: School;
  let serial = 0;
  // The count date every status below is for, unless a test names another.
  const countDate = currentCountDate(today());

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b, c] = (await Promise.all(['16AH00', '03WU00', '04LY00'].map((brin6) => schoolAt(system, brin6)))) as [School, School, School];
  });
  afterAll(() => system?.close());

  async function enroll(at: School, overrides: Record<string, unknown> = {}, pgn = bsnFor(++serial + 7000)) {
    const response = await system.query<Enrolled>(registeredOperation('EnrollLearner.graphql'), {
      token: at.token,
      variables: {
        input: {
          documentId: `funding-${++serial}`,
          learner: { pgn, birthDate: '2019-03-01', gender: 'MALE', postcode: '7822HG' },
          providerCode: at.providerCode,
          locationCode: at.locationCode,
          offeredProgrammeId: at.offeredProgrammeId,
          startDate: '2024-08-01',
          group: 3,
          schoolEnrollmentNumber: `F${serial}`,
          ...overrides,
        },
      },
    });
    expect(response.errors).toBeUndefined();
    return { ...response.data!.enrollLearner.enrollment, pgn };
  }

  const statusOf = async (at: School, id: string, day?: string) =>
    (
      await system.query<{ enrollment: { fundingStatus: Status | null } }>(
        'query($id: ID!, $day: Date) { enrollment(id: $id) { fundingStatus(countDate: $day) { countDate fundingYear phase outcome reasons explanation } } }',
        {
          token: at.token,
          variables: { id, day },
        },
      )
    ).data!.enrollment.fundingStatus;

  const counts = (token: string, variables: Record<string, unknown>) =>
    system.query<{
      fundingCounts: { code: string; phase: string; counted: number; notCounted: number; byReason: { reason: string; enrollments: number }[] }[];
    }>(
      'query($day: Date, $groupBy: FundingGroup!, $code: ID) { fundingCounts(countDate: $day, groupBy: $groupBy, code: $code) { code phase counted notCounted byReason { reason enrollments } } }',
      { token, variables },
    );

  const expectRefused = (response: GraphQLResponse<unknown>, code: string) => expect(response.errors?.[0]?.extensions?.code).toBe(code);

  it('answers enrollLearner with the provisional status on the current count date', async () => {
    const enrollment = await enroll(a);
    expect(enrollment.fundingStatus).toEqual({
      // An enrollment's status on a count date, by the id a client's cache knows it by (README, Clients).
      id: `${enrollment.id}/${countDate}`,
      countDate,
      fundingYear: Number(countDate.slice(0, 4)) + 1,
      phase: 'PROVISIONAL',
      outcome: 'FUNDABLE',
      reasons: [],
      explanation: expect.stringContaining('Counts for funding year'),
    });
  });

  it('does not count an enrollment that starts the day after the count date', async () => {
    const enrollment = await enroll(a, { startDate: addDays(countDate, 1) });
    expect(enrollment.fundingStatus).toMatchObject({ outcome: 'NOT_FUNDABLE', reasons: ['NOT_ENROLLED_ON_COUNT_DATE'] });
    expect(enrollment.fundingStatus!.explanation).toContain(`does not run on ${countDate}`);
  });

  it('counts a learner at one school only, the later enrollment, until the old school ends its enrollment', async () => {
    const old = await enroll(a);
    const later = await enroll(b, { startDate: addDays(countDate, -20) }, old.pgn);
    expect(later.fundingStatus).toMatchObject({ outcome: 'FUNDABLE', reasons: [] });
    expect(await statusOf(a, old.id)).toMatchObject({ outcome: 'NOT_FUNDABLE', reasons: ['DOUBLE_ENROLLMENT'] });

    const notices = await system.query<{ transferNotices: { edges: { node: { id: string; enrollment: { id: string } } }[] } }>(
      '{ transferNotices(status: OPEN, first: 100) { edges { node { id enrollment { id } } } } }',
      { token: a.token },
    );
    const notice = notices.data!.transferNotices.edges.find((edge) => edge.node.enrollment.id === old.id)!.node;
    const acknowledged = await system.query('mutation($input: AcknowledgeTransferInput!) { acknowledgeTransfer(input: $input) { enrollment { endDate } } }', {
      token: a.token,
      variables: { input: { documentId: `ack-${serial}`, noticeId: notice.id } },
    });
    expect(acknowledged.errors).toBeUndefined();
    expect(await statusOf(a, old.id)).toMatchObject({ reasons: ['NOT_ENROLLED_ON_COUNT_DATE'] });

    const events = (await readEvents(system.system.database!.db, 'funding', null, 1000)).filter((event) => event.keys.enrollmentId === old.id);
    expect(events.map((event) => [event.payload.previous, event.payload.current])).toEqual([
      [null, { outcome: 'FUNDABLE', reasons: [] }],
      [
        { outcome: 'FUNDABLE', reasons: [] },
        { outcome: 'NOT_FUNDABLE', reasons: ['DOUBLE_ENROLLMENT'] },
      ],
      [
        { outcome: 'NOT_FUNDABLE', reasons: ['DOUBLE_ENROLLMENT'] },
        { outcome: 'NOT_FUNDABLE', reasons: ['NOT_ENROLLED_ON_COUNT_DATE'] },
      ],
    ]);
    expect(events.every((event) => event.type === 'FundingStatusChanged' && event.keys.countDate === countDate && event.keys.brin6 === a.brin6)).toBe(true);
  });

  it('stops counting an enrollment at a location that RIO closes', async () => {
    const enrollment = await enroll(c);
    expect(enrollment.fundingStatus).toMatchObject({ outcome: 'FUNDABLE' });
    // The next school file no longer has school C: its location closes on the day before the file's date.
    const lines = (await readFile(bundledSchoolFile)).toString('latin1').split('\r\n');
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'school-file-')), 'next.csv');
    await writeFile(file, Buffer.from(lines.filter((line) => line.split(';')[3] !== c.brin6).join('\r\n'), 'latin1'));
    await importSchoolFile(system.system.database!.db, file, { referenceDate: today() });
    await eventually('the status to name the closed location', async () =>
      expect((await statusOf(c, enrollment.id))?.reasons).toContain('LOCATION_NOT_ACTIVE'),
    );
  });

  describe('who sees what', () => {
    let enrollmentId: string;
    let direct: Listening;
    beforeAll(async () => {
      enrollmentId = (await enroll(a)).id;
      direct = await listenToSubgraph(system, 'funding');
    });
    afterAll(() => direct?.close());

    /** Asks the funding subgraph itself, past the gateway, as the gateway would. */
    const askDirectly = async (viewer: Viewer) =>
      postGraphQL<{ _entities: ({ fundingStatus: { outcome: string } | null } | null)[] }>(
        direct.url,
        'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Enrollment { fundingStatus { outcome } } } }',
        { representations: [{ __typename: 'Enrollment', id: enrollmentId }] },
        null,
        { [viewerHeader]: await signViewerAssertion(viewer, system.config.viewerSecret, 'funding') },
      );

    it('gives the status to the school and the board of the enrollment, and to the operator', async () => {
      for (const viewer of [
        { role: 'VENDOR', vendorOin: '00000001800866472000', school: a.brin6 },
        { role: 'BOARD', board: '042B830' },
        { role: 'OPERATOR' },
      ] satisfies Viewer[]) {
        expect((await askDirectly(viewer)).data?._entities).toEqual([{ fundingStatus: { outcome: 'FUNDABLE' } }]);
      }
    });

    it('refuses another school, another board and a municipality, also when the subgraph is reached directly', async () => {
      for (const [viewer, code] of [
        [{ role: 'VENDOR', vendorOin: '00000001800866472000', school: b.brin6 }, 'NOT_FOUND'],
        [{ role: 'BOARD', board: '100B490' }, 'NOT_FOUND'],
        [{ role: 'MUNICIPALITY', municipality: '0114' }, 'FORBIDDEN'],
      ] satisfies [Viewer, string][]) {
        const response = await askDirectly(viewer);
        expect(response.data?._entities).toEqual([{ fundingStatus: null }]);
        expectRefused(response, code);
      }
    });

    it('counts per branch for the school, per board for the board, and refuses what is not theirs', async () => {
      // A school of this case's own, of A's board: one enrollment counted, one that starts after the
      // count date and one that ends before it.
      const school = await schoolAt(system, '16BX00');
      await enroll(school);
      await enroll(school, { startDate: addDays(countDate, 1) });
      await enroll(school, { endDate: addDays(countDate, -21) });
      const own = await counts(school.token, { groupBy: 'BRANCH' });
      expect(own.data!.fundingCounts).toEqual([
        { code: school.brin6, phase: 'PROVISIONAL', counted: 1, notCounted: 2, byReason: [{ reason: 'NOT_ENROLLED_ON_COUNT_DATE', enrollments: 2 }] },
      ]);
      expectRefused(await counts(school.token, { groupBy: 'BOARD' }), 'FORBIDDEN');
      expect((await counts(school.token, { groupBy: 'BRANCH', code: b.brin6 })).data!.fundingCounts).toEqual([]);

      const board = await counts(await system.token({ role: 'BOARD', board: '042B830' }), { groupBy: 'BOARD' });
      expect(board.data!.fundingCounts.map((count) => count.code)).toEqual(['042B830']);
      expect(board.data!.fundingCounts[0]!.counted).toBeGreaterThanOrEqual(1);
      expectRefused(await counts(await system.token({ role: 'MUNICIPALITY', municipality: '0114' }), { groupBy: 'BRANCH' }), 'FORBIDDEN');
    });

    it('refuses a count date that is not 1 February', async () => {
      const response = await counts(a.token, { groupBy: 'BRANCH', day: '2027-02-02' });
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'countDate' });
    });
  });

  describe('the count-date run', () => {
    const past = countDateOf(Number(countDate.slice(0, 4)) - 1);
    const run = (token: string | undefined, day: string) =>
      system.query<{ runCountDate: { countDate: string; phase: string; finalisedAt: string | null } }>(
        'mutation($day: Date!) { runCountDate(countDate: $day) { countDate phase finalisedAt } }',
        {
          token,
          variables: { day },
        },
      );
    // The run of last year's count date, once, over two enrollments at a school whose board no other
    // case enrolls at: each case below reads its part.
    let school: School;
    let board: string;
    let enrolled: string;
    let ran: Awaited<ReturnType<typeof run>>;
    beforeAll(async () => {
      school = await schoolAt(system, '06RG00');
      const branch = await system.query<{ branch: { provider: { board: { code: string } } } }>(
        'query($brin6: ID!) { branch(brin6: $brin6) { provider { board { code } } } }',
        { variables: { brin6: school.brin6 } },
      );
      board = branch.data!.branch.provider.board.code;
      enrolled = (await enroll(school)).id;
      await enroll(school);
      ran = await run(undefined, past);
    });

    it('is for the operator only, and only once the registration window has closed', async () => {
      expectRefused(await run(a.token, past), 'FORBIDDEN');
      const open = await run(undefined, countDate);
      expectRefused(open, 'CONFLICT');
      expect(open.errors![0]!.message).toContain(registrationDeadline(countDate));
      expect((await run(undefined, addDays(past, 1))).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'countDate' });
    });

    it('makes the statuses of a past count date FINAL and fixes the overview per board', async () => {
      expect(ran.errors).toBeUndefined();
      expect(ran.data!.runCountDate).toMatchObject({ countDate: past, phase: 'FINAL' });
      // Every enrollment here reached the register today, long after the window of last year's count date.
      expect(await statusOf(school, enrolled, past)).toMatchObject({ phase: 'FINAL', outcome: 'NOT_FUNDABLE', reasons: ['LATE_REGISTRATION'] });
      const overview = await counts(await system.token({ role: 'BOARD', board }), { groupBy: 'BOARD', day: past });
      expect(overview.data!.fundingCounts).toEqual([
        { code: board, phase: 'FINAL', counted: 0, notCounted: 2, byReason: [{ reason: 'LATE_REGISTRATION', enrollments: 2 }] },
      ]);
      const events = await readEvents(system.system.database!.db, 'funding', null, 1000);
      expect(events.filter((event) => event.type === 'CountDateFinalised').map((event) => event.payload)).toEqual([
        expect.objectContaining({ countDate: past, phase: 'FINAL', counted: 0 }),
      ]);
    });

    it('refuses to run a count date twice, and later changes leave it as it was', async () => {
      expectRefused(await run(undefined, past), 'CONFLICT');
      const late = await enroll(school, { startDate: '2025-08-01' });
      expect(await statusOf(school, late.id, past)).toBeNull();
      expect((await counts(school.token, { groupBy: 'BRANCH', day: past })).data!.fundingCounts).toEqual([
        { code: school.brin6, phase: 'FINAL', counted: 0, notCounted: 2, byReason: [{ reason: 'LATE_REGISTRATION', enrollments: 2 }] },
      ]);
    });
  });

  describe('one query over three subgraphs', () => {
    it("returns a school's enrollments with learner, location and funding status in one request per subgraph", async () => {
      // Two enrollments of this case's own, on the count date.
      await enroll(a);
      await enroll(a);
      const requests = new Map<string, number>();
      const listening: Listening[] = [];
      const sources = new Map<string, SubgraphSource>();
      for (const subgraph of subgraphs) {
        const server = await createSubgraphServer(subgraph, { database: system.system.database!, viewerSecret: system.config.viewerSecret, production: false });
        const handler = graphqlHandler(server.server, server.contextFor);
        const counted = (request: IncomingMessage, response: ServerResponse) => {
          requests.set(subgraph.name, (requests.get(subgraph.name) ?? 0) + 1);
          return handler(request, response);
        };
        const served = await listen(counted, '127.0.0.1', 0, silentLogger);
        listening.push(served);
        sources.set(subgraph.name, { kind: 'remote', url: served.url });
      }
      const gateway = await createGateway({ ...system.config, supergraphSdl: await readFile(path.join(schemaFolder, 'supergraph.graphql'), 'utf8'), sources });
      const front = await listen(graphqlHandler(gateway.server, gateway.contextFor), '127.0.0.1', 0, silentLogger);
      try {
        type Page = {
          enrollments: {
            totalCount: number;
            edges: { node: { learner: { pgn: string }; location: { address: { city: string } }; fundingStatus: Status | null } }[];
          };
        };
        const response = await postGraphQL<Page>(front.url, registeredOperation('SchoolEnrollments.graphql'), { activeOn: countDate, first: 50 }, a.token);
        expect(response.errors).toBeUndefined();
        const nodes = response.data!.enrollments.edges.map((edge) => edge.node);
        expect(nodes.length).toBeGreaterThanOrEqual(2);
        for (const node of nodes) {
          expect(node.learner.pgn).toMatch(/^\d{9}$/);
          expect(node.location.address.city).toBe('EMMEN');
          expect(node.fundingStatus?.countDate).toBe(countDate);
        }
        expect(Object.fromEntries(requests)).toEqual({ learners: 1, institutions: 1, funding: 1 });
      } finally {
        await front.close();
        await gateway.server.stop();
        for (const served of listening) await served.close();
      }
    });
  });
});
