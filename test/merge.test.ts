import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../kernel/db.ts';
import { readEvents } from '../kernel/events.ts';
import type { Listening } from '../kernel/http.ts';
import { today } from '../kernel/scalars.ts';
import { signViewerAssertion, viewerHeader, type Viewer } from '../kernel/viewer.ts';
import { applyLearnerEvents as applyToAbsence, learnersConsumer as absenceConsumer } from '../subgraphs/absence/copy.ts';
import { applyLearnerEvents as applyToFunding, learnersConsumer as fundingConsumer } from '../subgraphs/funding/copy.ts';
import { currentCountDate } from '../subgraphs/funding/rules.ts';
import {
  bsnFor,
  enrollmentInput,
  eventually,
  importPersonLines,
  listenToSubgraph,
  personLine,
  postGraphQL,
  schoolAt,
  startTestSystem,
  type School,
  type TestSystem,
} from './harness.ts';

/*
 * One child, one learner (WPO art 40b.5; subgraphs/learners/merge.ts): school B enrolls a child by
 * its BSN; school A, not knowing it, identifies the child, gets an onderwijsnummer and enrolls it;
 * then A replaces the onderwijsnummer by the BSN. The two learners become one, and nothing in A's
 * answer tells A that B knew the child; B reads what it read before.
 */

const learnerFields =
  'id pgn pgnKind birthDate gender postcode familyName givenNames residence { municipalityCode source } formerPgns { pgn kind } enrollments { id branch { brin6 } }';
const replaceMutation = `mutation($input: ReplacePgnInput!) { replacePgn(input: $input) { learner { ${learnerFields} } } }`;

type Learner = {
  id: string;
  pgn: string;
  familyName: string | null;
  givenNames: string | null;
  formerPgns: { pgn: string }[];
  enrollments: { id: string; branch: { brin6: string } }[];
};

/** The shape of an answer: every key and the type of every value, not the values. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, shapeOf(member)]));
  return typeof value;
}

describe('a BSN that replaces an onderwijsnummer and is held by another learner', () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let c: School;
  let serial = 0;
  const bsn = bsnFor(72_001);
  const unheld = bsnFor(72_002);
  const countDate = currentCountDate(today());

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b, c] = (await Promise.all(['16AH00', '03WU00', '04LY00'].map((brin6) => schoolAt(system, brin6)))) as [School, School, School];
    await importPersonLines(system, [
      personLine(bsn, { familyName: 'Bakker', givenNames: 'Lotte', birthDate: '2019-03-01' }),
      personLine(unheld, { familyName: 'Smit', givenNames: 'Noor', birthDate: '2019-04-01' }),
    ]);
  });
  afterAll(() => system?.close());

  const mutate = <Data>(at: School, mutation: string, input: Record<string, unknown>) =>
    system.query<Data>(mutation, { variables: { input: { documentId: `merge-${++serial}`, ...input } }, token: at.token });
  const enroll = async (at: School, learner: Record<string, unknown>, overrides: Record<string, unknown> = {}) => {
    const response = await system.query<{ enrollLearner: { enrollment: { id: string }; learner: Learner } }>(
      `mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } learner { ${learnerFields} } } }`,
      { variables: { input: enrollmentInput(at, 72_100 + ++serial, overrides, learner) }, token: at.token },
    );
    expect(response.errors).toBeUndefined();
    return response.data!.enrollLearner;
  };
  const identify = async (at: School, child: Record<string, unknown>) => {
    const response = await mutate<{ identifyLearner: { learner: { id: string; pgn: string } } }>(
      at,
      'mutation($input: IdentifyLearnerInput!) { identifyLearner(input: $input) { learner { id pgn } } }',
      child,
    );
    expect(response.errors).toBeUndefined();
    return response.data!.identifyLearner.learner;
  };
  const read = (at: School, pgn: string) =>
    system.query<{ learner: Learner }>(`query($pgn: ID!) { learner(pgn: $pgn) { ${learnerFields} } }`, { variables: { pgn }, token: at.token });
  const counted = async (at: School) => {
    const response = await system.query<{ fundingCounts: { counted: number; notCounted: number }[] }>(
      'query($day: Date, $code: ID) { fundingCounts(countDate: $day, groupBy: BRANCH, code: $code) { counted notCounted } }',
      { variables: { day: countDate, code: at.brin6 } },
    );
    return response.data?.fundingCounts[0] ?? { counted: 0, notCounted: 0 };
  };
  const notices = async (at: School) =>
    (
      await system.query<{
        transferNotices: { edges: { node: { learnerPgn: string; newStartDate: string; proposedEndDate: string; enrollment: { id: string } } }[] };
      }>('{ transferNotices(status: OPEN) { edges { node { learnerPgn newStartDate proposedEndDate enrollment { id } } } } }', { token: at.token })
    ).data!.transferNotices.edges.map((edge) => edge.node);
  const report = (at: School, enrollmentId: string) =>
    mutate<{ reportAbsence: { report: { municipalityCode: string; learner: { pgn: string } | null } } }>(
      at,
      'mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { municipalityCode } } }',
      {
        enrollmentId,
        kind: 'SIXTEEN_HOURS',
        startDate: '2026-10-05',
        endDate: '2026-10-08',
        absences: [5, 6, 7, 8].map((day) => ({ date: `2026-10-0${day}`, dayPart: 'MORNING', hours: 4 })),
        municipalityActionWanted: true,
        contact: { name: 'Intern begeleider' },
      },
    );

  /** Asks the learners subgraph itself, past the gateway, for a learner by its id, as the gateway would for a reference. */
  let direct: Listening;
  const byReference = async (viewer: Viewer, id: string) =>
    postGraphQL<{ _entities: ({ id: string; pgn: string; familyName: string | null } | null)[] }>(
      direct.url,
      'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Learner { id pgn familyName } } }',
      { representations: [{ __typename: 'Learner', id }] },
      null,
      { [viewerHeader]: await signViewerAssertion(viewer, system.config.viewerSecret, 'learners') },
    );
  const vendorFor = (at: School): Viewer => ({ role: 'VENDOR', vendorOin: '00000001800866472000', school: at.brin6 });

  let atB: { enrollment: { id: string }; learner: Learner };
  let beforeAtB: Awaited<ReturnType<typeof read>>;
  let identified: { id: string; pgn: string };
  let atA: string;
  let atC: string;
  let merged: Awaited<ReturnType<typeof mutate<{ replacePgn: { learner: Learner } }>>>;
  let control: Awaited<ReturnType<typeof mutate<{ replacePgn: { learner: Learner } }>>>;
  let controlId: string;
  let reportedAfter: Awaited<ReturnType<typeof report>>;

  beforeAll(async () => {
    direct = await listenToSubgraph(system, 'learners');

    // B enrolls the child by its BSN, since 2024.
    atB = await enroll(b, { pgn: bsn, birthDate: '2019-03-01', familyName: 'Bakker', givenNames: 'Lotte' }, { startDate: '2024-08-01' });
    expect((await report(b, atB.enrollment.id)).errors).toBeUndefined();
    // A identifies the child without a PGN and enrolls it from August 2026; C had it under the onderwijsnummer in the autumn of 2025.
    identified = await identify(a, { birthDate: '2019-03-01', gender: 'FEMALE', postcode: '7822HG', familyName: 'Bakker-de Wit' });
    atA = (await enroll(a, { pgn: identified.pgn, birthDate: '2019-03-01', familyName: 'Bakker-de Wit' }, { startDate: '2026-08-01' })).enrollment.id;
    atC = (await enroll(c, { pgn: identified.pgn, birthDate: '2019-03-01', familyName: 'Bakker-de Wit' }, { startDate: '2025-08-01', endDate: '2025-12-31' }))
      .enrollment.id;
    await eventually('funding to count two learners', async () => (await counted(a)).counted === 1 && (await counted(b)).counted === 1);
    beforeAtB = await read(b, bsn);
    expect(beforeAtB.errors).toBeUndefined();

    // The same at A with a BSN nobody holds: the answer to compare with.
    const other = await identify(a, { birthDate: '2019-04-01', gender: 'FEMALE', postcode: '7822HG', familyName: 'Smits' });
    controlId = other.id;
    await enroll(a, { pgn: other.pgn, birthDate: '2019-04-01', familyName: 'Smits' }, { startDate: '2026-08-01' });
    control = await mutate(a, replaceMutation, { onderwijsnummer: other.pgn, bsn: unheld });
    merged = await mutate(a, replaceMutation, { onderwijsnummer: identified.pgn, bsn });
    // B reports the child's absence once more, now that it is one learner: the cases below read both reports.
    reportedAfter = await report(b, atB.enrollment.id);
  });
  afterAll(() => direct?.close());

  it("answers A as when nobody held the BSN: the same shape and codes, A's learner id, only what A delivered", () => {
    expect(control.errors).toBeUndefined();
    expect(merged.errors).toBeUndefined();
    expect(shapeOf(merged)).toEqual(shapeOf(control));
    expect(control.data!.replacePgn.learner.id).toBe(controlId);
    expect(merged.data!.replacePgn.learner).toMatchObject({
      id: identified.id,
      pgn: bsn,
      familyName: 'Bakker-de Wit',
      formerPgns: [{ pgn: identified.pgn, kind: 'ONDERWIJSNUMMER' }],
      enrollments: [{ id: atA, branch: { brin6: a.brin6 } }],
    });
    expect(JSON.stringify(merged)).not.toMatch(/Lotte|"Bakker"|03WU00/);
  });

  it('leaves B reading what it read: its enrollment, its delivery, the learner id it knew', async () => {
    const after = await read(b, bsn);
    expect(after).toEqual(beforeAtB);
    expect(after.data!.learner).toMatchObject({
      id: atB.learner.id,
      familyName: 'Bakker',
      givenNames: 'Lotte',
      formerPgns: [],
      enrollments: [{ id: atB.enrollment.id }],
    });
  });

  it("finds the learner by B's old id, for B and for nobody it is not visible to", async () => {
    expect((await byReference(vendorFor(b), atB.learner.id)).data?._entities).toEqual([{ id: atB.learner.id, pgn: bsn, familyName: 'Bakker' }]);
    expect((await byReference({ role: 'OPERATOR' }, atB.learner.id)).data?._entities).toEqual([{ id: identified.id, pgn: bsn, familyName: 'Bakker' }]);
    const stranger = await byReference(vendorFor(await schoolAt(system, '06MY00')), atB.learner.id);
    expect(stranger.data?._entities?.[0] ?? null).toBeNull();
  });

  it("never shows A B's delivery or enrollment", async () => {
    const atAread = await read(a, bsn);
    expect(atAread.data!.learner).toMatchObject({ id: identified.id, familyName: 'Bakker-de Wit', givenNames: null, enrollments: [{ id: atA }] });
    expect(JSON.stringify(atAread)).not.toMatch(/Lotte|"Bakker"/);
  });

  it('counts the child once for funding', async () => {
    // A counts this child and the one of the answer to compare with; B's enrollment no longer counts (DOUBLE_ENROLLMENT).
    await eventually('funding to count the child once', async () => (await counted(b)).counted === 0);
    expect(await counted(a)).toEqual({ counted: 2, notCounted: 0 });
    expect(await counted(b)).toEqual({ counted: 0, notCounted: 1 });
  });

  it('gives the school whose enrollment started earlier a transfer notice for each overlapping enrollment, as enrolling anew would', async () => {
    const atBnotices = await notices(b);
    expect(atBnotices).toEqual(
      expect.arrayContaining([
        { learnerPgn: bsn, newStartDate: '2026-08-01', proposedEndDate: '2026-07-31', enrollment: { id: atB.enrollment.id } },
        { learnerPgn: bsn, newStartDate: '2025-08-01', proposedEndDate: '2025-07-31', enrollment: { id: atB.enrollment.id } },
      ]),
    );
    expect(atBnotices).toHaveLength(2);
    expect(await notices(a)).toEqual([]);
  });

  it('signals the school that enrolled under the onderwijsnummer, and not B', async () => {
    const signals = async (at: School) =>
      (
        await system.query<{ signals: { edges: { node: { code: string; enrollment: { id: string } } }[] } }>(
          '{ signals(status: OPEN, first: 100) { edges { node { code enrollment { id } } } } }',
          { token: at.token },
        )
      ).data!.signals.edges.map((edge) => edge.node);
    expect(await signals(c)).toContainEqual({ code: 'PGN_REPLACED', enrollment: { id: atC } });
    expect((await signals(b)).some((signal) => signal.code === 'PGN_REPLACED')).toBe(false);
  });

  it("routes B's absence reports as before, and the municipality finds them with the learner", async () => {
    expect(reportedAfter.errors).toBeUndefined();
    expect(reportedAfter.data!.reportAbsence.report.municipalityCode).toBe('0114');
    const municipality = await system.token({ role: 'MUNICIPALITY', municipality: '0114' });
    const inbox = await system.query<{ absenceReports: { edges: { node: { learner: { pgn: string } | null; enrollment: { id: string } | null } }[] } }>(
      '{ absenceReports(first: 50) { edges { node { learner { pgn } enrollment { id } } } } }',
      { token: municipality },
    );
    expect(inbox.errors).toBeUndefined();
    const ofB = inbox.data!.absenceReports.edges.map((edge) => edge.node).filter((node) => node.enrollment?.id === atB.enrollment.id);
    expect(ofB).toEqual([
      { learner: { pgn: bsn }, enrollment: { id: atB.enrollment.id } },
      { learner: { pgn: bsn }, enrollment: { id: atB.enrollment.id } },
    ]);
  });

  it('names the learner of a report by the id its reader knows: B the one it enrolled, the municipality the kept one', async () => {
    const { db } = system.system.database!;
    await eventually(
      "absence to fold B's learner",
      async () => rowsOf(await db.execute(sql`SELECT 1 FROM absence.enrollment WHERE absorbed_from = ${atB.learner.id}`)).length === 1,
    );
    const ids = async (token: string) =>
      (
        await system.query<{ absenceReports: { edges: { node: { learner: { id: string } | null; enrollment: { id: string } } }[] } }>(
          '{ absenceReports(first: 50) { edges { node { learner { id } enrollment { id } } } } }',
          { token },
        )
      )
        .data!.absenceReports.edges.map((edge) => edge.node)
        .filter((node) => node.enrollment.id === atB.enrollment.id)
        .map((node) => node.learner?.id);
    expect(await ids(b.token)).toEqual([atB.learner.id, atB.learner.id]);
    expect(await ids(await system.token({ role: 'MUNICIPALITY', municipality: '0114' }))).toEqual([identified.id, identified.id]);
  });

  it("leaves no row of funding's or absence's copy under B's old id, also when every event is applied again", async () => {
    const { db } = system.system.database!;
    const underOldId = async () =>
      rowsOf<{ n: number }>(
        await db.execute(sql`SELECT (SELECT count(*) FROM funding.enrollment WHERE learner_id = ${atB.learner.id}) + (SELECT count(*) FROM funding.learner WHERE id = ${atB.learner.id})
          + (SELECT count(*) FROM absence.enrollment WHERE learner_id = ${atB.learner.id}) + (SELECT count(*) FROM absence.learner WHERE id = ${atB.learner.id})
          + (SELECT count(*) FROM absence.report WHERE learner_id = ${atB.learner.id}) AS n`),
      )[0]!.n;
    const underKeptId = async () =>
      rowsOf<{ n: number }>(
        await db.execute(
          sql`SELECT (SELECT count(*) FROM funding.enrollment WHERE learner_id = ${identified.id}) * 100 + (SELECT count(*) FROM absence.report WHERE learner_id = ${identified.id}) AS n`,
        ),
      )[0]!.n;
    await eventually("the copies to fold B's learner", async () => Number(await underOldId()) === 0);
    const kept = Number(await underKeptId());
    expect(kept).toBe(302);
    // As after a crash: a consumer applies the events since its cursor again.
    const events = await readEvents(db, 'learners', null, 10_000);
    await db.transaction((tx) =>
      applyToFunding(
        tx,
        events.filter((event) => fundingConsumer.types.includes(event.type)),
      ),
    );
    await db.transaction((tx) =>
      applyToAbsence(
        tx,
        events.filter((event) => absenceConsumer.types.includes(event.type)),
      ),
    );
    expect(Number(await underOldId())).toBe(0);
    expect(Number(await underKeptId())).toBe(kept);
  });

  it('makes one learner of two replacements and an enrollment of one BSN at once, losing no enrollment', async () => {
    const { db } = system.system.database!;
    const shared = bsnFor(72_003);
    // Schools of this case's own: the counts, notices and signals at A, B and C above stay the merge's alone.
    const [d, e, f] = (await Promise.all(['16HI00', '16MA00', '16NR00'].map((brin6) => schoolAt(system, brin6)))) as [School, School, School];
    const first = await identify(d, { birthDate: '2019-05-01', gender: 'MALE', postcode: '7822HG', familyName: 'de Boer' });
    const second = await identify(f, { birthDate: '2019-05-01', gender: 'MALE', postcode: '7822HG', familyName: 'Boer' });
    expect(first.pgn).not.toBe(second.pgn);
    await enroll(d, { pgn: first.pgn, birthDate: '2019-05-01', gender: 'MALE', familyName: 'de Boer' }, { startDate: '2026-08-01' });
    await enroll(f, { pgn: second.pgn, birthDate: '2019-05-01', gender: 'MALE', familyName: 'Boer' }, { startDate: '2026-08-01' });
    const answers = await Promise.all([
      mutate(d, replaceMutation, { onderwijsnummer: first.pgn, bsn: shared }),
      mutate(f, replaceMutation, { onderwijsnummer: second.pgn, bsn: shared }),
      system.query('mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }', {
        variables: { input: enrollmentInput(e, 72_900, { startDate: '2026-08-01' }, { pgn: shared, birthDate: '2019-05-01', gender: 'MALE' }) },
        token: e.token,
      }),
    ]);
    expect(answers.map((answer) => answer.errors)).toEqual([undefined, undefined, undefined]);
    const [held] = rowsOf<{ learners: number; enrollments: number; pgns: number }>(
      await db.execute(sql`SELECT (SELECT count(*)::int FROM learners.learner WHERE pgn = ${shared}) AS learners,
        (SELECT count(*)::int FROM learners.enrollment e JOIN learners.learner l ON l.id = e.learner_id WHERE l.pgn = ${shared}) AS enrollments,
        (SELECT count(*)::int FROM learners.learner_pgn p JOIN learners.learner l ON l.id = p.learner_id WHERE l.pgn = ${shared}) AS pgns`),
    );
    expect(held).toEqual({ learners: 1, enrollments: 3, pgns: 3 });
  });
});
