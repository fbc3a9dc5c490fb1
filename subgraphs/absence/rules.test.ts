import { describe, expect, it } from 'vitest';
import { roles, type Role } from '../../kernel/viewer.ts';
import {
  checkAbsence,
  checkAbsenceDays,
  checkDistinct,
  checkReportedPeriod,
  maxDayPartsPerCall,
  parseReportText,
  checkExemptionPeriod,
  checkReport,
  checkTransition,
  firstSixteenHours,
  nextCountFrom,
  overlaps,
  reportStatuses,
  thresholdSignal,
  type Absence,
  type DayPart,
  type EnrollmentFacts,
  type ReportFacts,
  type ReportStatus,
} from './rules.ts';
import { schoolCalendar, withoutHolidays, type Holiday, type RegionalHolidays } from './schoolCalendar.ts';
import { refusal } from '../../test/refusal.ts';

/** `hours` of unauthorised absence in one day part. */
const absent = (date: string, hours: number, dayPart: DayPart = 'MORNING'): Absence => ({ date, dayPart, hours });

/** 4 hours on four days from 1 to 10 September: 16 hours reached on the 10th. */
const sixteen = [absent('2026-09-01', 4), absent('2026-09-03', 4), absent('2026-09-07', 4), absent('2026-09-10', 4)];

/**
 * 10 hours on 1 September fall out of the window on the 29th, before 16 hours are reached; from
 * 20 September on, 4 + 4 + 8 hours reach 16 on 5 October. Counting the early 10 hours would reach
 * 18 on 29 September.
 */
const sliding = [
  absent('2026-09-01', 5, 'MORNING'),
  absent('2026-09-01', 5, 'AFTERNOON'),
  absent('2026-09-20', 4),
  absent('2026-09-29', 4),
  absent('2026-10-05', 4, 'MORNING'),
  absent('2026-10-05', 4, 'AFTERNOON'),
];

describe('firstSixteenHours (LPW art 21a: 16 hours within 4 weeks)', () => {
  it.each<[string, Absence[]]>([
    ['no absence', []],
    ['15.5 hours within 4 weeks', [absent('2026-09-01', 4), absent('2026-09-03', 4), absent('2026-09-07', 4), absent('2026-09-10', 3.5)]],
    ['15.75 hours on one day and the next', [absent('2026-09-01', 6, 'MORNING'), absent('2026-09-01', 6, 'AFTERNOON'), absent('2026-09-02', 3.75)]],
    [
      '8 hours on day 1 and 8 on day 29 (2026-09-01 and 2026-09-29)',
      [absent('2026-09-01', 4, 'MORNING'), absent('2026-09-01', 4, 'AFTERNOON'), absent('2026-09-29', 4, 'MORNING'), absent('2026-09-29', 4, 'AFTERNOON')],
    ],
    [
      '8 hours on day 1 and 8 on day 29, across a month end',
      [absent('2027-01-20', 4, 'MORNING'), absent('2027-01-20', 4, 'AFTERNOON'), absent('2027-02-17', 4, 'MORNING'), absent('2027-02-17', 4, 'AFTERNOON')],
    ],
    ['6 hours every 15 days', [absent('2026-09-01', 6), absent('2026-09-16', 6), absent('2026-10-01', 6), absent('2026-10-16', 6)]],
  ])('reaches nothing with %s', (_, absences) => {
    expect(firstSixteenHours(absences, withoutHolidays)).toBeNull();
  });

  it.each<[string, string, string, number, Absence[]]>([
    ['exactly 16 hours', '2026-09-01', '2026-09-10', 16, sixteen],
    ['the same, unsorted', '2026-09-01', '2026-09-10', 16, [...sixteen].reverse()],
    ['the same, shuffled', '2026-09-01', '2026-09-10', 16, [sixteen[2]!, sixteen[0]!, sixteen[3]!, sixteen[1]!]],
    [
      '8 hours on day 1 and 8 on day 28 (2026-09-01 and 2026-09-28)',
      '2026-09-01',
      '2026-09-28',
      16,
      [absent('2026-09-01', 4, 'MORNING'), absent('2026-09-01', 4, 'AFTERNOON'), absent('2026-09-28', 4, 'MORNING'), absent('2026-09-28', 4, 'AFTERNOON')],
    ],
    [
      '8 hours on day 1 and 8 on day 28, across a leap day',
      '2028-02-01',
      '2028-02-28',
      16,
      [absent('2028-02-01', 4, 'MORNING'), absent('2028-02-01', 4, 'AFTERNOON'), absent('2028-02-28', 4, 'MORNING'), absent('2028-02-28', 4, 'AFTERNOON')],
    ],
    [
      'two day parts of 5 on one day and 6 the next',
      '2026-09-01',
      '2026-09-02',
      16,
      [absent('2026-09-02', 6), absent('2026-09-01', 5, 'AFTERNOON'), absent('2026-09-01', 5, 'MORNING')],
    ],
    [
      'more than 16 on the day it is reached',
      '2026-09-01',
      '2026-09-08',
      18,
      [absent('2026-09-01', 6, 'MORNING'), absent('2026-09-01', 6, 'AFTERNOON'), absent('2026-09-08', 6)],
    ],
    ['early hours that fall out of the window first', '2026-09-20', '2026-10-05', 16, sliding],
    ['the same, unsorted', '2026-09-20', '2026-10-05', 16, [...sliding].reverse()],
    ['absence after the day it is reached', '2026-09-01', '2026-09-10', 16, [...sixteen, absent('2026-09-11', 6)]],
  ])('reaches 16 hours with %s: from %s, on %s, %d hours', (_, startDate, reachedOn, hours, absences) => {
    expect(firstSixteenHours(absences, withoutHolidays)).toEqual({ startDate, reachedOn, hours });
  });
});

/** The recommended holidays of region noord in 2024-2025 (data/schoolvakanties). */
const noord: RegionalHolidays = {
  region: 'noord',
  published: new Set(['2024-2025']),
  holidays: [
    { name: 'Herfstvakantie', startDate: '2024-10-26', endDate: '2024-11-03' },
    { name: 'Kerstvakantie', startDate: '2024-12-21', endDate: '2025-01-05' },
    { name: 'Voorjaarsvakantie', startDate: '2025-02-15', endDate: '2025-02-23' },
    { name: 'Meivakantie', startDate: '2025-04-26', endDate: '2025-05-04' },
    { name: 'Zomervakantie', startDate: '2025-07-12', endDate: '2025-08-24' },
  ],
};
const regionNoord = schoolCalendar(new Map(), noord);
/** A school in region noord with its own holidays for one school year. */
const ownCalendar = (schoolYear: string, holidays: Holiday[]) => schoolCalendar(new Map([[schoolYear, holidays]]), noord);
const eight = (date: string) => [absent(date, 4, 'MORNING'), absent(date, 4, 'AFTERNOON')];
const free = (startDate: string, endDate = startDate): Holiday => ({ name: null, startDate, endDate });

describe('firstSixteenHours in teaching weeks (LPW art 21a: "vier opeenvolgende lesweken")', () => {
  it('joins 8 hours on Monday 10 February 2025 and 8 on Friday 14 March across the spring holiday of region noord (issue 19, counter-example 1)', () => {
    const absences = [...eight('2025-02-10'), ...eight('2025-03-14')];
    expect(firstSixteenHours(absences, regionNoord)).toEqual({ startDate: '2025-02-10', reachedOn: '2025-03-14', hours: 16 });
    expect(firstSixteenHours(absences, withoutHolidays)).toBeNull();
  });

  it.each<[string, string, string, number]>([
    ['day 1 and day 28 of teaching time, the holiday week between', '2025-02-10', '2025-03-16', 16],
    ['the last school day before Christmas and the Friday three teaching weeks on', '2024-12-20', '2025-01-24', 16],
    ['the last school day before the summer and the first after it', '2025-07-11', '2025-08-25', 16],
  ])('joins %s (%s and %s)', (_, first, last, hours) => {
    expect(firstSixteenHours([...eight(first), ...eight(last)], regionNoord)).toEqual({ startDate: first, reachedOn: last, hours });
  });

  it.each<[string, string, string]>([
    ['day 1 and day 29 of teaching time, the holiday week between', '2025-02-10', '2025-03-17'],
    ['a Friday before Christmas and the Friday four teaching weeks on', '2024-12-13', '2025-01-24'],
  ])('does not join %s (%s and %s)', (_, first, last) => {
    expect(firstSixteenHours([...eight(first), ...eight(last)], regionNoord)).toBeNull();
  });

  it.each<[string, Holiday[]]>([
    ['one free day', [free('2025-02-17')]],
    ['four free days', [free('2025-02-17', '2025-02-20')]],
    ['a free Friday and the next Monday to Thursday', [free('2025-02-14', '2025-02-20')]],
  ])('counts a week with %s as a teaching week', (_, holidays) => {
    const calendar = ownCalendar('2024-2025', [free('2025-07-12', '2025-07-31'), ...holidays]);
    expect(firstSixteenHours([...eight('2025-02-10'), ...eight('2025-03-14')], calendar)).toBeNull();
  });

  it('skips a week whose five school days are free, its weekends not', () => {
    const calendar = ownCalendar('2024-2025', [free('2025-02-17', '2025-02-21')]);
    expect(firstSixteenHours([...eight('2025-02-10'), ...eight('2025-03-14')], calendar)?.reachedOn).toBe('2025-03-14');
  });

  it("replaces the region's holidays by the school's own for that school year", () => {
    const noSpringHoliday = ownCalendar('2024-2025', [free('2024-12-21', '2025-01-05'), free('2025-07-12', '2025-07-31')]);
    expect(firstSixteenHours([...eight('2025-02-10'), ...eight('2025-03-14')], noSpringHoliday)).toBeNull();
    const springInMarch = ownCalendar('2024-2025', [free('2025-03-01', '2025-03-09')]);
    expect(firstSixteenHours([...eight('2025-02-10'), ...eight('2025-03-14')], springInMarch)?.reachedOn).toBe('2025-03-14');
  });

  it("takes each school year's holidays from its own calendar across 1 August", () => {
    // 56 days from Friday 11 July to Friday 5 September 2025. By the region the summer holiday skips six
    // weeks (14 July to 24 August): 14 days of teaching time. The school's own 2025-2026 calendar ends
    // the summer on 10 August: four weeks skipped, 28 days, no longer within 4 teaching weeks.
    const absences = [...eight('2025-07-11'), ...eight('2025-09-05')];
    expect(firstSixteenHours(absences, regionNoord)?.reachedOn).toBe('2025-09-05');
    const ownSummer = ownCalendar('2025-2026', [free('2025-08-01', '2025-08-10'), free('2025-10-18', '2025-10-26')]);
    expect(firstSixteenHours(absences, ownSummer)).toBeNull();
  });

  it('counts a holiday week in which the school records absence as a teaching week: it had lessons', () => {
    const absences = [...eight('2025-02-10'), absent('2025-02-19', 1), ...eight('2025-03-14')];
    expect(firstSixteenHours(absences, regionNoord)).toBeNull();
    expect(firstSixteenHours([...eight('2025-02-10'), ...eight('2025-03-14')], regionNoord)).not.toBeNull();
  });

  it('proposes the report across the holiday week, which checkReport accepts without a warning', () => {
    const absences = [...eight('2025-02-10'), ...eight('2025-03-14')];
    const { reached, proposal } = thresholdSignal(absences, null, regionNoord);
    expect(reached).toEqual({ startDate: '2025-02-10', reachedOn: '2025-03-14', hours: 16 });
    const enrolled: EnrollmentFacts = { brin6: '00AA01', startDate: '2024-08-01', endDate: null };
    expect(checkReport(proposal!, enrolled, '00AA01', regionNoord)).toEqual([]);
    expect(checkReport(proposal!, enrolled, '00AA01', withoutHolidays)).toEqual([
      { code: 'NOT_WITHIN_FOUR_TEACHING_WEEKS', message: expect.stringContaining('do not add up to 16 hours within 4 consecutive teaching weeks') },
    ]);
  });
});

describe('checkAbsence', () => {
  it.each([0.25, 3.5, 6, 5.75])('accepts %d hours', (hours) => {
    expect(() => checkAbsence(absent('2026-09-01', hours), 'absences.0.hours')).not.toThrow();
  });

  it.each([0, -1, -0.25, 6.25, 7, 0.3, 1.1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d hours', (hours) => {
    refusal(() => checkAbsence(absent('2026-09-01', hours), 'absences.2.hours'), 'BAD_USER_INPUT', 'absences.2.hours', `${hours} hours on 2026-09-01`);
    refusal(() => checkAbsence(absent('2026-09-01', hours), 'hours'), 'BAD_USER_INPUT', 'hours', 'at most 6 hours per day part, in quarter hours');
  });
});

describe('checkDistinct', () => {
  it.each<[string, Absence[]]>([
    ['no day parts', []],
    ['the morning and the afternoon of one day', [absent('2026-09-01', 4, 'MORNING'), absent('2026-09-01', 2, 'AFTERNOON')]],
    ['the same day part of two days', [absent('2026-09-01', 4, 'MORNING'), absent('2026-09-02', 4, 'MORNING')]],
  ])('allows %s', (_, absences) => {
    expect(() => checkDistinct(absences, 'absences')).not.toThrow();
  });

  it.each<[string, Absence[], string]>([
    ['the same morning twice', [absent('2026-09-01', 4, 'MORNING'), absent('2026-09-01', 2, 'MORNING')], 'The morning of 2026-09-01 is given twice'],
    [
      'the same afternoon twice, apart',
      [absent('2026-09-02', 3, 'AFTERNOON'), absent('2026-09-01', 4, 'MORNING'), absent('2026-09-02', 3, 'AFTERNOON')],
      'The afternoon of 2026-09-02 is given twice',
    ],
  ])('refuses %s', (_, absences, says) => {
    refusal(() => checkDistinct(absences, 'items.1.absences'), 'BAD_USER_INPUT', 'items.1.absences', says);
  });
});

describe('checkReport (Besluit ROD art 13-14)', () => {
  const school = '00AA01';
  const enrollment: EnrollmentFacts = { brin6: school, startDate: '2026-08-24', endDate: '2027-07-31' };
  /** A 16-hour report that passes unless a test says otherwise. */
  const report = (overrides: Partial<ReportFacts> = {}): ReportFacts => ({
    kind: 'SIXTEEN_HOURS',
    startDate: '2026-09-01',
    endDate: '2026-09-10',
    absences: sixteen,
    ...overrides,
  });
  /** 16 hours reached on 10 September, the last absence on 14 September. */
  const further = [...sixteen, absent('2026-09-14', 2)];

  it.each<[string, ReportFacts, EnrollmentFacts]>([
    ['a 16-hour report ending the day the 16 hours are reached', report(), enrollment],
    [
      'a 16-hour report with more absence, ending the day the 16 hours are reached',
      report({ absences: [...sixteen, absent('2026-09-10', 1, 'AFTERNOON')] }),
      enrollment,
    ],
    ['a 16-hour report ending on the last day of absence', report({ endDate: '2026-09-14', absences: further }), enrollment],
    ['a 16-hour report starting before its first absence', report({ startDate: '2026-08-31' }), enrollment],
    ['a 16-hour report whose first hours fell out of the window', report({ startDate: '2026-09-01', endDate: '2026-10-05', absences: sliding }), enrollment],
    ['luxury absence without an end date', report({ kind: 'LUXURY', endDate: null, absences: [absent('2026-09-01', 4)] }), enrollment],
    ['other absence without an end date or day parts', report({ kind: 'OTHER', endDate: null, absences: [] }), enrollment],
    [
      'luxury absence with an end date',
      report({ kind: 'LUXURY', startDate: '2026-09-01', endDate: '2026-09-04', absences: [absent('2026-09-04', 3)] }),
      enrollment,
    ],
    ['other absence of one day, with an end date', report({ kind: 'OTHER', startDate: '2026-09-01', endDate: '2026-09-01', absences: [] }), enrollment],
    [
      'other absence over the whole enrollment, first and last day included',
      report({ kind: 'OTHER', startDate: '2026-08-24', endDate: '2027-07-31', absences: [absent('2026-08-24', 1), absent('2027-07-31', 1)] }),
      enrollment,
    ],
    ["luxury absence on the enrollment's first day", report({ kind: 'LUXURY', startDate: '2026-08-24', endDate: null, absences: [] }), enrollment],
    ["luxury absence on the enrollment's last day", report({ kind: 'LUXURY', startDate: '2027-07-31', endDate: null, absences: [] }), enrollment],
    [
      'other absence far ahead in an enrollment without end',
      report({ kind: 'OTHER', startDate: '2030-01-01', endDate: '2030-06-30', absences: [] }),
      { ...enrollment, endDate: null },
    ],
    ['long-term absence of 29 days', report({ kind: 'LONG_TERM', startDate: '2026-09-01', endDate: '2026-09-29', absences: [] }), enrollment],
    [
      'long-term absence of 29 days across a leap day',
      report({ kind: 'LONG_TERM', startDate: '2028-02-01', endDate: '2028-02-29', absences: [] }),
      { ...enrollment, endDate: null },
    ],
    ['long-term absence with day parts', report({ kind: 'LONG_TERM', startDate: '2026-09-01', endDate: '2026-12-18', absences: sixteen }), enrollment],
  ])('accepts %s', (_, facts, known) => {
    expect(checkReport(facts, known, school, withoutHolidays)).toEqual([]);
  });

  it.each<[string, ReportFacts, EnrollmentFacts, string, string, string]>([
    [
      'an enrollment at another school',
      report(),
      { ...enrollment, brin6: '00BB02' },
      'NOT_FOUND',
      'enrollmentId',
      'No enrollment of this learner is known to the asking school',
    ],
    [
      'a 16-hour report without an end date',
      report({ endDate: null }),
      enrollment,
      'BAD_USER_INPUT',
      'endDate',
      'A 16 hours in 4 weeks report needs an end date',
    ],
    [
      'long-term absence without an end date',
      report({ kind: 'LONG_TERM', endDate: null, absences: [] }),
      enrollment,
      'BAD_USER_INPUT',
      'endDate',
      'A long-term relative absence report needs an end date',
    ],
    [
      'an end date before the start date',
      report({ kind: 'LUXURY', startDate: '2026-09-10', endDate: '2026-09-09', absences: [] }),
      enrollment,
      'BAD_USER_INPUT',
      'endDate',
      'The end date 2026-09-09 is before the start date 2026-09-10',
    ],
    [
      'a period starting the day before the enrollment',
      report({ kind: 'LUXURY', startDate: '2026-08-23', endDate: '2026-08-28', absences: [] }),
      enrollment,
      'BAD_USER_INPUT',
      'startDate',
      "the report's period 2026-08-23 to 2026-08-28 is not within it",
    ],
    [
      'a period ending the day after the enrollment',
      report({ kind: 'OTHER', startDate: '2027-07-20', endDate: '2027-08-01', absences: [] }),
      enrollment,
      'BAD_USER_INPUT',
      'startDate',
      'from 2026-08-24 to 2027-07-31',
    ],
    [
      'a one-day report the day after the enrollment',
      report({ kind: 'LUXURY', startDate: '2027-08-01', endDate: null, absences: [] }),
      enrollment,
      'BAD_USER_INPUT',
      'startDate',
      "the report's period 2027-08-01 to 2027-08-01 is not within it",
    ],
    [
      'a period before an enrollment without end',
      report({ kind: 'OTHER', startDate: '2026-08-23', endDate: null, absences: [] }),
      { ...enrollment, endDate: null },
      'BAD_USER_INPUT',
      'startDate',
      'to no end date',
    ],
    [
      'a day part the day before the period',
      report({ kind: 'LUXURY', startDate: '2026-09-02', endDate: '2026-09-04', absences: [absent('2026-09-01', 2)] }),
      enrollment,
      'BAD_USER_INPUT',
      'absences',
      "Absence on 2026-09-01 lies outside the report's period 2026-09-02 to 2026-09-04",
    ],
    [
      'a day part the day after the period',
      report({ kind: 'LUXURY', startDate: '2026-09-02', endDate: '2026-09-04', absences: [absent('2026-09-05', 2)] }),
      enrollment,
      'BAD_USER_INPUT',
      'absences',
      'Absence on 2026-09-05',
    ],
    [
      'a day part after a one-day report without end date',
      report({ kind: 'OTHER', startDate: '2026-09-02', endDate: null, absences: [absent('2026-09-03', 2)] }),
      enrollment,
      'BAD_USER_INPUT',
      'absences',
      'period 2026-09-02 to 2026-09-02',
    ],
    [
      'a 16-hour report whose absence runs on past its end',
      report({ endDate: '2026-09-10', absences: further }),
      enrollment,
      'BAD_USER_INPUT',
      'absences',
      'Absence on 2026-09-14',
    ],
    [
      'a day part of 0.3 hours',
      report({ absences: [...sixteen, absent('2026-09-08', 0.3)] }),
      enrollment,
      'BAD_USER_INPUT',
      'absences.4.hours',
      '0.3 hours on 2026-09-08',
    ],
    [
      'a day part of 7 hours',
      report({ kind: 'LUXURY', absences: [absent('2026-09-02', 7)] }),
      enrollment,
      'BAD_USER_INPUT',
      'absences.0.hours',
      'at most 6 hours',
    ],
    [
      'a day part given twice',
      report({ absences: [...sixteen, absent('2026-09-10', 1)] }),
      enrollment,
      'BAD_USER_INPUT',
      'absences',
      'The morning of 2026-09-10 is given twice',
    ],
    [
      'a 16-hour report of 15.5 hours',
      report({ absences: [absent('2026-09-01', 4), absent('2026-09-03', 4), absent('2026-09-07', 4), absent('2026-09-10', 3.5)] }),
      enrollment,
      'BAD_USER_INPUT',
      'absences',
      'at least 16 hours of unauthorised absence; these day parts add up to 15.5',
    ],
    ['a 16-hour report without day parts', report({ absences: [] }), enrollment, 'BAD_USER_INPUT', 'absences', 'at least 16 hours'],
    [
      'a 16-hour report ending the day after its last absence',
      report({ endDate: '2026-09-15', absences: further }),
      enrollment,
      'BAD_USER_INPUT',
      'endDate',
      'its last day of absence (2026-09-14; the 16 hours were reached on 2026-09-10), not 2026-09-15',
    ],
    [
      'a 16-hour report ending weeks after its last absence',
      report({ endDate: '2026-09-30' }),
      enrollment,
      'BAD_USER_INPUT',
      'endDate',
      'its last day of absence (2026-09-10; the 16 hours were reached on 2026-09-10), not 2026-09-30',
    ],
    [
      'long-term absence of exactly 28 days',
      report({ kind: 'LONG_TERM', startDate: '2026-09-01', endDate: '2026-09-28', absences: [] }),
      enrollment,
      'BAD_USER_INPUT',
      'endDate',
      'Long-term absence lasts more than 4 weeks; 2026-09-01 to 2026-09-28 is 28 days',
    ],
    [
      'long-term absence of one day',
      report({ kind: 'LONG_TERM', startDate: '2026-09-01', endDate: '2026-09-01', absences: [] }),
      enrollment,
      'BAD_USER_INPUT',
      'endDate',
      'is 1 days',
    ],
    [
      'a 16-hour report of 12 hours over four weeks',
      report({ endDate: '2026-09-07', absences: [absent('2026-09-01', 4), absent('2026-09-03', 4), absent('2026-09-07', 4)] }),
      enrollment,
      'BAD_USER_INPUT',
      'absences',
      'these day parts add up to 12',
    ],
  ])('refuses %s', (_, facts, known, code, field, says) => {
    refusal(() => checkReport(facts, known, school, withoutHolidays), code, field, says);
  });
});

describe('thresholdSignal', () => {
  it.each<[string, string | null, Absence[]]>([
    ['no absence', null, []],
    ['15.5 hours', null, [absent('2026-09-01', 4), absent('2026-09-03', 4), absent('2026-09-07', 4), absent('2026-09-10', 3.5)]],
    [
      '20 hours before countFrom and 10 after',
      '2026-09-03',
      [
        absent('2026-09-01', 6, 'MORNING'),
        absent('2026-09-01', 6, 'AFTERNOON'),
        absent('2026-09-02', 6, 'MORNING'),
        absent('2026-09-02', 2, 'AFTERNOON'),
        absent('2026-09-03', 6),
        absent('2026-09-04', 4),
      ],
    ],
    ['16 hours, the first 4 of them the day before countFrom', '2026-09-02', sixteen],
  ])('proposes nothing with %s (counting from %s)', (_, countFrom, absences) => {
    expect(thresholdSignal(absences, countFrom, withoutHolidays)).toEqual({ reached: null, proposal: null });
  });

  it.each<[string, string | null, string, string, number, Absence[], Absence[]]>([
    ['exactly 16 hours', null, '2026-09-01', '2026-09-10', 16, sixteen, sixteen],
    [
      'exactly 16 hours, unsorted, with absence after the 10th',
      null,
      '2026-09-01',
      '2026-09-10',
      16,
      [absent('2026-09-11', 2), ...[...sixteen].reverse()],
      sixteen,
    ],
    ['16 hours from countFrom on, the first on countFrom itself', '2026-09-01', '2026-09-01', '2026-09-10', 16, sixteen, sixteen],
    [
      'early hours that fall out of the window, unsorted',
      null,
      '2026-09-20',
      '2026-10-05',
      16,
      [sliding[4]!, sliding[5]!, sliding[2]!, sliding[0]!, sliding[3]!, sliding[1]!],
      sliding.slice(2),
    ],
    [
      '16 hours after countFrom, with 20 before it',
      '2026-09-01',
      '2026-09-01',
      '2026-09-10',
      16,
      [absent('2026-08-31', 6, 'MORNING'), absent('2026-08-31', 6, 'AFTERNOON'), absent('2026-08-28', 6), absent('2026-08-28', 2, 'AFTERNOON'), ...sixteen],
      sixteen,
    ],
  ])('proposes a 16-hour report with %s (counting from %s): %s to %s, %d hours', (_, countFrom, startDate, reachedOn, hours, absences, inWindow) => {
    const { reached, proposal } = thresholdSignal(absences, countFrom, withoutHolidays);
    expect(reached).toEqual({ startDate, reachedOn, hours });
    expect(proposal).toEqual({ kind: 'SIXTEEN_HOURS', startDate, endDate: reachedOn, absences: inWindow });
  });

  it('proposes a report that checkReport accepts', () => {
    const { proposal } = thresholdSignal([absent('2026-10-20', 3), ...sliding], null, withoutHolidays);
    expect(checkReport(proposal!, { brin6: '00AA01', startDate: '2026-08-24', endDate: null }, '00AA01', withoutHolidays)).toEqual([]);
  });
});

describe('nextCountFrom', () => {
  it.each([
    ['2026-09-28', '2026-09-29'],
    ['2026-09-30', '2026-10-01'],
    ['2026-12-31', '2027-01-01'],
    ['2028-02-28', '2028-02-29'],
  ])('counts on after a report ending %s from %s', (endDate, countFrom) => {
    expect(nextCountFrom(endDate)).toBe(countFrom);
  });
});

describe('checkTransition (DUO statuses since 12 August 2020)', () => {
  const allowed: [ReportStatus, ReportStatus, Role][] = [
    ['REGISTERED', 'IN_TREATMENT', 'MUNICIPALITY'],
    ['REGISTERED', 'WITHDRAWN', 'VENDOR'],
    ['IN_TREATMENT', 'CLOSED', 'MUNICIPALITY'],
    ['IN_TREATMENT', 'ACKNOWLEDGED', 'MUNICIPALITY'],
  ];
  const isAllowed = (from: ReportStatus, to: ReportStatus) => allowed.some(([f, t]) => f === from && t === to);
  const finals: readonly ReportStatus[] = ['CLOSED', 'ACKNOWLEDGED', 'WITHDRAWN'];
  const nextOf: Record<ReportStatus, string> = {
    REGISTERED: 'it can become IN_TREATMENT or WITHDRAWN',
    IN_TREATMENT: 'it can become CLOSED or ACKNOWLEDGED',
    CLOSED: 'it is final',
    ACKNOWLEDGED: 'it is final',
    WITHDRAWN: 'it is final',
  };
  const refused = reportStatuses.flatMap((from) => reportStatuses.filter((to) => !isAllowed(from, to)).map((to): [ReportStatus, ReportStatus] => [from, to]));

  it.each(allowed)('lets %s become %s by %s', (from, to, role) => {
    expect(() => checkTransition(from, to, role)).not.toThrow();
  });

  it.each(refused)('never lets %s become %s', (from, to) => {
    for (const role of roles)
      refusal(() => checkTransition(from, to, role), 'CONFLICT', 'status', `A report that is ${from} cannot become ${to}; ${nextOf[from]}`);
  });

  it.each(finals)('says a %s report is final', (from) => {
    for (const to of reportStatuses) refusal(() => checkTransition(from, to, 'OPERATOR'), 'CONFLICT', 'status', 'it is final');
  });

  it.each<[ReportStatus, ReportStatus, Role, string]>([
    ['REGISTERED', 'IN_TREATMENT', 'VENDOR', 'Only the municipality makes a REGISTERED report IN_TREATMENT'],
    ['REGISTERED', 'WITHDRAWN', 'MUNICIPALITY', 'Only the reporting school makes a REGISTERED report WITHDRAWN'],
    ['IN_TREATMENT', 'CLOSED', 'OPERATOR', 'Only the municipality makes a IN_TREATMENT report CLOSED'],
    ['IN_TREATMENT', 'ACKNOWLEDGED', 'VENDOR', 'Only the municipality'],
    ['REGISTERED', 'WITHDRAWN', 'BOARD', 'Only the reporting school'],
  ])('forbids %s to %s by %s', (from, to, role, says) => {
    refusal(() => checkTransition(from, to, role), 'FORBIDDEN', 'status', says);
  });

  it.each(allowed.flatMap(([from, to, by]) => roles.filter((role) => role !== by).map((role): [ReportStatus, ReportStatus, Role] => [from, to, role])))(
    'forbids %s to %s by %s, whose step it is not',
    (from, to, role) => {
      refusal(() => checkTransition(from, to, role), 'FORBIDDEN', 'status', 'Only the');
    },
  );
});

describe('checkExemptionPeriod', () => {
  it.each<[string, string | null]>([
    ['2026-09-01', null],
    ['2026-09-01', '2026-09-01'],
    ['2026-09-01', '2026-09-02'],
    ['2026-09-01', '2027-07-31'],
  ])('accepts %s to %s', (startDate, endDate) => {
    expect(() => checkExemptionPeriod(startDate, endDate)).not.toThrow();
  });

  it.each([
    ['2026-09-01', '2026-08-31'],
    ['2027-01-01', '2026-12-31'],
  ])('refuses %s to %s', (startDate, endDate) => {
    refusal(() => checkExemptionPeriod(startDate, endDate), 'BAD_USER_INPUT', 'endDate', `The end date ${endDate} is before the start date ${startDate}`);
  });
});

describe('overlaps', () => {
  type Span = { startDate: string; endDate: string | null };
  const span = (startDate: string, endDate: string | null): Span => ({ startDate, endDate });

  it.each<[string, boolean, Span, Span]>([
    ['touching on one day', true, span('2026-09-01', '2026-09-10'), span('2026-09-10', '2026-09-20')],
    ['one inside the other', true, span('2026-09-01', '2026-12-31'), span('2026-10-01', '2026-10-02')],
    ['the same single day', true, span('2026-09-01', '2026-09-01'), span('2026-09-01', '2026-09-01')],
    ['an open end reaching a later period', true, span('2026-09-01', null), span('2030-01-01', '2030-01-02')],
    ["an open end starting on the other's last day", true, span('2026-09-10', null), span('2026-09-01', '2026-09-10')],
    ['two open ends', true, span('2026-09-01', null), span('2030-01-01', null)],
    ['one day apart', false, span('2026-09-01', '2026-09-09'), span('2026-09-10', '2026-09-20')],
    ['an open end starting the day after the other', false, span('2026-09-11', null), span('2026-09-01', '2026-09-10')],
    ['across a year end, one day apart', false, span('2026-08-01', '2026-12-31'), span('2027-01-01', '2027-07-31')],
  ])('says of periods %s that they overlap: %s', (_, expected, a, b) => {
    expect(overlaps(a, b)).toBe(expected);
    expect(overlaps(b, a)).toBe(expected);
  });
});

describe('checkAbsenceDays (what one call sends: past absence, a bounded number and range)', () => {
  const today = '2026-12-06';
  const everyDayFrom = (first: string, days: number) =>
    Array.from({ length: days }, (_, i) => [absent(nextDays(first, i), 1, 'MORNING'), absent(nextDays(first, i), 1, 'AFTERNOON')]).flat();
  const nextDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

  it('accepts a school year of day parts up to today', () => {
    expect(() => checkAbsenceDays(everyDayFrom('2025-12-06', 366), today)).not.toThrow();
    expect(() => checkAbsenceDays([], today)).not.toThrow();
  });

  it.each<[string, Absence[], string]>([
    ['absence tomorrow', [absent('2026-12-07', 1)], 'after today'],
    ['absence in 2099', [absent('2026-12-01', 1), absent('2099-01-05', 1)], 'after today'],
    ['more than a year between the first and the last day part', [absent('2025-12-03', 1), absent('2026-12-04', 1)], 'at most 366 days'],
    ['more day parts than a school year holds', everyDayFrom('2022-12-06', 1500).slice(0, 3000), `At most ${maxDayPartsPerCall} day parts`],
  ])('refuses %s', (_name, absences, says) => {
    refusal(() => checkAbsenceDays(absences, today), 'BAD_USER_INPUT', 'absences', says);
  });
});

describe('checkReportedPeriod (absence is reported once it has happened)', () => {
  it('accepts a period ending today, or open and started', () => {
    expect(() => checkReportedPeriod('2026-11-01', '2026-12-06', '2026-12-06')).not.toThrow();
    expect(() => checkReportedPeriod('2026-12-06', null, '2026-12-06')).not.toThrow();
  });

  it.each([
    ['2026-12-07', null, 'startDate'],
    ['2026-11-01', '2026-12-07', 'endDate'],
    ['2099-01-01', '2099-02-01', 'startDate'],
  ])('refuses %s to %s, naming %s', (startDate, endDate, field) => {
    refusal(() => checkReportedPeriod(startDate, endDate, '2026-12-06'), 'BAD_USER_INPUT', field, 'after today');
  });
});

describe('parseReportText (Besluit ROD art 14, bounded as kernel/text.ts says)', () => {
  const contact = { name: ' M. de Boer ', role: 'Intern begeleider', phone: '+31 (0)591-123 456', email: 'm.deboer@school.example' };

  it('keeps the text trimmed, blanks as null, line breaks in remarks', () => {
    expect(parseReportText({ suspectedReason: 'Ziek gemeld?\r\nNiet bevestigd.', schoolAction: ' ', contact })).toEqual({
      suspectedReason: 'Ziek gemeld?\nNiet bevestigd.',
      schoolAction: null,
      contact: { ...contact, name: 'M. de Boer' },
    });
  });

  it.each([
    [{ contact: { name: ' ' } }, 'contact.name', 'needs a name'],
    [{ contact: { ...contact, phone: '0'.repeat(33) } }, 'contact.phone', 'at most 32'],
    [{ contact: { ...contact, email: `${'a'.repeat(250)}@x.nl` } }, 'contact.email', 'at most 254'],
    [{ contact: { ...contact, role: 'Leerkracht\u001b[31m' } }, 'contact.role', 'U+001B'],
    [{ contact, suspectedReason: 'x'.repeat(2001) }, 'suspectedReason', 'at most 2000'],
    [{ contact, schoolAction: 'Gebeld\u202Eleb' }, 'schoolAction', 'U+202E'],
  ])('refuses %j in %s', (input, field, says) => {
    refusal(() => parseReportText(input), 'BAD_USER_INPUT', field, says);
  });
});
