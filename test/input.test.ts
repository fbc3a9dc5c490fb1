import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../kernel/calendar.ts';
import { rowsOf } from '../kernel/db.ts';
import { today } from '../kernel/scalars.ts';
import { enrollmentInput, schoolAt, startTestSystem, type GraphQLResponse, type School, type TestSystem } from './harness.ts';

/*
 * The input rules as a client meets them through the gateway: implausible dates (issue 17, finding 4)
 * and free text that is too long or not text (finding 5) are BAD_USER_INPUT naming the field, and
 * leave the register as it was.
 */

const enrollLearner = 'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } learner { familyName givenNames } } }';
const identifyLearner = 'mutation($input: IdentifyLearnerInput!) { identifyLearner(input: $input) { learner { pgn } } }';
const recordResult = 'mutation($input: RecordResultInput!) { recordResult(input: $input) { result { schoolYear } } }';
const reportAbsence = 'mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { id } } }';
const recordAbsence = 'mutation($input: RecordAbsenceInput!) { recordAbsence(input: $input) { reached { reachedOn } } }';
const registerVendor = 'mutation($input: RegisterVendorInput!) { registerVendor(input: $input) { oin } }';

describe('input rules through the gateway', () => {
  let system: TestSystem;
  let school: School;
  let enrollmentId: string;
  let serial = 0;
  const day = today();

  beforeAll(async () => {
    system = await startTestSystem();
    school = await schoolAt(system, '16AH00');
    const enrolled = await system.query<{ enrollLearner: { enrollment: { id: string } } }>(enrollLearner, {
      token: school.token,
      variables: { input: enrollmentInput(school, 1) },
    });
    expect(enrolled.errors).toBeUndefined();
    enrollmentId = enrolled.data!.enrollLearner.enrollment.id;
  });
  afterAll(() => system?.close());

  /** Rows of the tables a refused input must leave alone: every document, learner, result, report and absence. */
  const written = async () =>
    rowsOf<Record<string, number>>(
      await system.system.database!.db.execute(sql`SELECT
        (SELECT count(*) FROM learners.document)::int AS learner_documents, (SELECT count(*) FROM learners.learner)::int AS learners,
        (SELECT count(*) FROM learners.learner_pgn)::int AS pgns, (SELECT count(*) FROM learners.result)::int AS results,
        (SELECT count(*) FROM absence.document)::int AS absence_documents, (SELECT count(*) FROM absence.report)::int AS reports,
        (SELECT count(*) FROM absence.absence_hours)::int AS absence_hours, (SELECT count(*) FROM institutions.vendor)::int AS vendors`),
    )[0]!;

  /** Sends the mutation and expects BAD_USER_INPUT on `field`, with nothing written. */
  async function refused(query: string, input: Record<string, unknown>, field: string, token = school.token): Promise<GraphQLResponse<unknown>> {
    const before = await written();
    const response = await system.query(query, { token, variables: { input: { documentId: `input-${++serial}`, ...input } } });
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(await written()).toEqual(before);
    return response;
  }

  describe('implausible dates (finding 4)', () => {
    const child = { birthDate: '2019-03-01', gender: 'MALE', postcode: '7822 HG', familyName: 'Bakker' };

    it.each(['2099-01-01', addDays(day, 1), '1900-01-01'])('gives no onderwijsnummer to a child born %s', async (birthDate) => {
      await refused(identifyLearner, { ...child, birthDate }, 'birthDate');
    });

    it('records no result for the school year 2099-2100, nor for one before the enrollment', async () => {
      const result = { enrollmentId, testLevel: 'HAVO', schoolAdvice: 'HAVO' };
      await refused(recordResult, { ...result, schoolYear: '2099-2100' }, 'schoolYear');
      await refused(recordResult, { ...result, schoolYear: '2020-2021' }, 'schoolYear');
    });

    it('takes no absence report in 2099, nor one ending tomorrow', async () => {
      const report = { enrollmentId, kind: 'LUXURY', absences: [], municipalityActionWanted: false, contact: { name: 'J. de Vries' } };
      await refused(reportAbsence, { ...report, startDate: '2099-03-02', endDate: '2099-03-06' }, 'startDate');
      await refused(reportAbsence, { ...report, startDate: addDays(day, -3), endDate: addDays(day, 1) }, 'endDate');
    });

    it('takes no 3,000 day parts up to 2031 in one recordAbsence call, and no absence tomorrow', async () => {
      const parts = Array.from({ length: 1500 }, (_, i) => addDays('2027-01-01', i)).flatMap((date) =>
        ['MORNING', 'AFTERNOON'].map((dayPart) => ({ date, dayPart, hours: 1 })),
      );
      expect(parts.at(-1)!.date.startsWith('2031')).toBe(true);
      await refused(recordAbsence, { enrollmentId, absences: parts }, 'absences');
      await refused(recordAbsence, { enrollmentId, absences: [{ date: addDays(day, 1), dayPart: 'MORNING', hours: 2 }] }, 'absences');
    });

    it('still takes plausible ones: a child born four years ago, a result of this school year, absence of today', async () => {
      const identified = await system.query(identifyLearner, {
        token: school.token,
        variables: { input: { documentId: `input-${++serial}`, ...child, birthDate: addDays(day, -4 * 365) } },
      });
      expect(identified.errors).toBeUndefined();
      const thisYear = Number(day.slice(0, 4)) - (day.slice(5) < '08-01' ? 1 : 0);
      const result = await system.query(recordResult, {
        token: school.token,
        variables: {
          input: { documentId: `input-${++serial}`, enrollmentId, schoolYear: `${thisYear}-${thisYear + 1}`, testLevel: 'VWO', schoolAdvice: 'VWO' },
        },
      });
      expect(result.errors).toBeUndefined();
      const absence = await system.query(recordAbsence, {
        token: school.token,
        variables: { input: { documentId: `input-${++serial}`, enrollmentId, absences: [{ date: day, dayPart: 'MORNING', hours: 2 }] } },
      });
      expect(absence.errors).toBeUndefined();
    });
  });

  describe('free text (finding 5)', () => {
    const learner = (n: number, names: Record<string, unknown>) => enrollmentInput(school, n, {}, names);

    it('refuses a 900,000-character family name, and one a character longer than the BRP allows', async () => {
      await refused(enrollLearner, learner(10, { familyName: 'x'.repeat(900_000) }), 'learner.familyName');
      await refused(enrollLearner, learner(11, { familyName: 'x'.repeat(201) }), 'learner.familyName');
    });

    it('refuses a 900,000-character phone number of the school contact', async () => {
      const report = { enrollmentId, kind: 'LUXURY', startDate: addDays(day, -3), endDate: addDays(day, -2), absences: [], municipalityActionWanted: false };
      await refused(reportAbsence, { ...report, contact: { name: 'J. de Vries', phone: '0'.repeat(900_000) } }, 'contact.phone');
    });

    it.each([
      ['NUL', 'Jan\u0000sen'],
      ['BEL', 'Jansen\u0007'],
      ['ESC', '\u001b[2JJansen'],
      ['U+202E', 'Jan\u202Esen'],
    ])('answers a family name holding %s as BAD_USER_INPUT, never INTERNAL_SERVER_ERROR', async (_name, familyName) => {
      await refused(enrollLearner, learner(20 + serial, { familyName }), 'learner.familyName');
      await refused(identifyLearner, { birthDate: '2019-03-01', gender: 'MALE', postcode: '7822 HG', familyName }, 'familyName');
    });

    it('refuses a document id holding NUL, and a vendor name holding a control character', async () => {
      await refused(enrollLearner, { ...learner(30, {}), documentId: 'doc\u0000-1' }, 'documentId');
      await refused(registerVendor, { oin: '00000003273255280000', name: 'Leverancier\u0007 B.V.' }, 'name', await system.token({ role: 'OPERATOR' }));
    });

    it('refuses a control character in a branch search', async () => {
      const response = await system.query('query($name: String) { branches(filter: { name: $name }) { totalCount } }', {
        variables: { name: 'De\u0000 Wereld' },
      });
      expect(response.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'filter.name' });
    });

    it('stores a name in NFC: sent with a combining accent, read back precomposed', async () => {
      const response = await system.query<{ enrollLearner: { learner: { familyName: string; givenNames: string } } }>(enrollLearner, {
        token: school.token,
        variables: { input: learner(40, { familyName: ' Ne\u0301meth ', givenNames: 'Zoe\u0308' }) },
      });
      expect(response.errors).toBeUndefined();
      expect(response.data!.enrollLearner.learner).toEqual({ familyName: 'Németh', givenNames: 'Zoë' });
    });
  });
});
