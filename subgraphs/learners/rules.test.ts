import { describe, expect, it } from 'vitest';
import { isBsn, isOnderwijsnummer } from '../../kernel/ids/index.ts';
import {
  checkAdmissionAge,
  checkEndDate,
  checkGroup,
  checkNoOverlap,
  checkResult,
  checkSchoolEnrollmentNumber,
  checkSchoolYear,
  lastSchoolDayFor,
  municipalityForPostcode,
  onderwijsnummerFor,
  postcodeAreas,
  transfersFor,
  type EnrollmentSpan,
  checkEndOfSchoolYear,
  checkBirthDate,
  checkResultSchoolYear,
} from './rules.ts';
import { addDays, ageOn, birthdayAt, daysBetween, schoolYearOf } from '../../kernel/calendar.ts';
import { refusal } from '../../test/refusal.ts';

describe('days', () => {
  it.each([
    ['2024-02-28', 1, '2024-02-29'],
    ['2025-02-28', 1, '2025-03-01'],
    ['2025-01-01', -1, '2024-12-31'],
    ['2025-10-01', -28, '2025-09-03'],
    ['2025-10-01', 0, '2025-10-01'],
  ])('adds to %s %i days giving %s', (day, days, expected) => {
    expect(addDays(day, days)).toBe(expected);
    expect(daysBetween(day, expected)).toBe(days);
  });

  it.each(['2025-02-30', '2025-2-1', ''])('refuses to count from %j, which is not a day', (day) => {
    expect(() => addDays(day, 1)).toThrow(TypeError);
    expect(() => schoolYearOf(day)).toThrow(TypeError);
  });

  it.each([
    ['2025-07-31', '2024-08-01', '2025-07-31', '2024-2025'],
    ['2025-08-01', '2025-08-01', '2026-07-31', '2025-2026'],
    ['2026-01-01', '2025-08-01', '2026-07-31', '2025-2026'],
    ['2025-12-31', '2025-08-01', '2026-07-31', '2025-2026'],
  ])('places %s in the school year from %s to %s (%s)', (day, start, end, label) => {
    expect(schoolYearOf(day)).toEqual({ start, end, label });
  });
});

describe('ageOn', () => {
  it.each([
    ['2021-09-15', '2025-09-14', 3],
    ['2021-09-15', '2025-09-15', 4],
    ['2021-09-15', '2021-09-15', 0],
    // Born 29 February: a year older on 1 March when the year has no 29 February.
    ['2020-02-29', '2021-02-28', 0],
    ['2020-02-29', '2021-03-01', 1],
    ['2020-02-29', '2024-02-28', 3],
    ['2020-02-29', '2024-02-29', 4],
  ])('gives a child born %s on %s the age %i', (birthDate, day, age) => {
    expect(ageOn(birthDate, day)).toBe(age);
  });

  it('refuses a day before the birth', () => {
    expect(() => ageOn('2021-09-15', '2021-09-14')).toThrow(RangeError);
  });

  it.each([
    ['2020-02-29', 1, '2021-03-01'],
    ['2020-02-29', 4, '2024-02-29'],
    ['2096-02-29', 4, '2100-03-01'], // 2100 is no leap year
    ['2021-09-15', 4, '2025-09-15'],
  ])('has a child born %s reach %i on %s', (birthDate, age, day) => {
    expect(birthdayAt(birthDate, age)).toBe(day);
    expect(ageOn(birthDate, day)).toBe(age);
    expect(ageOn(birthDate, addDays(day, -1))).toBe(age - 1);
  });
});

describe('lastSchoolDayFor (WPO art 39.4)', () => {
  it.each([
    ['2012-01-15', '2026-07-31'],
    ['2012-07-31', '2026-07-31'], // turns 14 on the last day of a school year
    ['2012-08-01', '2027-07-31'], // turns 14 on the first day of the next
    ['2012-02-29', '2026-07-31'], // turns 14 on 1 March 2026
  ])('lets a child born %s attend until %s', (birthDate, lastDay) => {
    expect(lastSchoolDayFor(birthDate)).toBe(lastDay);
  });
});

describe('checkAdmissionAge (WPO art 39)', () => {
  it.each([
    ['2021-09-15', '2025-09-15', 'on the 4th birthday'],
    ['2021-09-15', '2025-09-16', 'after the 4th birthday'],
    ['2016-02-29', '2020-02-29', 'on a 29 February 4th birthday'],
    ['2096-02-29', '2100-03-01', 'on 1 March when the 4th year has no 29 February'],
    ['2012-01-15', '2026-07-31', 'on the last day of the school year in which the child turns 14'],
  ])('admits a child born %s starting %s (%s)', (birthDate, startDate) => {
    expect(() => checkAdmissionAge(birthDate, startDate)).not.toThrow();
  });

  it.each([
    ['2021-09-15', '2025-09-14', 'The child turns 4 on 2025-09-15'],
    ['2021-09-15', '2025-08-01', 'The child turns 4 on 2025-09-15'],
    ['2096-02-29', '2100-02-28', 'The child turns 4 on 2100-03-01'],
  ])('refuses a child born %s starting %s, before turning 4 (39.1, 39.3)', (birthDate, startDate, says) => {
    refusal(() => checkAdmissionAge(birthDate, startDate), 'BAD_USER_INPUT', 'startDate', says);
    refusal(() => checkAdmissionAge(birthDate, startDate), 'BAD_USER_INPUT', 'startDate', 'is not a learner');
  });

  it('refuses a start the day after the school year in which the child turns 14 ends (39.4)', () => {
    refusal(() => checkAdmissionAge('2012-01-15', '2026-08-01'), 'BAD_USER_INPUT', 'startDate', 'for this child 2026-07-31');
  });

  it('names the field it is given', () => {
    refusal(() => checkAdmissionAge('2021-09-15', '2025-09-14', 'items.3.startDate'), 'BAD_USER_INPUT', 'items.3.startDate', 'turns 4');
  });
});

describe('checkEndDate', () => {
  it.each([
    ['2025-08-01', '2025-08-01', 'on the start date: a one-day enrollment'],
    ['2025-08-01', '2026-07-31', 'after the start date'],
    ['2025-08-01', '2026-07-31', 'on the last day the learner may attend'],
  ])('accepts a start %s and end %s (%s)', (startDate, endDate) => {
    expect(() => checkEndDate(startDate, endDate, '2012-01-15')).not.toThrow();
  });

  it('refuses an end before the start', () => {
    refusal(() => checkEndDate('2025-08-01', '2025-07-31', '2012-01-15'), 'BAD_USER_INPUT', 'endDate', 'is before the start date 2025-08-01');
  });

  it('refuses an end after the school year in which the learner turns 14 (WPO art 39.4)', () => {
    refusal(() => checkEndDate('2025-08-01', '2026-08-01', '2012-01-15'), 'BAD_USER_INPUT', 'endDate', 'for this child 2026-07-31');
  });
});

describe('checkNoOverlap', () => {
  const existing: EnrollmentSpan[] = [
    { id: 'e1', brin6: '16AH00', startDate: '2024-08-01', endDate: '2025-07-31' },
    { id: 'e2', brin6: '16AH00', startDate: '2026-08-01', endDate: null },
  ];

  it.each<[string, EnrollmentSpan]>([
    ['ends the day before another starts', { brin6: '16AH00', startDate: '2023-08-01', endDate: '2024-07-31' }],
    ['starts the day after another ends', { brin6: '16AH00', startDate: '2025-08-01', endDate: '2026-07-31' }],
    ['is at another school', { brin6: '32JK00', startDate: '2024-09-01', endDate: null }],
    ['changes an enrollment over its own old period', { id: 'e1', brin6: '16AH00', startDate: '2024-09-01', endDate: '2025-06-30' }],
  ])('accepts an enrollment that %s', (_, candidate) => {
    expect(() => checkNoOverlap(candidate, existing)).not.toThrow();
  });

  it.each<[string, EnrollmentSpan, string]>([
    ['ends the day another starts', { brin6: '16AH00', startDate: '2023-08-01', endDate: '2024-08-01' }, 'from 2024-08-01 to 2025-07-31 (enrollment e1)'],
    ['starts the day another ends', { brin6: '16AH00', startDate: '2025-07-31', endDate: null }, 'from 2024-08-01 to 2025-07-31 (enrollment e1)'],
    ['lies within another', { brin6: '16AH00', startDate: '2024-09-01', endDate: '2024-09-30' }, 'enrollment e1'],
    ['runs into an open one', { brin6: '16AH00', startDate: '2026-01-01', endDate: '2026-12-31' }, 'from 2026-08-01 to no end date (enrollment e2)'],
    ['is open and starts after an open one', { id: 'e9', brin6: '16AH00', startDate: '2030-01-01', endDate: null }, 'enrollment e2'],
  ])('refuses an enrollment that %s, as a CONFLICT naming it', (_, candidate, says) => {
    refusal(() => checkNoOverlap(candidate, existing), 'CONFLICT', 'startDate', says);
  });
});

describe('checkGroup (Besluit ROD art 6.1)', () => {
  it.each([1, 4, 8])('accepts group %d', (group) => {
    expect(checkGroup(group)).toBe(group);
  });

  it.each([0, 9, 1.5, -1, Number.NaN])('refuses group %d', (group) => {
    refusal(() => checkGroup(group), 'BAD_USER_INPUT', 'group', 'from 1 to 8');
  });
});

describe('checkSchoolEnrollmentNumber', () => {
  it.each([
    [' A123 ', 'A123'],
    ['7', '7'],
    ['abcdefghij0123456789', 'abcdefghij0123456789'],
  ])('accepts %j as %j', (value, number) => {
    expect(checkSchoolEnrollmentNumber(value)).toBe(number);
  });

  it.each(['', '   ', 'abcdefghij0123456789X', 'A-12', 'A 12', 'é1'])('refuses %j', (value) => {
    refusal(() => checkSchoolEnrollmentNumber(value), 'BAD_USER_INPUT', 'schoolEnrollmentNumber', '1 to 20 letters or digits');
  });
});

describe('checkSchoolYear', () => {
  it.each(['2025-2026', '1999-2000'])('accepts %s', (label) => {
    expect(checkSchoolYear(label)).toBe(label);
  });

  it.each(['2025-2027', '2025-2025', '2025/2026', '25-26', ' 2025-2026'])('refuses %j', (label) => {
    refusal(() => checkSchoolYear(label), 'BAD_USER_INPUT', 'schoolYear', 'two consecutive years');
  });
});

describe('checkResult (Besluit ROD art 7.1)', () => {
  it.each([
    [{ testLevel: 'HAVO' }],
    [{ testLevel: 'HAVO', noTestReason: null }],
    [{ noTestReason: 'ILLNESS' }],
    [{ testLevel: undefined, noTestReason: 'NEWCOMER' }],
  ])('accepts %j, which gives exactly one', (result) => {
    expect(() => checkResult(result)).not.toThrow();
  });

  it.each([
    [{}, 'testLevel', 'or the reason'],
    [{ testLevel: null, noTestReason: null }, 'testLevel', 'or the reason'],
    [{ testLevel: 'HAVO', noTestReason: 'ILLNESS' }, 'noTestReason', 'not both'],
  ])('refuses %j', (result, field, says) => {
    refusal(() => checkResult(result), 'BAD_USER_INPUT', field, says);
  });
});

describe('transfersFor (Besluit bekostiging WPO 2022 art 10.2, from receipt)', () => {
  const newEnrollment = { brin6: '32JK00', startDate: '2025-10-01' };
  const other = (id: string, brin6: string, startDate: string, endDate: string | null) => ({ id, brin6, startDate, endDate });
  const required = (enrollmentId: string, proposedEndDate = '2025-09-30') => ({
    enrollmentId,
    proposedEndDate,
    endRequired: true,
    endRequiredReason: expect.any(String),
  });

  it.each([
    ['is open at another school', other('open', '16AH00', '2024-08-01', null), '2026-12-07'],
    ['ended 28 days before the notice, the last day of four weeks', other('ended28', '16AH00', '2024-08-01', '2025-09-03'), '2025-10-01'],
    ['ended the day before the new start', other('ended1', '16AH00', '2024-08-01', '2025-09-30'), '2025-10-01'],
    ['ends after the new start', other('later', '16AH00', '2024-08-01', '2025-12-31'), '2025-10-01'],
    ['ended long before the new start, the notice registered ahead', other('ahead', '16AH00', '2024-08-01', '2025-06-30'), '2025-07-14'],
  ])('requires the old school to end an enrollment that %s, the day before the new start', (_, old, receivedOn) => {
    expect(transfersFor(newEnrollment, [old], receivedOn)).toEqual([required(old.id)]);
  });

  it.each([
    ['ended 29 days before the notice', other('ended29', '16AH00', '2024-08-01', '2025-09-02'), '2025-10-01'],
    ['ended long before', other('ended', '16AH00', '2023-08-01', '2024-07-31'), '2025-10-01'],
    ['is at the same school', other('same', '32JK00', '2024-08-01', null), '2025-10-01'],
    ['is at another vestiging of the same school: a change of vestiging', other('vestiging', '32JK01', '2024-08-01', null), '2025-10-01'],
    ['ended the day before, at another vestiging of the same school', other('vestigingEnded', '32JK01', '2024-08-01', '2025-09-30'), '2025-10-01'],
    ['starts the same day as the new one', other('sameDay', '16AH00', '2025-10-01', null), '2025-10-01'],
    ['starts after the new one', other('after', '16AH00', '2026-08-01', null), '2025-10-01'],
  ])('tells no one of an enrollment that %s', (_, old, receivedOn) => {
    expect(transfersFor(newEnrollment, [old], receivedOn)).toEqual([]);
  });

  // Issue 19, counter-example 6: the four weeks run from the pupil's last day to the notice's receipt, not to the new start.
  it('ended 7 March, new start 10 March registered 1 May: no duty, and nothing to change, so no notice', () => {
    const old = other('old', '16AH00', '2024-08-01', '2025-03-07');
    expect(transfersFor({ brin6: '32JK00', startDate: '2025-03-10' }, [old], '2025-05-01')).toEqual([]);
  });

  it('ended 7 March, new start 14 April registered 20 March: the old school must end on 13 April', () => {
    const old = other('old', '16AH00', '2024-08-01', '2025-03-07');
    const [notice] = transfersFor({ brin6: '32JK00', startDate: '2025-04-14' }, [old], '2025-03-20');
    expect(notice).toEqual(required('old', '2025-04-13'));
    expect(notice!.endRequiredReason).toBe(
      "The notice was received on 2025-03-20 and the four weeks after the learner's last day there, 2025-03-07, run to 2025-04-04: the school changes the end date to 2025-04-13, the day before the new start (Besluit bekostiging WPO 2022 art 10.2).",
    );
  });

  it('tells the old school of an overlap that came too late for the duty, saying the end need not change', () => {
    const old = other('old', '16AH00', '2024-08-01', '2025-04-30');
    const [notice] = transfersFor({ brin6: '32JK00', startDate: '2025-03-10' }, [old], '2025-06-02');
    expect(notice).toEqual({ enrollmentId: 'old', proposedEndDate: '2025-03-09', endRequired: false, endRequiredReason: expect.any(String) });
    expect(notice!.endRequiredReason).toBe(
      "The notice was received on 2025-06-02, after the four weeks after the learner's last day there, 2025-04-30, run to 2025-05-28: the end date need not change (Besluit bekostiging WPO 2022 art 10.2), but the enrollment overlaps the new one from 2025-03-10, so the learner is registered at two schools at once.",
    );
  });

  it('runs the four weeks on to the next working day by the Algemene termijnenwet (art 1, 3)', () => {
    // Last day Friday 7 February 2025: the 28th day after it is Friday 7 March, a working day.
    const start = { brin6: '32JK00', startDate: '2025-04-01' };
    expect(transfersFor(start, [other('old', '16AH00', '2024-08-01', '2025-02-07')], '2025-03-07')).toEqual([required('old', '2025-03-31')]);
    expect(transfersFor(start, [other('old', '16AH00', '2024-08-01', '2025-02-07')], '2025-03-10')).toEqual([]);
    // Last day Saturday 1 February 2025: four weeks end on Saturday 1 March, which runs on to Monday 3 March.
    expect(transfersFor(start, [other('old', '16AH00', '2024-08-01', '2025-02-01')], '2025-03-03')).toEqual([required('old', '2025-03-31')]);
    expect(transfersFor(start, [other('old', '16AH00', '2024-08-01', '2025-02-01')], '2025-03-04')).toEqual([]);
    // Last day Monday 24 March 2025: the 28th day after it is Easter Monday, 21 April; the term runs to Tuesday 22 April.
    const later = { brin6: '32JK00', startDate: '2025-05-01' };
    expect(transfersFor(later, [other('old', '16AH00', '2024-08-01', '2025-03-24')], '2025-04-22')).toEqual([required('old', '2025-04-30')]);
    expect(transfersFor(later, [other('old', '16AH00', '2024-08-01', '2025-03-24')], '2025-04-23')).toEqual([]);
  });

  it('gives one notice per enrollment to notify, in the order given', () => {
    const others = [other('a', '16AH00', '2024-08-01', null), other('b', '16AH00', '2020-08-01', '2021-07-31'), other('c', '04XY01', '2025-08-01', null)];
    expect(transfersFor(newEnrollment, others, '2025-10-01').map((notice) => notice.enrollmentId)).toEqual(['a', 'c']);
  });
});

describe('onderwijsnummer assignment', () => {
  it.each([
    [0, '100000004'], // S8 = 9, 9 mod 11 = 9 = 4 + 5 (docs/domain.md §3's own example)
    [4, '100000041'], // S8 = 9 + 2·4 = 17, 17 mod 11 = 6 = 1 + 5
    [5, '100000053'], // S8 = 19, 19 mod 11 = 8 = 3 + 5
    [122233, '101222331'], // docs/domain.md §3's other example
  ])('gives serial %i the number %s', (serial, number) => {
    expect(onderwijsnummerFor(serial)).toBe(number);
    expect(isOnderwijsnummer(number)).toBe(true);
    expect(isBsn(number)).toBe(false);
  });

  it.each([1, 2, 3])('gives serial %i no number: no check digit 0 to 9 satisfies the rule', (serial) => {
    expect(onderwijsnummerFor(serial)).toBeNull();
    const prefix = `10${String(serial).padStart(6, '0')}`;
    for (let digit = 0; digit <= 9; digit++) expect(isOnderwijsnummer(`${prefix}${digit}`)).toBe(false);
  });

  it.each([-1, 1_000_000, 2.5])('refuses serial %d, outside 0 to 999999', (serial) => {
    expect(() => onderwijsnummerFor(serial)).toThrow(RangeError);
  });

  it('gives only valid onderwijsnummers, never a BSN, for serials 0 to 5000 and the last ones', () => {
    const serials = [...Array.from({ length: 5001 }, (_, serial) => serial), ...Array.from({ length: 100 }, (_, i) => 999_900 + i)];
    let issued = 0;
    for (const serial of serials) {
      const number = onderwijsnummerFor(serial);
      if (number === null) continue;
      issued += 1;
      expect(number).toMatch(/^10\d{6}[0-5]$/);
      expect(number.slice(2, 8)).toBe(String(serial).padStart(6, '0'));
      expect(isOnderwijsnummer(number)).toBe(true);
      expect(isBsn(number)).toBe(false);
    }
    // Remainders 5..10 of 11 give a number: about 6 serials in 11.
    expect(issued / serials.length).toBeGreaterThan(0.5);
    expect(issued / serials.length).toBeLessThan(0.6);
  });
});

describe('municipality from postcode', () => {
  // School postcodes as DUO's school file pairs them with municipalities (0114 Emmen, 0109 Coevorden, 0106 Assen).
  const areas = postcodeAreas([
    { postcode: '7822HG', municipalityCode: '0114' },
    { postcode: '7822 HA', municipalityCode: '114' },
    { postcode: '7822HK', municipalityCode: '0109' },
    { postcode: '7811AB', municipalityCode: '0114' },
    { postcode: '7741CD', municipalityCode: '0109' },
    { postcode: '9401EF', municipalityCode: '0106' },
    { postcode: 'not a postcode', municipalityCode: '0106' },
    { postcode: '9999ZZ', municipalityCode: '0' },
  ]);

  it('builds a sorted table with one municipality per PC4, the one most of its schools report', () => {
    expect(areas).toEqual({ pc4s: [7741, 7811, 7822, 9401], municipalityCodes: ['0109', '0114', '0114', '0106'] });
  });

  it("breaks a tie among a PC4's schools by the lowest municipality code", () => {
    const split = postcodeAreas([
      { postcode: '7822HG', municipalityCode: '0114' },
      { postcode: '7822HK', municipalityCode: '0109' },
    ]);
    expect(split.municipalityCodes).toEqual(['0109']);
  });

  it.each([
    ['7822 HG', '0114', 'the PC4 itself has a school'],
    ['7822ab', '0114', 'the PC4 itself has a school, written loosely'],
    ['7823AA', '0114', 'the nearest PC4 with a school is 7822'],
    ['7745AA', '0109', 'the nearest PC4 with a school is 7741'],
    ['7776AA', '0109', '7776 lies 35 from 7741 and 35 from 7811: a tie goes to the lower'],
    ['7777AA', '0114', '7777 lies 34 from 7811'],
    ['1011AB', '0109', 'below the lowest PC4 the lowest one counts'],
    ['9999AA', '0106', 'above the highest PC4 the highest one counts'],
  ])('places %s in %s: %s', (postcode, municipality) => {
    expect(municipalityForPostcode(postcode, areas)).toBe(municipality);
  });

  it('knows no municipality when the table is empty', () => {
    expect(municipalityForPostcode('7822HG', postcodeAreas([]))).toBeNull();
  });

  it('refuses a postcode that is not one', () => {
    refusal(() => municipalityForPostcode('0822HG', areas), 'BAD_USER_INPUT', 'postcode', 'must be 4 digits');
  });

  it('agrees with a linear search for every PC4', () => {
    const linear = (pc4: number) => {
      let best = 0;
      areas.pc4s.forEach((candidate, index) => {
        if (Math.abs(candidate - pc4) < Math.abs(areas.pc4s[best]! - pc4)) best = index;
      });
      return areas.municipalityCodes[best];
    };
    for (let pc4 = 1000; pc4 <= 9999; pc4++) expect(municipalityForPostcode(`${pc4}AA`, areas)).toBe(linear(pc4));
  });
});

describe('checkEndOfSchoolYear', () => {
  it.each([
    ['END_OF_PRIMARY_EDUCATION', '2025-07-31'],
    ['TRANSFER', '2025-03-14'],
    ['MOVED_ABROAD', '2025-07-11'],
  ])('accepts %s ending on %s', (reason, endDate) => {
    expect(() => checkEndOfSchoolYear(reason, endDate)).not.toThrow();
  });

  it.each(['2025-07-11', '2025-08-01', '2025-06-30'])('refuses leaving primary education on %s, which is not 31 July', (endDate) => {
    expect(() => checkEndOfSchoolYear('END_OF_PRIMARY_EDUCATION', endDate)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'endDate' }));
  });
});

describe('checkBirthDate (plausible for a po learner: WPO art 39, with a margin)', () => {
  const today = '2026-12-06';

  it.each(['2026-12-06', '2022-03-01', '2001-12-06'])('accepts %s', (birthDate) => {
    expect(checkBirthDate(birthDate, today)).toBe(birthDate);
  });

  it.each([
    ['2026-12-07', 'after today'],
    ['2099-01-01', 'after today'],
    ['2001-12-05', 'more than 25 years ago'],
    ['1900-01-01', 'more than 25 years ago'],
  ])('refuses %s: %s', (birthDate, says) => {
    refusal(() => checkBirthDate(birthDate, today, 'learner.birthDate'), 'BAD_USER_INPUT', 'learner.birthDate', says);
  });
});

describe('checkResultSchoolYear (Besluit ROD art 7.1: a result of a school year of the enrollment)', () => {
  const today = '2026-12-06';
  const birthDate = '2014-03-01';

  it.each([
    ['2025-2026', { startDate: '2020-08-01', endDate: null }],
    ['2026-2027', { startDate: '2020-08-01', endDate: null }],
    ['2020-2021', { startDate: '2021-07-31', endDate: '2026-07-31' }],
    ['2025-2026', { startDate: '2018-08-01', endDate: '2025-08-01' }],
  ])('accepts %s for an enrollment %j', (label, enrollment) => {
    expect(() => checkResultSchoolYear(label, enrollment, birthDate, today)).not.toThrow();
  });

  it.each([
    ['2027-2028', { startDate: '2020-08-01', endDate: null }, 'has not begun'],
    ['2099-2100', { startDate: '2020-08-01', endDate: null }, 'has not begun'],
    ['2019-2020', { startDate: '2020-08-01', endDate: null }, 'not within it'],
    ['2024-2025', { startDate: '2020-08-01', endDate: '2024-07-31' }, 'not within it'],
  ])('refuses %s for an enrollment %j: %s', (label, enrollment, says) => {
    refusal(() => checkResultSchoolYear(label, enrollment, birthDate, today), 'BAD_USER_INPUT', 'schoolYear', says);
  });

  it('takes the end of an open enrollment as the last school day of the learner (WPO art 39.4)', () => {
    refusal(
      () => checkResultSchoolYear('2028-2029', { startDate: '2018-08-01', endDate: null }, '2014-03-01', '2029-01-01'),
      'BAD_USER_INPUT',
      'schoolYear',
      'at the latest 2028-07-31',
    );
  });
});
