import { describe, expect, it } from 'vitest';
import { addDays } from '../../kernel/calendar.ts';
import { isGeneralHoliday } from '../../kernel/terms.ts';
import {
  activeOn,
  asRegisteredBy,
  assessedFor,
  assessLearner,
  birthDateFor,
  countDateFacts,
  countDateOf,
  countingEnrollment,
  currentCountDate,
  enrolledOn,
  explain,
  fundingYearOf,
  isCountDate,
  notFundableReasons,
  pupilOn,
  reasonsAgainst,
  registrationDeadline,
  type EnrollmentFacts,
  type NotFundableReason,
  type Period,
} from './rules.ts';

const countDate = '2027-02-01';
/** A learner who is 6 on the count date: old enough whatever the test looks at. */
const sixYearOld = '2020-09-15';
const open: Period = { startDate: null, endDate: null };

/** An enrollment that counts on 2027-02-01 unless a test says otherwise. */
function enrollment(overrides: Partial<EnrollmentFacts> = {}): EnrollmentFacts {
  return {
    id: 'e1',
    brin6: '16AH00',
    birthDate: sixYearOld,
    startDate: '2026-08-01',
    endDate: null,
    registeredOn: '2026-08-01',
    registeredAt: '2026-08-01T08:00:00.000Z',
    location: { ...open },
    offeredProgramme: { ...open },
    ...overrides,
  };
}

describe('count date and funding year (WPO art 118.1)', () => {
  it.each([
    [2027, '2027-02-01'],
    [2028, '2028-02-01'],
    [999, '0999-02-01'],
  ])('puts the count date of %i on %s', (year, day) => {
    expect(countDateOf(year)).toBe(day);
  });

  it.each([
    ['2027-02-01', true],
    ['2028-02-01', true],
    ['2027-01-31', false],
    ['2027-02-02', false],
    ['2027-01-02', false],
    ['2027-12-01', false],
  ])('says of %s that it is a count date: %s', (day, expected) => {
    expect(isCountDate(day)).toBe(expected);
  });

  it.each([
    ['2027-02-01', 2028],
    ['2028-02-01', 2029],
  ])('has the count date %s fund the year %i', (day, year) => {
    expect(fundingYearOf(day)).toBe(year);
  });
});

describe('registrationDeadline (Besluit bekostiging WPO 2022 art 7.2: within 4 weeks; Algemene termijnenwet art 1 and 5)', () => {
  it.each([
    ['2027-02-01', '2027-03-01', 'day 28 is a Monday'],
    ['2028-02-01', '2028-02-29', 'leap year: day 28 after 1 February is Tuesday 29 February'],
    ['2025-02-01', '2025-03-03', 'day 28 is Saturday 1 March: the term runs on to Monday'],
    ['2026-02-01', '2026-03-02', 'day 28 is Sunday 1 March: the term runs on to Monday'],
    ['2020-02-01', '2020-03-02', 'leap year: day 28 is Saturday 29 February: the term runs on to Monday 2 March'],
  ])('closes the window of %s on %s (%s)', (day, deadline) => {
    expect(registrationDeadline(day)).toBe(deadline);
  });

  it('is never moved by a holiday of Atw art 3 (1900 to 2400): day 28, or the Monday after it when that is a weekend day', () => {
    for (let year = 1900; year <= 2400; year++) {
      const countDate = countDateOf(year);
      const day28 = addDays(countDate, 28);
      const deadline = registrationDeadline(countDate);
      const weekday = new Date(`${day28}T00:00:00Z`).getUTCDay();
      expect(deadline).toBe(weekday === 6 ? addDays(day28, 2) : weekday === 0 ? addDays(day28, 1) : day28);
      expect(isGeneralHoliday(day28) || isGeneralHoliday(deadline)).toBe(false);
    }
  });
});

describe('currentCountDate', () => {
  it.each([
    ['2026-11-29', '2027-02-01', 'before the count date'],
    ['2027-02-01', '2027-02-01', 'on the count date'],
    ['2027-03-01', '2027-02-01', 'on the last day of the registration window'],
    ['2027-03-02', '2028-02-01', 'the day after the window closed'],
    ['2027-12-31', '2028-02-01', 'at the end of the year'],
    ['2028-02-29', '2028-02-01', 'on the last day of the window in a leap year'],
    ['2028-03-01', '2029-02-01', 'the day after the window closed in a leap year'],
    ['2025-03-01', '2025-02-01', 'on Saturday 1 March 2025, day 28, with the term running on'],
    ['2025-03-03', '2025-02-01', 'on Monday 3 March 2025, the last day of the window by the Atw'],
    ['2025-03-04', '2026-02-01', 'the day after the window closed in 2025'],
  ])('on %s works towards %s (%s)', (day, expected) => {
    expect(currentCountDate(day)).toBe(expected);
  });
});

describe('enrolledOn', () => {
  it.each<[string, string | null, boolean, string]>([
    ['2027-02-01', null, true, 'starts on the count date'],
    ['2027-02-02', null, false, 'starts the day after the count date'],
    ['2026-08-01', '2027-01-31', false, 'ended the day before the count date'],
    ['2026-08-01', '2027-02-01', true, 'ended on the count date'],
    ['2026-08-01', null, true, 'has no end'],
    ['2027-02-01', '2027-02-01', true, 'runs on the count date only'],
  ])('with start %s and end %s is enrolled on 2027-02-01: %s (%s)', (startDate, endDate, expected) => {
    expect(enrolledOn({ startDate, endDate }, countDate)).toBe(expected);
  });
});

describe('pupilOn (WPO art 39.1)', () => {
  it.each([
    ['2023-02-01', '2027-02-01', true, 'turns 4 on the day'],
    ['2023-02-02', '2027-02-01', false, 'turns 4 the day after'],
    ['2020-09-15', '2027-02-01', true, 'is 6'],
    ['2024-02-29', '2028-02-01', false, 'born 29 February, turns 4 on 2028-02-29'],
    ['2024-02-29', '2028-02-28', false, 'born 29 February, the day before the fourth birthday in a leap year'],
    ['2024-02-29', '2028-02-29', true, 'born 29 February, on the fourth birthday in a leap year'],
    ['2096-02-29', '2100-02-28', false, 'born 29 February, 2100 has no 29 February'],
    ['2096-02-29', '2100-03-01', true, 'born 29 February, turns 4 on 1 March 2100'],
  ])('has a child born %s a pupil on %s: %s (%s)', (birthDate, day, expected) => {
    expect(pupilOn(birthDate, day)).toBe(expected);
  });

  it('says a child born after the day is no pupil, without throwing', () => {
    expect(pupilOn('2027-02-02', countDate)).toBe(false);
  });
});

describe('activeOn (RIO periods)', () => {
  it.each<[string, boolean, Period | null]>([
    ['open at both ends', true, { startDate: null, endDate: null }],
    ['unknown to RIO (null)', false, null],
    ['starting on the count date', true, { startDate: '2027-02-01', endDate: null }],
    ['starting the day after the count date', false, { startDate: '2027-02-02', endDate: null }],
    ['ending on the count date', true, { startDate: null, endDate: '2027-02-01' }],
    ['ending the day before the count date', false, { startDate: null, endDate: '2027-01-31' }],
    ['running around the count date', true, { startDate: '2020-01-01', endDate: '2030-12-31' }],
  ])('calls a period %s active on 2027-02-01: %s', (_, expected, period) => {
    expect(activeOn(period, countDate)).toBe(expected);
  });
});

describe('assessedFor (school year 2026-08-01 to 2027-07-31)', () => {
  it.each<[string, string | null, boolean, string]>([
    ['2025-08-01', '2026-07-31', false, 'ended the day before the school year'],
    ['2025-08-01', '2026-08-01', true, 'ended on the first day of the school year'],
    ['2026-08-01', null, true, 'runs from the first day, open'],
    ['2027-07-31', null, true, 'starts on the last day of the school year'],
    ['2027-08-01', null, false, 'starts the day after the school year'],
    ['2026-09-01', '2026-12-31', true, 'ended before the count date within the school year'],
    ['2020-08-01', null, true, 'started years before, open'],
  ])('with start %s and end %s is assessed for 2027-02-01: %s (%s)', (startDate, endDate, expected) => {
    expect(assessedFor({ startDate, endDate }, countDate)).toBe(expected);
  });
});

describe('reasonsAgainst', () => {
  it('finds no reason against a fundable enrollment', () => {
    expect(reasonsAgainst(enrollment(), sixYearOld, countDate)).toEqual([]);
  });

  it.each<[string, NotFundableReason[], Partial<EnrollmentFacts>, string]>([
    ['registered before the count date', [], { registeredOn: '2026-08-01' }, sixYearOld],
    ['registered on the count date', [], { registeredOn: '2027-02-01' }, sixYearOld],
    ['registered on day 28 after the count date (2027-03-01)', [], { registeredOn: '2027-03-01' }, sixYearOld],
    ['registered on day 29 after the count date (2027-03-02)', ['LATE_REGISTRATION'], { registeredOn: '2027-03-02' }, sixYearOld],
    ['starting the day after the count date', ['NOT_ENROLLED_ON_COUNT_DATE'], { startDate: '2027-02-02' }, sixYearOld],
    ['ended the day before the count date', ['NOT_ENROLLED_ON_COUNT_DATE'], { endDate: '2027-01-31' }, sixYearOld],
    ['for a child who turns 4 the day after', ['UNDER_FOUR'], { startDate: '2027-01-15' }, '2023-02-02'],
    ['for a child born after the count date', ['UNDER_FOUR'], {}, '2027-02-02'],
    ['at a location that ended the day before', ['LOCATION_NOT_ACTIVE'], { location: { startDate: null, endDate: '2027-01-31' } }, sixYearOld],
    ['at a location RIO does not know', ['LOCATION_NOT_ACTIVE'], { location: null }, sixYearOld],
    [
      'in an offered programme starting the day after',
      ['OFFERED_PROGRAMME_NOT_ACTIVE'],
      { offeredProgramme: { startDate: '2027-02-02', endDate: null } },
      sixYearOld,
    ],
    ['in an offered programme RIO does not know', ['OFFERED_PROGRAMME_NOT_ACTIVE'], { offeredProgramme: null }, sixYearOld],
  ])('against an enrollment %s gives %j', (_, reasons, overrides, birthDate) => {
    expect(reasonsAgainst(enrollment(overrides), birthDate, countDate)).toEqual(reasons);
  });

  it('lets a registration on Monday 3 March 2025 count for 2025-02-01 and not one on Tuesday 4 March (Atw art 1: day 28 was a Saturday)', () => {
    const lastYear = { startDate: '2024-08-01' };
    expect(reasonsAgainst(enrollment({ ...lastYear, registeredOn: '2025-03-03' }), sixYearOld, '2025-02-01')).toEqual([]);
    expect(reasonsAgainst(enrollment({ ...lastYear, registeredOn: '2025-03-04' }), sixYearOld, '2025-02-01')).toEqual(['LATE_REGISTRATION']);
  });

  it('in a leap year lets a registration on 2028-02-29 count and not one on 2028-03-01', () => {
    expect(reasonsAgainst(enrollment({ registeredOn: '2028-02-29' }), sixYearOld, '2028-02-01')).toEqual([]);
    expect(reasonsAgainst(enrollment({ registeredOn: '2028-03-01' }), sixYearOld, '2028-02-01')).toEqual(['LATE_REGISTRATION']);
  });

  it('gives every own reason at once, in the order of notFundableReasons', () => {
    const everything = enrollment({ startDate: '2027-02-02', registeredOn: '2027-03-02', location: null, offeredProgramme: null });
    expect(reasonsAgainst(everything, '2027-02-02', countDate)).toEqual(notFundableReasons.filter((reason) => reason !== 'DOUBLE_ENROLLMENT'));
  });
});

describe('facts as registered by the deadline (Besluit bekostiging WPO 2022 art 7.2, docs/domain.md §5)', () => {
  /** An enrollment registered on `registeredOn` as `first`, then changed to the current state on `updatedOn`. */
  const changed = (first: Partial<EnrollmentFacts>, registeredOn: string, current: Partial<EnrollmentFacts>, updatedOn: string) => {
    const { id: _, brin6: __, registeredAt: ___, ...earlier } = enrollment({ ...first, registeredOn });
    return enrollment({ ...first, ...current, registeredOn, updatedOn, earlier: [{ ...earlier, updatedOn: registeredOn }] });
  };

  it('does not count a start moved before the count date after the deadline (registered 15 January to start 3 March, changed on 20 March to start 27 January)', () => {
    const moved = changed({ startDate: '2027-03-03' }, '2027-01-15', { startDate: '2027-01-27' }, '2027-03-20');
    expect(asRegisteredBy(moved, '2027-03-01')).toMatchObject({ startDate: '2027-03-03' });
    expect(reasonsAgainst(moved, sixYearOld, countDate)).toEqual(['NOT_ENROLLED_ON_COUNT_DATE']);
    expect(assessLearner(sixYearOld, [moved], countDate)).toEqual([{ enrollmentId: 'e1', reasons: ['NOT_ENROLLED_ON_COUNT_DATE'] }]);
  });

  it('counts the same change registered on the deadline', () => {
    const moved = changed({ startDate: '2027-03-03' }, '2027-01-15', { startDate: '2027-01-27' }, '2027-03-01');
    expect(reasonsAgainst(moved, sixYearOld, countDate)).toEqual([]);
  });

  it("stops counting an enrollment when an end date before the count date is registered after the deadline (the register's reading)", () => {
    const ended = changed({}, '2026-08-01', { endDate: '2027-01-20' }, '2027-03-10');
    expect(reasonsAgainst(ended, sixYearOld, countDate)).toEqual(['NOT_ENROLLED_ON_COUNT_DATE']);
  });

  it('takes the last state stored by the deadline, of several', () => {
    const twice = enrollment({
      startDate: '2027-01-27',
      registeredOn: '2027-01-10',
      updatedOn: '2027-03-20',
      earlier: [
        { ...enrollment({ startDate: '2027-03-03' }), updatedOn: '2027-01-10' },
        { ...enrollment({ startDate: '2027-01-05', location: null }), updatedOn: '2027-02-15' },
      ],
    });
    expect(asRegisteredBy(twice, '2027-03-01')).toMatchObject({ startDate: '2027-01-05', location: null });
    expect(reasonsAgainst(twice, sixYearOld, countDate)).toEqual(['LOCATION_NOT_ACTIVE']);
    expect(asRegisteredBy(twice, '2027-01-09')).toBeNull();
  });

  it('keeps assessing an enrollment whose start was moved out of the school year after the deadline, and says why it stopped counting', () => {
    const moved = changed({}, '2026-08-01', { startDate: '2027-08-01' }, '2027-03-10');
    expect(assessedFor(moved, countDate)).toBe(false);
    expect(assessLearner(sixYearOld, [moved], countDate)).toEqual([{ enrollmentId: 'e1', reasons: ['NOT_ENROLLED_ON_COUNT_DATE'] }]);
  });

  it('gives LATE_REGISTRATION to an enrollment first registered after the deadline, however it changed', () => {
    const late = changed({ startDate: '2027-03-03' }, '2027-03-02', { startDate: '2027-01-27' }, '2027-03-20');
    expect(reasonsAgainst(late, sixYearOld, countDate)).toEqual(['LATE_REGISTRATION']);
  });

  describe('with an extension under art 7.3 for school 16AH until 2027-03-12', () => {
    const facts = countDateFacts(countDate, new Map([['16AH', '2027-03-12']]));

    it('counts an enrollment at any vestiging of the school registered by then, and not one at another school', () => {
      expect(reasonsAgainst(enrollment({ brin6: '16AH00', registeredOn: '2027-03-12' }), sixYearOld, facts)).toEqual([]);
      expect(reasonsAgainst(enrollment({ brin6: '16AH01', registeredOn: '2027-03-12' }), sixYearOld, facts)).toEqual([]);
      expect(reasonsAgainst(enrollment({ brin6: '16AH00', registeredOn: '2027-03-13' }), sixYearOld, facts)).toEqual(['LATE_REGISTRATION']);
      expect(reasonsAgainst(enrollment({ brin6: '03WU00', registeredOn: '2027-03-02' }), sixYearOld, facts)).toEqual(['LATE_REGISTRATION']);
    });

    it('reads the facts as registered by the end of the extension', () => {
      const moved = changed({ startDate: '2027-03-03' }, '2027-01-15', { startDate: '2027-01-27' }, '2027-03-10');
      expect(reasonsAgainst(moved, sixYearOld, facts)).toEqual([]);
      expect(reasonsAgainst({ ...moved, brin6: '03WU00' }, sixYearOld, facts)).toEqual(['NOT_ENROLLED_ON_COUNT_DATE']);
    });
  });
});

describe('birthDateFor (the birth date the rules read)', () => {
  it('takes the registered birth date where the register has one, whatever the school delivered', () => {
    expect(birthDateFor('2020-01-01', enrollment({ birthDate: '2023-06-06' }))).toBe('2020-01-01');
  });

  it('takes the birth date delivered with the enrollment where the register has none', () => {
    expect(birthDateFor(null, enrollment({ birthDate: '2023-06-06' }))).toBe('2023-06-06');
  });

  it("reads each enrollment's own delivery for a learner without a registered birth date: one school's delivery never moves another's status", () => {
    const here = enrollment({ id: 'here', birthDate: sixYearOld, startDate: '2026-08-01' });
    const there = enrollment({ id: 'there', birthDate: '2023-06-06', startDate: '2026-09-01' });
    expect(assessLearner(null, [here, there], countDate)).toEqual([
      { enrollmentId: 'here', reasons: [] },
      { enrollmentId: 'there', reasons: ['UNDER_FOUR'] },
    ]);
    expect(assessLearner(sixYearOld, [here, there], countDate)).toEqual([
      { enrollmentId: 'here', reasons: ['DOUBLE_ENROLLMENT'] },
      { enrollmentId: 'there', reasons: [] },
    ]);
  });
});

describe('assessLearner', () => {
  it('finds no reason against a single fundable enrollment', () => {
    expect(assessLearner(sixYearOld, [enrollment()], countDate)).toEqual([{ enrollmentId: 'e1', reasons: [] }]);
  });

  it('assesses nothing for a learner without enrollments', () => {
    expect(assessLearner(sixYearOld, [], countDate)).toEqual([]);
  });

  it.each<[string, Partial<EnrollmentFacts>, Partial<EnrollmentFacts>]>([
    ['the later start counts', { startDate: '2026-08-01' }, { startDate: '2026-11-01' }],
    ['with the same start, the one registered first counts', { registeredAt: '2026-08-01T09:00:00.000Z' }, { registeredAt: '2026-08-01T08:00:00.000Z' }],
    ['with the same start and the same registeredAt, the lower id counts', { id: 'b' }, { id: 'a' }],
  ])('of two eligible enrollments, %s and the other is a DOUBLE_ENROLLMENT', (_, loserOverrides, winnerOverrides) => {
    const loser = enrollment({ id: 'loser', ...loserOverrides });
    const winner = enrollment({ id: 'winner', ...winnerOverrides });
    const expected = [
      { enrollmentId: loser.id, reasons: ['DOUBLE_ENROLLMENT'] },
      { enrollmentId: winner.id, reasons: [] },
    ];
    expect(assessLearner(sixYearOld, [loser, winner], countDate)).toEqual(expected);
    expect(assessLearner(sixYearOld, [winner, loser], countDate)).toEqual([...expected].reverse());
  });

  it('lets an ineligible enrollment neither take the count nor be a DOUBLE_ENROLLMENT', () => {
    const eligible = enrollment({ id: 'eligible', startDate: '2026-08-01' });
    const closedLocation = enrollment({ id: 'closed', startDate: '2026-11-01', location: { startDate: null, endDate: '2027-01-31' } });
    expect(assessLearner(sixYearOld, [closedLocation, eligible], countDate)).toEqual([
      { enrollmentId: 'closed', reasons: ['LOCATION_NOT_ACTIVE'] },
      { enrollmentId: 'eligible', reasons: [] },
    ]);
  });

  it('counts the new school when the old one ended its enrollment the day before the count date', () => {
    const old = enrollment({ id: 'old', endDate: '2027-01-31' });
    const moved = enrollment({ id: 'new', startDate: '2027-02-01', registeredOn: '2027-02-01' });
    expect(assessLearner(sixYearOld, [old, moved], countDate)).toEqual([
      { enrollmentId: 'old', reasons: ['NOT_ENROLLED_ON_COUNT_DATE'] },
      { enrollmentId: 'new', reasons: [] },
    ]);
  });

  it('leaves out an enrollment not assessed for the count date', () => {
    const lastYear = enrollment({ id: 'last-year', startDate: '2025-08-01', endDate: '2026-07-31' });
    const nextYear = enrollment({ id: 'next-year', startDate: '2027-08-01' });
    const current = enrollment({ id: 'current' });
    expect(assessLearner(sixYearOld, [lastYear, current, nextYear], countDate)).toEqual([{ enrollmentId: 'current', reasons: [] }]);
  });

  it('accumulates reasons in the order reasonsAgainst gives them (UNDER_FOUR, then LATE_REGISTRATION)', () => {
    const late = enrollment({ startDate: '2027-01-15', registeredOn: '2027-03-02' });
    expect(assessLearner('2023-02-02', [late], countDate)).toEqual([{ enrollmentId: 'e1', reasons: ['UNDER_FOUR', 'LATE_REGISTRATION'] }]);
  });
});

describe('countingEnrollment', () => {
  const candidates = [
    enrollment({ id: 'c', startDate: '2026-11-01', registeredAt: '2026-11-01T10:00:00.000Z' }),
    enrollment({ id: 'b', startDate: '2026-11-01', registeredAt: '2026-11-01T09:00:00.000Z' }),
    enrollment({ id: 'a', startDate: '2026-11-01', registeredAt: '2026-11-01T09:00:00.000Z' }),
    enrollment({ id: 'd', startDate: '2026-08-01', registeredAt: '2026-08-01T08:00:00.000Z' }),
  ];

  /** Every ordering of `items`. */
  function permutations<T>(items: readonly T[]): T[][] {
    if (items.length <= 1) return [[...items]];
    return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
  }

  it('picks none of no candidates', () => {
    expect(countingEnrollment([])).toBeUndefined();
  });

  it.each(permutations(candidates).map((order) => [order.map((candidate) => candidate.id).join(''), order] as const))(
    'picks a (latest start, registered first, lowest id) from the order %s',
    (_, order) => {
      expect(countingEnrollment(order)?.id).toBe('a');
    },
  );
});

describe('explain', () => {
  it('names funding year 2028 and the count date for a fundable enrollment', () => {
    const text = explain([], countDate, 'REGISTERED');
    expect(text).toContain('Counts for funding year 2028');
    expect(text).toContain('2027-02-01');
  });

  it.each<[NotFundableReason, string]>([
    ['NOT_ENROLLED_ON_COUNT_DATE', 'does not run on 2027-02-01'],
    ['UNDER_FOUR', 'not yet 4 on 2027-02-01'],
    ['LATE_REGISTRATION', 'after 2027-03-01'],
    ['LOCATION_NOT_ACTIVE', 'location in RIO is not active on 2027-02-01'],
    ['OFFERED_PROGRAMME_NOT_ACTIVE', 'offered programme in RIO is not active on 2027-02-01'],
    ['DOUBLE_ENROLLMENT', 'counts through another enrollment'],
  ])('for %s says it does not count for funding year 2028 and why ("%s")', (reason, says) => {
    const text = explain([reason], countDate, 'REGISTERED');
    expect(text).toContain('Does not count for funding year 2028');
    expect(text).toContain(says);
  });

  it('gives the sentence of every reason, in order', () => {
    const text = explain(['UNDER_FOUR', 'LATE_REGISTRATION'], countDate, 'REGISTERED');
    expect(text).toContain('not yet 4 on 2027-02-01');
    expect(text).toContain('after 2027-03-01');
    expect(text.indexOf('not yet 4')).toBeLessThan(text.indexOf('after 2027-03-01'));
  });

  it('says where the birth date came from: the person register, or the school where the register has none', () => {
    expect(explain([], countDate, 'REGISTERED')).toContain('by the birth date in the person register');
    expect(explain(['UNDER_FOUR'], countDate, 'DELIVERED')).toContain('not yet 4 on 2027-02-01 by the birth date the school delivered');
  });

  it("names the deadline run on by the Atw, and an extended one as the school's own", () => {
    expect(explain(['LATE_REGISTRATION'], '2025-02-01', 'REGISTERED')).toContain('after 2025-03-03, the end of the four weeks');
    expect(explain(['LATE_REGISTRATION'], countDate, 'REGISTERED', { day: '2027-03-12', extended: true })).toContain(
      'after 2027-03-12, the last day of the time the minister gave this school (Besluit bekostiging WPO 2022 art 7.3)',
    );
  });

  it('says which facts were read once the deadline has passed', () => {
    const deadline = { day: '2027-03-01', extended: false };
    expect(explain([], countDate, 'REGISTERED', deadline, '2027-03-01')).not.toContain('as the register held it');
    expect(explain(['NOT_ENROLLED_ON_COUNT_DATE'], countDate, 'REGISTERED', deadline, '2027-03-02')).toContain(
      'as the register held it at the end of 2027-03-01 and as it holds it now: a change registered after that day does not make it count',
    );
  });

  it('uses the leap-year deadline 2028-02-29 for the count date 2028-02-01', () => {
    const text = explain(['LATE_REGISTRATION'], '2028-02-01', 'REGISTERED');
    expect(text).toContain('funding year 2029');
    expect(text).toContain('after 2028-02-29');
  });
});
