import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../kernel/db.ts';
import { readEvents } from '../kernel/events.ts';
import { today } from '../kernel/scalars.ts';
import { bundledSchoolFile, importSchoolFile } from '../subgraphs/institutions/import.ts';
import { addDays } from '../kernel/calendar.ts';
import { demoVendor } from '../subgraphs/institutions/osr.ts';
import {
  bsnFor,
  eventually,
  openVestiging,
  schoolAt,
  startTestSystem,
  type GraphQLResponse,
  type School,
  type TestSystem,
  registeredOperation,
} from './harness.ts';

const enrollMutation = registeredOperation('EnrollLearner.graphql');
const noticesQuery = registeredOperation('TransferNotices.graphql');

type Enrolled = {
  enrollLearner: {
    enrollment: { id: string; startDate: string; endDate: string | null; group: number; branch: { brin6: string }; learner: { id: string; pgn: string } };
    learner: { id: string; pgn: string; pgnKind: string; residence: { municipalityCode: string; source: string } | null };
    transferNoticeCount: number;
  };
};

describe('the learners register through the gateway', () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let c: School;
  let documents = 0;

  function input(at: School, overrides: Record<string, unknown> = {}, learner: Record<string, unknown> = {}) {
    return {
      documentId: `document-${++documents}`,
      learner: { pgn: bsnFor(documents + 5000), birthDate: '2019-03-01', gender: 'FEMALE', postcode: '7822 HG', ...learner },
      providerCode: at.providerCode,
      locationCode: at.locationCode,
      offeredProgrammeId: at.offeredProgrammeId,
      startDate: '2024-08-01',
      group: 2,
      schoolEnrollmentNumber: `N${documents}`,
      ...overrides,
    };
  }

  /** How many enrollments the school sees (the operator: all). */
  const enrollmentCount = async (at?: School) =>
    (await system.query<{ enrollments: { totalCount: number } }>('{ enrollments(first: 1) { totalCount } }', at ? { token: at.token } : {})).data!.enrollments
      .totalCount;

  const enrollAt = (at: School, variables: Record<string, unknown>) =>
    system.query<Enrolled>(enrollMutation, { variables: { input: variables }, token: at.token });

  function expectRefused(response: GraphQLResponse<unknown>, code: string, field?: string) {
    expect(response.errors?.[0]?.extensions).toMatchObject(field ? { code, field } : { code });
  }

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b, c] = (await Promise.all(['16AH00', '03WU00', '04LY00'].map((brin6) => schoolAt(system, brin6)))) as [School, School, School];
  });
  afterAll(() => system?.close());

  describe('enrollLearner', () => {
    it('stores an enrollment and answers with it, its learner and the residence from the postcode', async () => {
      const response = await enrollAt(a, input(a));
      expect(response.errors).toBeUndefined();
      const { enrollment, learner, transferNoticeCount } = response.data!.enrollLearner;
      expect(enrollment).toMatchObject({ startDate: '2024-08-01', endDate: null, group: 2, branch: { brin6: '16AH00' } });
      expect(learner).toMatchObject({ pgnKind: 'BSN', residence: { municipalityCode: '0114', source: 'POSTCODE' } });
      expect(transferNoticeCount).toBe(0);
    });

    it("resolves the enrollment's school from the institutions subgraph in the same response", async () => {
      const response = await system.query<{ enrollLearner: { enrollment: { branch: { name: string }; location: { address: { city: string } } } } }>(
        `mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { branch { name } location { address { city } } } } }`,
        { variables: { input: input(a) }, token: a.token },
      );
      expect(response.data?.enrollLearner.enrollment).toEqual({
        branch: { name: "Openbare Basisschool 't Eenspan" },
        location: { address: { city: 'EMMEN' } },
      });
    });

    it('answers a resent document with the first answer and stores nothing new', async () => {
      const document = input(a);
      const first = await enrollAt(a, document);
      const stored = await enrollmentCount(a);
      const again = await enrollAt(a, document);
      expect(again.errors).toBeUndefined();
      expect(again.data!.enrollLearner.enrollment.id).toBe(first.data!.enrollLearner.enrollment.id);
      expect(await enrollmentCount(a)).toBe(stored);
    });

    it('refuses a document id resent with other content as CONFLICT', async () => {
      const document = input(a);
      await enrollAt(a, document);
      expectRefused(await enrollAt(a, { ...document, group: 3 }), 'CONFLICT', 'documentId');
    });

    it.each([
      ['a PGN that is neither BSN nor onderwijsnummer', {}, { pgn: '111222334' }, 'BAD_USER_INPUT', 'learner.pgn'],
      ['a child not yet 4 on the start date (WPO art 39.1)', {}, { birthDate: '2020-08-02' }, 'BAD_USER_INPUT', 'startDate'],
      ['a start after the school year in which the learner turns 14 (WPO art 39.4)', {}, { birthDate: '2010-03-01' }, 'BAD_USER_INPUT', 'startDate'],
      ['an end before the start', { endDate: '2024-07-31' }, {}, 'BAD_USER_INPUT', 'endDate'],
      ['group 9', { group: 9 }, {}, 'BAD_USER_INPUT', 'group'],
      ['a school enrollment number of 21 characters', { schoolEnrollmentNumber: 'X'.repeat(21) }, {}, 'BAD_USER_INPUT', 'schoolEnrollmentNumber'],
      ['a malformed provider code', { providerCode: '16AH' }, {}, 'BAD_USER_INPUT', 'providerCode'],
      ['a provider RIO does not know', { providerCode: '999A999' }, {}, 'BAD_USER_INPUT', 'providerCode'],
      ['a location RIO does not know', { locationCode: '999X999' }, {}, 'BAD_USER_INPUT', 'locationCode'],
      ['an offered programme RIO does not know', { offeredProgrammeId: '00000000-0000-5000-8000-000000000000' }, {}, 'BAD_USER_INPUT', 'offeredProgrammeId'],
      ['a malformed postcode', {}, { postcode: '0123 AB' }, 'BAD_USER_INPUT', 'learner.postcode'],
    ])('refuses %s, naming the field, and writes nothing', async (_, overrides, learner, code, field) => {
      const before = await enrollmentCount(a);
      expectRefused(await enrollAt(a, input(a, overrides, learner)), code, field);
      const after = await enrollmentCount(a);
      expect(after).toBe(before);
    });

    it('accepts the first day a child is 4 and refuses an overlapping second enrollment at the same school', async () => {
      const pgn = bsnFor(90_001);
      const first = await enrollAt(a, input(a, { startDate: '2024-03-01' }, { pgn, birthDate: '2020-03-01' }));
      expect(first.errors).toBeUndefined();
      expectRefused(await enrollAt(a, input(a, { startDate: '2024-09-01' }, { pgn, birthDate: '2020-03-01' })), 'CONFLICT', 'startDate');
    });

    it("refuses a school's references to another school's branch as FORBIDDEN", async () => {
      expectRefused(await enrollAt(a, input(b)), 'FORBIDDEN', 'locationCode');
    });
  });

  describe('enrollLearners', () => {
    it('stores 997 of 1,000 and reports the 3 bad items with index and code', async () => {
      const items = Array.from({ length: 1000 }, (_, i) => input(a, {}, { pgn: bsnFor(200_000 + i) }));
      items[10] = input(a, {}, { pgn: '123456789' });
      items[500] = input(a, {}, { pgn: bsnFor(300_500), birthDate: '2021-01-01' });
      items[999] = input(a, { providerCode: '999A999' }, { pgn: bsnFor(300_999) });
      const before = await enrollmentCount(a);
      const response = await system.query<{ enrollLearners: { enrollments: { id: string }[]; failures: { index: number; code: string; field: string }[] } }>(
        'mutation($input: EnrollLearnersInput!) { enrollLearners(input: $input) { enrollments { id } failures { index code field message } } }',
        { variables: { input: { items } }, token: a.token },
      );
      expect(response.errors).toBeUndefined();
      expect(response.data!.enrollLearners.enrollments).toHaveLength(997);
      expect(response.data!.enrollLearners.failures.map(({ index, code, field }) => ({ index, code, field }))).toEqual([
        { index: 10, code: 'BAD_USER_INPUT', field: 'learner.pgn' },
        { index: 500, code: 'BAD_USER_INPUT', field: 'startDate' },
        { index: 999, code: 'BAD_USER_INPUT', field: 'providerCode' },
      ]);
      const after = await enrollmentCount(a);
      expect(after).toBe(before + 997);
    });

    it('answers each new item with its enrollment as stored, and a resent document with its enrollment as it stands now', async () => {
      const fields = 'id startDate endDate group schoolEnrollmentNumber vve educationalConcept branch { brin6 } learner { pgn }';
      type Answer = { enrollLearners: { enrollments: Record<string, unknown>[] } };
      const enrollMany = (items: unknown[]) =>
        system.query<Answer>(`mutation($input: EnrollLearnersInput!) { enrollLearners(input: $input) { enrollments { ${fields} } } }`, {
          variables: { input: { items } },
          token: a.token,
        });
      const first = input(a, { educationalConcept: ' Dalton ' }, { pgn: bsnFor(500_001) });
      const [earlier] = (await enrollMany([first])).data!.enrollLearners.enrollments;
      await system.query('mutation($input: ChangeEnrollmentInput!) { changeEnrollment(input: $input) { enrollment { id } } }', {
        variables: { input: { documentId: `change-${++documents}`, enrollmentId: earlier!.id, group: 5 } },
        token: a.token,
      });
      const fresh = input(a, { vve: true }, { pgn: bsnFor(500_002) });
      const response = await enrollMany([fresh, first, fresh]);
      expect(response.errors).toBeUndefined();
      const answered = response.data!.enrollLearners.enrollments;
      expect(answered.map((each) => each.id)).toEqual([answered[0]!.id, earlier!.id, answered[0]!.id]);
      expect(answered[1]).toMatchObject({ group: 5, educationalConcept: 'Dalton' });
      const stored = await system.query<{ enrollment: Record<string, unknown> }>(`query($id: ID!) { enrollment(id: $id) { ${fields} } }`, {
        variables: { id: answered[0]!.id },
        token: a.token,
      });
      expect(answered[0]).toEqual(stored.data!.enrollment);
      expect(answered[0]).toMatchObject({ vve: true, group: 2, branch: { brin6: '16AH00' } });
    });

    it('refuses more than 1,000 items as a whole', async () => {
      const items = Array.from({ length: 1001 }, (_, i) => input(a, {}, { pgn: bsnFor(400_000 + i) }));
      const response = await system.query('mutation($input: EnrollLearnersInput!) { enrollLearners(input: $input) { failures { index } } }', {
        variables: { input: { items } },
        token: a.token,
      });
      expectRefused(response, 'BAD_USER_INPUT', 'items');
    });
  });

  describe('a transfer from school A to school B', () => {
    const pgn = bsnFor(77_777);
    let oldEnrollment: string;
    let transfer: GraphQLResponse<Enrolled>;
    let noticesRightAfter: Awaited<ReturnType<typeof notices>>;
    let notice: string;
    const notices = (at: School) =>
      system.query<{
        transferNotices: {
          totalCount: number;
          edges: {
            node: {
              id: string;
              status: string;
              learnerPgn: string;
              newStartDate: string;
              proposedEndDate: string;
              endRequired: boolean;
              endRequiredReason: string;
              newProvider: { code: string };
              enrollment: { id: string };
            };
          }[];
        };
      }>(noticesQuery, { token: at.token, variables: { first: 200 } });

    // The transfer, and A's notices as it left them: each case below starts from there, in any order.
    const noticesAbout = (answer: Awaited<ReturnType<typeof notices>>) =>
      answer.data!.transferNotices.edges.map((edge) => edge.node).filter((node) => node.enrollment.id === oldEnrollment);
    beforeAll(async () => {
      oldEnrollment = (await enrollAt(a, input(a, { startDate: '2023-08-01' }, { pgn }))).data!.enrollLearner.enrollment.id;
      transfer = await enrollAt(b, input(b, { startDate: '2025-01-06' }, { pgn }));
      noticesRightAfter = await notices(a);
      notice = noticesAbout(noticesRightAfter)[0]!.id;
    });

    it("gives A exactly one notice with the PGN, B's provider and start, and the day before as proposed end", async () => {
      expect(transfer.errors).toBeUndefined();
      expect(transfer.data!.enrollLearner.transferNoticeCount).toBe(1);
      expect(noticesAbout(noticesRightAfter)).toEqual([
        expect.objectContaining({
          status: 'OPEN',
          learnerPgn: pgn,
          newStartDate: '2025-01-06',
          proposedEndDate: '2025-01-05',
          // A's enrollment is open: art 10.2 requires its end, whenever the notice arrives.
          endRequired: true,
          endRequiredReason: 'The enrollment is open: the school ends it on 2025-01-05, the day before the new start (Besluit bekostiging WPO 2022 art 10.2).',
          newProvider: { id: b.providerCode, code: b.providerCode },
        }),
      ]);
    });

    it("shows B the learner with B's enrollment only, not A's", async () => {
      const { data } = await system.query<{ learner: { enrollments: { branch: { brin6: string } }[] } }>(
        'query($pgn: ID!) { learner(pgn: $pgn) { enrollments { branch { brin6 } } } }',
        {
          variables: { pgn },
          token: b.token,
        },
      );
      expect(data!.learner.enrollments).toEqual([{ branch: { brin6: b.brin6 } }]);
    });

    it('shows the notice to A only, not to a third school', async () => {
      const { data } = await notices(c);
      expect(data!.transferNotices.edges.map((edge) => edge.node.id)).not.toContain(notice);
      const direct = await system.query('query($id: ID!) { enrollment(id: $id) { id } }', { variables: { id: oldEnrollment }, token: c.token });
      expectRefused(direct, 'NOT_FOUND');
    });

    it("lets A handle it, which ends A's enrollment the day before B's start", async () => {
      const response = await system.query<{ acknowledgeTransfer: { notice: { status: string }; enrollment: { endDate: string; endReason: string } } }>(
        'mutation($input: AcknowledgeTransferInput!) { acknowledgeTransfer(input: $input) { notice { status } enrollment { endDate endReason } } }',
        { variables: { input: { documentId: `ack-${notice}`, noticeId: notice } }, token: a.token },
      );
      expect(response.errors).toBeUndefined();
      expect(response.data!.acknowledgeTransfer).toEqual({ notice: { status: 'HANDLED' }, enrollment: { endDate: '2025-01-05', endReason: 'TRANSFER' } });
      const third = await system.query('mutation($input: AcknowledgeTransferInput!) { acknowledgeTransfer(input: $input) { notice { status } } }', {
        variables: { input: { documentId: `ack-by-c-${notice}`, noticeId: notice } },
        token: c.token,
      });
      expectRefused(third, 'NOT_FOUND');
    });
  });

  describe("the duty to end from the notice's receipt (Besluit bekostiging WPO 2022 art 10.2)", () => {
    // The notice is received the day the new enrollment is registered: today. Days are counted from it.
    const day = (days: number) => addDays(today(), days);
    type Notice = { id: string; endRequired: boolean; endRequiredReason: string; proposedEndDate: string; enrollment: { id: string } };
    async function transfer(oldEnd: string, newStart: string) {
      const left = input(a, { startDate: '2023-08-01', endDate: oldEnd });
      const leftAt = (await enrollAt(a, left)).data!.enrollLearner.enrollment.id;
      const moved = await enrollAt(b, input(b, { startDate: newStart }, { pgn: left.learner.pgn }));
      expect(moved.errors).toBeUndefined();
      const { data } = await system.query<{ transferNotices: { edges: { node: Notice }[] } }>(noticesQuery, { token: a.token, variables: { first: 200 } });
      return {
        count: moved.data!.enrollLearner.transferNoticeCount,
        notices: data!.transferNotices.edges.map((edge) => edge.node).filter((node) => node.enrollment.id === leftAt),
      };
    }

    it('requires the end the day before a start months ahead, when the notice comes within four weeks after the last day', async () => {
      const { count, notices } = await transfer(day(-10), day(40));
      expect(count).toBe(1);
      expect(notices).toEqual([expect.objectContaining({ endRequired: true, proposedEndDate: day(39) })]);
      expect(notices[0]!.endRequiredReason).toContain(`The notice was received on ${today()}`);
    });

    it('tells of an overlap whose notice comes too late without the duty, and handling it leaves the enrollment as it is', async () => {
      const { count, notices } = await transfer(day(-40), day(-60));
      expect(count).toBe(1);
      expect(notices).toEqual([expect.objectContaining({ endRequired: false, proposedEndDate: day(-61) })]);
      const handled = await system.query<{ acknowledgeTransfer: { notice: { status: string }; enrollment: { endDate: string; endReason: string | null } } }>(
        'mutation($input: AcknowledgeTransferInput!) { acknowledgeTransfer(input: $input) { notice { status } enrollment { endDate endReason } } }',
        { variables: { input: { documentId: `ack-${notices[0]!.id}`, noticeId: notices[0]!.id } }, token: a.token },
      );
      expect(handled.data!.acknowledgeTransfer).toEqual({ notice: { status: 'HANDLED' }, enrollment: { endDate: day(-40), endReason: null } });
    });

    it('sends no notice about an enrollment that ended before the new start when the notice comes too late', async () => {
      // The new start is within four weeks after the last day, its registration is not: nothing to change.
      expect(await transfer(day(-35), day(-10))).toEqual({ count: 0, notices: [] });
    });
  });

  describe('a move between vestigingen of one school (Besluit bekostiging WPO 2022 art 8.5, 10.2, 11.2)', () => {
    it('is a change of vestiging: 16AH00 to 16AH01 sends 16AH00 no transfer notice', async () => {
      // Opened today (harness.ts, openVestiging): the move is to a vestiging that opens today.
      await openVestiging(system, '16AH01');
      const board = await system.token({ role: 'BOARD', board: '042B830' });
      const granted = await system.query(
        `mutation { grantMandate(input: { documentId: "vestiging-16AH01", brin6: "16AH01", service: ROD_PO, vendorOin: "${demoVendor.oin}", startDate: "${today()}" }) { id } }`,
        { token: board },
      );
      expect(granted.errors).toBeUndefined();
      const vestiging = await schoolAt(system, '16AH01');
      const left = input(a, { startDate: '2023-08-01' });
      const leftAt = (await enrollAt(a, left)).data!.enrollLearner.enrollment.id;
      const moved = input(vestiging, { startDate: today() }, { pgn: left.learner.pgn });
      let response: GraphQLResponse<Enrolled> | undefined;
      await eventually('the learners register to know 16AH01 from the institutions stream', async () => {
        response = await enrollAt(vestiging, moved);
        expect(response.errors).toBeUndefined();
      });
      expect(response!.data!.enrollLearner).toMatchObject({ enrollment: { branch: { brin6: '16AH01' } }, transferNoticeCount: 0 });
      const { data } = await system.query<{ transferNotices: { edges: { node: { enrollment: { id: string } } }[] } }>(noticesQuery, {
        token: a.token,
        variables: { first: 200 },
      });
      expect(data!.transferNotices.edges.filter((edge) => edge.node.enrollment.id === leftAt)).toEqual([]);
    });
  });

  describe('a child without a PGN', () => {
    it('gets an onderwijsnummer, is enrolled with it, and keeps history and enrollments when a BSN replaces it', async () => {
      const identified = await system.query<{ identifyLearner: { learner: { id: string; pgn: string; pgnKind: string } } }>(
        'mutation($input: IdentifyLearnerInput!) { identifyLearner(input: $input) { learner { id pgn pgnKind } } }',
        {
          variables: { input: { documentId: 'identify-1', birthDate: '2019-05-05', gender: 'MALE', postcode: '7822HG', familyName: 'Jansen' } },
          token: a.token,
        },
      );
      expect(identified.errors).toBeUndefined();
      const { id, pgn: onderwijsnummer, pgnKind } = identified.data!.identifyLearner.learner;
      expect(pgnKind).toBe('ONDERWIJSNUMMER');
      expect(onderwijsnummer).toMatch(/^10\d{7}$/);
      const enrolled = await enrollAt(a, input(a, {}, { pgn: onderwijsnummer, birthDate: '2019-05-05' }));
      expect(enrolled.data!.enrollLearner.learner.id).toBe(id);

      const bsn = bsnFor(55_555);
      const replaced = await system.query<{
        replacePgn: { learner: { id: string; pgn: string; formerPgns: { pgn: string; kind: string }[]; enrollments: { id: string }[] } };
      }>('mutation($input: ReplacePgnInput!) { replacePgn(input: $input) { learner { id pgn formerPgns { pgn kind } enrollments { id } } } }', {
        variables: { input: { documentId: 'replace-1', onderwijsnummer, bsn } },
        token: a.token,
      });
      expect(replaced.errors).toBeUndefined();
      expect(replaced.data!.replacePgn.learner).toEqual({
        id,
        pgn: bsn,
        formerPgns: [{ pgn: onderwijsnummer, kind: 'ONDERWIJSNUMMER' }],
        enrollments: [{ id: enrolled.data!.enrollLearner.enrollment.id }],
      });
      const byOld = await system.query<{ learner: { pgn: string } }>('query($pgn: ID!) { learner(pgn: $pgn) { pgn } }', {
        variables: { pgn: onderwijsnummer },
        token: a.token,
      });
      expect(byOld.data!.learner.pgn).toBe(bsn);
      const second = await system.query<{ identifyLearner: { learner: { pgn: string } } }>(
        'mutation($input: IdentifyLearnerInput!) { identifyLearner(input: $input) { learner { pgn } } }',
        {
          variables: { input: { documentId: 'identify-2', birthDate: '2019-05-05', gender: 'MALE', postcode: '7822HG', familyName: 'Jansen' } },
          token: a.token,
        },
      );
      expect(second.data!.identifyLearner.learner.pgn).not.toBe(onderwijsnummer);
    });
  });

  it('refuses an onderwijsnummer as CONFLICT once every serial has been issued', async () => {
    const { db } = system.system.database!;
    // The serial as it was comes back afterwards: other cases issue onderwijsnummers too.
    const [serial] = rowsOf<{ value: string; is_called: boolean }>(
      await db.execute(sql`SELECT last_value::text AS value, is_called FROM learners.onderwijsnummer_serial`),
    );
    await db.execute(sql`SELECT setval('learners.onderwijsnummer_serial', 999999)`);
    try {
      const response = await system.query('mutation($input: IdentifyLearnerInput!) { identifyLearner(input: $input) { learner { pgn } } }', {
        // A child the register does not know yet: one it knows gets its onderwijsnummer again, and needs no new one.
        variables: { input: { documentId: 'identify-exhausted', birthDate: '2019-06-06', gender: 'MALE', postcode: '7822HG', familyName: 'Visser' } },
        token: a.token,
      });
      expectRefused(response, 'CONFLICT');
      expect(response.errors?.[0]?.message).toMatch(/No onderwijsnummer is left to issue/);
    } finally {
      await db.execute(sql`SELECT setval('learners.onderwijsnummer_serial', ${serial!.value}::bigint, ${serial!.is_called})`);
    }
  });

  describe('access', () => {
    let enrollmentId: string;
    const pgn = bsnFor(66_666);
    beforeAll(async () => {
      enrollmentId = (await enrollAt(a, input(a, {}, { pgn }))).data!.enrollLearner.enrollment.id;
    });

    it('answers NOT_FOUND to another school asking for the learner or the enrollment', async () => {
      expectRefused(await system.query('query($pgn: ID!) { learner(pgn: $pgn) { id } }', { variables: { pgn }, token: c.token }), 'NOT_FOUND');
      expectRefused(await system.query('query($id: ID!) { enrollment(id: $id) { id } }', { variables: { id: enrollmentId }, token: c.token }), 'NOT_FOUND');
    });

    it('answers NOT_FOUND to another school changing the enrollment, and changes nothing', async () => {
      const response = await system.query('mutation($input: DeregisterLearnerInput!) { deregisterLearner(input: $input) { enrollment { id } } }', {
        variables: { input: { documentId: 'deregister-by-c', enrollmentId, endDate: '2025-01-01', reason: 'OTHER' } },
        token: c.token,
      });
      expectRefused(response, 'NOT_FOUND');
      const mine = await system.query<{ enrollment: { endDate: string | null } }>('query($id: ID!) { enrollment(id: $id) { endDate } }', {
        variables: { id: enrollmentId },
        token: a.token,
      });
      expect(mine.data!.enrollment.endDate).toBeNull();
    });

    it("lists only the school's own enrollments, and all of them to the operator", async () => {
      // A school no other case enrolls at, and an enrollment outside A of this case's own.
      const unused = await schoolAt(system, '06MY00');
      expect((await enrollAt(b, input(b))).errors).toBeUndefined();
      const mine = await enrollmentCount(unused);
      expect(mine).toBe(0);
      const all = await enrollmentCount();
      const ofA = await enrollmentCount(a);
      expect(all).toBeGreaterThan(ofA);
    });

    it("refuses a board lists, and a municipality the transfer notices: it lists its residents' enrollments only (test/leerplicht.test.ts)", async () => {
      const board = await system.token({ role: 'BOARD', board: '042B830' });
      expectRefused(await system.query('{ enrollments { totalCount } }', { token: board }), 'FORBIDDEN');
      for (const token of [board, await system.token({ role: 'MUNICIPALITY', municipality: '0114' })]) {
        expectRefused(await system.query('{ transferNotices { totalCount } }', { token }), 'FORBIDDEN');
      }
    });

    it('shows a learner and their enrollments to the municipality they live in, and to no other', async () => {
      const query = 'query($pgn: ID!, $id: ID!) { learner(pgn: $pgn) { pgn enrollments { id } } enrollment(id: $id) { id } }';
      const emmen = await system.query<{ learner: { pgn: string; enrollments: { id: string }[] }; enrollment: { id: string } }>(query, {
        variables: { pgn, id: enrollmentId },
        token: await system.token({ role: 'MUNICIPALITY', municipality: '0114' }),
      });
      expect(emmen.errors).toBeUndefined();
      expect(emmen.data).toEqual({ learner: { pgn, enrollments: [{ id: enrollmentId }] }, enrollment: { id: enrollmentId } });
      const amsterdam = await system.query(query, {
        variables: { pgn, id: enrollmentId },
        token: await system.token({ role: 'MUNICIPALITY', municipality: '0363' }),
      });
      expect(amsterdam.errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    });

    it('refuses the operator a change: changes come from a school', async () => {
      expectRefused(await enrollAt({ ...a, token: await system.token({ role: 'OPERATOR' }) }, input(a)), 'FORBIDDEN');
    });
  });

  describe('changes and results', () => {
    // An enrollment of each case's own: a deregistration in one must not meet a change in another.
    let enrollmentId: string;
    beforeEach(async () => {
      enrollmentId = (await enrollAt(a, input(a, { group: 8 }, { birthDate: '2013-04-04' }))).data!.enrollLearner.enrollment.id;
    });

    it('changes the group and refuses an end date before the start', async () => {
      const change = (values: Record<string, unknown>) =>
        system.query<{ changeEnrollment: { enrollment: { group: number } } }>(
          'mutation($input: ChangeEnrollmentInput!) { changeEnrollment(input: $input) { enrollment { group } } }',
          {
            variables: { input: { documentId: `change-${++documents}`, enrollmentId, ...values } },
            token: a.token,
          },
        );
      expect((await change({ group: 7 })).data!.changeEnrollment.enrollment.group).toBe(7);
      expectRefused(await change({ endDate: '2024-01-01' }), 'BAD_USER_INPUT', 'endDate');
    });

    it('records a result with a test level, and refuses one with both a level and a reason', async () => {
      const record = (values: Record<string, unknown>) =>
        system.query<{ recordResult: { result: { schoolYear: string; testLevel: string; schoolAdvice: string } } }>(
          'mutation($input: RecordResultInput!) { recordResult(input: $input) { result { schoolYear testLevel schoolAdvice } } }',
          {
            variables: { input: { documentId: `result-${++documents}`, enrollmentId, schoolYear: '2024-2025', schoolAdvice: 'HAVO', ...values } },
            token: a.token,
          },
        );
      expect((await record({ testLevel: 'HAVO_VWO' })).data!.recordResult.result).toEqual({
        schoolYear: '2024-2025',
        testLevel: 'HAVO_VWO',
        schoolAdvice: 'HAVO',
      });
      expectRefused(await record({ testLevel: 'HAVO', noTestReason: 'ILLNESS' }), 'BAD_USER_INPUT', 'noTestReason');
    });

    it('deregisters with an end date and reason, and one leaving primary education only on 31 July (Besluit bekostiging WPO 2022 art 10)', async () => {
      const early = await system.query('mutation($input: DeregisterLearnerInput!) { deregisterLearner(input: $input) { enrollment { endDate } } }', {
        variables: { input: { documentId: `deregister-early-${++documents}`, enrollmentId, endDate: '2025-07-11', reason: 'END_OF_PRIMARY_EDUCATION' } },
        token: a.token,
      });
      expectRefused(early, 'BAD_USER_INPUT', 'endDate');
      const response = await system.query<{ deregisterLearner: { enrollment: { endDate: string; endReason: string } } }>(
        'mutation($input: DeregisterLearnerInput!) { deregisterLearner(input: $input) { enrollment { endDate endReason } } }',
        {
          variables: { input: { documentId: `deregister-${++documents}`, enrollmentId, endDate: '2025-07-31', reason: 'END_OF_PRIMARY_EDUCATION' } },
          token: a.token,
        },
      );
      expect(response.data!.deregisterLearner.enrollment).toEqual({ endDate: '2025-07-31', endReason: 'END_OF_PRIMARY_EDUCATION' });
    });
  });

  describe('a RIO change', () => {
    it('reaches the learners register: a branch closed by a newer school file takes no enrollment after its last day', async () => {
      // A school of this case's own: the others go on enrolling at theirs.
      const c = await schoolAt(system, '16BX00');
      const lines = (await readFile(bundledSchoolFile)).toString('latin1').split('\r\n');
      const file = path.join(await mkdtemp(path.join(tmpdir(), 'school-file-')), 'next.csv');
      await writeFile(file, Buffer.from(lines.filter((line) => line.split(';')[3] !== c.brin6).join('\r\n'), 'latin1'));
      const referenceDate = today();
      await importSchoolFile(system.system.database!.db, file, { referenceDate });
      const after = addDays(referenceDate, 2);
      await eventually('the learners register to refuse an enrollment after the last day', async () =>
        expectRefused(await enrollAt(c, input(c, { startDate: after })), 'BAD_USER_INPUT', 'providerCode'),
      );
      const before = await enrollAt(c, input(c, { startDate: '2024-08-01' }));
      expect(before.errors).toBeUndefined();
    });
  });

  it('writes every change to the learners stream', async () => {
    // Each change made here, so that the stream holds it whichever cases ran before.
    const change = async <Data>(mutation: string, values: Record<string, unknown>) => {
      const response = await system.query<Data>(mutation, { variables: { input: { documentId: `stream-${++documents}`, ...values } }, token: a.token });
      expect(response.errors).toBeUndefined();
      return response.data!;
    };
    const enrollmentId = (await enrollAt(a, input(a, { group: 8 }, { birthDate: '2013-04-04' }))).data!.enrollLearner.enrollment.id;
    await change('mutation($input: ChangeEnrollmentInput!) { changeEnrollment(input: $input) { enrollment { id } } }', { enrollmentId, group: 7 });
    await change('mutation($input: RecordResultInput!) { recordResult(input: $input) { result { schoolYear } } }', {
      enrollmentId,
      schoolYear: '2024-2025',
      schoolAdvice: 'HAVO',
      testLevel: 'HAVO_VWO',
    });
    await change('mutation($input: DeregisterLearnerInput!) { deregisterLearner(input: $input) { enrollment { id } } }', {
      enrollmentId,
      endDate: '2025-07-31',
      reason: 'END_OF_PRIMARY_EDUCATION',
    });
    const leaving = input(a, { startDate: '2023-08-01' });
    expect((await enrollAt(a, leaving)).errors).toBeUndefined();
    expect((await enrollAt(b, input(b, { startDate: '2025-01-06' }, { pgn: leaving.learner.pgn }))).data!.enrollLearner.transferNoticeCount).toBe(1);
    const identified = await change<{ identifyLearner: { learner: { pgn: string } } }>(
      'mutation($input: IdentifyLearnerInput!) { identifyLearner(input: $input) { learner { pgn } } }',
      {
        birthDate: '2019-07-07',
        gender: 'FEMALE',
        postcode: '7822HG',
        familyName: 'Bakker',
      },
    );
    const onderwijsnummer = identified.identifyLearner.learner.pgn;
    expect((await enrollAt(a, input(a, {}, { pgn: onderwijsnummer, birthDate: '2019-07-07' }))).errors).toBeUndefined();
    await change('mutation($input: ReplacePgnInput!) { replacePgn(input: $input) { learner { pgn } } }', { onderwijsnummer, bsn: bsnFor(44_444) });

    // Readable once older transactions on the database have ended (kernel/events.ts, readEvents).
    await eventually('every type of change in the stream', async () => {
      const events = await readEvents(system.system.database!.db, 'learners', null, 5000);
      const types = new Set(events.map((event) => event.type));
      for (const type of [
        'EnrollmentRegistered',
        'EnrollmentChanged',
        'LearnerDeregistered',
        'ResultRecorded',
        'TransferNoticeIssued',
        'PgnReplaced',
        'LearnerIdentified',
      ])
        expect(types).toContain(type);
    });
  });
});
