import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../kernel/viewer.ts';
import { enrollmentInput, schoolAt, startTestSystem, type GraphQLResponse, type School, type TestSystem } from './harness.ts';

/*
 * School calendars and the 16 hours of LPW art 21a in teaching weeks, through the gateway (issue 19,
 * counter-example 1). Both schools are in Drenthe, region noord: 16AH00 in Emmen, 03WU00 in
 * Borger-Odoorn. Each case enrolls learners of its own.
 */

interface Calendar {
  branch: { brin6: string };
  schoolYear: string;
  source: string;
  region: string | null;
  holidays: { name: string | null; startDate: string; endDate: string }[];
  holidayWeeks: string[];
}

const calendarFields = 'branch { brin6 } schoolYear source region holidays { name startDate endDate } holidayWeeks';

describe('school calendars through the gateway', () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let serial = 0;

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b] = (await Promise.all(['16AH00', '03WU00'].map((brin6) => schoolAt(system, brin6)))) as [School, School];
  });
  afterAll(() => system?.close());

  const expectRefused = (response: GraphQLResponse<unknown>, code: string, field?: string) => {
    expect(response.errors?.[0]?.extensions, JSON.stringify(response.errors)).toMatchObject(field ? { code, field } : { code });
  };

  async function enroll(at: School): Promise<string> {
    const n = 9100 + ++serial;
    const response = await system.query<{ enrollLearner: { enrollment: { id: string } } }>(
      'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }',
      { token: at.token, variables: { input: enrollmentInput(at, n, {}, { birthDate: '2017-05-01' }) } },
    );
    expect(response.errors).toBeUndefined();
    return response.data!.enrollLearner.enrollment.id;
  }

  /** 4 hours in the morning and 4 in the afternoon of each day. */
  const days = (...dates: string[]) => dates.flatMap((date) => ['MORNING', 'AFTERNOON'].map((dayPart) => ({ date, dayPart, hours: 4 })));

  const record = (at: School, enrollmentId: string, absences: unknown[]) =>
    system.query<{
      recordAbsence: { reached: { startDate: string; reachedOn: string; hours: number } | null; proposal: { startDate: string; endDate: string } | null };
    }>('mutation($input: RecordAbsenceInput!) { recordAbsence(input: $input) { reached { startDate reachedOn hours } proposal { startDate endDate } } }', {
      token: at.token,
      variables: { input: { documentId: `record-${++serial}`, enrollmentId, absences } },
    });

  const report = (at: School, enrollmentId: string, startDate: string, endDate: string, absences: unknown[]) =>
    system.query<{
      reportAbsence: { report: { id: string; kind: string; status: string; totalHours: number }; warnings: { code: string; message: string }[] };
    }>('mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { id kind status totalHours } warnings { code message } } }', {
      token: at.token,
      variables: {
        input: {
          documentId: `report-${++serial}`,
          enrollmentId,
          kind: 'SIXTEEN_HOURS',
          startDate,
          endDate,
          absences,
          municipalityActionWanted: true,
          contact: { name: 'J. de Vries' },
        },
      },
    });

  const calendar = (token: string, brin6: string, schoolYear: string) =>
    system.query<{ schoolCalendar: Calendar }>(
      `query($brin6: ID!, $schoolYear: String!) { schoolCalendar(brin6: $brin6, schoolYear: $schoolYear) { ${calendarFields} } }`,
      {
        token,
        variables: { brin6, schoolYear },
      },
    );

  const setCalendar = (token: string, schoolYear: string, holidays: unknown[], documentId = `calendar-${++serial}`) =>
    system.query<{ setSchoolCalendar: { calendar: Calendar } }>(
      `mutation($input: SetSchoolCalendarInput!) { setSchoolCalendar(input: $input) { calendar { ${calendarFields} } } }`,
      { token, variables: { input: { documentId, schoolYear, holidays } } },
    );

  it('counter-example 1: 8 hours on Monday 10 February 2025 and 8 on Friday 14 March, the spring holiday of region noord between, are reported', async () => {
    const enrollmentId = await enroll(a);
    const absences = days('2025-02-10', '2025-03-14');
    const signal = await record(a, enrollmentId, absences);
    expect(signal.errors).toBeUndefined();
    expect(signal.data!.recordAbsence).toEqual({
      reached: { startDate: '2025-02-10', reachedOn: '2025-03-14', hours: 16 },
      proposal: { startDate: '2025-02-10', endDate: '2025-03-14' },
    });
    const made = await report(a, enrollmentId, '2025-02-10', '2025-03-14', absences);
    expect(made.errors).toBeUndefined();
    expect(made.data!.reportAbsence).toMatchObject({ report: { kind: 'SIXTEEN_HOURS', status: 'REGISTERED', totalHours: 16 }, warnings: [] });
  });

  it('accepts a 16-hour report its calendar does not find within 4 teaching weeks, with a warning', async () => {
    const enrollmentId = await enroll(a);
    // Monday 17 March and Monday 14 April 2025: 28 days, no holiday week between.
    const absences = days('2025-03-17', '2025-04-14');
    expect((await record(a, enrollmentId, absences)).data!.recordAbsence.reached).toBeNull();
    const made = await report(a, enrollmentId, '2025-03-17', '2025-04-14', absences);
    expect(made.errors).toBeUndefined();
    expect(made.data!.reportAbsence.report.status).toBe('REGISTERED');
    expect(made.data!.reportAbsence.warnings).toEqual([
      { code: 'NOT_WITHIN_FOUR_TEACHING_WEEKS', message: expect.stringContaining('4 consecutive teaching weeks (LPW art 21a)') },
    ]);
    // Fewer than 16 hours in all is still no 16-hour report.
    expectRefused(await report(a, enrollmentId, '2025-03-17', '2025-03-17', days('2025-03-17')), 'BAD_USER_INPUT', 'absences');
  });

  it("reads a school's calendar: its region's recommended holidays, and what the register does not know", async () => {
    const known = await calendar(a.token, a.brin6, '2024-2025');
    expect(known.errors).toBeUndefined();
    expect(known.data!.schoolCalendar).toMatchObject({ branch: { brin6: '16AH00' }, schoolYear: '2024-2025', source: 'REGION', region: 'NOORD' });
    expect(known.data!.schoolCalendar.holidays[2]).toEqual({ name: 'Voorjaarsvakantie', startDate: '2025-02-15', endDate: '2025-02-23' });
    expect(known.data!.schoolCalendar.holidayWeeks).toEqual([
      '2024-10-28',
      '2024-12-23',
      '2024-12-30',
      '2025-02-17',
      '2025-04-28',
      '2025-07-14',
      '2025-07-21',
      '2025-07-28',
    ]);
    // 2026-2027 is not in the data (data/schoolvakanties/README.md): only the end of the summer holiday before it.
    const unknown = await calendar(a.token, a.brin6, '2026-2027');
    expect(unknown.data!.schoolCalendar).toMatchObject({
      source: 'UNKNOWN',
      region: 'NOORD',
      holidays: [{ name: 'Zomervakantie', startDate: '2026-08-01', endDate: '2026-08-16' }],
    });
  });

  it("lets a school register its own holidays, which replace its region's for that school year", async () => {
    const enrollmentId = await enroll(b);
    const own = [
      { name: 'Zomervakantie', startDate: '2024-08-01', endDate: '2024-09-01' },
      { name: 'Kerstvakantie', startDate: '2024-12-21', endDate: '2025-01-05' },
      { name: 'Voorjaarsvakantie', startDate: '2025-03-01', endDate: '2025-03-09' },
      { name: 'Studiedag', startDate: '2025-02-17', endDate: '2025-02-17' },
      { name: 'Zomervakantie', startDate: '2025-07-12', endDate: '2025-07-31' },
    ];
    const set = await setCalendar(b.token, '2024-2025', own);
    expect(set.errors).toBeUndefined();
    expect(set.data!.setSchoolCalendar.calendar).toMatchObject({ branch: { brin6: '03WU00' }, source: 'SCHOOL', region: 'NOORD' });
    expect(set.data!.setSchoolCalendar.calendar.holidays.map((holiday) => holiday.startDate)).toEqual([
      '2024-08-01',
      '2024-12-21',
      '2025-02-17',
      '2025-03-01',
      '2025-07-12',
    ]);
    expect(set.data!.setSchoolCalendar.calendar.holidayWeeks).toContain('2025-03-03');
    expect(set.data!.setSchoolCalendar.calendar.holidayWeeks).not.toContain('2025-02-17');
    // Its spring holiday is in March: 10 February and 14 March are four teaching weeks apart here too.
    expect((await record(b, enrollmentId, days('2025-02-10', '2025-03-14'))).data!.recordAbsence.reached?.reachedOn).toBe('2025-03-14');

    // Registered again without a spring holiday, it replaces the first: five teaching weeks apart.
    const again = await setCalendar(b.token, '2024-2025', [own[0], own[1], own[4]]);
    expect(again.data!.setSchoolCalendar.calendar.holidays).toHaveLength(3);
    const other = await enroll(b);
    expect((await record(b, other, days('2025-02-10', '2025-03-14'))).data!.recordAbsence.reached).toBeNull();
    const made = await report(b, other, '2025-02-10', '2025-03-14', days('2025-02-10', '2025-03-14'));
    expect(made.data!.reportAbsence.warnings.map((warning) => warning.code)).toEqual(['NOT_WITHIN_FOUR_TEACHING_WEEKS']);

    // The other school's calendar and the next school year stay the region's.
    expect((await calendar(a.token, a.brin6, '2024-2025')).data!.schoolCalendar.source).toBe('REGION');
    expect((await calendar(b.token, b.brin6, '2025-2026')).data!.schoolCalendar.source).toBe('REGION');
  });

  it('refuses holidays outside the school year, overlapping or missing, and a school year that is none, changing nothing', async () => {
    const before = (await calendar(a.token, a.brin6, '2025-2026')).data!.schoolCalendar;
    const summer = { startDate: '2025-08-01', endDate: '2025-08-24' };
    const cases: [string, unknown[], string][] = [
      ['2025-2026', [summer, { startDate: '2026-07-04', endDate: '2026-08-16' }], 'holidays.1'],
      ['2025-2026', [{ startDate: '2025-07-31', endDate: '2025-08-24' }], 'holidays.0'],
      ['2025-2026', [summer, { startDate: '2025-10-18', endDate: '2025-10-26' }, { startDate: '2025-10-25', endDate: '2025-10-25' }], 'holidays.2'],
      ['2025-2026', [{ startDate: '2025-10-26', endDate: '2025-10-18' }], 'holidays.0.endDate'],
      ['2025-2026', [], 'holidays'],
      ['2025-2027', [summer], 'schoolYear'],
      ['2025-2026', [{ ...summer, name: 'x'.repeat(101) }], 'holidays.0.name'],
    ];
    for (const [schoolYear, holidays, field] of cases) expectRefused(await setCalendar(a.token, schoolYear, holidays), 'BAD_USER_INPUT', field);
    expect((await calendar(a.token, a.brin6, '2025-2026')).data!.schoolCalendar).toEqual(before);
  });

  it('lets a school set its own calendar only, and read its own; a municipality and the operator read any', async () => {
    const summer = [{ startDate: '2025-08-01', endDate: '2025-08-24' }];
    const others: Viewer[] = [{ role: 'MUNICIPALITY', municipality: '0114' }, { role: 'OPERATOR' }, { role: 'BOARD', board: '042B830' }];
    for (const viewer of others) expectRefused(await setCalendar(await system.token(viewer), '2025-2026', summer), 'FORBIDDEN');
    expect((await calendar(a.token, a.brin6, '2025-2026')).data!.schoolCalendar.source).toBe('REGION');

    expectRefused(await calendar(b.token, a.brin6, '2024-2025'), 'NOT_FOUND');
    for (const viewer of others.slice(0, 2)) {
      const read = await calendar(await system.token(viewer), a.brin6, '2024-2025');
      expect(read.data?.schoolCalendar.source, viewer.role).toBe('REGION');
    }
    expectRefused(await calendar(await system.token(others[2]!), a.brin6, '2024-2025'), 'FORBIDDEN');
    expectRefused(await calendar(await system.token({ role: 'OPERATOR' }), '99ZZ00', '2024-2025'), 'NOT_FOUND');
    expectRefused(await calendar(a.token, a.brin6, '2024/2025'), 'BAD_USER_INPUT', 'schoolYear');
  });

  it('answers a resent calendar with the first answer, and refuses another under the same document id', async () => {
    const holidays = [{ startDate: '2027-08-01', endDate: '2027-08-27' }];
    const once = await setCalendar(a.token, '2027-2028', holidays, 'calendar-resent');
    const twice = await setCalendar(a.token, '2027-2028', holidays, 'calendar-resent');
    expect(twice.data).toEqual(once.data);
    expectRefused(await setCalendar(a.token, '2027-2028', [{ startDate: '2027-08-01', endDate: '2027-08-20' }], 'calendar-resent'), 'CONFLICT');
  });
});
