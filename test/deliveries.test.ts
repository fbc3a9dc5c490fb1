import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onderwijsnummerFor } from '../subgraphs/learners/rules.ts';
import { bsnFor, importPersonLines, personLine, schoolAt, startTestSystem, type GraphQLResponse, type School, type TestSystem } from './harness.ts';

/*
 * Each school's delivery is its own (docs/domain.md §2.2, "Personal data"): the attack of issue
 * 15, where school A enrolled school B's learner to read B's data and overwrite it, and the
 * identification that finds a child the register knows.
 */

const learnerFields =
  'pgn pgnKind birthDate gender postcode familyName givenNames residence { municipalityCode source } formerPgns { pgn } enrollments { id branch { brin6 } }';
const learnerQuery = `query($pgn: ID!) { learner(pgn: $pgn) { ${learnerFields} } }`;
const enrollMutation = `mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id startDate } learner { ${learnerFields} } transferNoticeCount } }`;
const identifyMutation =
  'mutation($input: IdentifyLearnerInput!) { identifyLearner(input: $input) { learner { pgn pgnKind familyName givenNames birthDate } } }';
const replaceMutation = 'mutation($input: ReplacePgnInput!) { replacePgn(input: $input) { learner { pgn } } }';

type Learner = {
  pgn: string;
  familyName: string | null;
  birthDate: string;
  residence: { municipalityCode: string; source: string };
  enrollments: { id: string }[];
};

/** The shape of an answer: every key and the type of every value, not the values. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, shapeOf(member)]));
  return typeof value;
}

describe("one school's delivery is its own", () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let c: School;
  let documents = 0;
  const pgn = '312345677';
  const another = bsnFor(70_004);

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b, c] = (await Promise.all(['03WU00', '16AH00', '04LY00'].map((brin6) => schoolAt(system, brin6)))) as [School, School, School];
    await importPersonLines(system, [
      personLine(pgn, { familyName: 'Geheim', givenNames: 'Anna Maria', birthDate: '2018-03-03' }),
      personLine(another, { familyName: 'Anders', birthDate: '2018-03-03' }),
    ]);
  });
  afterAll(() => system?.close());

  function enrollment(at: School, learner: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
    return {
      documentId: `delivery-${++documents}`,
      learner: { birthDate: '2018-03-03', gender: 'FEMALE', postcode: '7822 HG', ...learner },
      providerCode: at.providerCode,
      locationCode: at.locationCode,
      offeredProgrammeId: at.offeredProgrammeId,
      startDate: '2022-08-01',
      group: 3,
      schoolEnrollmentNumber: `D${documents}`,
      ...overrides,
    };
  }
  const enroll = (at: School, input: Record<string, unknown>) =>
    system.query<{ enrollLearner: { enrollment: { id: string }; learner: Learner; transferNoticeCount: number } }>(enrollMutation, {
      variables: { input },
      token: at.token,
    });
  const read = (token: string, which: string) => system.query<{ learner: Learner }>(learnerQuery, { variables: { pgn: which }, token });
  const municipality = (code: string) => system.token({ role: 'MUNICIPALITY', municipality: code });
  /** What A sends: another birth date, gender and postcode (Amsterdam), for a start and end in 2019, so that no school is told. */
  const attack = (which: string) =>
    enrollment(a, { pgn: which, birthDate: '2015-01-01', gender: 'MALE', postcode: '1011 AB' }, { startDate: '2019-08-01', endDate: '2019-12-31' });

  describe("the attack: school A enrolls school B's learner with its own data", () => {
    let before: GraphQLResponse<{ learner: Learner }>;
    let enrolledAtB: string;
    // A's reads before its attack, and the attack: each case looks at its part, in any order.
    let known: GraphQLResponse<{ learner: Learner }>;
    let unknown: GraphQLResponse<{ learner: Learner }>;
    let attacked: Awaited<ReturnType<typeof enroll>>;

    beforeAll(async () => {
      const enrolled = await enroll(b, enrollment(b, { pgn, familyName: 'Geheim', givenNames: 'Anna Maria' }));
      expect(enrolled.errors).toBeUndefined();
      expect((await enroll(b, enrollment(b, { pgn: another, familyName: 'Anders' }))).errors).toBeUndefined();
      enrolledAtB = enrolled.data!.enrollLearner.enrollment.id;
      before = await read(b.token, pgn);
      known = await read(a.token, pgn);
      unknown = await read(a.token, bsnFor(70_001));
      attacked = await enroll(a, attack(pgn));
    });

    it('answers A for a PGN B enrolls exactly as for one nobody knows: NOT_FOUND, the same message', async () => {
      expect(known.errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
      expect(unknown.errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
      expect(known.errors![0]!.message.replace(pgn, 'PGN')).toBe(unknown.errors![0]!.message.replace(bsnFor(70_001), 'PGN'));
      expect(known.data).toEqual(unknown.data);
    });

    it('gives A an answer holding only what A delivered, and the residence the person source gives', async () => {
      const response = attacked;
      expect(response.errors).toBeUndefined();
      const { learner, transferNoticeCount } = response.data!.enrollLearner;
      expect(learner).toMatchObject({
        pgn,
        birthDate: '2015-01-01',
        gender: 'MALE',
        postcode: '1011AB',
        familyName: null,
        givenNames: null,
        residence: { municipalityCode: '0114', source: 'REGISTERED' },
      });
      expect(learner.enrollments).toEqual([{ id: response.data!.enrollLearner.enrollment.id, branch: { brin6: a.brin6 } }]);
      expect(transferNoticeCount).toBe(0);
      expect(JSON.stringify(response)).not.toMatch(/Geheim|Anna|2018-03-03|FEMALE|7822HG/);
    });

    it("leaves B's reads as they were: B's delivery, B's enrollment, the residence", async () => {
      const after = await read(b.token, pgn);
      expect(after).toEqual(before);
      expect(after.data!.learner).toMatchObject({
        familyName: 'Geheim',
        birthDate: '2018-03-03',
        postcode: '7822HG',
        residence: { municipalityCode: '0114', source: 'REGISTERED' },
      });
      expect(after.data!.learner.enrollments.map((each) => each.id)).toEqual([enrolledAtB]);
    });

    it('leaves the municipality of residence where the person source has it, whatever A delivered', async () => {
      expect((await read(await municipality('0114'), pgn)).data?.learner.residence).toEqual({ municipalityCode: '0114', source: 'REGISTERED' });
      expect((await read(await municipality('0363'), pgn)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });

    it('answers a PGN known elsewhere and one nobody knows with the same shape and codes', async () => {
      const known = await enroll(a, { ...attack(another), documentId: 'shape-known' });
      const unknown = await enroll(a, { ...attack(bsnFor(70_002)), documentId: 'shape-unknown' });
      expect(known.errors).toBeUndefined();
      expect(unknown.errors).toBeUndefined();
      expect(shapeOf(known)).toEqual(shapeOf(unknown));
    });
  });

  describe('a learner without a BSN', () => {
    let onderwijsnummer: string;
    let enrolledAtB: string;

    beforeAll(async () => {
      const identified = await system.query<{ identifyLearner: { learner: { pgn: string } } }>(identifyMutation, {
        variables: { input: { documentId: 'identify-geheim', familyName: 'Geheim', birthDate: '2019-01-01', gender: 'MALE', postcode: '7822HG' } },
        token: b.token,
      });
      onderwijsnummer = identified.data!.identifyLearner.learner.pgn;
      const enrolled = await enroll(
        b,
        enrollment(b, { pgn: onderwijsnummer, familyName: 'Geheim', birthDate: '2019-01-01', gender: 'MALE' }, { startDate: '2023-08-01' }),
      );
      enrolledAtB = enrolled.data!.enrollLearner.enrollment.id;
      expect((await enroll(a, attack(onderwijsnummer))).errors).toBeUndefined();
    });

    it("keeps B's delivery and the residence B's delivery gives, and shows the municipality A's delivery names nothing of B's", async () => {
      expect((await read(b.token, onderwijsnummer)).data!.learner).toMatchObject({
        familyName: 'Geheim',
        birthDate: '2019-01-01',
        residence: { municipalityCode: '0114', source: 'POSTCODE' },
      });
      const emmen = await read(await municipality('0114'), onderwijsnummer);
      expect(emmen.data!.learner.enrollments.map((each) => each.id)).toEqual([enrolledAtB]);
      const amsterdam = await read(await municipality('0363'), onderwijsnummer);
      expect(amsterdam.data!.learner.enrollments.map((each) => each.id)).not.toContain(enrolledAtB);
      expect(JSON.stringify(amsterdam)).not.toContain('Geheim');
    });

    it("routes B's absence reports to where B's delivery places the learner", async () => {
      const response = await system.query<{ reportAbsence: { report: { municipalityCode: string } } }>(
        'mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { municipalityCode } } }',
        {
          token: b.token,
          variables: {
            input: {
              documentId: 'report-geheim',
              enrollmentId: enrolledAtB,
              kind: 'LUXURY',
              startDate: '2026-10-12',
              absences: [],
              municipalityActionWanted: true,
              contact: { name: 'J. Smit' },
            },
          },
        },
      );
      expect(response.data?.reportAbsence.report.municipalityCode).toBe('0114');
    });

    it("refuses A, whose enrollment ended, to replace B's onderwijsnummer, and C, which never enrolled the learner, as for one it does not know", async () => {
      const byA = await system.query(replaceMutation, {
        variables: { input: { documentId: 'replace-by-a', onderwijsnummer, bsn: bsnFor(70_003) } },
        token: a.token,
      });
      expect(byA.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const byC = await system.query(replaceMutation, {
        variables: { input: { documentId: 'replace-by-c', onderwijsnummer, bsn: bsnFor(70_003) } },
        token: c.token,
      });
      expect(byC.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect((await read(b.token, onderwijsnummer)).data!.learner.pgn).toBe(onderwijsnummer);
    });
  });

  describe('identifying a child without a PGN', () => {
    const identify = (at: School, input: Record<string, unknown>) =>
      system.query<{ identifyLearner: { learner: { pgn: string; pgnKind: string; familyName: string; givenNames: string | null; birthDate: string } } }>(
        identifyMutation,
        {
          variables: { input: { documentId: `identify-${++documents}`, birthDate: '2019-05-05', gender: 'MALE', postcode: '7822HG', ...input } },
          token: at.token,
        },
      );

    it('gives a child identified at two schools one onderwijsnummer, each school its own delivery, and the child counts for funding once', async () => {
      const atA = await identify(a, { familyName: 'Jansen', givenNames: 'Piet' });
      const atB = await identify(b, { familyName: '  jansen ' });
      expect(atB.errors).toBeUndefined();
      expect(atB.data!.identifyLearner.learner).toEqual({
        pgn: atA.data!.identifyLearner.learner.pgn,
        pgnKind: 'ONDERWIJSNUMMER',
        familyName: 'jansen',
        givenNames: null,
        birthDate: '2019-05-05',
      });
      const number = atA.data!.identifyLearner.learner.pgn;
      const first = await enroll(a, enrollment(a, { pgn: number, birthDate: '2019-05-05', gender: 'MALE' }, { startDate: '2024-08-01' }));
      const second = await enroll(b, enrollment(b, { pgn: number, birthDate: '2019-05-05', gender: 'MALE' }, { startDate: '2024-09-02' }));
      expect(second.data!.enrollLearner.learner.enrollments).toHaveLength(1);
      const statuses = await system.query<{
        first: { fundingStatus: { outcome: string; reasons: string[] } };
        second: { fundingStatus: { outcome: string; reasons: string[] } };
      }>(
        'query($first: ID!, $second: ID!) { first: enrollment(id: $first) { fundingStatus { outcome reasons } } second: enrollment(id: $second) { fundingStatus { outcome reasons } } }',
        { variables: { first: first.data!.enrollLearner.enrollment.id, second: second.data!.enrollLearner.enrollment.id } },
      );
      expect(statuses.data).toEqual({
        first: { fundingStatus: { outcome: 'NOT_FUNDABLE', reasons: ['DOUBLE_ENROLLMENT'] } },
        second: { fundingStatus: { outcome: 'FUNDABLE', reasons: [] } },
      });
    });

    it('answers AMBIGUOUS when two children it knows match, naming neither, and tells them apart by given names', async () => {
      const [eva, lot] = [onderwijsnummerFor(999_001), onderwijsnummerFor(999_005)] as [string, string];
      const bos = { familyName: 'Bos', birthDate: '2018-02-02', gender: 'FEMALE' };
      expect((await enroll(a, enrollment(a, { pgn: eva, ...bos, givenNames: 'Eva' }))).errors).toBeUndefined();
      expect((await enroll(c, enrollment(c, { pgn: lot, ...bos, givenNames: 'Lot' }))).errors).toBeUndefined();
      const ambiguous = await identify(b, { ...bos });
      expect(ambiguous.errors?.map((error) => error.extensions?.code)).toEqual(['AMBIGUOUS']);
      expect(JSON.stringify(ambiguous)).not.toMatch(new RegExp(`${eva}|${lot}|Eva|Lot`));
      expect((await identify(b, { ...bos, givenNames: 'eva' })).data!.identifyLearner.learner).toMatchObject({ pgn: eva, givenNames: 'eva' });
    });

    describe('a child the person source has (WPO art 40b.3-4: DUO returns the BSN)', () => {
      const mila = bsnFor(70_010);
      const noor = bsnFor(70_011);
      const twins = [bsnFor(70_012), bsnFor(70_013)] as const;
      const died = bsnFor(70_014);
      const child = { birthDate: '2019-07-07', gender: 'FEMALE', postcode: '7822HG' };
      beforeAll(async () => {
        await importPersonLines(system, [
          personLine(mila, { ...child, familyName: 'Visser', givenNames: 'Mila' }),
          personLine(noor, { ...child, birthDate: '2019-08-08', familyName: 'Dekker', givenNames: 'Noor' }),
          personLine(twins[0], { ...child, birthDate: '2019-09-09', familyName: 'Kok', givenNames: 'Fenna' }),
          personLine(twins[1], { ...child, birthDate: '2019-09-09', familyName: 'Kok', givenNames: 'Sara' }),
          personLine(died, { ...child, birthDate: '2019-10-10', familyName: 'Peters', deceasedOn: '2025-01-01' }),
        ]);
      });
      const learnerOf = (response: Awaited<ReturnType<typeof identify>>) => response.data!.identifyLearner.learner;

      it('answers the BSN of the one living person with these data, with a learner the register makes for it', async () => {
        const atA = await identify(a, { ...child, familyName: ' visser ' });
        expect(atA.errors).toBeUndefined();
        expect(learnerOf(atA)).toEqual({ pgn: mila, pgnKind: 'BSN', familyName: 'visser', givenNames: null, birthDate: '2019-07-07' });
        const enrolled = await enroll(b, enrollment(b, { pgn: mila, birthDate: '2019-07-07', familyName: 'Visser' }, { startDate: '2024-08-01' }));
        expect(enrolled.errors).toBeUndefined();
        const ids = await system.query<{ learner: { id: string } }>('query($pgn: ID!) { learner(pgn: $pgn) { id } }', { variables: { pgn: mila } });
        const byA = await system.query<{ learner: { id: string; familyName: string } }>('query($pgn: ID!) { learner(pgn: $pgn) { id familyName } }', {
          variables: { pgn: mila },
          token: a.token,
        });
        expect(byA.data!.learner).toEqual({ id: ids.data!.learner.id, familyName: 'visser' });
      });

      it("answers the learner a school enrolls by that BSN already, with the asking school's delivery only", async () => {
        expect(
          (await enroll(b, enrollment(b, { pgn: noor, birthDate: '2019-08-08', familyName: 'Dekker', givenNames: 'Noor Anne' }, { startDate: '2024-08-01' })))
            .errors,
        ).toBeUndefined();
        const atC = await identify(c, { ...child, birthDate: '2019-08-08', familyName: 'Dekker', givenNames: 'Noor' });
        expect(learnerOf(atC)).toEqual({ pgn: noor, pgnKind: 'BSN', familyName: 'Dekker', givenNames: 'Noor', birthDate: '2019-08-08' });
        expect(JSON.stringify(atC)).not.toContain('Noor Anne');
      });

      it('answers AMBIGUOUS for two persons with these data, naming neither, and tells them apart by given names', async () => {
        const both = await identify(a, { ...child, birthDate: '2019-09-09', familyName: 'Kok' });
        expect(both.errors?.map((error) => error.extensions?.code)).toEqual(['AMBIGUOUS']);
        expect(JSON.stringify(both)).not.toMatch(new RegExp(`${twins[0]}|${twins[1]}|Fenna|Sara`));
        expect(learnerOf(await identify(a, { ...child, birthDate: '2019-09-09', familyName: 'Kok', givenNames: 'sara' })).pgn).toBe(twins[1]);
      });

      it('gives an onderwijsnummer where the only person with these data has died', async () => {
        const response = await identify(a, { ...child, birthDate: '2019-10-10', familyName: 'Peters' });
        expect(learnerOf(response)).toMatchObject({ pgnKind: 'ONDERWIJSNUMMER' });
      });
    });
  });
});
