import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../kernel/calendar.ts';
import type { Listening } from '../kernel/http.ts';
import { today } from '../kernel/scalars.ts';
import { signViewerAssertion, viewerHeader } from '../kernel/viewer.ts';
import { learnersEvent, type EnrollmentEventType, type EnrollmentState } from '../contracts/learners.ts';
import { bsnFor, listenToSubgraph, postGraphQL, schoolAt, startTestSystem, type GraphQLResponse, type School, type TestSystem } from './harness.ts';

/*
 * The registration term of a count date as the law reads it (issue 19, counter-examples 5 and 7):
 * four weeks that run on to a working day (Algemene termijnenwet art 1), the facts the register held
 * by then (Besluit bekostiging WPO 2022 art 7.2), and a school's extension (art 7.3).
 *
 * The register stamps every change with its own clock, and a count date's window is weeks long: a
 * test of what it held on a past day writes that past into the learners stream, each enrollment event
 * with the moment it happened, as the national population does (subgraphs/learners/population.ts).
 * Funding's own consumer takes them in; every question goes to the running system.
 */
describe('the registration term of a count date, through the gateway', () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let c: School;
  let direct: Listening;
  let serial = 0;

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b, c] = (await Promise.all(['16AH00', '03WU00', '04LY00'].map((brin6) => schoolAt(system, brin6)))) as [School, School, School];
    direct = await listenToSubgraph(system, 'funding');
  });
  afterAll(async () => {
    await direct?.close();
    await system?.close();
  });

  /** An enrollment's state at `at`, for a new learner unless `earlier` names the enrollment it changes. */
  function state(
    at: School,
    fields: Partial<EnrollmentState> & Pick<EnrollmentState, 'startDate' | 'registeredAt'>,
    earlier?: EnrollmentState,
  ): EnrollmentState {
    serial++;
    return {
      enrollmentId: randomUUID(),
      learnerId: randomUUID(),
      pgn: bsnFor(serial + 19_000),
      birthDate: '2019-03-01',
      municipalityCode: '0114',
      registeredBirthDate: '2019-03-01',
      brin6: at.brin6,
      providerCode: at.providerCode,
      locationCode: at.locationCode,
      offeredProgrammeId: at.offeredProgrammeId,
      endDate: null,
      endReason: null,
      group: 3,
      ...earlier,
      ...fields,
    };
  }

  /** The learners register wrote this enrollment event at `occurredAt` (Europe/Amsterdam, as a school sees it). */
  async function happened(occurredAt: string, type: EnrollmentEventType, enrollment: EnrollmentState): Promise<void> {
    const event = learnersEvent(type, { enrollmentId: enrollment.enrollmentId, learnerId: enrollment.learnerId, brin6: enrollment.brin6 }, enrollment);
    await system.system.database!.db.execute(sql`INSERT INTO learners.outbox (type, keys, payload, occurred_at)
      VALUES (${event.type}, ${JSON.stringify(event.keys)}::jsonb, ${JSON.stringify(event.payload)}::jsonb, ${occurredAt}::timestamptz)`);
  }

  /** Registered at `moment` (a local time in the Netherlands in winter, +01:00). */
  async function registered(at: School, moment: string, fields: Partial<EnrollmentState> & Pick<EnrollmentState, 'startDate'>): Promise<EnrollmentState> {
    const registeredAt = new Date(`${moment}+01:00`).toISOString();
    const enrollment = state(at, { ...fields, registeredAt });
    await happened(registeredAt, 'EnrollmentRegistered', enrollment);
    return enrollment;
  }

  async function changed(enrollment: EnrollmentState, moment: string, fields: Partial<EnrollmentState>, type: EnrollmentEventType = 'EnrollmentChanged') {
    await happened(new Date(`${moment}+01:00`).toISOString(), type, { ...enrollment, ...fields });
  }

  /** An enrollment's status as its school reads it, from the funding subgraph as the gateway asks it. */
  async function statusOf(at: School, enrollment: EnrollmentState, countDate: string) {
    const viewer = { role: 'VENDOR' as const, vendorOin: '00000001800866472000', school: at.brin6 };
    const response = await postGraphQL<{ _entities: { fundingStatus: { phase: string; outcome: string; reasons: string[]; explanation: string } | null }[] }>(
      direct.url,
      'query($representations: [_Any!]!, $day: Date) { _entities(representations: $representations) { ... on Enrollment { fundingStatus(countDate: $day) { phase outcome reasons explanation } } } }',
      { representations: [{ __typename: 'Enrollment', id: enrollment.enrollmentId }], day: countDate },
      null,
      { [viewerHeader]: await signViewerAssertion(viewer, system.config.viewerSecret, 'funding') },
    );
    expect(response.errors).toBeUndefined();
    return response.data!._entities[0]!.fundingStatus;
  }

  const counts = async (at: School, countDate: string) =>
    (
      await system.query<{
        fundingCounts: { code: string; phase: string; counted: number; notCounted: number; byReason: { reason: string; enrollments: number }[] }[];
      }>('query($day: Date) { fundingCounts(countDate: $day, groupBy: BRANCH) { code phase counted notCounted byReason { reason enrollments } } }', {
        token: at.token,
        variables: { day: countDate },
      })
    ).data!.fundingCounts;

  const run = (countDate: string) =>
    system.query<{ runCountDate: { countDate: string; phase: string; registrationDeadline: string } }>(
      'mutation($day: Date!) { runCountDate(countDate: $day) { countDate phase registrationDeadline } }',
      { variables: { day: countDate } },
    );

  const extension = 'id countDate fundingYear school until reason documentId grantedAt inForce';
  const grant = (input: Record<string, unknown>, token?: string) =>
    system.query<{ grantRegistrationExtension: Record<string, unknown> }>(
      `mutation($input: GrantRegistrationExtensionInput!) { grantRegistrationExtension(input: $input) { ${extension} } }`,
      { token, variables: { input } },
    );
  const extensions = (token?: string, countDate?: string) =>
    system.query<{ registrationExtensions: Record<string, unknown>[] }>(`query($day: Date) { registrationExtensions(countDate: $day) { ${extension} } }`, {
      token,
      variables: { day: countDate },
    });
  const refusedWith = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions;

  describe('count date 2025-02-01: four weeks end on Saturday 1 March, so the term runs to Monday 3 March (Atw art 1)', () => {
    it('counts an enrollment registered on Monday 3 March 2025, and not one registered on Tuesday 4 March', async () => {
      const monday = await registered(a, '2025-03-03T16:30:00', { startDate: '2024-08-01', endDate: '2025-07-31' });
      const tuesday = await registered(a, '2025-03-04T08:15:00', { startDate: '2024-08-01', endDate: '2025-07-31' });
      expect(await statusOf(a, monday, '2025-02-01')).toMatchObject({ phase: 'PROVISIONAL', outcome: 'FUNDABLE', reasons: [] });
      expect(await statusOf(a, tuesday, '2025-02-01')).toMatchObject({ outcome: 'NOT_FUNDABLE', reasons: ['LATE_REGISTRATION'] });
      expect((await statusOf(a, tuesday, '2025-02-01'))!.explanation).toContain('after 2025-03-03, the end of the four weeks after the count date');

      const response = await run('2025-02-01');
      expect(response.errors).toBeUndefined();
      expect(response.data!.runCountDate).toEqual({ countDate: '2025-02-01', phase: 'FINAL', registrationDeadline: '2025-03-03' });
      expect(await counts(a, '2025-02-01')).toEqual([
        { code: a.brin6, phase: 'FINAL', counted: 1, notCounted: 1, byReason: [{ reason: 'LATE_REGISTRATION', enrollments: 1 }] },
      ]);
    });
  });

  describe('count date 2026-02-01: four weeks end on Sunday 1 March, so the term runs to Monday 2 March', () => {
    const countDate = '2026-02-01';
    let onMonday: EnrollmentState;
    let movedForward: EnrollmentState;
    let endedLater: EnrollmentState;
    let extendedLate: EnrollmentState;
    let extendedMoved: EnrollmentState;
    let late: EnrollmentState;

    beforeAll(async () => {
      onMonday = await registered(a, '2026-03-02T17:00:00', { startDate: '2025-08-01', endDate: '2026-07-31' });
      // Counter-example 7: registered 15 January to start 3 March, changed on 20 March to start 27 January.
      movedForward = await registered(a, '2026-01-15T10:00:00', { startDate: '2026-03-03', endDate: '2026-07-31' });
      await changed(movedForward, '2026-03-20T10:00:00', { startDate: '2026-01-27' });
      // Counted by the deadline; on 10 March the school deregisters the learner as of 20 January.
      endedLater = await registered(a, '2025-08-20T09:00:00', { startDate: '2025-08-01' });
      await changed(endedLater, '2026-03-10T11:00:00', { endDate: '2026-01-20', endReason: 'MOVED_ABROAD' }, 'LearnerDeregistered');
      // At school 03WU, which gets an extension until Friday 13 March below.
      extendedLate = await registered(b, '2026-03-12T14:00:00', { startDate: '2025-09-01', endDate: '2026-07-31' });
      extendedMoved = await registered(b, '2026-01-10T09:00:00', { startDate: '2026-03-05', endDate: '2026-07-31' });
      await changed(extendedMoved, '2026-03-11T09:00:00', { startDate: '2026-01-20' });
      // At school 04LY, which has none.
      late = await registered(c, '2026-03-12T14:00:00', { startDate: '2025-09-01', endDate: '2026-07-31' });
    });

    it('counts an enrollment registered on Monday 2 March 2026', async () => {
      expect(await statusOf(a, onMonday, countDate)).toMatchObject({ outcome: 'FUNDABLE', reasons: [] });
    });

    it('does not count a start moved before the count date by a change registered after the deadline (art 7.2), and says why', async () => {
      const status = await statusOf(a, movedForward, countDate);
      expect(status).toMatchObject({ outcome: 'NOT_FUNDABLE', reasons: ['NOT_ENROLLED_ON_COUNT_DATE'] });
      expect(status!.explanation).toContain('as the register held it at the end of 2026-03-02 and as it holds it now');
    });

    it('stops counting an enrollment whose end before the count date is registered after the deadline (the register’s reading)', async () => {
      expect(await statusOf(a, endedLater, countDate)).toMatchObject({ outcome: 'NOT_FUNDABLE', reasons: ['NOT_ENROLLED_ON_COUNT_DATE'] });
    });

    // One case, in steps: the count date is PROVISIONAL until its run, which every later step depends on.
    it('records an extension under art 7.3 for the operator only (bad input refused with a code, recording nothing), lets the school read it, counts by it, runs FINAL on the same facts and then refuses another', async () => {
      // Before the run: PROVISIONAL.
      expect(await statusOf(a, movedForward, countDate)).toMatchObject({ phase: 'PROVISIONAL' });
      const input = {
        documentId: 'atw-extension-1',
        school: '03WU',
        countDate,
        until: '2026-03-13',
        reason: 'Storing bij de leverancier, besluit van de minister',
      };
      expect(refusedWith(await grant(input, b.token))).toMatchObject({ code: 'FORBIDDEN' });
      expect(refusedWith(await grant({ ...input, until: '2026-03-02' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'until' });
      expect(refusedWith(await grant({ ...input, school: '99ZZ' }))).toMatchObject({ code: 'NOT_FOUND', field: 'school' });
      expect(refusedWith(await grant({ ...input, school: '03WU00' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'school' });
      expect(refusedWith(await grant({ ...input, reason: '  ' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
      expect(refusedWith(await grant({ ...input, countDate: '2026-02-02' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'countDate' });
      expect((await extensions(undefined, countDate)).data!.registrationExtensions).toEqual([]);
      expect(await statusOf(b, extendedLate, countDate)).toMatchObject({ reasons: ['LATE_REGISTRATION'] });

      const granted = await grant(input);
      expect(granted.errors).toBeUndefined();
      expect(granted.data!.grantRegistrationExtension).toMatchObject({ countDate, fundingYear: 2027, school: '03WU', until: '2026-03-13', inForce: true });
      expect((await grant(input)).data!.grantRegistrationExtension).toEqual(granted.data!.grantRegistrationExtension);
      expect(refusedWith(await grant({ ...input, until: '2026-03-14' }))).toMatchObject({ code: 'CONFLICT', field: 'documentId' });

      // Lets the operator and the school read the extension, and no other school or a municipality.
      const [only] = (await extensions(undefined, countDate)).data!.registrationExtensions;
      expect(only).toMatchObject({ school: '03WU', until: '2026-03-13', documentId: 'atw-extension-1' });
      expect((await extensions(b.token, countDate)).data!.registrationExtensions).toEqual([only]);
      expect((await extensions(a.token, countDate)).data!.registrationExtensions).toEqual([]);
      expect(refusedWith(await extensions(await system.token({ role: 'MUNICIPALITY', municipality: '0114' })))).toMatchObject({ code: 'FORBIDDEN' });

      // Counts the extended school's enrollments by the facts registered by its new deadline, and no other school's.
      expect(await statusOf(b, extendedLate, countDate)).toMatchObject({ outcome: 'FUNDABLE', reasons: [] });
      expect(await statusOf(b, extendedMoved, countDate)).toMatchObject({ outcome: 'FUNDABLE', reasons: [] });
      const lateHere = await statusOf(c, late, countDate);
      expect(lateHere).toMatchObject({ reasons: ['LATE_REGISTRATION'] });
      expect(lateHere!.explanation).toContain('after 2026-03-02');

      // Runs the count date on the same facts, FINAL.
      expect((await run(countDate)).errors).toBeUndefined();
      expect(await counts(a, countDate)).toEqual([
        { code: a.brin6, phase: 'FINAL', counted: 1, notCounted: 2, byReason: [{ reason: 'NOT_ENROLLED_ON_COUNT_DATE', enrollments: 2 }] },
      ]);
      expect(await counts(b, countDate)).toEqual([{ code: b.brin6, phase: 'FINAL', counted: 2, notCounted: 0, byReason: [] }]);
      expect(await counts(c, countDate)).toEqual([
        { code: c.brin6, phase: 'FINAL', counted: 0, notCounted: 1, byReason: [{ reason: 'LATE_REGISTRATION', enrollments: 1 }] },
      ]);
      expect(await statusOf(a, movedForward, countDate)).toMatchObject({ phase: 'FINAL', reasons: ['NOT_ENROLLED_ON_COUNT_DATE'] });
      expect(await statusOf(b, extendedLate, countDate)).toMatchObject({ phase: 'FINAL', reasons: [] });

      // Refuses an extension once the count date has run.
      const response = await grant({ documentId: 'atw-extension-2', school: '04LY', countDate, until: '2026-03-20', reason: 'te laat' });
      expect(refusedWith(response)).toMatchObject({ code: 'CONFLICT', field: 'countDate' });
    });
  });

  it('holds the count-date run while an extension has not ended', async () => {
    const until = addDays(today(), 1);
    const granted = await grant({ documentId: 'atw-extension-3', school: '04LY', countDate: '2024-02-01', until, reason: 'besluit van de minister' });
    expect(granted.errors).toBeUndefined();
    const response = await run('2024-02-01');
    expect(refusedWith(response)).toMatchObject({ code: 'CONFLICT', field: 'countDate' });
    expect(response.errors![0]!.message).toContain(`extended for school 04LY until ${until} (art 7.3)`);
  });
});
